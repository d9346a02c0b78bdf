// The fake Shotgun site's api3 logic: the JSON-RPC envelope, authentication, and the methods
// info, read, summarize, create, update, delete, revive, batch, schema_read,
// schema_entity_read, schema_field_read, schema_field_create, schema_field_delete and
// get_session_token, with EventLogEntry rows for every write. Plain C++ over a store; the HTTP side (tools/fake-shotgun/main.cpp) only
// moves bytes in and out of handle(). No I/O, no Asio.
//
// Threading: single-threaded; one call at a time.
#pragma once

#include "schema.hpp"
#include "store.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sgcache::fake_shotgun {

struct script_credential {
    std::string name;
    std::string key;
    /// The ApiUser's "Generate Events" switch: false makes its writes produce no events
    /// (writes under sudo_as_login are logged regardless, as on a real site).
    bool generate_events = true;
};

struct user_credential {
    std::string login;
    std::string password;
};

/// Switches of the site logic that tests flip at run time (the HTTP-level faults live in
/// main.cpp's fault config, which owns one of these).
struct site_knobs {
    /// info.api_max_entities_per_page; reads asking for more rows per page get this many.
    std::int64_t max_entities_per_page = 500;
    /// No EventLogEntry rows for any write (writers with events turned off).
    bool no_events = false;
    /// Out-of-order commits: with this probability a write's events become readable only
    /// after event_delay_ms, so events of later writes (with higher ids) show up first.
    double event_delay_probability = 0;
    std::int64_t event_delay_ms = 0;
    /// With this probability a write first burns 1-3 event ids that never appear (as if a
    /// transaction elsewhere rolled back).
    double event_drop_probability = 0;
};

/// The outcome of one api3 request, ready to send.
struct call_outcome {
    std::string body;         // JSON: {"results": ...} or the fault object
    std::string method;       // method_name of the request ("" when unreadable)
    bool fault = false;
    int error_code = 0;       // the fault's error_code
};

class site {
public:
    /// Creates an ApiUser per script and a HumanUser per user in `db` (which must use the
    /// schema the site is given and outlive it). Throws std::invalid_argument when the
    /// schema lacks ApiUser/HumanUser or the credentials repeat a name.
    site(store& db, std::vector<script_credential> scripts, std::vector<user_credential> users,
         std::uint64_t seed);

    /// Handles the body of one POST /api3/json. Never throws (but bad_alloc): malformed
    /// JSON, unknown methods and every failure become fault bodies. `now_ms` is the unix
    /// time in milliseconds (tests pass a fixed clock).
    call_outcome handle(std::string_view body, std::int64_t now_ms);

    /// One method call with an already parsed auth object and payload; returns the
    /// "results" value. Throws api_fault.
    /// Results are allocated from `sp` (default: the heap).
    json::value call(std::string_view method, const json::value& auth, const json::value& payload,
                     std::int64_t now_ms, json::storage_ptr sp = {});

    site_knobs& knobs() noexcept { return knobs_; }
    const site_knobs& knobs() const noexcept { return knobs_; }
    store& db() noexcept { return db_; }
    const store& db() const noexcept { return db_; }

    /// The info() result.
    json::value info() const;

    /// Counts of events written and event ids burned (stats).
    std::uint64_t events_written() const noexcept { return events_written_; }

private:
    struct principal;
    struct write_ctx;

    principal authenticate(const json::value& auth, std::string_view method);
    json::value create(write_ctx& w, const json::object& p, std::string_view method);
    json::value update(write_ctx& w, const json::object& p, std::string_view method);
    json::value retire(write_ctx& w, const json::object& p, std::string_view method);
    json::value revive(write_ctx& w, const json::object& p, std::string_view method);
    json::value batch(write_ctx& w, const json::array& requests);
    json::value schema_call(std::string_view method, const json::value& payload) const;

    store& db_;
    std::unordered_map<std::string, script_credential> scripts_;
    std::unordered_map<std::string, user_credential> users_;
    std::unordered_map<std::string, json::value> sessions_;  // token -> stored user link
    site_knobs knobs_;
    std::mt19937_64 rng_;
    std::uint64_t events_written_ = 0;
};

}  // namespace sgcache::fake_shotgun
