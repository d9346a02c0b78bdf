// The event follower: polls Shotgun's EventLogEntry table for ever from the persisted
// cursor, re-polls open gaps, turns each batch of events into changes (sync/changes.hpp)
// and has them applied; the cursor is persisted only after Elasticsearch acknowledged every
// document the batch caused (at-least-once; re-reads are idempotent). Between polls it also
// applies the re-read requests of the control socket (validate --repair, the proxy).
//
// A batch is kept until it is applied and its checkpoint saved, so a failure (the site or the
// cluster away) retries the same batch after a backoff; the cursor never moves past what
// is not acknowledged.
//
// Errors: run() throws only what needs a human (lease_error, auth_error); everything else
// is retried with backoff for ever. Cancellation: terminal cancellation ends run() at its
// next co_await; what is persisted is consistent.
#pragma once

#include "sync/change_applier.hpp"
#include "sync/event_cursor.hpp"
#include "sync/sync_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sgcache::sync {

struct follower_status {
    bool following = false;  // a cycle completed
    double lag_seconds = 0;
    double events_per_second = 0;  // over the last minute
    std::size_t open_gaps = 0;
    std::uint64_t events_applied = 0;
    std::uint64_t gaps_expired = 0;
};

class follower {
public:
    follower(sync_context& ctx, change_applier& applier);

    /// Follows from ctx.persisted (set by start-up) for ever.
    boost::asio::awaitable<void> run();

    /// Queues entities to read again; returns once the follower applied them (or throws
    /// std::runtime_error after `limit`). Throws std::invalid_argument naming a type that
    /// is not cached.
    boost::asio::awaitable<std::size_t> reread(std::map<std::string, std::vector<std::int64_t>> entities,
                                               std::chrono::seconds limit);

    follower_status status() const;

private:
    // One poll's worth of changes, kept until it is applied and its checkpoint persisted.
    struct pending_batch {
        change_set changes;
        link_effects effects;
        cursor_checkpoint after;
        std::size_t events = 0;
        std::int64_t newest_created_ms = 0;
        std::vector<std::int64_t> created_ms;  // per applied event, for the delay stats
        std::int64_t first_event = 0, last_event = 0;
        bool full = false;
    };

    boost::asio::awaitable<pending_batch> poll();
    boost::asio::awaitable<void> apply_rereads();
    void applied(const pending_batch& b);

    sync_context& ctx_;
    change_applier& applier_;
    event_cursor cursor_;
    std::uint64_t backlog_gaps_expired_ = 0;  // not logged one by one; summed when caught up

    // Re-read requests: merged, applied between polls, then answered.
    change_set reread_queue_;
    std::optional<change_set> reread_running_;
    std::uint64_t reread_requested_ = 0, reread_taken_ = 0, reread_done_ = 0;

    bool following_ = false;
    double lag_seconds_ = 0;
    std::uint64_t events_applied_ = 0;
    std::uint64_t gaps_expired_ = 0;
    std::deque<std::pair<std::int64_t, std::size_t>> recent_events_;  // (ms, events) for the rate
};

}  // namespace sgcache::sync
