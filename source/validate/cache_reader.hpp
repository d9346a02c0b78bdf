// Validation's reads of the cache (searches, counts and aggregations over a type's aliases
// through elastic::client): documents by id or id range (tombstones included, from the all
// alias), the ids of a sorted window of live documents, the live count, the bucket
// fingerprints of the live documents, and the integrity scan that finds documents sgcache
// did not write. Documents are keyed by their _id, the Shotgun id. It only reads, and
// refreshes the aliases it is asked to so that recent writes are visible.
//
// Errors: elastic::error propagates after the client's retries (status 404: the alias does
// not exist); integrity_scan() throws std::runtime_error, bucket_fingerprints()
// std::invalid_argument, for a reply without the hits or aggregation asked for.
// Cancellation: terminal cancellation stops at the next request.
#pragma once

#include "elastic/client.hpp"
#include "validate/buckets.hpp"
#include "validate/context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sgcache::validate {

/// What the integrity scan of a type found besides the bucket fingerprints.
struct integrity_scan_result {
    /// Documents whose Elasticsearch version is not the read version sgcache stored with
    /// them (something else wrote them), ascending.
    std::vector<std::int64_t> rewritten;
    /// Documents without an id field (at most one page of them), by _id: they are in no
    /// bucket and no id range; sgcache never writes one.
    std::vector<std::int64_t> without_id;
    std::int64_t max_id = 0;  // the highest id field seen; 0 for none
};

class cache_reader {
public:
    /// `es` outlives this object.
    explicit cache_reader(elastic::client& es);

    /// Makes every write to the type's all alias visible to the reads that follow.
    boost::asio::awaitable<void> refresh_all(const type_ctx& t);

    /// Documents (tombstones included) of these ids, by _id.
    boost::asio::awaitable<entity_map> by_ids(const type_ctx& t, std::vector<std::int64_t> ids);

    /// Documents (tombstones included) with after < id <= upper.
    boost::asio::awaitable<entity_map> in_range(const type_ctx& t, std::int64_t after, std::int64_t upper);

    /// The ids of live documents [from, from + size) in the order `sort` (an Elasticsearch
    /// sort list); from + size must not pass 10,000 (the index's result window).
    boost::asio::awaitable<std::vector<std::int64_t>> live_window(const type_ctx& t, boost::json::array sort,
                                                                  std::size_t from, std::size_t size);

    /// The number of live documents, after refreshing the live alias.
    boost::asio::awaitable<std::uint64_t> live_count(const type_ctx& t);

    /// Reads every document's version and read version (doc values only), and the
    /// documents without an id. The caller refreshes the all alias first.
    boost::asio::awaitable<integrity_scan_result> integrity_scan(const type_ctx& t);

    /// The bucket fingerprints of `size` of the live documents, of `kind` (decided by the
    /// site's side: see site_reader::bucket_fingerprints()).
    boost::asio::awaitable<bucket_map> bucket_fingerprints(const type_ctx& t, std::int64_t size,
                                                           fingerprint_kind kind);

private:
    elastic::client& es_;
};

}  // namespace sgcache::validate
