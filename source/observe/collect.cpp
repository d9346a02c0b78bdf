#include "observe/collect.hpp"

#include "sgcache_version.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace sgcache::observe {

namespace {

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

void add_writer(registry& r, const std::string& writer, const elastic::indexer_stats& s) {
    const labels l{{"writer", writer}};
    r.counter("sgcache_elasticsearch_bulk_requests_total", "_bulk requests sent to Elasticsearch, by writer", l,
              static_cast<double>(s.requests));
    r.counter("sgcache_elasticsearch_bulk_bytes_total", "NDJSON bytes sent in _bulk requests, by writer", l,
              static_cast<double>(s.bytes));
    r.counter("sgcache_elasticsearch_bulk_item_retries_total",
              "bulk items sent again after a 429 or 5xx item answer, by writer", l,
              static_cast<double>(s.item_retries));
    histogram_data h;
    h.bounds.assign(elastic::bulk_latency_bounds.begin(), elastic::bulk_latency_bounds.end());
    h.counts.assign(s.latency_buckets.begin(), s.latency_buckets.end());
    h.sum = s.latency_seconds;
    r.histogram("sgcache_elasticsearch_bulk_duration_seconds",
                "latency of answered _bulk requests (send to reply, including retries of the request), by writer", l,
                h);
}

}  // namespace

process_info read_process_info() noexcept {
    process_info p;
    try {
        // statm: total and resident size in pages.
        if (FILE* f = std::fopen("/proc/self/statm", "r")) {
            unsigned long long size = 0, resident = 0;
            if (std::fscanf(f, "%llu %llu", &size, &resident) == 2) {
                const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
                p.virtual_bytes = size * page;
                p.resident_bytes = resident * page;
            }
            std::fclose(f);
        }
        rusage ru{};
        if (::getrusage(RUSAGE_SELF, &ru) == 0) p.cpu_seconds = seconds(ru.ru_utime) + seconds(ru.ru_stime);
        std::error_code ec;
        for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
             !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
            ++p.open_fds;
        }
    } catch (...) {
        // Informative only: a scrape never fails for these.
    }
    return p;
}

heartbeat heartbeat_from(const sync::engine_status& st, std::int64_t now_ms) {
    heartbeat h;
    h.uptime_s = st.started_ms ? (now_ms - st.started_ms) / 1000.0 : 0.0;
    h.lag_s = st.lag_seconds;
    h.open_gaps = st.open_gaps;
    h.events_applied = st.events_applied;
    h.last_event_id = st.last_event_id;
    h.events_per_s = st.events_per_second;
    h.following = st.following;
    h.ready = st.ready;
    h.types = st.types.size();
    for (const auto& t : st.types) {
        if (t.active_generation) ++h.types_active;
        if (t.phase == "building") ++h.types_building;
    }
    return h;
}

readiness check_ready(const sync::engine_status& st, std::chrono::milliseconds max_lag) {
    if (st.types.empty()) return {false, "no entity types are configured"};
    for (const auto& t : st.types) {
        if (t.active_generation != 0) continue;
        std::string why = t.type + " has no active generation yet (" + t.phase;
        if (t.phase == "building" && t.build_total) {
            char buf[32];
            std::snprintf(buf, sizeof buf, ", %.0f%% loaded", 100.0 * t.build_loaded / t.build_total);
            why += buf;
        }
        if (t.phase == "failed" && !t.failure.empty()) why += ": " + t.failure;
        return {false, why + ")"};
    }
    if (!st.following) return {false, "the event follower has not completed a poll yet"};
    const double limit = std::chrono::duration<double>(max_lag).count();
    if (st.lag_seconds > limit) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "the event follower lags %.1f s behind the site (limit %.0f s)", st.lag_seconds,
                      limit);
        return {false, buf};
    }
    return {true, "ready"};
}

registry collect(const metrics_input& in) {
    registry r;
    const auto& st = in.status;
    const double uptime = st.started_ms ? (in.now_ms - st.started_ms) / 1000.0 : 0.0;

    r.gauge("sgcache_build_info", "always 1; the version in a label", {{"version", SGCACHE_VERSION}}, 1);
    r.gauge("sgcache_uptime_seconds", "seconds since the sync engine started", {}, uptime);
    r.gauge("sgcache_ready", "1 when /readyz answers 200: every type downloaded and the follower within its lag limit",
            {}, check_ready(st, in.ready_max_lag).ready ? 1 : 0);

    r.gauge("process_start_time_seconds", "start time of the process since the Unix epoch, in seconds", {},
            st.started_ms / 1000.0);
    r.gauge("process_resident_memory_bytes", "resident memory size in bytes", {},
            static_cast<double>(in.process.resident_bytes));
    r.gauge("process_virtual_memory_bytes", "virtual memory size in bytes", {},
            static_cast<double>(in.process.virtual_bytes));
    r.counter("process_cpu_seconds_total", "user and system CPU time spent, in seconds", {}, in.process.cpu_seconds);
    r.gauge("process_open_fds", "open file descriptors", {}, static_cast<double>(in.process.open_fds));

    // The follower.
    r.counter("sgcache_events_applied_total", "EventLogEntry rows applied (their entities re-read and acknowledged)",
              {}, static_cast<double>(st.events_applied));
    r.gauge("sgcache_follower_following", "1 once the event follower has completed a poll", {},
            st.following ? 1 : 0);
    r.gauge("sgcache_follower_last_event_id", "highest event id applied and persisted", {},
            static_cast<double>(st.last_event_id));
    r.gauge("sgcache_follower_lag_seconds", "age of the newest change not yet applied; 0 when caught up", {},
            st.lag_seconds);
    r.gauge("sgcache_follower_events_per_second", "events applied per second over the last minute", {},
            st.events_per_second);
    r.gauge("sgcache_follower_open_gaps", "missing event ids still waited for", {},
            static_cast<double>(st.open_gaps));
    r.counter("sgcache_follower_gaps_expired_total", "missing event ids given up after the gap timeout", {},
              static_cast<double>(st.gaps_expired));
    r.counter("sgcache_safety_scans_total", "safety scans (re-reads by updated_at) completed", {},
              static_cast<double>(st.safety_scans));

    // Per entity type.
    for (const auto& t : st.types) {
        for (const char* phase : {"waiting", "building", "following", "failed"}) {
            r.gauge("sgcache_type_phase", "1 for the phase each entity type is in",
                    {{"type", t.type}, {"phase", phase}},
                    t.phase == phase ? 1 : 0);
        }
    }
    for (const auto& t : st.types) {
        r.gauge("sgcache_type_active_generation", "the generation readers see; 0 before the first full download",
                {{"type", t.type}}, t.active_generation);
    }
    for (const auto& t : st.types) {
        const std::pair<const char*, std::uint64_t> outcomes[] = {
            {"written", t.written}, {"stale", t.stale}, {"rejected", t.rejected}};
        for (const auto& [outcome, n] : outcomes) {
            r.counter("sgcache_entities_indexed_total",
                      "entity documents acknowledged by Elasticsearch, by type and outcome (stale: a newer read was "
                      "already stored)",
                      {{"type", t.type}, {"outcome", outcome}}, static_cast<double>(n));
        }
    }
    for (const auto& t : st.types) {
        r.counter("sgcache_tombstones_written_total", "tombstones written (retired or filtered-out entities), by type",
                  {{"type", t.type}}, static_cast<double>(t.tombstones));
    }
    for (const auto& t : st.types) {
        // Progress of the running download; a type with an active generation and no download
        // running is complete (1), one with neither has not started (0).
        double progress = t.active_generation ? 1.0 : 0.0;
        if (t.phase == "building") {
            progress = t.build_total ? std::min(1.0, static_cast<double>(t.build_loaded) / t.build_total) : 0.0;
        }
        const labels l{{"type", t.type}};
        r.gauge("sgcache_snapshot_progress_ratio", "progress of the full download of each type (0 to 1)", l, progress);
        r.gauge("sgcache_snapshot_building", "1 while a full download (first or rebuild) of the type runs", l,
                t.phase == "building" ? 1 : 0);
        r.gauge("sgcache_snapshot_loaded_entities", "acknowledged documents of the running full download", l,
                static_cast<double>(t.build_loaded));
        r.gauge("sgcache_snapshot_estimated_entities", "estimated entities of the running full download", l,
                static_cast<double>(t.build_total));
        r.gauge("sgcache_snapshot_rate_entities_per_second", "documents per second of the running full download", l,
                t.build_rate);
    }

    // Shotgun.
    const auto& sg = in.counters.shotgun;
    for (const auto& [key, n] : sg.outcomes) {
        r.counter("sgcache_shotgun_requests_total",
                  "api3 request attempts by outcome (ok, fault, busy, http_error, malformed, transport) and HTTP "
                  "status (0: no answer)",
                  {{"outcome", key.outcome}, {"status", std::to_string(key.status)}}, static_cast<double>(n));
    }
    if (sg.outcomes.empty()) {
        // The family exists from the first scrape, so that rate() queries do not start empty.
        r.counter("sgcache_shotgun_requests_total",
                  "api3 request attempts by outcome (ok, fault, busy, http_error, malformed, transport) and HTTP "
                  "status (0: no answer)",
                  {{"outcome", "ok"}, {"status", "200"}}, 0);
    }
    r.counter("sgcache_shotgun_retries_total", "api3 request attempts after the first (retries)", {},
              static_cast<double>(sg.retries));
    r.counter("sgcache_shotgun_faults_total", "api3 faults returned by the site", {}, static_cast<double>(sg.faults));

    // Elasticsearch writers.
    add_writer(r, "snapshot", in.counters.snapshot_writes);
    add_writer(r, "follower", in.counters.follower_writes);

    // The stats writer.
    if (in.stats) {
        const auto& s = *in.stats;
        const std::pair<const char*, std::uint64_t> outcomes[] = {
            {"written", s.written}, {"failed", s.failed}, {"dropped", s.dropped}};
        for (const auto& [outcome, n] : outcomes) {
            r.counter("sgcache_stats_documents_total",
                      "stats documents by outcome: written, failed (Elasticsearch refused them or was unreachable), "
                      "dropped (queue full)",
                      {{"outcome", outcome}}, static_cast<double>(n));
        }
        r.gauge("sgcache_stats_queue_length", "stats documents waiting to be written", {},
                static_cast<double>(s.queue_length));
        r.counter("sgcache_stats_indices_deleted_total", "expired daily stats indices deleted", {},
                  static_cast<double>(s.indices_deleted));
    }
    return r;
}

}  // namespace sgcache::observe
