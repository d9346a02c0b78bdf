#include "elastic/indexer.hpp"

#include "elastic/client.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <list>
#include <vector>

namespace sgcache::elastic {

namespace asio = boost::asio;

struct bulk_indexer::state {
    client& es;
    indexer_options opts;
    item_callback on_item;
    indexer_stats stats;
    std::vector<bulk_op> batch;
    std::size_t batch_bytes = 0;
    std::size_t in_flight = 0;
    std::size_t pending = 0;       // added, no final outcome yet
    std::exception_ptr failure;    // the first undeliverable batch, rethrown to the caller
    // One signal per batch in flight, so that cancel_in_flight() can end every one of them.
    std::list<asio::cancellation_signal> sending;
    // A timer that never expires, used as a condition variable: cancel() wakes every waiter,
    // and waiters re-check their condition in a loop (one thread, so no wake-up is lost).
    std::optional<asio::steady_timer> wakeup;

    state(client& c, indexer_options o, item_callback cb) : es(c), opts(o), on_item(std::move(cb)) {}

    asio::awaitable<void> wait_for_change() {
        if (!wakeup) {
            wakeup.emplace(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
        }
        boost::system::error_code ec;
        co_await wakeup->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        // operation_aborted is the wake-up itself; real cancellation of the caller is seen
        // by the next co_await, which then throws.
    }

    void notify() {
        if (wakeup) wakeup->cancel();
    }

    void rethrow_failure() {
        if (failure) {
            auto f = failure;
            failure = nullptr;
            std::rethrow_exception(f);
        }
    }

    void settle(const bulk_op& op, const item_result& r) {
        switch (r.status) {
            case item_status::written: ++stats.written; break;
            case item_status::stale: ++stats.stale; break;
            case item_status::retryable:
            case item_status::rejected: ++stats.rejected; break;
        }
        --pending;
        if (on_item) on_item(op, r);
    }

    void note_latency(std::chrono::steady_clock::duration d) {
        const double secs = std::chrono::duration<double>(d).count();
        std::size_t bucket = 0;
        while (bucket < bulk_latency_bounds.size() && secs > bulk_latency_bounds[bucket]) ++bucket;
        ++stats.latency_buckets[bucket];
        stats.latency_seconds += secs;
    }

    // Sends one batch until every item is settled or the request itself cannot be delivered.
    // `settled` counts this batch's items that got their final outcome.
    static asio::awaitable<void> send(std::shared_ptr<state> self, std::vector<bulk_op> ops, std::size_t& settled) {
        for (int attempt = 1; !ops.empty(); ++attempt) {
            std::vector<item_result> results;
            ++self->stats.requests;
            for (const auto& op : ops) self->stats.bytes += op_size(op);
            const auto sent = std::chrono::steady_clock::now();
            results = co_await self->es.bulk(ops);  // throws when undeliverable: see send_guarded
            self->note_latency(std::chrono::steady_clock::now() - sent);
            std::vector<bulk_op> again;
            for (std::size_t i = 0; i < ops.size(); ++i) {
                if (results[i].status == item_status::retryable && self->opts.item_retry.may_retry(attempt)) {
                    again.push_back(std::move(ops[i]));
                    continue;
                }
                self->settle(ops[i], results[i]);
                ++settled;
            }
            if (again.empty()) break;
            self->stats.item_retries += again.size();
            if (self->opts.on_retry) {
                for (std::size_t i = 0; i < results.size(); ++i) {
                    if (results[i].status == item_status::retryable) {
                        self->opts.on_retry(results[i], again.size(), attempt);
                        break;
                    }
                }
            }
            asio::steady_timer timer(co_await asio::this_coro::executor);
            timer.expires_after(backoff_delay(self->opts.item_retry, attempt, jitter_rng()));
            co_await timer.async_wait(asio::use_awaitable);
            ops = std::move(again);
        }
    }

    static asio::awaitable<void> send_guarded(std::shared_ptr<state> self, std::vector<bulk_op> ops) {
        const std::size_t count = ops.size();
        std::size_t settled = 0;
        try {
            co_await send(self, std::move(ops), settled);
        } catch (...) {
            if (!self->failure) self->failure = std::current_exception();
            // Items of an undelivered batch have no outcome; stop counting them as pending
            // so flush() can return (and throw) instead of waiting for ever.
            self->pending -= (count - settled);
        }
        --self->in_flight;
        self->notify();
    }

    asio::awaitable<void> dispatch(std::shared_ptr<state> self) {
        while (in_flight >= opts.max_in_flight) co_await wait_for_change();
        ++in_flight;
        std::vector<bulk_op> ops;
        ops.swap(batch);
        batch_bytes = 0;
        // The task owns its state reference and its ops: it may outlive the caller's frame.
        auto signal = sending.emplace(sending.end());
        auto done = [self, signal](std::exception_ptr) { self->sending.erase(signal); };
        asio::co_spawn(co_await asio::this_coro::executor, send_guarded(self, std::move(ops)),
                       asio::bind_cancellation_slot(signal->slot(), done));
    }
};

bulk_indexer::bulk_indexer(client& es, indexer_options opts, item_callback on_item)
    : state_(std::make_shared<state>(es, opts, std::move(on_item))) {}

bulk_indexer::~bulk_indexer() {
    // Batches in flight keep the state alive; drop the callback so that nothing calls back
    // into an owner that is going away.
    state_->on_item = nullptr;
}

asio::awaitable<void> bulk_indexer::add(bulk_op op) {
    auto& s = *state_;
    s.rethrow_failure();
    const std::size_t size = op_size(op);
    if (!s.batch.empty() && (s.batch.size() >= s.opts.max_batch_docs || s.batch_bytes + size > s.opts.max_batch_bytes)) {
        co_await s.dispatch(state_);
    }
    s.batch_bytes += size;
    s.batch.push_back(std::move(op));
    ++s.pending;
}

asio::awaitable<void> bulk_indexer::flush() {
    auto& s = *state_;
    if (!s.batch.empty()) co_await s.dispatch(state_);
    while (s.in_flight > 0) co_await s.wait_for_change();
    s.rethrow_failure();
}

indexer_stats bulk_indexer::stats() const noexcept { return state_->stats; }

void bulk_indexer::cancel_in_flight() {
    for (auto& signal : state_->sending) signal.emit(asio::cancellation_type::terminal);
}
std::size_t bulk_indexer::pending() const noexcept { return state_->pending; }

}  // namespace sgcache::elastic
