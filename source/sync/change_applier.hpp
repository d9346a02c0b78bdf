// Applies changes to the cache: every entity named is read again from the site through the
// normal path (the type's filters AND the ids, versions from the clock, tombstones for what
// did not come back), and written by the follower writer to every current target of its
// type. Besides the entities named, it finds those whose *links* changed without an event of
// their own:
//   - an entity retired or renamed: links to it now read as gone, or carry the new name.
//     The entities holding such links are found in the cache (every link field of every
//     cached type), since the cache still holds them;
//   - an entity revived: links to it read as before again. The cache no longer holds them
//     (they became null at the retirement), so the site is asked which cached entities
//     link to it now: for each cached link field whose valid types include its type, one
//     `in` condition, one keyset-paged read of ids per type. This is exact whatever the
//     cache held, and needs no memory of the retirement; revivals are rare, so the few
//     reads they cost are cheap.
//
// Used by the follower (events, re-read requests), the safety scan, and the generation
// builder (looking again for links written by a download, see relook_after_download()).
//
// Errors: shotgun::error and elastic::error propagate; the caller retries the whole set
// (re-reads are idempotent). Cancellation: at any co_await; nothing is half-applied that
// a retry would not redo.
#pragma once

#include "sync/changes.hpp"
#include "sync/sync_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <set>
#include <vector>

namespace sgcache::sync {

class change_applier {
public:
    explicit change_applier(sync_context& ctx);

    /// Reads `changes` again plus the entities whose links `effects` changed, and returns
    /// once Elasticsearch acknowledged every document written (an outcome for each, counted
    /// in an ack_group of its own; elastic::error when some could not be delivered). Types
    /// that are failed, waiting, or without a generation yet are skipped (a full download
    /// still to come reads them anyway).
    boost::asio::awaitable<void> apply(const change_set& changes, const link_effects& effects);

    /// For a full download whose documents are all acknowledged, before its swap: the
    /// entities retired or renamed while it ran are looked up again in the cache, since a
    /// document read before the change may have been written after the follower looked.
    boost::asio::awaitable<void> relook_after_download();

private:
    boost::asio::awaitable<void> reread(type_runtime& rt, const std::set<std::int64_t>& ids,
                                        const std::shared_ptr<ack_group>& group);
    boost::asio::awaitable<void> reread_chunk(type_runtime& rt, std::vector<std::int64_t> ids,
                                              std::shared_ptr<ack_group> group);
    boost::asio::awaitable<void> reverse_lookup(const std::set<entity_ref>& targets, change_set& out);
    boost::asio::awaitable<void> reverse_lookup_in(type_runtime& rt, const std::vector<entity_ref>& list,
                                                   change_set& out);
    boost::asio::awaitable<void> linkers_of_revived(const std::set<entity_ref>& revived, change_set& out);
    boost::asio::awaitable<void> linkers_of_revived_in(type_runtime& rt, const std::vector<entity_ref>& list,
                                                       change_set& out);

    sync_context& ctx_;
    // Retired or renamed while a download ran (see relook_after_download).
    std::set<entity_ref> lookups_during_build_;
};

}  // namespace sgcache::sync
