#include "sync/changes.hpp"

namespace sgcache::sync {

namespace json = boost::json;

namespace {

bool entity_action(std::string_view action) {
    return action == "New" || action == "Change" || action == "Retirement" || action == "Revival";
}

// {"type": "Shot", "id": 12, ...} -> adds it when its type is cached.
void add_link(const json::value& v, const std::set<std::string>& cached, change_set& out) {
    const json::object* o = v.if_object();
    if (!o) return;
    const json::value* t = o->if_contains("type");
    const json::value* id = o->if_contains("id");
    if (!t || !t->is_string() || !id || !(id->is_int64() || id->is_uint64())) return;
    const std::string type(t->get_string());
    if (cached.count(type)) out[type].insert(id->to_number<std::int64_t>());
}

void add_links(const json::value* v, const std::set<std::string>& cached, change_set& out) {
    if (!v) return;
    if (v->is_array()) {
        for (const auto& item : v->get_array()) add_link(item, cached, out);
    } else {
        add_link(*v, cached, out);
    }
}

}  // namespace

parsed_event_type parse_event_type(std::string_view event_type) {
    parsed_event_type out;
    constexpr std::string_view prefix = "Shotgun_";
    if (event_type.substr(0, prefix.size()) != prefix) return out;
    const auto rest = event_type.substr(prefix.size());
    const auto last = rest.rfind('_');
    if (last == std::string_view::npos || last == 0) return out;
    out.entity_type = std::string(rest.substr(0, last));
    out.action = std::string(rest.substr(last + 1));
    out.is_entity_event = entity_action(out.action) && out.entity_type != "Reading";
    return out;
}

bool collect_changes(const json::object& event, const std::set<std::string>& cached, change_set& out) {
    const json::value* et = event.if_contains("event_type");
    if (!et || !et->is_string()) return false;
    const auto parsed = parse_event_type(et->get_string());
    if (!parsed.is_entity_event) return false;

    if (const json::value* e = event.if_contains("entity")) add_link(*e, cached, out);
    const json::value* meta_v = event.if_contains("meta");
    const json::object* meta = meta_v ? meta_v->if_object() : nullptr;
    if (!meta) return true;
    const json::value* meta_id = meta->if_contains("entity_id");
    if (meta_id && (meta_id->is_int64() || meta_id->is_uint64())) {
        const std::int64_t id = meta_id->to_number<std::int64_t>();
        // The row's own type with meta.entity_id names a retired entity whose `entity` reads
        // null. On back-reference rows meta.entity_id belongs to meta.entity_type, not to the
        // row's type, so only pair it with the row's type when meta.entity_type agrees.
        const json::value* meta_type = meta->if_contains("entity_type");
        const std::string mt = meta_type && meta_type->is_string() ? std::string(meta_type->get_string()) : "";
        if ((mt.empty() || mt == parsed.entity_type) && cached.count(parsed.entity_type)) {
            out[parsed.entity_type].insert(id);
        }
        if (!mt.empty() && cached.count(mt)) out[mt].insert(id);
    }
    add_links(meta->if_contains("added"), cached, out);
    add_links(meta->if_contains("removed"), cached, out);
    add_links(meta->if_contains("old_value"), cached, out);
    add_links(meta->if_contains("new_value"), cached, out);
    return true;
}

bool is_name_field(std::string_view field) noexcept {
    // The display fields of entity types (code for most, content for Task, name, title,
    // subject for Note, and the parts of a person's name).
    for (std::string_view f : {"code", "name", "content", "title", "subject", "firstname", "lastname", "login"}) {
        if (f == field) return true;
    }
    return false;
}

void collect_link_effects(const json::object& event, link_effects& out) {
    const json::value* et = event.if_contains("event_type");
    if (!et || !et->is_string()) return;
    const auto parsed = parse_event_type(et->get_string());
    if (!parsed.is_entity_event) return;
    const json::value* meta_v = event.if_contains("meta");
    const json::object* meta = meta_v ? meta_v->if_object() : nullptr;
    std::int64_t id = 0;
    if (meta) {
        for (const char* key : {"entity_id", "id"}) {
            const json::value* v = meta->if_contains(key);
            if (v && (v->is_int64() || v->is_uint64())) {
                id = v->to_number<std::int64_t>();
                break;
            }
        }
        // On a back-reference row meta.entity_id belongs to meta.entity_type.
        if (const json::value* mt = meta->if_contains("entity_type"); mt && mt->is_string() && mt->get_string() != parsed.entity_type) {
            id = 0;
        }
    }
    if (!id) {
        if (const json::value* e = event.if_contains("entity"); e && e->is_object()) {
            if (const json::value* v = e->get_object().if_contains("id"); v && v->is_number()) id = v->to_number<std::int64_t>();
        }
    }
    if (!id) return;
    if (parsed.action == "Retirement") {
        out.appearance_changed.insert({parsed.entity_type, id});
    } else if (parsed.action == "Revival") {
        out.revived.insert({parsed.entity_type, id});
    } else if (parsed.action == "Change") {
        const json::value* attr = event.if_contains("attribute_name");
        if (attr && attr->is_string() && is_name_field(attr->get_string())) {
            out.appearance_changed.insert({parsed.entity_type, id});
        }
    }
}

void collect_links(const json::object& entity, const std::set<std::string>& cached, change_set& out) {
    for (const auto& [key, value] : entity) {
        if (key == "type" || key == "id") continue;
        add_links(&value, cached, out);
    }
}

bool is_schema_event(const json::object& event) {
    const json::value* et = event.if_contains("event_type");
    if (!et || !et->is_string()) return false;
    const std::string_view s = et->get_string();
    return s.rfind("Shotgun_DisplayColumn_", 0) == 0;
}

std::size_t total(const change_set& c) noexcept {
    std::size_t n = 0;
    for (const auto& [t, ids] : c) n += ids.size();
    return n;
}

}  // namespace sgcache::sync
