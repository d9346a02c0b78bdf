#include "shotgun/schema.hpp"

#include <stdexcept>

namespace sgcache::shotgun {

namespace json = boost::json;

namespace {

// {"value": X, "editable": ...} -> X; older dumps sometimes carry the bare value.
const json::value* unwrap(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (!v) return nullptr;
    if (const json::object* w = v->if_object()) {
        if (const json::value* inner = w->if_contains("value")) return inner;
    }
    return v;
}

std::vector<std::string> strings_of(const json::value* v) {
    std::vector<std::string> out;
    if (!v || !v->is_array()) return out;
    for (const auto& s : v->get_array()) {
        if (s.is_string()) out.emplace_back(s.get_string());
    }
    return out;
}

}  // namespace

std::vector<std::string> site_schema::type_names() const {
    std::vector<std::string> out;
    for (const auto& [name, t] : types) out.push_back(name);
    return out;
}

site_schema parse_schema(const json::object& fields_by_type, const json::object& entities) {
    site_schema out;
    for (const auto& [type_name, fields_v] : fields_by_type) {
        const std::string type(type_name);
        const json::object* fields = fields_v.if_object();
        if (!fields) throw std::invalid_argument("schema: entity type " + type + " is not an object of fields");
        entity_schema es;
        es.type = type;
        es.display_name = type;
        if (const json::value* e = entities.if_contains(type); e && e->is_object()) {
            if (const json::value* n = unwrap(e->get_object(), "name"); n && n->is_string()) {
                es.display_name = n->get_string();
            }
        }
        for (const auto& [field_name, spec_v] : *fields) {
            const std::string name(field_name);
            const json::object* spec = spec_v.if_object();
            if (!spec) throw std::invalid_argument("schema: " + type + "." + name + " is not an object");
            field_schema f;
            f.name = name;
            const json::value* dt = unwrap(*spec, "data_type");
            if (!dt || !dt->is_string()) throw std::invalid_argument("schema: " + type + "." + name + " has no data_type");
            f.data_type = dt->get_string();
            if (const json::value* n = unwrap(*spec, "name"); n && n->is_string()) f.display_name = n->get_string();
            if (const json::value* props = spec->if_contains("properties"); props && props->is_object()) {
                const auto& p = props->get_object();
                f.valid_types = strings_of(unwrap(p, "valid_types"));
                f.valid_values = strings_of(unwrap(p, "valid_values"));
                f.has_query = p.contains("query") || p.contains("summary_field");
            }
            es.fields.emplace(name, std::move(f));
        }
        out.types.emplace(type, std::move(es));
    }
    return out;
}

}  // namespace sgcache::shotgun
