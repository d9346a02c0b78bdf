// The sync engine behind `sgcache serve`: it downloads every configured entity type in full
// into a new generation index, follows Shotgun's EventLogEntry table for ever, and keeps
// both paths correct together (design.md section 4):
//   - every write is a full document read from Shotgun, versioned by its send time
//     (version_clock) and written with version_type=external, so reads may race freely;
//   - retired or filtered-out entities become tombstones, hidden by the live alias;
//   - the follower starts before any full-download read, from a cursor one gap timeout in
//     the past, and tracks event-id gaps until they fill or time out;
//   - its cursor, and each download range, is persisted only after Elasticsearch
//     acknowledged every document it covers;
//   - a safety scan re-reads what changed by updated_at, for writers without events;
//   - readers see a type only through aliases swapped atomically when its generation is
//     complete.
//
// Errors: run() throws for what needs a human (a wrong script key, another server holding
// the lease, an entity type missing on the site is reported and skipped instead); failures
// of Shotgun or Elasticsearch are retried with backoff and logged, for ever.
//
// Cancellation: terminal cancellation of run() stops every loop at its next wait; all state
// already persisted is consistent (at-least-once delivery), so a stop is safe at any point.
//
// Threading: one io_context thread.
#pragma once

#include "config/entity_config.hpp"
#include "config/settings.hpp"
#include "elastic/indexer.hpp"
#include "shotgun/client.hpp"
#include "sync/observer.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sgcache::sync {

struct type_status {
    std::string type;
    std::string phase;  // waiting, building, following, failed
    std::string build_step;  // while building: preparing, loading or swapping
    int active_generation = 0;
    int building_generation = 0;
    std::uint64_t build_total = 0;   // estimated entities of the running build
    std::uint64_t build_loaded = 0;  // acknowledged documents of the running build
    double build_rate = 0;           // documents per second of the running build
    std::string failure;             // why the type failed
    std::vector<std::string> warnings;  // schema drift: which entity config to regenerate
    std::uint64_t written = 0, stale = 0, rejected = 0, tombstones = 0;
    std::string last_rejection;
    std::uint64_t live_documents = 0;  // only from status_with_counts()
};

struct engine_status {
    std::vector<type_status> types;
    std::int64_t last_event_id = 0;     // highest event id applied and persisted
    double lag_seconds = 0;             // age of the newest change not yet applied (0: caught up)
    double events_per_second = 0;       // over the last minute
    std::size_t open_gaps = 0;
    std::uint64_t events_applied = 0;
    std::uint64_t gaps_expired = 0;
    std::uint64_t safety_scans = 0;
    std::int64_t started_ms = 0;
    bool following = false;             // the follower has completed a cycle
    bool ready = false;                 // every type has an active generation
};

struct engine_options {
    config::settings settings;
    std::vector<config::entity_config> types;
    std::string host;  // for the lease: who holds it
    int pid = 0;
    /// Told about finished downloads and applied event batches; may be null.
    std::shared_ptr<observer> watcher;
};

/// Counters of the engine's clients, for metrics.
struct engine_counters {
    shotgun::client_stats shotgun;
    elastic::indexer_stats snapshot_writes;
    elastic::indexer_stats follower_writes;
};

class engine {
public:
    engine(boost::asio::any_io_executor ex, engine_options opts);
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    /// Starts up (lease, state, schema check, generations) and syncs until cancelled.
    boost::asio::awaitable<void> run();

    /// Gives the lease up; call after run() ended. Best effort, bounded by the ES client's
    /// retry policy.
    boost::asio::awaitable<void> release();

    engine_status status() const;
    /// status() plus the live document count of each type (one _count per type).
    boost::asio::awaitable<engine_status> status_with_counts();

    struct rebuild_outcome {
        std::vector<std::string> started;
        std::vector<std::string> already;  // already building
    };
    /// Starts a new generation of each type while the current one keeps serving (and while
    /// the follower writes to both); the aliases move when it is complete, then the old
    /// generation is dropped. Throws std::invalid_argument naming an unknown type.
    rebuild_outcome rebuild(const std::vector<std::string>& types);

    struct cancel_outcome {
        std::vector<std::string> cancelled;
        std::vector<std::string> not_building;
        std::vector<std::string> first_download;  // refused: the type has no data yet
    };
    /// Abandons running rebuilds: their new generation is dropped, the old one stays.
    cancel_outcome cancel_rebuild(const std::vector<std::string>& types);

    /// Reads the given entities again through the normal path (versions, filters,
    /// tombstones) and returns once their documents are acknowledged (or throws after
    /// `limit`). Throws std::invalid_argument for an entity type that is not cached.
    boost::asio::awaitable<std::size_t> reread(std::map<std::string, std::vector<std::int64_t>> entities,
                                               std::chrono::seconds limit);

    /// The cached entity types.
    std::vector<std::string> types() const;

    struct reload_outcome {
        std::vector<std::string> added;    // new entity configs: their download starts
        std::vector<std::string> changed;  // edited ones: rebuilt, readers keep the current generation
        std::vector<std::string> removed;  // removed ones: no longer synced; indices dropped unless kept
    };
    /// Applies a reload: the live keys of `settings` (config/reload.hpp; the caller checked
    /// that nothing else changed) and the entity configs read again, as a restart would:
    /// added types download, changed ones rebuild, removed ones stop and (unless
    /// sync.keep_removed_types) lose their indices and state. Throws std::invalid_argument,
    /// changing nothing, for an empty list of types; elastic::error when the state index
    /// cannot be read or written (what was decided in memory stands and is retried by the
    /// builder).
    boost::asio::awaitable<reload_outcome> reconfigure(config::settings settings,
                                                       std::vector<config::entity_config> types);

    engine_counters counters() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace sgcache::sync
