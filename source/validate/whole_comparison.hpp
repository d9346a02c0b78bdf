// `validate data --all`: compares whole types without reading every entity. The id space is
// cut into buckets whose fingerprints (count, latest updated_at, id sum: buckets.hpp) the
// site and the cache each give in one request; only the ranges of differing buckets are
// read entity by entity. Fingerprints cannot see a document rewritten by something other
// than sgcache with the same count and dates, so an integrity scan of the cache's document
// versions finds those (and documents without an id field), which are compared by id.
//
// Errors: what site_reader and cache_reader throw. Cancellation: terminal cancellation
// stops at the next request of either side.
#pragma once

#include "validate/context.hpp"
#include "validate/id_comparison.hpp"
#include "validate/report.hpp"
#include "validate/validator.hpp"

#include <boost/asio/awaitable.hpp>

namespace sgcache::validate {

/// The whole of `t`, compared on `fields`, with buckets of o.bucket_size (0: chosen from
/// the highest cached id); findings, counts and the bucket statistics go to `out`.
boost::asio::awaitable<void> compare_whole(sides s, const type_ctx& t, const data_options& o,
                                           const field_choice& fields, type_report& out);

}  // namespace sgcache::validate
