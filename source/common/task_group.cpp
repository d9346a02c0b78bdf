#include "common/task_group.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <list>

namespace sgcache {

namespace asio = boost::asio;

struct task_group::state {
    explicit state(const asio::any_io_executor& e) : ex(e), wakeup(e, asio::steady_timer::time_point::max()) {}
    asio::any_io_executor ex;
    std::list<asio::cancellation_signal> signals;  // a list: signals must not move while in use
    std::size_t running = 0;
    std::exception_ptr first;
    bool cancelling = false;
    asio::steady_timer wakeup;  // a condition variable: cancel() wakes the waiter

    void cancel_all() {
        if (cancelling) return;
        cancelling = true;
        for (auto& s : signals) s.emit(asio::cancellation_type::terminal);
    }
};

task_group::task_group(asio::any_io_executor ex) : state_(std::make_shared<state>(ex)) {}

task_group::~task_group() = default;

void task_group::spawn(asio::awaitable<void> task) {
    auto st = state_;
    st->signals.emplace_back();
    ++st->running;
    asio::co_spawn(st->ex, std::move(task),
                   asio::bind_cancellation_slot(st->signals.back().slot(), [st](std::exception_ptr e) {
                       --st->running;
                       // The first failure that is not the group's own cancellation of the rest.
                       if (e && !st->first && !st->cancelling) {
                           st->first = e;
                           st->cancel_all();
                       }
                       st->wakeup.cancel();
                   }));
    if (st->cancelling) st->signals.back().emit(asio::cancellation_type::terminal);
}

asio::awaitable<void> task_group::wait() {
    auto st = state_;
    // Keep waiting for the tasks after our own cancellation: they must finish first.
    co_await asio::this_coro::throw_if_cancelled(false);
    bool parent_cancelled = false;
    while (st->running > 0) {
        boost::system::error_code ec;
        co_await st->wakeup.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none && !parent_cancelled) {
            parent_cancelled = true;
            st->cancel_all();
        }
    }
    co_await asio::this_coro::throw_if_cancelled(true);
    if (st->first) std::rethrow_exception(st->first);
    if (parent_cancelled) throw boost::system::system_error(asio::error::operation_aborted, "cancelled");
}

void task_group::cancel() { state_->cancel_all(); }

std::size_t task_group::running() const noexcept { return state_->running; }

}  // namespace sgcache
