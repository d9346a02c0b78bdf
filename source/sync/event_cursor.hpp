// Where the event follower stands in Shotgun's EventLogEntry table, and which ids it still
// waits for. Event ids are allocated when a transaction starts but become visible when it
// commits, so ids can appear out of order, late, or never (a rolled-back transaction).
// Every id below the highest one seen that has not been seen yet is an open gap: it is
// polled for explicitly until it appears or until it has been missing for the gap timeout.
//
// The checkpoint (high, gaps) is what the engine persists, and only after Elasticsearch has
// acknowledged every document the events up to it caused. Pure logic, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace sgcache::sync {

struct gap {
    std::int64_t id = 0;
    std::int64_t first_seen_ms = 0;  // when the follower first noticed it missing
    bool operator==(const gap&) const = default;
};

struct cursor_checkpoint {
    std::int64_t high = 0;     // highest event id processed
    std::vector<gap> gaps;     // ids below `high` not seen yet, ascending
};

class event_cursor {
public:
    /// At most this many gaps are tracked; beyond it the oldest are given up (and counted),
    /// so a huge jump in ids cannot exhaust memory.
    explicit event_cursor(std::size_t max_gaps = 100'000) : max_gaps_(max_gaps) {}

    void restore(const cursor_checkpoint& c);
    cursor_checkpoint checkpoint() const;

    /// Takes the ids of one poll (new ids above `high` and/or gap ids that appeared), in any
    /// order. Returns the ids not seen before, ascending: the events to process. Ids between
    /// the previous high and the new ones that did not come become gaps, first seen `now_ms`.
    std::vector<std::int64_t> accept(const std::vector<std::int64_t>& ids, std::int64_t now_ms);

    /// Gives up gaps missing for longer than `timeout_ms`; returns them.
    std::vector<gap> expire(std::int64_t now_ms, std::int64_t timeout_ms);

    /// Up to `max` open gap ids, oldest id first, to poll with `id in [...]`.
    std::vector<std::int64_t> gap_ids(std::size_t max) const;

    std::int64_t high() const noexcept { return high_; }
    std::size_t open_gaps() const noexcept { return gaps_.size(); }
    /// Gaps given up because of max_gaps (not because of the timeout).
    std::uint64_t dropped() const noexcept { return dropped_; }
    /// The first-seen time of the oldest open gap, or 0.
    std::int64_t oldest_gap_ms() const noexcept;

private:
    std::size_t max_gaps_;
    std::int64_t high_ = 0;
    std::map<std::int64_t, std::int64_t> gaps_;  // id -> first seen
    std::uint64_t dropped_ = 0;
};

}  // namespace sgcache::sync
