// The write methods of the fake site: create, update, delete (retire), revive and batch.
// site::call() runs each inside one store transaction with its event writer; a method
// throws api_fault to refuse, and the caller rolls back data and events together.
#include "site.hpp"

#include "api_fault.hpp"
#include "links.hpp"
#include "method_fault.hpp"
#include "query.hpp"
#include "site_context.hpp"
#include "values.hpp"
#include "write_payload.hpp"
#include "write_values.hpp"

#include <algorithm>

namespace sgcache::fake_shotgun {

json::value site::create(write_ctx& w, const json::object& p, std::string_view method) {
    const entity_def& def = type_of(db_, p, method);
    auto writes = read_fields(db_, def, p, method, true);
    for (const auto& fw : writes) check_unique(db_, def, fw, 0, method, true);
    auto return_fields = string_list(p, "return_fields", method);
    table& t = *db_.find_table(def.name);
    row& r = db_.insert(t);
    // Start from nothing: the Change rows of a create go from null to the final value,
    // defaults included.
    for (const auto& f : def.fields) {
        if (f.name != "id") r.values[f.index] = empty_value(f);
    }
    auto set_system = [&](std::string_view name, json::value v) {
        const field_def* f = def.find(name);
        if (!f) return;
        bool given = std::any_of(writes.begin(), writes.end(), [&](const field_write& x) { return x.field == f; });
        if (!given) r.values[f->index] = std::move(v);
    };
    std::string now = format_date_time(w.now_s);
    set_system("created_at", json::string(now));
    set_system("updated_at", json::string(now));
    set_system("created_by", w.who.user);
    set_system("updated_by", w.who.user);
    if (def.name == "EventLogEntry") {
        set_system("user", w.who.user);
        set_system("session_uuid", w.who.session_uuid);
    }

    // The final values: what was sent, then schema defaults for the rest.
    std::vector<std::pair<const field_def*, json::value>> finals;
    for (auto& fw : writes) finals.emplace_back(fw.field, fw.value);
    for (const auto& f : def.fields) {
        if (f.default_value.is_null() || system_field(f.name)) continue;
        bool given = std::any_of(writes.begin(), writes.end(), [&](const field_write& x) { return x.field == &f; });
        if (!given) finals.emplace_back(&f, f.default_value);
    }
    for (auto& [f, v] : finals) r.values[f->index] = v;

    if (def.name != "EventLogEntry") {
        w.ev->new_entity(def, r);
        for (auto& [f, v] : finals) {
            if (empty_stored(v)) continue;
            log_change(db_, *w.ev, def, r, *f, empty_value(*f), v, true);
        }
    }

    // The answer: what was set, plus type, id and the requested return fields.
    std::vector<std::string> names;
    for (const auto& fw : writes) names.push_back(fw.field->name);
    for (const auto& rf : return_fields) {
        if (std::find(names.begin(), names.end(), rf) == names.end()) names.push_back(rf);
    }
    return render_entity(db_, def, r, names);
}

json::value site::update(write_ctx& w, const json::object& p, std::string_view method) {
    const entity_def& def = type_of(db_, p, method);
    std::int64_t id = id_of(p, method);
    if (def.name == "EventLogEntry") bad(method, "EventLogEntry entities can not be updated.");
    table& t = *db_.find_table(def.name);
    row* r = t.find(id);
    if (!r || r->retired) {
        crud(method, 3, "Entity of type [" + def.name + "] with id=" + std::to_string(id) + " does not exist.");
    }
    auto writes = read_fields(db_, def, p, method, false);
    for (auto& fw : writes) {
        if (fw.field->type == data_type::multi_entity && fw.mode != update_mode::set) {
            const json::value& cur = r->values[fw.field->index];
            json::array merged = cur.is_array() ? cur.get_array() : json::array{};
            if (fw.mode == update_mode::add) {
                for (const auto& l : fw.value.get_array()) {
                    if (!contains_link(merged, l)) merged.push_back(l);
                }
            } else {
                json::array keep;
                for (const auto& l : merged) {
                    if (!contains_link(fw.value.get_array(), l)) keep.push_back(l);
                }
                merged = std::move(keep);
            }
            fw.value = std::move(merged);
        }
        check_unique(db_, def, fw, id, method, false);
    }
    bool changed = false;
    for (auto& fw : writes) {
        const json::value old = r->values[fw.field->index];
        bool same = fw.field->type == data_type::multi_entity
                        ? minus(old, fw.value).empty() && minus(fw.value, old).empty()
                        : old == fw.value;
        if (same) continue;
        db_.touch(t, *r);
        r->values[fw.field->index] = fw.value;
        changed = true;
        log_change(db_, *w.ev, def, *r, *fw.field, old, fw.value, false);
    }
    if (changed) {
        db_.touch(t, *r);
        if (const auto* f = def.find("updated_at")) r->values[f->index] = json::string(format_date_time(w.now_s));
        if (const auto* f = def.find("updated_by")) r->values[f->index] = w.who.user;
    }
    std::vector<std::string> names;
    for (const auto& fw : writes) names.push_back(fw.field->name);
    // Links in update results carry "valid" (reference, section 3.5).
    return render_entity(db_, def, *r, names, {}, true);
}

json::value site::retire(write_ctx& w, const json::object& p, std::string_view method) {
    const entity_def& def = type_of(db_, p, method);
    std::int64_t id = id_of(p, method);
    if (def.name == "EventLogEntry") {
        crud(method, 4, "Entity EventLogEntry " + std::to_string(id) + " can not be deleted by this user.");
    }
    table& t = *db_.find_table(def.name);
    row* r = t.find(id);
    if (!r) crud(method, 3, "Entity of type [" + def.name + "] with id=" + std::to_string(id) + " does not exist.");
    if (r->retired) return false;
    db_.touch(t, *r);
    r->retired = true;
    r->retired_at = w.now_s;
    w.ev->retirement(def, *r);
    return true;
}

json::value site::revive(write_ctx& w, const json::object& p, std::string_view method) {
    const entity_def& def = type_of(db_, p, method);
    std::int64_t id = id_of(p, method);
    table& t = *db_.find_table(def.name);
    row* r = t.find(id);
    if (!r) crud(method, 3, "Entity of type [" + def.name + "] with id=" + std::to_string(id) + " does not exist.");
    if (!r->retired) return false;
    db_.touch(t, *r);
    std::int64_t when = r->retired_at;
    r->retired = false;
    r->retired_at = 0;
    w.ev->revival(def, *r, when);
    return true;
}

json::value site::batch(write_ctx& w, const json::array& requests) {
    json::array results;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        try {
            const auto* o = requests[i].if_object();
            const auto* rt = o ? o->if_contains("request_type") : nullptr;
            if (!rt || !rt->is_string()) {
                bad("batch", "request needs a 'request_type' of create, update, delete or revive: " +
                                 brief(requests[i]));
            }
            std::string_view kind = rt->get_string();
            if (kind == "create") results.push_back(create(w, *o, "create"));
            else if (kind == "update") results.push_back(update(w, *o, "update"));
            else if (kind == "delete") results.push_back(retire(w, *o, "delete"));
            else if (kind == "revive") results.push_back(revive(w, *o, "revive"));
            else bad("batch", "unknown request_type '" + std::string(kind) + "'");
        } catch (const api_fault& f) {
            throw api_fault(f.code, "API batch() request with index " + std::to_string(i) +
                                        " failed.  All requests rolled back.\n" + f.what());
        }
    }
    return results;
}

}  // namespace sgcache::fake_shotgun
