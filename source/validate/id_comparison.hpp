// Reads entities on both sides and compares them (compare.hpp): the entities named by id,
// or every entity of an id range, chunk by chunk. The site is read first and the cache is
// then asked about the same ids (the same id range, which a full site page ends at its last
// id), so that the site was asked about every cached id compare_sets() sees.
// The building block of the sample and whole-type comparisons, of settling and of
// validator::recheck().
//
// Errors: what site_reader and cache_reader throw. Cancellation: terminal cancellation
// stops at the next request of either side; `out` then holds the chunks compared so far.
#pragma once

#include "validate/buckets.hpp"
#include "validate/cache_reader.hpp"
#include "validate/compare.hpp"
#include "validate/context.hpp"
#include "validate/report.hpp"
#include "validate/site_reader.hpp"

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <vector>

namespace sgcache::validate {

/// The two readers every comparison reads through; both outlive the comparison.
struct sides {
    site_reader& site;
    cache_reader& cache;
};

/// Adds `found` to `out`, and every id of either side to out.compared.
void add_findings(type_report& out, std::vector<finding> found, const entity_map& site,
                  const entity_map& cache);

/// Reads these entities on both sides now and compares them (nothing for no ids).
boost::asio::awaitable<void> compare_ids(sides s, const type_ctx& t, const field_choice& fields,
                                         std::vector<std::int64_t> ids, type_report& out);

/// Every entity of the range (after, up_to] on both sides, one site page at a time.
boost::asio::awaitable<void> compare_range(sides s, const type_ctx& t, const field_choice& fields, id_range r,
                                           type_report& out);

}  // namespace sgcache::validate
