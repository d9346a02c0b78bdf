#include "write_payload.hpp"

#include "method_fault.hpp"
#include "values.hpp"
#include "write_values.hpp"

#include <algorithm>
#include <optional>

namespace sgcache::fake_shotgun {

namespace {

update_mode parse_mode(const json::value* v, std::string_view method, const std::string& where) {
    if (!v || v->is_null()) return update_mode::set;
    if (v->is_string()) {
        if (v->get_string() == "set") return update_mode::set;
        if (v->get_string() == "add") return update_mode::add;
        if (v->get_string() == "remove") return update_mode::remove;
    }
    bad(method, where + " multi_entity_update_mode must be \"set\", \"add\" or \"remove\", got " + brief(*v));
}

}  // namespace

const entity_def& type_of(const store& db, const json::object& p, std::string_view method) {
    const auto* t = p.if_contains("type");
    if (!t || !t->is_string()) bad(method, "missing or invalid entity 'type': " + brief(p, 120));
    const auto* def = db.schema().find(t->get_string());
    if (!def) bad(method, "entity type '" + std::string(t->get_string()) + "' doesn't exist.");
    return *def;
}

std::int64_t id_of(const json::object& p, std::string_view method) {
    const auto* i = p.if_contains("id");
    auto id = i ? as_integer(*i) : std::nullopt;
    if (!id) bad(method, "missing or invalid entity 'id': " + (i ? brief(*i) : std::string("none")));
    return *id;
}

std::vector<field_write> read_fields(const store& db, const entity_def& def, const json::object& p,
                                     std::string_view method, bool creating) {
    const auto* fv = p.if_contains("fields");
    if (!fv || !fv->is_array()) bad(method, "'fields' must be an array of {field_name, value}");
    const json::object* modes = nullptr;
    if (const auto* m = p.if_contains("multi_entity_update_mode"); m && m->is_object()) modes = &m->get_object();
    std::vector<field_write> out;
    for (const auto& e : fv->get_array()) {
        const auto* o = e.if_object();
        const auto* fn = o ? o->if_contains("field_name") : nullptr;
        if (!fn || !fn->is_string()) bad(method, "each field needs a 'field_name': " + brief(e));
        std::string where = def.name + "." + std::string(fn->get_string());
        const field_def* f = def.find(fn->get_string());
        if (!f) bad(method, where + " doesn't exist.");
        bool allowed = f->editable;
        if (def.name == "EventLogEntry") {
            // Custom events may be created with any field but their identity and stamps.
            allowed = creating && f->name != "id" && f->name != "created_at" && f->name != "user" &&
                      f->name != "session_uuid";
        } else if (creating && (f->name == "created_at" || f->name == "created_by")) {
            allowed = true;  // the docs allow setting these on create, not on update
        } else if (system_field(f->name)) {
            allowed = false;
        }
        if (!allowed) bad(method, where + " is not editable.");
        const auto* value = o->if_contains("value");
        if (!value) bad(method, where + " has no 'value'");
        field_write w{f, normalize(db, *f, *value, method, where)};
        const json::value* mode = o->if_contains("multi_entity_update_mode");
        if (!mode && modes) mode = modes->if_contains(f->name);
        if (mode && !mode->is_null()) {
            if (f->type != data_type::multi_entity) {
                bad(method, where + " multi_entity_update_mode only applies to multi_entity fields");
            }
            w.mode = parse_mode(mode, method, where);
        }
        // A field named twice: the last value wins.
        auto same = std::find_if(out.begin(), out.end(), [&](const field_write& x) { return x.field == f; });
        if (same != out.end()) {
            *same = std::move(w);
        } else {
            out.push_back(std::move(w));
        }
    }
    return out;
}

void check_unique(const store& db, const entity_def& def, const field_write& w, std::int64_t self_id,
                  std::string_view method, bool creating) {
    if (!w.field->unique || w.value.is_null()) return;
    const auto* t = db.find_table(def.name);
    for (const auto& r : t->rows()) {
        if (r.retired || r.id == self_id) continue;
        if (r.values[w.field->index] == w.value) {
            if (creating) {
                crud(method, 61, "Create failed for [" + def.name + "]. The value for the " + w.field->display_name +
                                     " field is required to be unique. <br>");
            }
            crud(method, 51, "Update failed for [" + def.name + "." + w.field->name + "]. The value for the " +
                                 w.field->display_name + " field is required to be unique. <br> ");
        }
    }
}

std::vector<std::string> string_list(const json::object& p, std::string_view key, std::string_view method) {
    std::vector<std::string> out;
    const auto* v = p.if_contains(key);
    if (!v || v->is_null()) return out;
    if (!v->is_array()) bad(method, std::string(key) + " must be an array of field names");
    for (const auto& x : v->get_array()) {
        if (!x.is_string()) bad(method, std::string(key) + " must be an array of field names, got " + brief(x));
        out.emplace_back(x.get_string());
    }
    return out;
}

bool system_field(std::string_view name) {
    return name == "id" || name == "created_at" || name == "updated_at" || name == "created_by" ||
           name == "updated_by" || name == "cached_display_name";
}

}  // namespace sgcache::fake_shotgun
