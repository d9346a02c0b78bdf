// Where the event follower stands in Shotgun's EventLogEntry table, and which ids it still
// waits for. Event ids are allocated when a transaction starts but become visible when it
// commits, so ids can appear out of order, late, or never (a rolled-back transaction).
// Every id below the highest one seen that has not been seen yet is an open gap: it is
// polled for explicitly until it appears or until it has been missing for the gap timeout.
//
// The timeout runs on two clocks, and a gap is given up when either says so:
//   - this process's: how long the gap has been known to be missing (first_seen_ms);
//   - the site's: an id is allocated when its transaction starts, so an id missing below an
//     event created at T belongs to a transaction that started about T or earlier (earlier
//     by however long that event's own transaction ran before writing it, typically
//     milliseconds). Once the follower has read events created timeout after T, that
//     transaction has been open for the timeout. This is what keeps a catch-up bounded: the
//     gaps of a backlog days old are given up as the follower reads past them, instead of
//     piling up for the whole timeout while thousands of events a second come in.
// Both clocks are differences within one clock, so skew between the site and this host
// does not matter.
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
    std::int64_t site_ms = 0;        // created_at of the event above it that revealed it; 0 unknown
    bool operator==(const gap&) const = default;
};

/// An event as the cursor needs it: its id and its created_at on the site's clock (0 unknown).
struct seen_event {
    std::int64_t id = 0;
    std::int64_t created_ms = 0;
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

    /// Takes the events of one poll (new ids above `high` and/or gap ids that appeared), in
    /// any order. Returns the ids not seen before, ascending: the events to process. Ids
    /// between the previous high and the new ones that did not come become gaps, first seen
    /// `now_ms`, revealed at the created_at of the event just above them.
    std::vector<std::int64_t> accept_events(const std::vector<seen_event>& events, std::int64_t now_ms);
    /// The same without the site's clock (created_at unknown).
    std::vector<std::int64_t> accept(const std::vector<std::int64_t>& ids, std::int64_t now_ms);

    /// Gives up the gaps missing for `timeout_ms` or longer on either clock (see above);
    /// returns them. Costs the number of gaps given up plus one, not the number open: gaps
    /// are opened in id order with clocks that do not go back, so the oldest come first.
    std::vector<gap> expire(std::int64_t now_ms, std::int64_t timeout_ms);

    /// Up to `max` open gap ids, oldest id first, to poll with `id in [...]`.
    std::vector<std::int64_t> gap_ids(std::size_t max) const;

    std::int64_t high() const noexcept { return high_; }
    std::size_t open_gaps() const noexcept { return gaps_.size(); }
    /// Gaps given up because of max_gaps (not because of the timeout).
    std::uint64_t dropped() const noexcept { return dropped_; }
    /// The first-seen time of the oldest open gap, or 0.
    std::int64_t oldest_gap_ms() const noexcept;
    /// The newest created_at seen (the site's "now" as far as the follower knows), or 0.
    std::int64_t site_now_ms() const noexcept { return site_now_; }

private:
    std::size_t max_gaps_;
    std::int64_t high_ = 0;
    struct open_gap {
        std::int64_t first_seen_ms = 0;
        std::int64_t site_ms = 0;
    };
    bool expired(const open_gap& g, std::int64_t now_ms, std::int64_t timeout_ms) const noexcept;

    std::map<std::int64_t, open_gap> gaps_;  // by id
    std::int64_t site_now_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace sgcache::sync
