// Bucket fingerprints for whole-type validation (`validate data --all`): the id space of a
// type is cut into fixed buckets (ids 0-99, 100-199, ...); each bucket's fingerprint is its
// record count and its latest updated_at. The site gives all of them in one grouped
// `summarize`, the cache in one composite aggregation over the live alias; only buckets
// whose fingerprints differ are read entity by entity. The fingerprint also holds the sum of
// the bucket's ids when the site can summarize it: a deleted document and a stray one in the
// same bucket then still change it. Pure logic, no I/O.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sgcache::validate {

struct fingerprint {
    std::uint64_t count = 0;
    std::optional<std::int64_t> id_sum;    // sum of the ids
    std::optional<std::int64_t> latest_s;  // latest updated_at, seconds since the epoch
    bool operator==(const fingerprint&) const = default;
};

/// What a fingerprint holds besides the count: the id sum (summarize `sum` of id; the
/// record count is then asked of created_at, since api3 keys summaries by field), and the
/// latest updated_at (types whose config does not cache updated_at compare without it).
struct fingerprint_kind {
    bool id_sum = true;
    bool updated = true;
};

/// Bucket start id -> fingerprint. A bucket absent from the map holds no entity.
using bucket_map = std::map<std::int64_t, fingerprint>;

/// An id range (after, up_to], as keyset reads take it.
struct id_range {
    std::int64_t after = 0;
    std::int64_t up_to = 0;
    bool operator==(const id_range&) const = default;
};

/// The api3 summarize grouping type of a bucket size: 10 "tens", 100 "hundreds", 1000
/// "thousands", 10000 "tensofthousands", 100000 "hundredsofthousands", 1000000 "millions".
/// Throws std::invalid_argument for any other size.
std::string grouping_type(std::int64_t size);

/// The bucket size for a type whose highest cached id is `max_id`: 100 (one read request
/// narrows a bucket), larger when that would make more than 20,000 buckets.
std::int64_t choose_bucket_size(std::int64_t max_id) noexcept;

/// The summaries and grouping of the site-side summarize.
boost::json::array site_summaries(fingerprint_kind kind);
boost::json::array site_grouping(std::int64_t size);

/// Reads the summarize reply ({"groups": [{"group_value": start, "summaries": {"id": sum,
/// "created_at": count, "updated_at": "..."}}]}). A group value may be a number or text
/// starting with one ("100 - 199"); groups without one are ignored. Throws
/// std::invalid_argument for a reply without a groups list.
bucket_map parse_site_buckets(const boost::json::object& reply, std::int64_t size, fingerprint_kind kind);

/// The body of one page of the cache-side composite aggregation (histogram of `id` with
/// the bucket size; sum of `id`, max of `_sgcache.updated_at`), after `after_key` if given.
boost::json::object cache_aggregation(std::int64_t size, const boost::json::object* after_key, fingerprint_kind kind);

/// Adds one page of the composite aggregation's reply to `out`; returns its after_key
/// (empty when this was the last page). Throws std::invalid_argument for a malformed reply.
boost::json::object add_cache_buckets(const boost::json::object& reply, std::int64_t size, fingerprint_kind kind,
                                      bucket_map& out);

/// Starts of the buckets whose fingerprints differ (present on one side only included).
std::vector<std::int64_t> differing_buckets(const bucket_map& site, const bucket_map& cache);

/// Consecutive buckets merged into id ranges: {0, 100, 200, 500} with size 100 gives
/// (-1, 299] and (499, 599].
std::vector<id_range> merge_ranges(std::vector<std::int64_t> starts, std::int64_t size);

/// True when `id` lies in one of the (sorted, disjoint) ranges.
bool in_ranges(const std::vector<id_range>& ranges, std::int64_t id) noexcept;

}  // namespace sgcache::validate
