// The stats documents sgcache writes for Kibana / OpenSearch Dashboards, and the index
// layout that holds them: the pure half of the stats writer (observe/stats_writer.hpp).
//
// Layout: daily indices "<prefix>stats-YYYY.MM.DD" (UTC day of the document's @timestamp),
// all created from one composable index template "<prefix>stats" with explicit mappings
// and a read alias "<prefix>stats". Daily indices make retention a delete of whole indices
// by exact name, which is cheap and needs no delete-by-query.
//
// Every document has "@timestamp", "kind" (download, event_batch, heartbeat, validation),
// "host", "pid", "site" and "version", plus one object named after its kind holding the
// kind's fields, so that one field name never means two things (docs/observability.md
// lists them all).
//
// Pure: no I/O; the time is always given. Nothing here throws except on allocation.
#pragma once

#include "sync/observer.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sgcache::observe {

using clock = std::chrono::system_clock;

/// What every stats document says about who wrote it.
struct doc_context {
    std::string host;
    int pid = 0;
    std::string site;     // the Shotgun site's origin, "https://studio.shotgrid.autodesk.com:443"
    std::string version;  // sgcache's version
};

/// The heartbeat's numbers, taken from the engine when it is written.
struct heartbeat {
    double uptime_s = 0;
    double lag_s = 0;
    std::size_t open_gaps = 0;
    std::uint64_t events_applied = 0;
    std::int64_t last_event_id = 0;
    double events_per_s = 0;
    bool following = false;
    bool ready = false;
    std::size_t types = 0;
    std::size_t types_active = 0;  // with an active generation
    std::size_t types_building = 0;
    std::uint64_t resident_memory_bytes = 0;
    std::uint64_t stats_dropped = 0;  // stats documents dropped so far (queue full)
    std::uint64_t stats_failed = 0;   // stats documents Elasticsearch did not take so far
};

/// "2026-11-28T19:40:00.123Z".
std::string iso_timestamp(clock::time_point t);

/// "<prefix>stats": the template's name and the read alias over every daily index.
std::string stats_alias(std::string_view prefix);
/// "<prefix>stats-2026.11.28" for the UTC day of `t`.
std::string daily_index(std::string_view prefix, clock::time_point t);
/// The day of a daily index name, or nothing for any other name (a foreign index that
/// happens to match the pattern is never touched).
std::optional<std::chrono::sys_days> day_of_index(std::string_view prefix, std::string_view index);
/// The daily indices among `indices` whose day is more than `retention_days` days before
/// `today`: with 30 days, on 2026-11-28 the index of 2026-10-29 stays and 2026-10-28 goes.
std::vector<std::string> expired_indices(std::string_view prefix, const std::vector<std::string>& indices,
                                         std::chrono::sys_days today, int retention_days);

/// The body of PUT /_index_template/<prefix>stats: pattern, settings, alias and explicit
/// mappings ("dynamic": false, so a field not listed is kept in _source but not indexed).
boost::json::object index_template(std::string_view prefix);

boost::json::object download_document(const sync::download_report& r, const doc_context& ctx, clock::time_point t);
/// Delay fields (min, mean, max) are present only when the batch had events with a
/// created_at; negative delays (clock skew between site and here) count as 0.
boost::json::object event_batch_document(const sync::event_batch_report& r, const doc_context& ctx,
                                         clock::time_point t);
boost::json::object heartbeat_document(const heartbeat& h, const doc_context& ctx, clock::time_point t);
/// From the JSON result of `sgcache validate`, read tolerantly: "ok" (bool), "command" and
/// "mode" (strings), "findings" (number), "duration_s" or "seconds" (number), and "types"
/// (an array of objects with "type" and "ok" or "status", or an object keyed by type) give
/// indexed fields; the whole result is kept, not indexed, under validation.result.
boost::json::object validation_document(const boost::json::object& result, const doc_context& ctx,
                                        clock::time_point t);

}  // namespace sgcache::observe
