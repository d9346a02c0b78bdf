// read() and summarize() of the fake site: payload checking, filtering, sorting, paging and
// rendering. Works on a store; no I/O, no Asio.
#pragma once

#include "store.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sgcache::fake_shotgun {

struct query_context {
    std::int64_t now_s = 0;   // unix seconds: anchors in_last and friends
    std::int64_t now_ms = 0;  // unix milliseconds: hides EventLogEntry rows not yet committed
    /// The site's api_max_entities_per_page: a larger entities_per_page is clamped to it.
    std::int64_t max_per_page = 500;
    /// Where results are allocated: a per-request arena spares the allocator thousands of
    /// small blocks per page. Default: the heap.
    json::storage_ptr sp;
};

/// Runs a read payload ({"type", "return_fields", "filters", "return_only", "paging",
/// "sorts", "return_paging_info[_without_counts]", ...}) and returns the "results" value:
/// {"entities": [...], "paging_info": {...}}. Throws api_fault (103) for a malformed
/// payload, an unknown entity type, or a bad filter. Unknown return fields read as null and
/// unknown sort fields are ignored, as on a real site.
json::value run_read(const store& db, const json::object& payload, const query_context& ctx);

/// Runs a summarize payload ({"type", "summaries", "filters", "grouping"}) and returns
/// {"summaries": {...}, "groups": [...]}. Throws api_fault (103) for unknown fields,
/// summary or grouping types that do not apply to the field's data type, and bad filters.
json::value run_summarize(const store& db, const json::object& payload, const query_context& ctx);

/// {"type", "id", field: value...} for `fields` (plain or dotted names through
/// single-entity links), as read() renders an entity. Unknown names read as null.
/// `valid` marks links with "valid": "valid" (the shape of update() results).
json::object render_entity(const store& db, const entity_def& def, const row& r,
                           const std::vector<std::string>& fields, json::storage_ptr sp = {},
                           bool valid = false);

/// Whether a row is visible to reads at `now_ms` (delayed EventLogEntry commits).
inline bool visible(const row& r, std::int64_t now_ms) noexcept {
    return r.visible_at_ms == 0 || r.visible_at_ms <= now_ms;
}

}  // namespace sgcache::fake_shotgun
