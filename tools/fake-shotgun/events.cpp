#include "events.hpp"

#include "values.hpp"

namespace sgcache::fake_shotgun {

event_writer::event_writer(store& db, event_context ctx) : db_(db), ctx_(std::move(ctx)) {
    table_ = db_.find_table("EventLogEntry");
}

json::value event_writer::meta_value(const field_def& f, const json::value& stored) const {
    if (f.type == data_type::entity) {
        std::string_view t;
        std::int64_t id = 0;
        if (!read_link(stored, t, id)) return nullptr;
        return db_.meta_link(t, id);
    }
    if (f.type == data_type::password) return stored.is_null() ? json::value(nullptr) : json::value("*******");
    return stored;
}

std::string event_writer::who() const {
    std::string_view t;
    std::int64_t id = 0;
    if (!read_link(ctx_.user, t, id)) return "Someone";
    auto n = db_.name_of(t, id);
    return n.empty() ? std::string(t) + " " + std::to_string(id) : std::string(n);
}

std::string event_writer::what(const entity_def& t, const row& r) const {
    auto n = db_.name_of(t.name, r.id);
    return t.display_name + " " + (n.empty() ? "#" + std::to_string(r.id) : std::string(n));
}

json::value event_writer::project_of(const entity_def& t, const row& r) const {
    if (t.name == "Project") return stored_link("Project", r.id);
    if (t.project_field == entity_def::npos) return nullptr;
    const auto& v = r.values[t.project_field];
    return is_stored_link(v) || v.is_object() ? v : json::value(nullptr);
}

std::int64_t event_writer::write(std::string event_type, json::value entity, json::value project,
                                 json::value attribute_name, json::object meta, std::string description) {
    if (!enabled()) return 0;
    if (!ctx_.sudo_actual_user.is_null()) {
        std::string_view t;
        std::int64_t id = 0;
        if (read_link(ctx_.sudo_actual_user, t, id)) meta["sudo_actual_user"] = db_.meta_link(t, id);
    }
    row& e = db_.insert(*table_);
    e.visible_at_ms = ctx_.visible_at_ms;
    const auto& def = table_->def();
    auto set = [&](std::string_view field, json::value v) {
        if (const auto* f = def.find(field)) e.values[f->index] = std::move(v);
    };
    set("event_type", json::string(event_type));
    set("attribute_name", std::move(attribute_name));
    set("entity", std::move(entity));
    set("project", std::move(project));
    set("user", ctx_.user);
    set("session_uuid", ctx_.session_uuid);
    set("created_at", json::string(format_date_time(ctx_.now_s)));
    set("description", json::string(description));
    set("meta", std::move(meta));
    return e.id;
}

std::int64_t event_writer::new_entity(const entity_def& t, const row& r) {
    json::object meta;
    meta["type"] = "new_entity";
    meta["entity_type"] = t.name;
    meta["entity_id"] = r.id;
    return write("Shotgun_" + t.name + "_New", stored_link(t.name, r.id), project_of(t, r), nullptr,
                 std::move(meta), who() + " created new " + what(t, r));
}

std::int64_t event_writer::attribute_change(const entity_def& t, const row& r, const field_def& f,
                                            const json::value& old_stored, const json::value& new_stored,
                                            bool in_create) {
    json::object meta;
    meta["type"] = "attribute_change";
    meta["attribute_name"] = f.name;
    meta["entity_type"] = t.name;
    meta["entity_id"] = r.id;
    meta["field_data_type"] = to_string(f.type);
    meta["old_value"] = meta_value(f, old_stored);
    meta["new_value"] = meta_value(f, new_stored);
    if (in_create) meta["in_create"] = true;
    auto shown = [](const json::value& v) {
        if (v.is_null()) return std::string("");
        if (v.is_string()) return std::string(v.get_string());
        if (const auto* o = v.if_object()) {
            if (const auto* n = o->if_contains("name"); n && n->is_string()) return std::string(n->get_string());
        }
        return json::serialize(v);
    };
    std::string desc = who() + " changed \"" + f.display_name + "\" from \"" +
                       shown(meta["old_value"]) + "\" to \"" + shown(meta["new_value"]) + "\" on " + what(t, r);
    return write("Shotgun_" + t.name + "_Change", stored_link(t.name, r.id), project_of(t, r),
                 json::string(f.name), std::move(meta), std::move(desc));
}

std::int64_t event_writer::multi_change(const entity_def& t, const row& r, const field_def& f,
                                        const json::array& added, const json::array& removed, bool in_create) {
    json::object meta;
    meta["type"] = "attribute_change";
    meta["attribute_name"] = f.name;
    meta["entity_type"] = t.name;
    meta["entity_id"] = r.id;
    meta["field_data_type"] = to_string(f.type);
    json::array a, rm;
    for (const auto& l : added) {
        std::string_view lt;
        std::int64_t id = 0;
        if (!read_link(l, lt, id)) continue;
        a.push_back(db_.meta_link(lt, id));
    }
    for (const auto& l : removed) {
        std::string_view lt;
        std::int64_t id = 0;
        if (!read_link(l, lt, id)) continue;
        rm.push_back(db_.meta_link(lt, id));
    }
    meta["added"] = std::move(a);
    meta["removed"] = std::move(rm);
    if (in_create) meta["in_create"] = true;
    std::string desc = who() + " changed \"" + f.display_name + "\" on " + what(t, r) + " (added " +
                       std::to_string(added.size()) + ", removed " + std::to_string(removed.size()) + ")";
    return write("Shotgun_" + t.name + "_Change", stored_link(t.name, r.id), project_of(t, r),
                 json::string(f.name), std::move(meta), std::move(desc));
}

std::int64_t event_writer::back_reference(const entity_def& ot, const row& other, const field_def& of,
                                          const field_def& actual, std::int64_t actual_id,
                                          const json::array* added, const json::array* removed,
                                          const json::value* old_stored, const json::value* new_stored,
                                          std::int64_t original, bool in_create) {
    json::object meta;
    meta["type"] = "attribute_change";
    meta["attribute_name"] = of.name;
    meta["actual_attribute_changed"] = actual.entity_type + "." + actual.name;
    if (original) meta["original_event_log_entry_id"] = original;
    // entity_type / entity_id / field_data_type describe the entity whose field the API
    // really set, not the one this row is logged on (reference, section 6.4 d).
    meta["entity_type"] = actual.entity_type;
    meta["entity_id"] = actual_id;
    meta["field_data_type"] = to_string(actual.type);
    auto links = [&](const json::array* l) {
        json::array out;
        if (!l) return out;
        for (const auto& x : *l) {
            std::string_view lt;
            std::int64_t id = 0;
            if (read_link(x, lt, id)) out.push_back(db_.meta_link(lt, id));
        }
        return out;
    };
    if (added || removed) {
        meta["added"] = links(added);
        meta["removed"] = links(removed);
    } else {
        meta["old_value"] = old_stored ? meta_value(of, *old_stored) : json::value(nullptr);
        meta["new_value"] = new_stored ? meta_value(of, *new_stored) : json::value(nullptr);
    }
    if (in_create) meta["in_create"] = true;
    std::string desc = who() + " changed \"" + of.display_name + "\" on " + what(ot, other) +
                       " (through " + actual.entity_type + "." + actual.name + ")";
    return write("Shotgun_" + ot.name + "_Change", stored_link(ot.name, other.id), project_of(ot, other),
                 json::string(of.name), std::move(meta), std::move(desc));
}

void event_writer::retirement(const entity_def& t, const row& r) {
    std::string when = format_event_time(ctx_.now_s);
    json::object change;
    change["type"] = "attribute_change";
    change["attribute_name"] = "retirement_date";
    change["entity_type"] = t.name;
    change["entity_id"] = r.id;
    change["old_value"] = nullptr;
    change["new_value"] = when;
    write("Shotgun_" + t.name + "_Change", stored_link(t.name, r.id), project_of(t, r), "retirement_date",
          std::move(change), who() + " changed \"Date Retired\" on " + what(t, r));
    json::object meta;
    meta["type"] = "entity_retirement";
    meta["entity_type"] = t.name;
    meta["entity_id"] = r.id;
    meta["id"] = r.id;
    meta["class_name"] = t.name;
    meta["display_name"] = db_.name_of(t.name, r.id);
    meta["retirement_date"] = when;
    write("Shotgun_" + t.name + "_Retirement", stored_link(t.name, r.id), project_of(t, r), nullptr,
          std::move(meta), who() + " retired " + what(t, r));
}

void event_writer::revival(const entity_def& t, const row& r, std::int64_t retired_at) {
    json::object change;
    change["type"] = "attribute_change";
    change["attribute_name"] = "retirement_date";
    change["entity_type"] = t.name;
    change["entity_id"] = r.id;
    change["old_value"] = format_event_time(retired_at);
    change["new_value"] = nullptr;
    write("Shotgun_" + t.name + "_Change", stored_link(t.name, r.id), project_of(t, r), "retirement_date",
          std::move(change), who() + " changed \"Date Retired\" on " + what(t, r));
    json::object meta;
    meta["type"] = "entity_revival";
    meta["entity_type"] = t.name;
    meta["entity_id"] = r.id;
    meta["id"] = r.id;
    meta["class_name"] = t.name;
    meta["display_name"] = db_.name_of(t.name, r.id);
    write("Shotgun_" + t.name + "_Revival", stored_link(t.name, r.id), project_of(t, r), nullptr,
          std::move(meta), who() + " revived " + what(t, r));
}

std::int64_t event_writer::raw(std::string_view event_type, const json::value& entity, const json::value& project,
                               const json::value& attribute_name, json::object meta, std::string description) {
    return write(std::string(event_type), entity, project, attribute_name, std::move(meta), std::move(description));
}

}  // namespace sgcache::fake_shotgun
