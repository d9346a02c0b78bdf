// The results of `sgcache validate counts` and `sgcache validate data`: plain structs, their
// JSON form (printed by --json, and indexed as a stats document by the stats component),
// and the text tables the command prints. Pure logic, no I/O.
#pragma once

#include "validate/compare.hpp"
#include "validate/events.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sgcache::validate {

struct run_info {
    std::int64_t started_ms = 0;  // epoch ms
    double seconds = 0;           // wall time
    std::uint64_t shotgun_requests = 0;  // api3 requests sent (retries included)
    std::uint64_t elastic_requests = 0;
    std::string prefix;           // the cache's index prefix
    std::string site;             // the site's origin ("https://studio.shotgrid.autodesk.com:443")
    bool server_running = true;   // a sgcache serve holds the lease of the prefix (it follows the site)
};

struct count_row {
    std::string type;
    std::uint64_t site = 0;   // records matching the type's filters
    std::uint64_t cache = 0;  // live documents
    pending_counts pending;
    count_status status = count_status::ok;
    std::string error;  // set when the type could not be measured (then status is mismatch)
};

struct counts_result {
    run_info run;
    std::vector<count_row> rows;
    std::uint64_t events_read = 0;  // events that arrived while measuring (or not yet applied)
    bool ok() const noexcept;       // every type ok or pending
};

struct bucket_stats {
    std::int64_t size = 0;              // ids per bucket
    std::uint64_t site_buckets = 0;     // non-empty buckets on the site
    std::uint64_t cache_buckets = 0;    // non-empty buckets in the live alias
    std::uint64_t differing = 0;        // buckets whose fingerprints differ
    std::uint64_t rewritten = 0;        // documents not written by sgcache (ES version != read version)
    std::uint64_t site_records = 0;     // the type's records on the site (sum of the buckets)
};

struct type_report {
    std::string type;
    std::uint64_t compared = 0;  // entities compared field by field (either side present)
    std::vector<finding> findings;
    std::uint64_t reread = 0;    // entities read again because events named them during the check
    std::optional<bucket_stats> buckets;  // --all
    std::string error;           // the type could not be validated
    std::vector<std::string> notes;  // what could not be checked and why (no effect on ok())
    bool ok() const noexcept { return error.empty() && findings.empty(); }
};

struct repair_report {
    std::uint64_t requested = 0;  // entities sent to the server
    std::uint64_t reread = 0;     // entities the server read again and acknowledged
    std::vector<std::pair<std::string, std::vector<finding>>> remaining;  // still different afterwards
    std::string error;            // the server could not be reached or refused
    std::uint64_t remaining_count() const noexcept;
};

struct data_result {
    run_info run;
    std::string mode;  // "sample", "all" or "full"
    std::vector<type_report> types;
    std::optional<repair_report> repair;
    std::uint64_t findings() const noexcept;
    /// Every type validated and matching; with a repair, every finding fixed and verified.
    bool ok() const noexcept;
};

/// The JSON form: {"kind": "validation", "command": "counts", "ok", "started_at",
/// "duration_s", "shotgun_requests", "elasticsearch_requests", "prefix", "site", "server_running",
/// "events_read", "types": [{"type", "shotgun", "cache", "pending": {"up", "down",
/// "uncertain"}, "difference", "status", "ok", "error"?}]} (a type is ok when its status is
/// ok or pending).
boost::json::object to_json(const counts_result& r);

/// The JSON form: {"kind": "validation", "command": "data", "mode", "ok", "started_at",
/// "duration_s", "shotgun_requests", "elasticsearch_requests", "prefix", "site", "server_running",
/// "findings", "types": [{"type", "ok", "compared", "missing", "stray", "different",
/// "reread", "buckets"?: {...}, "error"?, "notes"?, "findings": [{"id", "kind", "fields"?: [{"field",
/// "site", "cache"}]}]}], "repair"?: {"requested", "reread", "remaining", "error"?}}.
boost::json::object to_json(const data_result& r);

/// The table printed by `validate counts`, with a closing summary line.
std::string render(const counts_result& r);

/// The table printed by `validate data`, then up to `max_findings` findings, one a line
/// (values cut to 120 characters), then requests, time and the repair's outcome.
std::string render(const data_result& r, std::size_t max_findings);

/// "1,234,567"
std::string thousands(std::uint64_t n);

}  // namespace sgcache::validate
