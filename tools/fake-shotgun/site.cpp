#include "site.hpp"

#include "api_fault.hpp"
#include "events.hpp"
#include "query.hpp"
#include "values.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace sgcache::fake_shotgun {

namespace {

[[noreturn]] void bad(std::string_view method, const std::string& msg) {
    throw api_fault(fault_code::bad_request, "API " + std::string(method) + "() " + msg);
}

[[noreturn]] void crud(std::string_view method, int number, const std::string& msg) {
    throw api_fault(fault_code::crud,
                    "API " + std::string(method) + "() CRUD ERROR #" + std::to_string(number) + ": " + msg);
}

[[noreturn]] void auth_fail(const std::string& msg) { throw api_fault(fault_code::authentication, msg); }

std::string ruby_class(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null: return "NilClass";
        case json::kind::bool_: return v.get_bool() ? "TrueClass" : "FalseClass";
        case json::kind::int64:
        case json::kind::uint64: return "Integer";
        case json::kind::double_: return "Float";
        case json::kind::string: return "String";
        case json::kind::array: return "Array";
        case json::kind::object: return "Hash";
    }
    return "Object";
}

enum class update_mode { set, add, remove };

bool contains_link(const json::array& list, const json::value& link) {
    return std::any_of(list.begin(), list.end(), [&](const json::value& x) { return same_link(x, link); });
}

// The links a stored value holds: none (null), one (an entity field) or a list.
json::array links_in(const json::value& v) {
    if (v.is_null()) return {};
    if (is_stored_link(v) || v.is_object()) return json::array{v};
    if (const auto* a = v.if_array()) return *a;
    return {};
}

// Links of `a` that are not in `b` (either may be a single link or a list).
json::array minus(const json::value& a, const json::value& b) {
    json::array out;
    json::array bl = links_in(b);
    for (const auto& x : links_in(a)) {
        if (!contains_link(bl, x)) out.push_back(x);
    }
    return out;
}

const char* const max_int32_text = "2147483647";

// Checks a value sent for field `f` and turns it into the stored form. `where` is
// "Shot.code" for messages. Throws api_fault.
json::value normalize(const store& db, const field_def& f, const json::value& v, std::string_view method,
                      const std::string& where) {
    auto wrong = [&](std::string_view expected) {
        bad(method, where + " expected [" + std::string(expected) + "] data type(s) but got " + ruby_class(v) +
                        ": " + brief(v));
    };
    if (v.is_null()) return empty_value(f);
    switch (f.type) {
        case data_type::text:
        case data_type::color:
        case data_type::uuid:
        case data_type::footage:
        case data_type::password:
            if (!v.is_string()) wrong("String, NilClass");
            return v;
        case data_type::entity_type:
            if (!v.is_string()) wrong("String, NilClass");
            if (!db.schema().find(v.get_string())) {
                bad(method, where + " '" + std::string(v.get_string()) + "' is not a valid entity type.");
            }
            return v;
        case data_type::list:
        case data_type::status_list: {
            if (!v.is_string()) wrong("String, NilClass");
            std::string_view s = v.get_string();
            if (!f.valid_values.empty() &&
                std::find(f.valid_values.begin(), f.valid_values.end(), s) == f.valid_values.end()) {
                std::string list;
                for (const auto& x : f.valid_values) list += (list.empty() ? "" : ", ") + x;
                crud(method, 5, "Update failed for [" + where + "]: '" + std::string(s) +
                                    "' is not a valid value. Valid values: " + list);
            }
            return v;
        }
        case data_type::number:
        case data_type::duration:
        case data_type::percent:
        case data_type::timecode: {
            auto n = as_integer(v);
            if (!n) wrong("Integer, NilClass");
            if (*n > 2147483647LL || *n < -2147483648LL) {
                crud(method, 5, "Update failed for [" + where + "]: PG::NumericValueOutOfRange: ERROR:  value \"" +
                                    std::to_string(*n) + "\" is out of range for type integer (max " +
                                    max_int32_text + ")");
            }
            return *n;
        }
        case data_type::float_:
        case data_type::currency:
            if (!as_number(v)) wrong("Float, Integer, NilClass");
            return v;
        case data_type::checkbox:
            if (!v.is_bool()) wrong("TrueClass, FalseClass, NilClass");
            return v;
        case data_type::date:
            if (!v.is_string() || !parse_date(v.get_string())) wrong("Date (YYYY-MM-DD), NilClass");
            return v;
        case data_type::date_time:
            if (!v.is_string() || !parse_date_time(v.get_string())) {
                wrong("Time (YYYY-MM-DDTHH:MM:SSZ, UTC), NilClass");
            }
            return v;
        case data_type::entity:
        case data_type::multi_entity: {
            auto one = [&](const json::value& x) -> json::value {
                std::string_view t;
                std::int64_t id = 0;
                if (!read_link(x, t, id)) {
                    bad(method, where + " expected an entity hash with 'type' and 'id' but got " + brief(x));
                }
                if (!f.accepts_type(t)) {
                    std::string list;
                    for (const auto& vt : f.valid_types) list += (list.empty() ? "" : ", ") + vt;
                    bad(method, where + " does not accept entities of type '" + std::string(t) +
                                    "'. Valid types: " + list);
                }
                if (!db.find_live(t, id)) {
                    crud(method, 6, "Update failed for [" + where + "]: Entity of type [" + std::string(t) +
                                        "] with id=" + std::to_string(id) + " does not exist.");
                }
                return stored_link(t, id);
            };
            if (f.type == data_type::entity) {
                if (!v.is_object()) wrong("Hash, NilClass");
                return one(v);
            }
            if (!v.is_array()) wrong("Array, NilClass");
            json::array out;
            for (const auto& x : v.get_array()) {
                auto l = one(x);
                if (!contains_link(out, l)) out.push_back(std::move(l));
            }
            return out;
        }
        case data_type::tag_list: {
            if (!v.is_array()) wrong("Array, NilClass");
            json::array out;
            for (const auto& x : v.get_array()) {
                if (!x.is_string()) bad(method, where + " tags must be strings, got " + brief(x));
                if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
            }
            return out;
        }
        case data_type::url: {
            if (!v.is_object()) wrong("Hash, NilClass");
            const auto& o = v.get_object();
            json::object out;
            const auto* name = o.if_contains("name");
            const auto* ct = o.if_contains("content_type");
            if (const auto* u = o.if_contains("url"); u && u->is_string()) {
                out["content_type"] = ct && ct->is_string() ? *ct : json::value(nullptr);
                out["link_type"] = "web";
                out["name"] = name && name->is_string() ? *name : *u;
                out["url"] = *u;
                return out;
            }
            if (const auto* lp = o.if_contains("local_path"); lp && lp->is_string()) {
                std::string p(lp->get_string());
                auto slash = p.find_last_of("/\\");
                out["content_type"] = ct && ct->is_string() ? *ct : json::value(nullptr);
                out["link_type"] = "local";
                out["name"] = name && name->is_string() ? std::string(name->get_string())
                                                        : (slash == std::string::npos ? p : p.substr(slash + 1));
                out["local_path"] = p;
                out["local_path_linux"] = p;
                out["local_path_mac"] = p;
                out["local_path_windows"] = nullptr;
                out["local_storage"] = nullptr;
                out["relative_path"] = nullptr;
                out["url"] = "file://" + p;
                return out;
            }
            bad(method, where + " invalid/missing url hash string 'url': " + brief(v));
        }
        case data_type::serializable:
            if (!v.is_object() && !v.is_array()) wrong("Hash, Array, NilClass");
            return v;
        case data_type::image:
            bad(method, where + " can only be cleared (null) through the API; images are set by uploading "
                                "a file (upload_thumbnail).");
        default:
            bad(method, where + "'s '" + std::string(to_string(f.type)) + "' data type cannot be written.");
    }
}

// Keeps the other side of a back-reference pair in step after r.f changed from `old_v` to
// `new_v` (both already decided; r.f itself is already stored), writing the rows of
// section 6.4 d. `original` is the id of r.f's own Change row.
void propagate(store& db, event_writer& ev, const field_def& f, const row& r, const json::value& old_v,
               const json::value& new_v, std::int64_t original, bool in_create) {
    if (f.reverse.empty()) return;
    const json::value self = stored_link(f.entity_type, r.id);
    auto reverse_for = [&](const field_def& fld, std::string_view type) -> const field_def* {
        for (const auto& rv : fld.reverse) {
            if (rv.type == type) return db.schema().find(rv.type)->find(rv.field);
        }
        return nullptr;
    };
    auto removed = minus(old_v, new_v);
    auto added = minus(new_v, old_v);
    for (const auto& x : removed) {
        std::string_view t;
        std::int64_t id = 0;
        read_link(x, t, id);
        const field_def* rf = reverse_for(f, t);
        table* ot = db.find_table(t);
        row* xr = ot ? ot->find(id) : nullptr;
        if (!rf || !xr) continue;
        json::value& slot = xr->values[rf->index];
        if (rf->type == data_type::multi_entity) {
            if (!slot.is_array() || !contains_link(slot.get_array(), self)) continue;
            db.touch(*ot, *xr);
            auto& arr = slot.get_array();
            arr.erase(std::remove_if(arr.begin(), arr.end(), [&](const json::value& y) { return same_link(y, self); }),
                      arr.end());
            json::array gone{self};
            ev.back_reference(ot->def(), *xr, *rf, f, r.id, nullptr, &gone, nullptr, nullptr, original, in_create);
        } else if (same_link(slot, self)) {
            db.touch(*ot, *xr);
            json::value before = slot;
            slot = nullptr;
            json::value after = nullptr;
            ev.back_reference(ot->def(), *xr, *rf, f, r.id, nullptr, nullptr, &before, &after, original, in_create);
        }
    }
    for (const auto& x : added) {
        std::string_view t;
        std::int64_t id = 0;
        read_link(x, t, id);
        const field_def* rf = reverse_for(f, t);
        table* ot = db.find_table(t);
        row* xr = ot ? ot->find(id) : nullptr;
        if (!rf || !xr) continue;
        json::value& slot = xr->values[rf->index];
        if (rf->type == data_type::multi_entity) {
            if (!slot.is_array()) slot = json::array{};
            if (contains_link(slot.get_array(), self)) continue;
            db.touch(*ot, *xr);
            slot.get_array().push_back(self);
            json::array got{self};
            ev.back_reference(ot->def(), *xr, *rf, f, r.id, &got, nullptr, nullptr, nullptr, original, in_create);
            continue;
        }
        // The other side is a single link (Shot.tasks -> Task.entity): it moves here, and
        // the entity it pointed at before loses it from its own list.
        if (same_link(slot, self)) continue;
        db.touch(*ot, *xr);
        json::value before = slot;
        slot = self;
        ev.back_reference(ot->def(), *xr, *rf, f, r.id, nullptr, nullptr, &before, &slot, original, in_create);
        std::string_view pt;
        std::int64_t pid = 0;
        if (!read_link(before, pt, pid)) continue;
        const field_def* pf = reverse_for(*rf, pt);
        table* ptab = db.find_table(pt);
        row* pr = ptab ? ptab->find(pid) : nullptr;
        if (!pf || !pr || pf->type != data_type::multi_entity) continue;
        json::value& pslot = pr->values[pf->index];
        if (!pslot.is_array() || !contains_link(pslot.get_array(), x)) continue;
        db.touch(*ptab, *pr);
        auto& arr = pslot.get_array();
        arr.erase(std::remove_if(arr.begin(), arr.end(), [&](const json::value& y) { return same_link(y, x); }),
                  arr.end());
        json::array gone{x};
        ev.back_reference(ptab->def(), *pr, *pf, f, r.id, nullptr, &gone, nullptr, nullptr, original, in_create);
    }
}

// The Change row(s) for r.f going from `old_v` to `new_v` (both stored forms), then the
// back-reference side. r.f must already hold `new_v`.
void log_change(store& db, event_writer& ev, const entity_def& def, const row& r, const field_def& f,
                const json::value& old_v, const json::value& new_v, bool in_create) {
    std::int64_t original = 0;
    if (f.type == data_type::multi_entity) {
        original = ev.multi_change(def, r, f, minus(new_v, old_v), minus(old_v, new_v), in_create);
    } else {
        original = ev.attribute_change(def, r, f, old_v, new_v, in_create);
    }
    propagate(db, ev, f, r, old_v, new_v, original, in_create);
}

bool empty_stored(const json::value& v) {
    if (v.is_null()) return true;
    if (const auto* a = v.if_array()) return a->empty();
    if (v.is_bool()) return !v.get_bool();
    return false;
}

// Fields only the server sets; never written by the API and never logged.
bool system_field(std::string_view name) {
    return name == "id" || name == "created_at" || name == "updated_at" || name == "created_by" ||
           name == "updated_by" || name == "cached_display_name";
}

std::string random_token(std::mt19937_64& rng, std::size_t hex_digits) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    while (s.size() < hex_digits) {
        auto v = rng();
        for (int i = 0; i < 16 && s.size() < hex_digits; ++i) s += hex[(v >> (4 * i)) & 0xf];
    }
    return s;
}

}  // namespace

struct site::principal {
    json::value user;          // stored link
    json::value sudo_actual;   // null unless sudo_as_login
    json::value session_uuid;  // null or the uuid string
    bool events = true;
};

struct site::write_ctx {
    principal who;
    std::int64_t now_s = 0;
    std::int64_t now_ms = 0;
    event_writer* ev = nullptr;
};

site::site(store& db, std::vector<script_credential> scripts, std::vector<user_credential> users,
           std::uint64_t seed)
    : db_(db), rng_(seed) {
    table* api = db_.find_table("ApiUser");
    table* human = db_.find_table("HumanUser");
    if (!api || !human) throw std::invalid_argument("the schema needs ApiUser and HumanUser types");
    auto set = [](row& r, const entity_def& def, std::string_view field, json::value v) {
        if (const auto* f = def.find(field)) r.values[f->index] = std::move(v);
    };
    for (auto& s : scripts) {
        if (!scripts_.emplace(s.name, s).second) {
            throw std::invalid_argument("script '" + s.name + "' is given twice");
        }
        row& r = db_.insert(*api);
        set(r, api->def(), "firstname", json::string(s.name));
        set(r, api->def(), "generate_event_log_entries", s.generate_events);
        set(r, api->def(), "created_at", json::string(format_date_time(0)));
        set(r, api->def(), "updated_at", json::string(format_date_time(0)));
    }
    for (auto& u : users) {
        if (!users_.emplace(u.login, u).second) {
            throw std::invalid_argument("user '" + u.login + "' is given twice");
        }
        row& r = db_.insert(*human);
        set(r, human->def(), "login", json::string(u.login));
        set(r, human->def(), "name", json::string(u.login));
        set(r, human->def(), "firstname", json::string(u.login));
        set(r, human->def(), "created_at", json::string(format_date_time(0)));
        set(r, human->def(), "updated_at", json::string(format_date_time(0)));
    }
}

json::value site::info() const {
    json::object o;
    o["version"] = json::array{8, 30, 0};
    o["full_version"] = json::array{8, 30, 0, 0};
    o["user_authentication_method"] = "default";
    o["api_max_entities_per_page"] = knobs_.max_entities_per_page;
    o["s3_uploads_enabled"] = false;
    o["s3_direct_uploads_enabled"] = false;
    o["s3_enabled_upload_types"] = json::object{};
    o["totango_site_id"] = "fake-shotgun";
    o["totango_site_name"] = "fake-shotgun";
    return o;
}

call_outcome site::handle(std::string_view body, std::int64_t now_ms) {
    call_outcome out;
    try {
        json::parse_options opts;
        // Filters nest three JSON levels per group; allow deep but bounded documents (the
        // filter compiler has its own, tighter limit).
        opts.max_depth = 512;
        boost::system::error_code ec;
        json::value req = json::parse(body, ec, {}, opts);
        if (ec) {
            throw api_fault(fault_code::bad_request, "API request body is not valid JSON: " + ec.message());
        }
        const auto* o = req.if_object();
        const auto* m = o ? o->if_contains("method_name") : nullptr;
        if (!m || !m->is_string()) {
            throw api_fault(fault_code::bad_request,
                            "API request needs a 'method_name' string and a 'params' array");
        }
        out.method = std::string(m->get_string());
        json::value auth;
        json::value payload = json::object{};
        if (const auto* p = o->if_contains("params"); p && !p->is_null()) {
            if (!p->is_array()) {
                throw api_fault(fault_code::bad_request, "API " + out.method + "() 'params' must be an array");
            }
            const auto& pa = p->get_array();
            if (out.method == "info") {
                // info takes no auth; a payload, if any, is ignored.
            } else {
                if (!pa.empty()) auth = pa[0];
                if (pa.size() > 1) payload = pa[1];
            }
        }
        // One arena per request for the answer: a page of 500 entities is thousands of
        // small JSON nodes, all freed at once here.
        json::monotonic_resource arena;
        json::storage_ptr sp(&arena);
        json::object result(sp);
        result["results"] = call(out.method, auth, payload, now_ms, sp);
        out.body = json::serialize(result);
    } catch (const api_fault& f) {
        out.fault = true;
        out.error_code = f.code;
        json::object e;
        e["exception"] = true;
        e["message"] = f.what();
        e["error_code"] = f.code;
        out.body = json::serialize(e);
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& x) {
        // A bug in the fake, not the client's fault; still answered in the fault shape so
        // the client sees a message instead of a dropped connection.
        out.fault = true;
        out.error_code = fault_code::bad_request;
        json::object e;
        e["exception"] = true;
        e["message"] = std::string("API ") + out.method + "() internal error: " + x.what();
        e["error_code"] = fault_code::bad_request;
        out.body = json::serialize(e);
    }
    return out;
}

site::principal site::authenticate(const json::value& auth, std::string_view method) {
    const auto* o = auth.if_object();
    if (!o) auth_fail("Missing or invalid authentication arguments");
    principal p;
    auto str = [&](std::string_view key) -> std::optional<std::string> {
        const auto* v = o->if_contains(key);
        if (!v || !v->is_string()) return std::nullopt;
        return std::string(v->get_string());
    };
    auto human_by_login = [&](const std::string& login) -> const row* {
        const table* t = db_.find_table("HumanUser");
        const field_def* lf = t->def().find("login");
        if (!lf) return nullptr;
        for (const auto& r : t->rows()) {
            if (!r.retired && r.values[lf->index].is_string() && r.values[lf->index].get_string() == login) return &r;
        }
        return nullptr;
    };
    if (auto name = str("script_name")) {
        auto key = str("script_key");
        auto it = scripts_.find(*name);
        if (it == scripts_.end() || !key || *key != it->second.key) {
            auth_fail("Can't authenticate script '" + *name + "'");
        }
        const table* t = db_.find_table("ApiUser");
        const field_def* nf = t->def().find("firstname");
        for (const auto& r : t->rows()) {
            if (nf && r.values[nf->index].is_string() && r.values[nf->index].get_string() == *name) {
                p.user = stored_link("ApiUser", r.id);
                break;
            }
        }
        p.events = it->second.generate_events;
    } else if (auto login = str("user_login")) {
        auto pw = str("user_password");
        auto it = users_.find(*login);
        const row* r = human_by_login(*login);
        if (it == users_.end() || !pw || *pw != it->second.password || !r) {
            auth_fail("Can't authenticate user '" + *login + "'.");
        }
        p.user = stored_link("HumanUser", r->id);
    } else if (auto token = str("session_token")) {
        auto it = sessions_.find(*token);
        if (it == sessions_.end()) auth_fail("Can't authenticate session token.");
        p.user = it->second;
    } else {
        auth_fail("Missing or invalid authentication arguments: expected script_name and script_key, "
                  "user_login and user_password, or session_token");
    }
    if (p.user.is_null()) auth_fail("Can't authenticate: the authenticated user no longer exists");
    if (auto su = o->if_contains("session_uuid"); su && su->is_string()) p.session_uuid = *su;
    if (auto sudo = str("sudo_as_login")) {
        const row* r = human_by_login(*sudo);
        if (!r) {
            throw api_fault(fault_code::bad_request,
                            "API " + std::string(method) + "() The user does not have permission to 'sudo': "
                            "no active HumanUser with login '" + *sudo + "'");
        }
        p.sudo_actual = p.user;
        p.user = stored_link("HumanUser", r->id);
        // Writes made as another user are logged whatever the script's event switch says.
        p.events = true;
    }
    return p;
}

json::value site::call(std::string_view method, const json::value& auth, const json::value& payload,
                       std::int64_t now_ms, json::storage_ptr sp) {
    if (method == "info") return info();
    principal who = authenticate(auth, method);
    query_context qc;
    qc.now_ms = now_ms;
    qc.now_s = now_ms / 1000;
    qc.max_per_page = std::max<std::int64_t>(1, knobs_.max_entities_per_page);
    qc.sp = std::move(sp);

    auto object_payload = [&]() -> const json::object& {
        if (!payload.is_object()) bad(method, "expects an object as its second parameter, got " + brief(payload));
        return payload.get_object();
    };

    // Who and when, for the EventLogEntry rows of this call.
    auto event_context_of_call = [&] {
        event_context ec;
        ec.user = who.user;
        ec.sudo_actual_user = who.sudo_actual;
        ec.session_uuid = who.session_uuid;
        ec.now_s = qc.now_s;
        ec.enabled = who.events && !knobs_.no_events;
        return ec;
    };
    // A schema change's own EventLogEntry row: DisplayColumn is a table this site does not
    // keep, so the row names the field in its meta instead of linking to it.
    auto record_schema_event = [&](const char* event_type, const char* meta_type, std::string_view type,
                                   std::string_view field, std::string description) {
        event_writer ev(db_, event_context_of_call());
        json::object meta{{"type", meta_type}, {"entity_type", "DisplayColumn"}, {"field_entity_type", type},
                          {"field_name", field}};
        db_.begin();
        ev.raw(event_type, nullptr, nullptr, nullptr, std::move(meta), std::move(description));
        db_.commit();
        if (ev.enabled()) ++events_written_;
    };

    if (method == "read") return run_read(db_, object_payload(), qc);
    if (method == "summarize") return run_summarize(db_, object_payload(), qc);
    if (method == "schema_read" || method == "schema_entity_read" || method == "schema_field_read") {
        return schema_call(method, payload);
    }
    if (method == "schema_field_delete") {
        const auto& p = object_payload();
        const auto* t = p.if_contains("type");
        const auto* f = p.if_contains("field_name");
        if (!t || !t->is_string() || !f || !f->is_string()) {
            bad(method, "needs an entity 'type' and a 'field_name' string, got " + brief(payload));
        }
        try {
            db_.mutable_schema().retire_field(t->get_string(), f->get_string());
        } catch (const std::invalid_argument& e) {
            bad(method, e.what());
        }
        record_schema_event("Shotgun_DisplayColumn_Retirement", "entity_retirement", t->get_string(), f->get_string(),
                            "Deleted field " + std::string(t->get_string()) + "." + std::string(f->get_string()));
        return true;
    }
    if (method == "schema_field_create") {
        // {"type", "data_type", "properties": [{"property_name": "name", "value": ...}, ...]}
        const auto& p = object_payload();
        const auto* t = p.if_contains("type");
        const auto* dt = p.if_contains("data_type");
        const auto* props = p.if_contains("properties");
        if (!t || !t->is_string() || !dt || !dt->is_string() || (props && !props->is_array())) {
            bad(method, "needs an entity 'type', a 'data_type' and a 'properties' list, got " + brief(payload));
        }
        std::string display;
        std::vector<std::string> valid_values;
        if (props) {
            for (const auto& pv : props->get_array()) {
                const auto* po = pv.if_object();
                const auto* pn = po ? po->if_contains("property_name") : nullptr;
                const auto* val = po ? po->if_contains("value") : nullptr;
                if (!pn || !pn->is_string() || !val) bad(method, "a property is not {property_name, value}: " + brief(pv));
                if (pn->get_string() == "name" && val->is_string()) display = val->get_string();
                if (pn->get_string() == "valid_values" && val->is_array()) {
                    for (const auto& v : val->get_array()) {
                        if (v.is_string()) valid_values.emplace_back(v.get_string());
                    }
                }
            }
        }
        std::string name;
        try {
            name = db_.add_field(t->get_string(), dt->get_string(), display, valid_values).name;
        } catch (const std::invalid_argument& e) {
            bad(method, e.what());
        }
        record_schema_event("Shotgun_DisplayColumn_New", "new_entity", t->get_string(), name,
                            "Created field " + std::string(t->get_string()) + "." + name);
        return json::string(name);
    }
    if (method == "get_session_token") {
        std::string token = random_token(rng_, 32);
        sessions_[token] = who.user;
        return json::object{{"session_id", token}};
    }
    bool is_write = method == "create" || method == "update" || method == "delete" || method == "revive" ||
                    method == "batch";
    if (!is_write) {
        throw api_fault(fault_code::bad_request, "API " + std::string(method) + "() unknown method '" +
                                                     std::string(method) + "'");
    }
    if (method == "batch" && !payload.is_array()) {
        // An empty batch sends no payload at all (the client short-circuits it); any
        // other non-array is a malformed request.
        if (payload.is_object() && payload.get_object().empty()) return json::array{};
        bad(method, "expects an array of requests as its second parameter, got " + brief(payload));
    }
    if (method != "batch") object_payload();

    // One transaction per API call: a failure anywhere leaves neither data nor events.
    event_context ec = event_context_of_call();
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    if (knobs_.event_delay_probability > 0 && coin(rng_) < knobs_.event_delay_probability) {
        ec.visible_at_ms = now_ms + std::max<std::int64_t>(1, knobs_.event_delay_ms);
    }
    if (table* events = db_.find_table("EventLogEntry");
        events && ec.enabled && knobs_.event_drop_probability > 0 && coin(rng_) < knobs_.event_drop_probability) {
        events->skip_ids(1 + static_cast<std::int64_t>(rng_() % 3));
    }
    event_writer ev(db_, ec);
    write_ctx w{who, qc.now_s, now_ms, &ev};
    const table* events = db_.find_table("EventLogEntry");
    std::size_t before = events ? events->rows().size() : 0;
    db_.begin();
    try {
        json::value result;
        if (method == "create") result = create(w, payload.get_object(), method);
        else if (method == "update") result = update(w, payload.get_object(), method);
        else if (method == "delete") result = retire(w, payload.get_object(), method);
        else if (method == "revive") result = revive(w, payload.get_object(), method);
        else result = batch(w, payload.get_array());
        db_.commit();
        if (events) events_written_ += events->rows().size() - before;
        return result;
    } catch (...) {
        db_.rollback();
        throw;
    }
}

json::value site::schema_call(std::string_view method, const json::value& payload) const {
    const auto& s = db_.schema();
    if (method == "schema_read") return s.schema_read_result();
    if (method == "schema_entity_read") return s.schema_entity_read_result();
    if (!payload.is_object()) bad(method, "expects an object as its second parameter");
    const auto& p = payload.get_object();
    const auto* t = p.if_contains("type");
    if (!t || !t->is_string()) bad(method, "missing or invalid entity 'type'");
    const auto* types = s.schema_read_result().if_contains(t->get_string());
    if (!types) bad(method, "entity type '" + std::string(t->get_string()) + "' doesn't exist.");
    const auto* fn = p.if_contains("field_name");
    if (!fn || fn->is_null()) return *types;
    if (!fn->is_string()) bad(method, "field_name must be a string");
    const auto* f = s.field_json(t->get_string(), fn->get_string());
    if (!f) bad(method, std::string(t->get_string()) + "." + std::string(fn->get_string()) + " doesn't exist.");
    json::object out;
    out[fn->get_string()] = *f;
    return out;
}

namespace {

struct field_write {
    const field_def* field;
    json::value value;  // stored form
    update_mode mode = update_mode::set;
};

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

update_mode parse_mode(const json::value* v, std::string_view method, const std::string& where) {
    if (!v || v->is_null()) return update_mode::set;
    if (v->is_string()) {
        if (v->get_string() == "set") return update_mode::set;
        if (v->get_string() == "add") return update_mode::add;
        if (v->get_string() == "remove") return update_mode::remove;
    }
    bad(method, where + " multi_entity_update_mode must be \"set\", \"add\" or \"remove\", got " + brief(*v));
}

// Reads and checks the "fields" list of a create or update.
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

}  // namespace

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
