#include "validate/options.hpp"

#include "shotgun/filters.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <set>
#include <stdexcept>

namespace sgcache::validate {

namespace json = boost::json;

namespace {

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument(what); }

json::value parse_json(std::string_view option, std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) bad(std::string(option) + ": not valid JSON (" + ec.message() + ")");
    return v;
}

}  // namespace

json::object parse_filters(std::string_view text) {
    const json::value v = parse_json("--filters", text);
    if (!v.is_array() && !v.is_object()) {
        bad("--filters: expected a JSON list of conditions like [[\"sg_status_list\", \"is\", \"ip\"]]");
    }
    try {
        return shotgun::from_list_form(v);
    } catch (const std::invalid_argument& e) {
        bad(std::string("--") + e.what());  // "filters[0][1]: ..." becomes "--filters[0][1]: ..."
    }
}

std::vector<shotgun::sort> parse_order(std::string_view text) {
    const json::value v = parse_json("--order", text);
    const json::array* list = v.if_array();
    if (!list) bad("--order: expected a JSON list like [{\"field_name\": \"updated_at\", \"direction\": \"desc\"}]");
    std::vector<shotgun::sort> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string at = "--order[" + std::to_string(i) + "]";
        const json::object* o = (*list)[i].if_object();
        if (!o) bad(at + ": expected an object {\"field_name\": ..., \"direction\": ...}");
        for (const auto& [k, val] : *o) {
            if (k != "field_name" && k != "column" && k != "direction") {
                bad(at + ": unknown key \"" + std::string(k) + "\" (field_name, direction)");
            }
        }
        const json::value* name = o->if_contains("field_name");
        if (!name) name = o->if_contains("column");
        if (!name || !name->is_string() || name->get_string().empty()) bad(at + ".field_name: expected a field name");
        shotgun::sort s;
        s.field = std::string(name->get_string());
        if (const json::value* d = o->if_contains("direction")) {
            if (!d->is_string() || (d->get_string() != "asc" && d->get_string() != "desc")) {
                bad(at + ".direction: expected \"asc\" or \"desc\", got " + json::serialize(*d));
            }
            s.descending = d->get_string() == "desc";
        }
        out.push_back(std::move(s));
    }
    if (out.empty()) bad("--order: the list is empty");
    return out;
}

std::vector<std::string> parse_field_list(std::string_view text) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    std::size_t start = 0;
    while (true) {
        const auto comma = text.find(',', start);
        std::string_view name = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (name.empty()) bad("--fields: empty field name in '" + std::string(text) + "' (expected a,b,c)");
        for (char c : name) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
            if (!ok) bad("--fields: '" + std::string(name) + "' is not a field name");
        }
        if (!seen.insert(std::string(name)).second) bad("--fields: '" + std::string(name) + "' is given twice");
        out.emplace_back(name);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

std::size_t parse_positive(std::string_view name, std::string_view text, std::size_t max) {
    std::size_t v = 0;
    bool ok = !text.empty() && text.size() <= 12;
    for (char c : text) {
        if (c < '0' || c > '9') {
            ok = false;
            break;
        }
        v = v * 10 + static_cast<std::size_t>(c - '0');
    }
    if (!ok || v < 1 || v > max) {
        bad(std::string(name) + ": expected a whole number from 1 to " + std::to_string(max) + ", got '" + std::string(text) +
            "'");
    }
    return v;
}

page_span pages_for(std::size_t first, std::size_t count, std::size_t page_size) {
    page_span s;
    if (page_size == 0 || count == 0) return s;
    s.first_page = first / page_size + 1;
    s.last_page = (first + count - 1) / page_size + 1;
    s.skip = first % page_size;
    return s;
}

}  // namespace sgcache::validate
