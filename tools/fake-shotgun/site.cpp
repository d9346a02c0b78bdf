// The fake site's front: the constructor (its users), info, the JSON-RPC envelope
// (handle), authentication, and the dispatch of a call to reads (query.hpp), schema
// methods and writes. The write methods themselves are in writes.cpp.
#include "site.hpp"

#include "api_fault.hpp"
#include "events.hpp"
#include "method_fault.hpp"
#include "query.hpp"
#include "site_context.hpp"
#include "values.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace sgcache::fake_shotgun {

namespace {

[[noreturn]] void auth_fail(const std::string& msg) { throw api_fault(fault_code::authentication, msg); }

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

}  // namespace sgcache::fake_shotgun
