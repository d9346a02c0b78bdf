// A fake site on the studio schema with a fixed clock, driven through site::call() exactly
// as the HTTP endpoint drives it (no sockets), plus small builders for filters and payloads.
#pragma once

#include "api_fault.hpp"
#include "schema.hpp"
#include "site.hpp"
#include "store.hpp"
#include "studio_schema.hpp"

#include <boost/json.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sgcache::fake_shotgun::testing {

namespace json = boost::json;

/// 2023-11-14T22:13:20Z, a Tuesday.
inline constexpr std::int64_t fixed_now_ms = 1'700'000'000'000;

struct fixture {
    schema s{studio_schema_read(), studio_schema_entity_read()};
    store db{s};
    fake_shotgun::site site{db,
                            {{"test", "key", true}, {"quiet", "key2", false}},
                            {{"jdoe", "pw"}},
                            7};
    std::int64_t now_ms = fixed_now_ms;
    json::value auth = json::object{{"script_name", "test"}, {"script_key", "key"}};

    json::value call(std::string_view method, const json::value& payload) {
        return site.call(method, auth, payload, now_ms);
    }

    /// create(type, {field: value, ...}) -> the created entity's id.
    std::int64_t create(std::string_view type, const json::object& fields) {
        json::array f;
        for (const auto& [k, v] : fields) f.push_back(json::object{{"field_name", k}, {"value", v}});
        auto r = call("create", json::object{{"type", type}, {"fields", f}, {"return_fields", json::array{"id"}}});
        return r.at("id").as_int64();
    }

    json::value update(std::string_view type, std::int64_t id, const json::object& fields,
                       const json::object& modes = {}) {
        json::array f;
        for (const auto& [k, v] : fields) {
            json::object o{{"field_name", k}, {"value", v}};
            if (auto* m = modes.if_contains(k)) o["multi_entity_update_mode"] = *m;
            f.push_back(std::move(o));
        }
        return call("update", json::object{{"type", type}, {"id", id}, {"fields", f}});
    }

    /// The entities of a read (one page of up to 500 unless paging is given in `extra`).
    json::array find(std::string_view type, const json::value& filters, json::array fields = {},
                     json::object extra = {}) {
        json::object p{{"type", type}, {"return_fields", std::move(fields)}, {"filters", filters}};
        for (auto& [k, v] : extra) p[k] = v;
        if (!p.contains("paging")) p["paging"] = json::object{{"entities_per_page", 500}, {"current_page", 1}};
        return call("read", p).at("entities").as_array();
    }

    std::vector<std::int64_t> ids(std::string_view type, const json::value& filters, json::object extra = {}) {
        std::vector<std::int64_t> out;
        for (const auto& e : find(type, filters, {}, std::move(extra))) out.push_back(e.at("id").as_int64());
        return out;
    }

    /// EventLogEntry rows with id > after, in id order, with the fields sgcache reads.
    json::array events_after(std::int64_t after) {
        return find("EventLogEntry", json::object{{"logical_operator", "and"},
                                                  {"conditions", json::array{json::object{
                                                                     {"path", "id"},
                                                                     {"relation", "greater_than"},
                                                                     {"values", json::array{after}}}}}},
                    json::array{"event_type", "attribute_name", "entity", "meta", "user", "project",
                                "session_uuid", "created_at", "description"});
    }

    std::int64_t last_event_id() {
        const auto* t = db.find_table("EventLogEntry");
        return t->rows().empty() ? 0 : t->rows().back().id;
    }
};

inline json::object cond(std::string_view path, std::string_view relation, json::array values) {
    return json::object{{"path", path}, {"relation", relation}, {"values", std::move(values)}};
}

inline json::object all(json::array conditions) {
    return json::object{{"logical_operator", "and"}, {"conditions", std::move(conditions)}};
}

inline json::object any(json::array conditions) {
    return json::object{{"logical_operator", "or"}, {"conditions", std::move(conditions)}};
}

inline json::object link(std::string_view type, std::int64_t id) {
    return json::object{{"type", type}, {"id", id}};
}

/// The fault code a call throws, or 0 when it does not throw.
inline int fault_of(const std::function<void()>& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const api_fault& e) {
        if (message) *message = e.what();
        return e.code;
    }
    return 0;
}

}  // namespace sgcache::fake_shotgun::testing
