#include "validate/context.hpp"

#include "shotgun/filters.hpp"

#include <algorithm>
#include <chrono>

namespace sgcache::validate {

namespace json = boost::json;

type_ctx make_type_ctx(const std::string& prefix, const config::entity_config& cfg) {
    type_ctx t;
    t.cfg = &cfg;
    t.names = sync::names_for(prefix, cfg.type);
    t.filters = shotgun::from_list_form(json::value(cfg.filters));
    for (const auto& f : cfg.fields) {
        t.fields.push_back({f.name, f.data_type});
        if (f.name == "updated_at") t.caches_updated_at = true;
    }
    return t;
}

field_choice choose_fields(const type_ctx& t, const std::vector<std::string>& only) {
    field_choice c;
    for (const auto& f : t.fields) {
        if (!only.empty() && std::find(only.begin(), only.end(), f.name) == only.end()) continue;
        c.specs.push_back(f);
        c.names.push_back(f.name);
    }
    return c;
}

std::int64_t now_ms() {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
}

std::optional<std::int64_t> parse_id(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n;
}

std::optional<std::int64_t> id_of(const json::value& e) {
    const json::object* o = e.if_object();
    const json::value* id = o ? o->if_contains("id") : nullptr;
    if (!id || !(id->is_int64() || id->is_uint64())) return std::nullopt;
    return id->to_number<std::int64_t>();
}

}  // namespace sgcache::validate
