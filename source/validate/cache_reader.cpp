#include "validate/cache_reader.hpp"

#include "config/entity_config.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace sgcache::validate {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Hits per search_after page, and documents per integrity-scan page.
constexpr std::size_t cache_page = 1000;
constexpr std::size_t scan_page = 10000;

void add_hits(std::vector<elastic::search_hit>& hits, entity_map& out) {
    for (auto& h : hits) {
        if (auto id = parse_id(h.id)) out[*id] = std::move(h.source);
    }
}

}  // namespace

cache_reader::cache_reader(elastic::client& es) : es_(es) {}

asio::awaitable<void> cache_reader::refresh_all(const type_ctx& t) {
    co_await es_.refresh(t.names.all_alias);
}

asio::awaitable<entity_map> cache_reader::by_ids(const type_ctx& t, std::vector<std::int64_t> ids) {
    entity_map out;
    for (std::size_t b = 0; b < ids.size(); b += cache_page) {
        json::array values;
        for (std::size_t i = b; i < std::min(ids.size(), b + cache_page); ++i) {
            values.push_back(json::string(std::to_string(ids[i])));
        }
        json::object body;
        body["size"] = values.size();
        body["query"] = json::object{{"ids", json::object{{"values", std::move(values)}}}};
        auto page = co_await es_.search(t.names.all_alias, body);
        add_hits(page.hits, out);
    }
    co_return out;
}

asio::awaitable<entity_map> cache_reader::in_range(const type_ctx& t, std::int64_t after,
                                                   std::int64_t upper) {
    entity_map out;
    json::array search_after;
    for (;;) {
        json::object body;
        body["size"] = cache_page;
        body["sort"] = json::array{json::object{{"id", "asc"}}};
        const json::object bounds{{"gt", after}, {"lte", upper}};
        body["query"] = json::object{{"range", json::object{{"id", bounds}}}};
        if (!search_after.empty()) body["search_after"] = search_after;
        auto page = co_await es_.search(t.names.all_alias, body);
        const std::size_t n = page.hits.size();
        if (n) search_after = page.hits.back().sort;
        add_hits(page.hits, out);
        if (n < cache_page) break;
    }
    co_return out;
}

asio::awaitable<std::vector<std::int64_t>> cache_reader::live_window(const type_ctx& t, json::array sort,
                                                                     std::size_t from, std::size_t size) {
    json::object body;
    body["from"] = from;
    body["size"] = size;
    body["sort"] = std::move(sort);
    body["_source"] = false;
    body["track_total_hits"] = false;
    auto page = co_await es_.search(t.names.live_alias, body);
    std::vector<std::int64_t> out;
    for (const auto& h : page.hits) {
        if (auto id = parse_id(h.id)) out.push_back(*id);
    }
    co_return out;
}

asio::awaitable<std::uint64_t> cache_reader::live_count(const type_ctx& t) {
    co_await es_.refresh(t.names.live_alias);
    co_return co_await es_.count(t.names.live_alias);
}

asio::awaitable<integrity_scan_result> cache_reader::integrity_scan(const type_ctx& t) {
    // Documents sgcache did not write: every write of sgcache's stores the read version
    // as the document's external version; anything else writing bumps the version
    // (or writes none), so the two differ. Catches edits that leave the fingerprints alone.
    // Doc values only (no stored fields, not even _id): four times faster than fetching.
    integrity_scan_result out;
    json::array search_after;
    const std::string read_version = std::string(config::meta_field) + ".read_version";
    for (;;) {
        json::object body;
        body["size"] = scan_page;
        body["version"] = true;
        body["stored_fields"] = "_none_";
        body["docvalue_fields"] = json::array{json::string(read_version), json::string("id")};
        body["sort"] = json::array{json::object{{"id", "asc"}}};
        body["track_total_hits"] = false;
        if (!search_after.empty()) body["search_after"] = search_after;
        auto reply = co_await es_.search_raw(t.names.all_alias, body);
        const json::value* hits_v = reply.if_contains("hits");
        const json::value* list =
            hits_v && hits_v->is_object() ? hits_v->get_object().if_contains("hits") : nullptr;
        if (!list || !list->is_array()) {
            throw std::runtime_error("the integrity scan of " + t.names.all_alias + " got no hits");
        }
        const auto& hits = list->get_array();
        for (const auto& hv : hits) {
            const json::object& h = hv.as_object();
            const json::value* f = h.if_contains("fields");
            const json::object* fields_o = f ? f->if_object() : nullptr;
            const auto first = [&](const std::string& name) -> std::optional<std::int64_t> {
                const json::value* v = fields_o ? fields_o->if_contains(name) : nullptr;
                if (!v || !v->is_array() || v->get_array().empty() || !v->get_array()[0].is_number()) {
                    return std::nullopt;
                }
                return v->get_array()[0].to_number<std::int64_t>();
            };
            const auto id = first("id");
            if (!id) continue;  // no id field: found by the query below
            out.max_id = std::max(out.max_id, *id);
            const json::value* version = h.if_contains("_version");
            const auto rv = first(read_version);
            if (!version || !version->is_number() || !rv || *rv != version->to_number<std::int64_t>()) {
                out.rewritten.push_back(*id);
            }
        }
        if (hits.size() < scan_page) break;
        const json::value* sort = hits.back().as_object().if_contains("sort");
        if (!sort || !sort->is_array()) break;
        search_after = sort->get_array();
    }
    // Documents without an id field are in no bucket and no id range; sgcache never
    // writes one. They are compared by _id whatever the buckets say.
    json::object body;
    body["size"] = cache_page;
    body["_source"] = false;
    body["query"] = json::object{
        {"bool", json::object{{"must_not", json::object{{"exists", json::object{{"field", "id"}}}}}}}};
    auto page = co_await es_.search(t.names.all_alias, body);
    for (const auto& h : page.hits) {
        if (auto id = parse_id(h.id)) out.without_id.push_back(*id);
    }
    co_return out;
}

asio::awaitable<bucket_map> cache_reader::bucket_fingerprints(const type_ctx& t, std::int64_t size,
                                                              fingerprint_kind kind) {
    bucket_map out;
    json::object after_key;
    for (;;) {
        const json::object* after = after_key.empty() ? nullptr : &after_key;
        const json::object body = cache_aggregation(size, after, kind);
        auto page = co_await es_.search_raw(t.names.live_alias, body);
        after_key = add_cache_buckets(page, size, kind, out);
        if (after_key.empty()) break;
    }
    co_return out;
}

}  // namespace sgcache::validate
