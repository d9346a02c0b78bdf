#include "validate/sample_comparison.hpp"

#include "shotgun/filters.hpp"

#include <utility>
#include <vector>

namespace sgcache::validate {

namespace asio = boost::asio;
namespace json = boost::json;

std::optional<std::string> sort_path(const type_ctx& t, const std::string& field) {
    if (field == "id") return std::string("id");
    for (const auto& f : t.cfg->fields) {
        if (f.name != field) continue;
        const json::value* type = f.mapping.if_contains("type");
        const std::string kind = type && type->is_string() ? std::string(type->get_string()) : "";
        if (kind == "long" || kind == "integer" || kind == "double" || kind == "float" || kind == "date" ||
            kind == "keyword" || kind == "boolean") {
            return f.name;
        }
        const json::value* sub = f.mapping.if_contains("fields");
        if (kind == "text" && sub && sub->is_object() && sub->get_object().contains("keyword")) {
            return f.name + ".keyword";
        }
        const json::value* props = f.mapping.if_contains("properties");
        const bool object = kind.empty() || kind == "object";
        if (object && props && props->is_object() && props->get_object().contains("name")) {
            return f.name + ".name";  // api3 sorts links by name
        }
        return std::nullopt;
    }
    if (field == "updated_at") return std::string(config::meta_field) + ".updated_at";
    return std::nullopt;
}

asio::awaitable<void> compare_sample(sides s, const type_ctx& t, const data_options& o,
                                     const field_choice& fields, type_report& out) {
    std::vector<shotgun::sort> sorts = o.order;
    bool by_default = sorts.empty();
    if (by_default) sorts.push_back({"updated_at", true});
    bool has_id = false;
    for (const auto& srt : sorts) has_id = has_id || srt.field == "id";
    // A deterministic order for paging: ties broken by id.
    if (!has_id) sorts.push_back({"id", by_default});
    const json::object filters = shotgun::both(t.filters, o.filters);
    const std::size_t first = (o.page - 1) * o.limit;
    entity_map site = co_await s.site.window(t, fields.names, filters, sorts, first, o.limit);

    // Strays: the cache's documents in the same window, when the cache can reproduce it.
    // Its order may differ slightly (text collation, ties): documents outside the site's
    // window are asked of the site by id, so a border difference is never a finding.
    std::vector<std::int64_t> window;
    json::array es_sort;
    bool sortable = true;
    for (const auto& srt : sorts) {
        const auto path = sort_path(t, srt.field);
        if (!path) {
            sortable = false;
            out.notes.push_back("strays not looked for: the cache cannot sort by " + srt.field);
            break;
        }
        json::object how{{"order", srt.descending ? "desc" : "asc"},
                         {"missing", srt.descending ? "_first" : "_last"}};
        es_sort.push_back(json::object{{*path, std::move(how)}});
    }
    co_await s.cache.refresh_all(t);
    if (!o.filters.empty()) {
        out.notes.push_back("strays not looked for: --filters cannot be evaluated in the cache");
    } else if (sortable && first + o.limit > 10000) {
        out.notes.push_back("strays not looked for: the cache pages only through the first 10,000 documents");
    } else if (sortable) {
        window = co_await s.cache.live_window(t, std::move(es_sort), first, o.limit);
    }
    std::vector<std::int64_t> extras;
    for (const auto id : window) {
        if (!site.count(id)) extras.push_back(id);
    }
    if (!extras.empty()) {
        auto more = co_await s.site.by_ids(t, fields.names, extras);
        for (auto& [id, e] : more) site[id] = std::move(e);
    }
    std::vector<std::int64_t> ids;
    for (const auto& [id, e] : site) ids.push_back(id);
    for (const auto id : extras) {
        if (!site.count(id)) ids.push_back(id);
    }
    auto cache = co_await s.cache.by_ids(t, ids);
    add_findings(out, compare_sets(site, cache, fields.specs), site, cache);
}

}  // namespace sgcache::validate
