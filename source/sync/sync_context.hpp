// What the parts of the sync engine share: the clients, the state store, the version clock,
// the two writers, and per entity type its config, names, what is read and its generation
// lifecycle. Each part (startup, follower, change_applier, safety_scan, generation_builder,
// maintenance) keeps its own state and reaches the others' only through this.
//
// Rules that keep the parts from racing (one io_context thread, so a race is always a
// co_await across which shared state moved on):
//   - What a type's writers write to is derived from its lifecycle by sync_targets(), called
//     in the same step as every lifecycle transition, never from a copy taken earlier.
//   - An index leaves the targets before its writers are drained and before it is deleted
//     (drop_generations()); nothing writes to it afterwards.
//   - `persisted` (the follower document) is written by the follower (cursor) and by the
//     safety scan (safety_scan_ms); each save serializes the whole document when called and
//     state_store writes one at a time in call order, so the later save carries both.
//
// Threading: one io_context thread.
#pragma once

#include "config/entity_config.hpp"
#include "config/settings.hpp"
#include "elastic/client.hpp"
#include "shotgun/client.hpp"
#include "shotgun/schema.hpp"
#include "sync/documents.hpp"
#include "sync/engine.hpp"
#include "sync/generation_lifecycle.hpp"
#include "sync/state_store.hpp"
#include "sync/version_clock.hpp"
#include "sync/writer.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <deque>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace sgcache::sync {

/// One cached entity type as the engine runs it.
struct type_runtime {
    type_runtime(const config::entity_config& c, const std::string& index_prefix);

    const config::entity_config* cfg = nullptr;
    type_names names;
    boost::json::object filters;        // the type's filters in wire form
    std::vector<std::string> fields;    // what is read: the cached fields still on the site
    std::vector<std::string> warnings;  // schema drift: which entity config to regenerate
    generation_lifecycle life;

    const std::string& type() const noexcept { return cfg->type; }
    /// Neither failed, removed, nor waiting for start-up: its changes are applied.
    bool syncing() const noexcept {
        const auto p = life.phase();
        return p != build_phase::failed && p != build_phase::waiting && p != build_phase::removed;
    }
};

struct sync_context {
    sync_context(boost::asio::any_io_executor ex, engine_options opts);

    boost::asio::any_io_executor ex;
    engine_options opts;
    const config::settings& s;
    elastic::client es;
    shotgun::client sg;
    state_store state;
    version_clock clock;
    entity_writer snapshot_writer;  // the full download
    entity_writer follower_writer;  // events, re-reads, the safety scan, repairs
    std::map<std::string, type_runtime> types;
    // Entity configs read by reloads. A type points at its config; configs replaced by a
    // reload stay alive here, since a coroutine may still be reading the old one.
    std::deque<config::entity_config> reloaded_configs;
    std::set<std::string> cached_types;
    shotgun::site_schema site_schema;  // the site's, as last read
    follower_state persisted;          // the follower document, as last saved
    bool schema_dirty = false;         // the follower saw a schema event; maintenance checks
    std::mt19937_64 rng{std::random_device{}()};

    /// Points both writers of `rt` at what its lifecycle says now.
    void sync_targets(type_runtime& rt);
    /// Persists the lifecycle state of `rt`. Throws elastic::error, lease_error.
    boost::asio::awaitable<void> save(type_runtime& rt);
    /// Deletes the indices of the generations `rt`'s lifecycle gave up, once both writers
    /// wrote everything that had chosen them (invariant I2), and records each deletion.
    /// Throws elastic::error, lease_error; what is left is retried by the next call (or
    /// by the next start: the dropping list is persisted).
    boost::asio::awaitable<void> drop_generations(type_runtime& rt);
    /// True while any type builds a generation.
    bool building_now() const;
    /// Takes the site's schema as read now: each type's fields to read and warnings follow
    /// from it (sync/schema_drift.hpp); a type gone from the site fails.
    void adopt_site_schema(shotgun::site_schema schema);
    /// The same for one type, against the schema already held.
    void adopt_site_schema_for(type_runtime& rt);
    /// Logs a failure and sleeps before the caller's next attempt (bounded exponential
    /// backoff with jitter). co_await is not allowed in a catch handler: callers keep the
    /// message and call this after it.
    boost::asio::awaitable<void> backoff(int attempt, std::string what, std::string error);
};

/// A failure worth retrying later (the site or the cluster is away), as opposed to one
/// that needs a human (a refused key, another server holding the lease, TLS).
bool transient(const std::exception& e);

/// Wall clock, epoch milliseconds.
std::int64_t now_ms();
/// "2026-11-28T19:40:00Z" (api3 date_time) -> epoch ms; 0 when it does not parse.
std::int64_t parse_api3_time(const boost::json::value* v);
/// Epoch ms -> "2026-11-28T19:40:00Z".
std::string api3_time(std::int64_t ms);
/// The "id" of an api3 entity object; 0 when there is none.
std::int64_t id_of(const boost::json::value& entity);
boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d);

}  // namespace sgcache::sync
