#include "validate/compare.hpp"

#include "config/entity_config.hpp"
#include "validate/values.hpp"

#include <set>

namespace sgcache::validate {

namespace json = boost::json;

std::string_view to_string(finding_kind k) noexcept {
    switch (k) {
        case finding_kind::missing: return "missing";
        case finding_kind::stray: return "stray";
        case finding_kind::different: return "different";
    }
    return "?";
}

bool is_live(const json::object& doc) {
    const json::value* meta = doc.if_contains(config::meta_field);
    if (!meta || !meta->is_object()) return true;  // the live alias hides only retired = true
    const json::value* retired = meta->get_object().if_contains("retired");
    return !(retired && retired->is_bool() && retired->get_bool());
}

std::vector<field_difference> compare_entity(const std::vector<field_spec>& fields, const json::object& site,
                                             const json::object& cache) {
    static const json::value none;
    std::vector<field_difference> out;
    for (const auto& f : fields) {
        const json::value* a = site.if_contains(f.name);
        const json::value* b = cache.if_contains(f.name);
        const json::value& av = a ? *a : none;
        const json::value& bv = b ? *b : none;
        if (!same_value(f.data_type, av, bv)) out.push_back({f.name, av, bv});
    }
    return out;
}

std::optional<finding> judge(std::int64_t id, const json::object* site, const json::object* cache,
                             const std::vector<field_spec>& fields) {
    const bool live = cache && is_live(*cache);
    if (site && !live) return finding{id, finding_kind::missing, {}};
    if (!site && live) return finding{id, finding_kind::stray, {}};
    if (!site) return std::nullopt;
    auto diffs = compare_entity(fields, *site, *cache);
    if (diffs.empty()) return std::nullopt;
    return finding{id, finding_kind::different, std::move(diffs)};
}

std::vector<finding> compare_sets(const std::map<std::int64_t, json::object>& site,
                                  const std::map<std::int64_t, json::object>& cache, const std::vector<field_spec>& fields) {
    std::set<std::int64_t> ids;
    for (const auto& [id, e] : site) ids.insert(id);
    for (const auto& [id, d] : cache) ids.insert(id);
    std::vector<finding> out;
    for (const std::int64_t id : ids) {
        auto s = site.find(id);
        auto c = cache.find(id);
        auto f = judge(id, s == site.end() ? nullptr : &s->second, c == cache.end() ? nullptr : &c->second, fields);
        if (f) out.push_back(std::move(*f));
    }
    return out;
}

std::vector<std::pair<std::string, std::int64_t>> linked_entities(const finding& f) {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& d : f.fields) {
        links_in(d.site, out);
        links_in(d.cache, out);
    }
    return out;
}

}  // namespace sgcache::validate
