// The limiter runs on an io_context but touches no network: timers only.
#include "common/limiter.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using sgcache::limiter;
using sgcache::test::run_coro;

namespace {
asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
}
}  // namespace

TEST_CASE("limiter: never more holders than slots, FIFO hand-over, nothing lost") {
    asio::io_context ioc;
    limiter slots(ioc.get_executor(), 2);
    std::vector<int> order;
    int holders = 0, most = 0;
    auto worker = [&](int n) -> asio::awaitable<void> {
        auto p = co_await slots.acquire();
        ++holders;
        most = std::max(most, holders);
        order.push_back(n);
        co_await sleep_for(10ms);
        --holders;
    };
    auto all = [&]() -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        co_await (worker(1) && worker(2) && worker(3) && worker(4) && worker(5));
    };
    run_coro(ioc, all());
    CHECK(most == 2);
    CHECK(slots.peak() == 2);
    CHECK(slots.in_use() == 0);
    CHECK(slots.waiting() == 0);
    CHECK(order == std::vector<int>{1, 2, 3, 4, 5});
}

TEST_CASE("limiter: a cancelled waiter leaves the queue without taking a slot") {
    asio::io_context ioc;
    limiter slots(ioc.get_executor(), 1);
    auto scenario = [&]() -> asio::awaitable<int> {
        using namespace asio::experimental::awaitable_operators;
        auto held = co_await slots.acquire();
        // A second acquire loses a race against a timer: it is cancelled while queued.
        auto raced = co_await (slots.acquire() || sleep_for(20ms));
        int outcome = static_cast<int>(raced.index());
        held.release();
        // The slot is free again and can be taken at once.
        auto again = co_await slots.acquire();
        co_return outcome * 10 + static_cast<int>(slots.in_use());
    };
    CHECK(run_coro(ioc, scenario()) == 11);
    CHECK(slots.in_use() == 0);
    CHECK(slots.waiting() == 0);
}
