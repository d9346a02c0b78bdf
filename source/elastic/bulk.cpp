#include "elastic/bulk.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <stdexcept>

namespace sgcache::elastic {

namespace json = boost::json;

std::string_view to_string(item_status s) noexcept {
    switch (s) {
        case item_status::written: return "written";
        case item_status::stale: return "stale";
        case item_status::retryable: return "retryable";
        case item_status::rejected: return "rejected";
    }
    return "unknown";
}

namespace {

void append_quoted(std::string& out, std::string_view s) {
    // Index names and ids are plain ASCII in practice; serialize() handles the rest.
    bool plain = true;
    for (unsigned char c : s) {
        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
            plain = false;
            break;
        }
    }
    if (plain) {
        out += '"';
        out += s;
        out += '"';
    } else {
        out += json::serialize(json::string(s));
    }
}

}  // namespace

void append_op(std::string& body, const bulk_op& op) {
    if (op.index.empty()) throw std::invalid_argument("bulk operation without an index");
    if (op.id.empty()) throw std::invalid_argument("bulk operation on index '" + op.index + "' without an id");
    if (op.type == op_type::index && op.source.empty()) {
        throw std::invalid_argument("bulk index of '" + op.index + "/" + op.id + "' without a document");
    }
    body += op.type == op_type::index ? "{\"index\":{\"_index\":" : "{\"delete\":{\"_index\":";
    append_quoted(body, op.index);
    body += ",\"_id\":";
    append_quoted(body, op.id);
    if (op.external_version) {
        body += ",\"version\":";
        body += std::to_string(*op.external_version);
        body += ",\"version_type\":\"external\"";
    }
    body += "}}\n";
    if (op.type == op_type::index) {
        body += op.source;
        body += '\n';
    }
}

std::size_t op_size(const bulk_op& op) noexcept {
    // Fixed text of the action line plus the variable parts; an upper bound within a few bytes for ASCII names.
    std::size_t n = 34 + op.index.size() + op.id.size();
    if (op.external_version) n += 11 + 20 + 26;  // ,"version":<up to 20 digits>,"version_type":"external"
    if (op.type == op_type::index) n += op.source.size() + 1;
    return n;
}

std::vector<std::pair<std::size_t, std::size_t>> plan_batches(const std::vector<bulk_op>& ops,
                                                              std::size_t max_docs,
                                                              std::size_t max_bytes) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    if (max_docs == 0) max_docs = 1;
    std::size_t begin = 0, bytes = 0;
    for (std::size_t i = 0; i < ops.size(); ++i) {
        const std::size_t size = op_size(ops[i]);
        const bool full = i > begin && (i - begin >= max_docs || bytes + size > max_bytes);
        if (full) {
            out.emplace_back(begin, i);
            begin = i;
            bytes = 0;
        }
        bytes += size;
    }
    if (begin < ops.size()) out.emplace_back(begin, ops.size());
    return out;
}

item_status classify_item(unsigned status, std::string_view error_type, op_type type) noexcept {
    if (status >= 200 && status < 300) return item_status::written;
    if (status == 404 && type == op_type::del) return item_status::written;
    if (status == 409 && (error_type.empty() || error_type == "version_conflict_engine_exception")) {
        return item_status::stale;
    }
    if (status == 429 || status >= 500) return item_status::retryable;
    return item_status::rejected;
}

std::vector<item_result> parse_bulk_reply(std::string_view body, std::size_t expected,
                                          const std::vector<bulk_op>* ops) {
    boost::system::error_code ec;
    // The reply (an item per document) is read once and dropped: one arena instead of an
    // allocation per item, key and string.
    json::monotonic_resource arena(body.size() + 1024);
    json::value doc = json::parse(body, ec, &arena);
    if (ec) throw std::runtime_error("malformed _bulk reply: not JSON (" + ec.message() + ")");
    const json::object* root = doc.if_object();
    const json::value* items_v = root ? root->if_contains("items") : nullptr;
    const json::array* items = items_v ? items_v->if_array() : nullptr;
    if (!items) throw std::runtime_error("malformed _bulk reply: no items array");
    if (items->size() != expected) {
        throw std::runtime_error("malformed _bulk reply: " + std::to_string(items->size()) +
                                 " items for " + std::to_string(expected) + " operations");
    }
    std::vector<item_result> out;
    out.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
        // Each item is {"<action>": {...}} with exactly one key.
        const json::object* wrapper = (*items)[i].if_object();
        if (!wrapper || wrapper->size() != 1 || !wrapper->begin()->value().is_object()) {
            throw std::runtime_error("malformed _bulk reply: item " + std::to_string(i) + " is not an action object");
        }
        const json::object& item = wrapper->begin()->value().get_object();
        item_result r;
        const json::value* status = item.if_contains("status");
        if (!status || !status->is_number()) {
            throw std::runtime_error("malformed _bulk reply: item " + std::to_string(i) + " has no status");
        }
        r.http_status = static_cast<unsigned>(status->to_number<std::int64_t>());
        if (const json::value* err = item.if_contains("error")) {
            if (const json::object* e = err->if_object()) {
                if (auto t = e->if_contains("type"); t && t->is_string()) r.error_type = t->get_string();
                if (auto t = e->if_contains("reason"); t && t->is_string()) r.reason = t->get_string();
                // The root cause is usually the useful part ("failed to parse field [x]").
                if (auto c = e->if_contains("caused_by"); c && c->is_object()) {
                    const auto& cb = c->get_object();
                    if (auto cr = cb.if_contains("reason"); cr && cr->is_string()) {
                        r.reason += std::string(": ") + std::string(cr->get_string());
                    }
                }
            } else if (err->is_string()) {
                r.reason = err->get_string();
            }
        }
        const auto type = ops ? (*ops)[i].type : (wrapper->begin()->key() == "delete" ? op_type::del
                                                                                       : op_type::index);
        r.status = classify_item(r.http_status, r.error_type, type);
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace sgcache::elastic
