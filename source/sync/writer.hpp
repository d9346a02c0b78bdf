// Writes entity documents and tombstones into the generation indices of their type (one
// index normally, two while a rebuild runs: the active one and the one being built), with
// the read's version as external version, through one shared bulk indexer.
//
// Acknowledgement tracking: an ack_group counts the operations added under it and how many
// got a final outcome from Elasticsearch (written, stale or rejected). The full download
// marks a range done only when its group is complete; the follower flushes before it
// persists its cursor. A rejected document (a mapping conflict, say) is logged with ES's
// reason, counted per type, and never blocks the others.
//
// Retiring an index: a write chooses its indices when it starts and then queues one
// operation per index, each of which may wait for room in the indexer. An index taken out
// of the targets can therefore still receive writes that chose it earlier; retire() waits
// for those, so that nothing is written to an index after it is deleted (which would
// re-create it with a dynamic mapping).
#pragma once

#include "elastic/indexer.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sgcache::sync {

struct ack_group {
    std::uint64_t entities = 0;  // entities written (each may go to several indices)
    std::uint64_t added = 0;
    std::uint64_t settled = 0;
    std::uint64_t rejected = 0;
    bool complete() const noexcept { return settled == added; }
};

struct type_write_stats {
    std::uint64_t written = 0;
    std::uint64_t stale = 0;
    std::uint64_t rejected = 0;
    std::uint64_t tombstones = 0;
    std::string last_rejection;  // ES's reason for the latest rejected document
};

class entity_writer {
public:
    entity_writer(elastic::client& es, elastic::indexer_options opts);

    /// The indices documents of `type` go to from now on.
    void set_targets(const std::string& type, std::vector<std::string> indices);
    /// A copy, not a reference: a rebuild starting or ending replaces the list, and a caller
    /// that loops over it across a co_await would read a freed vector.
    std::vector<std::string> targets(const std::string& type) const;

    /// Queues the document of an entity as read (fields + type + id) with its read version.
    /// With `site_retired`: an entity a read of retired entities returned (documents.hpp).
    boost::asio::awaitable<void> write(const std::string& type, const boost::json::object& entity, std::int64_t version,
                                       std::shared_ptr<ack_group> group, bool site_retired = false);
    /// Queues a tombstone for an entity that is retired, deleted or filtered out.
    boost::asio::awaitable<void> tombstone(const std::string& type, std::int64_t id, std::int64_t version,
                                           std::shared_ptr<ack_group> group);
    /// Waits until everything queued so far has its outcome. Throws elastic::error when a
    /// batch could not be delivered (its operations are then not acknowledged).
    boost::asio::awaitable<void> flush();
    /// For an index no longer among any type's targets: waits until every write that chose
    /// it is queued, then flushes. Afterwards nothing more is written to it, and it may be
    /// deleted. Throws like flush(); cancellation ends the wait with operation_aborted.
    boost::asio::awaitable<void> retire(const std::string& index);

    /// Ends the requests being sent (shutdown): their documents get no outcome.
    void cancel_in_flight() { indexer_.cancel_in_flight(); }

    const std::map<std::string, type_write_stats>& stats() const noexcept { return stats_; }
    elastic::indexer_stats indexer_stats() const noexcept { return indexer_.stats(); }

private:
    boost::asio::awaitable<void> add(const std::string& type, const std::string& id, std::string source,
                                     std::int64_t version, const std::shared_ptr<ack_group>& group, bool tombstone);
    // A write's operation for `index` is queued (or will never be).
    void chosen(const std::string& index);

    struct op_context {
        std::string type;
        std::shared_ptr<ack_group> group;
        bool tombstone = false;
    };

    std::map<std::string, std::vector<std::string>> targets_;
    // Writes under way per index: chosen as a target, operation not queued yet (see retire).
    std::map<std::string, std::size_t> choosing_;
    std::unique_ptr<boost::asio::steady_timer> queued_;  // cancelled when a count reaches 0
    std::map<std::string, type_write_stats> stats_;
    elastic::bulk_indexer indexer_;
};

}  // namespace sgcache::sync
