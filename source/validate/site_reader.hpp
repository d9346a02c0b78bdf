// Validation's reads of the site (api3 read and summarize through shotgun::client): the
// events after a checkpoint, entities by id, by id range, or by position in a sorted
// result, and per-type counts and bucket fingerprints. Every read of a type's entities
// goes through the type's filters, so what the site does not return under them is not
// active as far as the cache is concerned. It only reads.
//
// Errors: shotgun::error, shotgun::auth_error and shotgun::fault propagate after the
// client's retries; bucket_fingerprints() retries a refused sum of ids without it (an
// auth_error still propagates). record_count() throws std::runtime_error and
// bucket_fingerprints() std::invalid_argument for a reply that does not hold what was
// asked for. Cancellation: terminal cancellation stops at the next request.
#pragma once

#include "shotgun/client.hpp"
#include "sync/event_cursor.hpp"
#include "validate/buckets.hpp"
#include "validate/context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sgcache::validate {

/// One keyset page of a type's entities in an id range.
struct site_chunk {
    entity_map entities;
    std::int64_t last = 0;  // the highest id returned; the range's `after` when none was
    bool full = false;      // a whole page came back: there may be more after `last`
};

class site_reader {
public:
    /// `page_size`: entities per api3 read, already clamped to [1, 500]. `sg` outlives
    /// this object.
    site_reader(shotgun::client& sg, std::size_t page_size);

    std::size_t page_size() const noexcept { return page_size_; }

    /// Events after the checkpoint (ids above its high mark, and its open gaps), with
    /// `extra` conditions when not empty; at most about max_events of them (see
    /// event_batch).
    boost::asio::awaitable<event_batch> events_since(const sync::cursor_checkpoint& from,
                                                     boost::json::object extra);

    /// The entities of these ids the site returns under the type's filters (only).
    boost::asio::awaitable<entity_map> by_ids(const type_ctx& t, std::vector<std::string> fields,
                                              std::vector<std::int64_t> ids);

    /// One page (page_size()) of the type's entities with after < id <= up_to, by id.
    boost::asio::awaitable<site_chunk> range_chunk(const type_ctx& t, const std::vector<std::string>& fields,
                                                   std::int64_t after, std::int64_t up_to);

    /// Entities [first, first + count) (0-based) of the type's entities matching `filters`
    /// (which include the type's own) in the order `sorts`, read by offset pages.
    boost::asio::awaitable<entity_map> window(const type_ctx& t, const std::vector<std::string>& fields,
                                              const boost::json::object& filters,
                                              const std::vector<shotgun::sort>& sorts, std::size_t first,
                                              std::size_t count);

    /// The type's record count under its filters (one summarize).
    boost::asio::awaitable<std::uint64_t> record_count(const type_ctx& t);

    /// The type's bucket fingerprints of `size` (one grouped summarize). A site that
    /// refuses to sum ids is asked again without the sum, and `kind.id_sum` is then set
    /// to false: the cache's side must be aggregated with the same kind.
    boost::asio::awaitable<bucket_map> bucket_fingerprints(const type_ctx& t, std::int64_t size,
                                                           fingerprint_kind& kind);

private:
    shotgun::client& sg_;
    std::size_t page_size_;
};

}  // namespace sgcache::validate
