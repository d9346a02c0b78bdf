// Runs a coroutine to completion on an io_context, for tests: rethrows what it throws and
// fails with "coroutine did not finish" when it takes longer than `limit` (so a hang is a
// test failure, not a stuck CI run). Other work on the same io_context (a test server)
// keeps running while it waits.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace sgcache::test {

template <class T>
T run_coro(boost::asio::io_context& ioc, boost::asio::awaitable<T> work,
           std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    bool done = false;
    std::exception_ptr error;
    std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value{};
    if constexpr (std::is_void_v<T>) {
        boost::asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e) {
            error = e;
            done = true;
        });
    } else {
        boost::asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e, T v) {
            error = e;
            if (!e) value.emplace(std::move(v));
            done = true;
        });
    }
    const auto deadline = std::chrono::steady_clock::now() + limit;
    ioc.restart();
    while (!done && std::chrono::steady_clock::now() < deadline) {
        ioc.run_one_for(std::chrono::milliseconds(50));
        if (ioc.stopped()) ioc.restart();
    }
    if (!done) throw std::runtime_error("coroutine did not finish");
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>) return std::move(*value);
}

}  // namespace sgcache::test
