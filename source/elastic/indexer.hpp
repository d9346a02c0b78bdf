// The bulk indexer: turns a stream of single-document operations into _bulk requests capped
// by documents and bytes, keeps a few of them in flight, retries the items ES could not take
// (429, 5xx) with jittered backoff, and reports every item's final outcome.
//
// Use: add() documents as they come (it waits when max_in_flight batches are already being
// sent: that is the backpressure that slows readers down when ES is slow), then flush() to
// wait until everything added so far has a final outcome. Outcomes go to the `on_item`
// callback (when set) and into the totals of stats().
//
// Errors: a batch whose request cannot be delivered at all (every host unreachable for the
// whole retry policy of the client, or a non-retryable error such as 401) makes the next
// add() or flush() throw that elastic::error; the batch's items have no outcome then, so a
// caller must not treat them as acknowledged (sgcache re-reads them).
//
// Cancellation: terminal cancellation of the caller of add()/flush() stops waiting; batches
// already in flight finish (or fail) on their own and keep the shared state alive, unless
// cancel_in_flight() ends them (at shutdown: their items get no outcome).
//
// Threading: one io_context thread; the client must outlive the indexer and its batches.
#pragma once

#include "common/backoff.hpp"
#include "elastic/bulk.hpp"

#include <boost/asio/awaitable.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace sgcache::elastic {

class client;

struct indexer_options {
    std::size_t max_batch_docs = 1000;
    std::size_t max_batch_bytes = 8u << 20;
    std::size_t max_in_flight = 3;
    /// For items answered 429/5xx; 0 attempts means retry until cancelled.
    retry_policy item_retry{8, std::chrono::milliseconds(100), std::chrono::milliseconds(5000)};
    /// Called before each retry of a batch's retryable items: the first such item's result,
    /// how many are retried, and the attempt that failed (1 = the first send). Must not throw.
    std::function<void(const item_result& first, std::size_t items, int attempt)> on_retry;
};

struct indexer_stats {
    std::uint64_t written = 0;
    std::uint64_t stale = 0;     // older than what ES holds: correct, nothing to do
    std::uint64_t rejected = 0;  // final errors (including retryable ones that ran out of attempts)
    std::uint64_t item_retries = 0;
    std::uint64_t requests = 0;  // _bulk requests sent
    std::uint64_t bytes = 0;     // NDJSON bytes sent
    /// Latency of each answered _bulk request (send to reply, including the client's own
    /// retries of the request), for the metrics histogram: counts per bucket of
    /// bulk_latency_bounds, the last entry for slower requests; and their sum in seconds.
    std::array<std::uint64_t, 13> latency_buckets{};
    double latency_seconds = 0;
};

/// Upper bounds, in seconds, of indexer_stats::latency_buckets (one fewer than buckets).
inline constexpr std::array<double, 12> bulk_latency_bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                            0.5,   1,    2.5,   5,    10,  30};
static_assert(std::tuple_size_v<decltype(indexer_stats::latency_buckets)> == bulk_latency_bounds.size() + 1);

class bulk_indexer {
public:
    using item_callback = std::function<void(const bulk_op&, const item_result&)>;

    bulk_indexer(client& es, indexer_options opts = {}, item_callback on_item = {});
    ~bulk_indexer();
    bulk_indexer(const bulk_indexer&) = delete;
    bulk_indexer& operator=(const bulk_indexer&) = delete;

    /// Queues one operation; sends the current batch when it is full. Waits while
    /// max_in_flight batches are being sent. Throws a pending batch error (see above).
    boost::asio::awaitable<void> add(bulk_op op);
    /// Sends what is queued and waits until every operation added so far has its outcome.
    boost::asio::awaitable<void> flush();

    indexer_stats stats() const noexcept;
    /// Cancels the batches being sent (terminal cancellation of their requests): their items
    /// get no outcome, as if undeliverable. For a shutdown that must not wait for a stalled
    /// cluster.
    void cancel_in_flight();
    /// Operations added but without a final outcome yet.
    std::size_t pending() const noexcept;

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace sgcache::elastic
