// What /metrics, /healthz and /readyz say, computed from the numbers sgcache already keeps:
// the engine's status and client counters, the stats writer's counters and the process's
// own figures. Pure except read_process_info(), which reads /proc.
//
// Metric names (all documented in docs/observability.md):
//   sgcache_build_info, sgcache_uptime_seconds, sgcache_ready, process_* (memory, CPU,
//   open files, start time), sgcache_events_applied_total, sgcache_follower_* (following,
//   last event id, lag, events per second, open gaps, gaps expired),
//   sgcache_safety_scans_total, sgcache_type_* (phase, active generation),
//   sgcache_entities_indexed_total{type,outcome}, sgcache_tombstones_written_total{type},
//   sgcache_snapshot_* (progress per type), sgcache_shotgun_* (requests by outcome and
//   status, retries, faults), sgcache_elasticsearch_bulk_* (requests, bytes, item retries,
//   latency histogram, per writer), sgcache_stats_* (documents by outcome, queue).
#pragma once

#include "observe/prometheus.hpp"
#include "observe/stats_writer.hpp"
#include "sync/engine.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sgcache::observe {

struct process_info {
    std::uint64_t resident_bytes = 0;
    std::uint64_t virtual_bytes = 0;
    double cpu_seconds = 0;
    std::uint64_t open_fds = 0;
};

/// This process's memory, CPU time and open files, from /proc/self and getrusage; fields
/// that cannot be read stay 0. Never throws.
process_info read_process_info() noexcept;

struct metrics_input {
    sync::engine_status status;
    sync::engine_counters counters;
    std::optional<stats_counters> stats;  // when the stats writer runs
    process_info process;
    std::int64_t now_ms = 0;         // Unix time of the scrape
    std::chrono::milliseconds ready_max_lag{300'000};
};

/// Every metric of one scrape.
registry collect(const metrics_input& in);

/// The heartbeat document's numbers from the engine's status at `now_ms` (Unix ms).
heartbeat heartbeat_from(const sync::engine_status& st, std::int64_t now_ms);

struct readiness {
    bool ready = false;
    /// Why not, in one line ("Shot has no active generation yet (building, 41% loaded)");
    /// "ready" when ready.
    std::string reason;
};

/// Ready when every type has an active generation (its first full download is complete),
/// the follower has completed a poll, and its lag is at most `max_lag`.
readiness check_ready(const sync::engine_status& st, std::chrono::milliseconds max_lag);

}  // namespace sgcache::observe
