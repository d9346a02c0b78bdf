// Runs coroutines side by side on one executor; the first one to fail cancels the others,
// and wait() rethrows that first failure once every task has finished.
//
// Why not `a && b` (Asio's awaitable operators): when one operand fails and the other ends
// with the cancellation that failure caused, Asio 1.26 rethrows multiple_exceptions holding
// only the first operand's exception, which is often the cancellation: the real cause is
// lost. This group keeps the cause.
//
// Cancellation: terminal cancellation of the coroutine awaiting wait() is passed on to every
// task; wait() then returns only after all of them have finished, and throws
// operation_aborted (or the first real failure, if one happened).
//
// Lifetime: the group's state is shared with its tasks, so the group object may go away
// before they finish; tasks must own or outlive what they reference.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>

namespace sgcache {

class task_group {
public:
    explicit task_group(boost::asio::any_io_executor ex);
    ~task_group();
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;

    void spawn(boost::asio::awaitable<void> task);
    /// Waits for every task; rethrows the first failure.
    boost::asio::awaitable<void> wait();
    /// Asks every task to stop (terminal cancellation).
    void cancel();
    std::size_t running() const noexcept;

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace sgcache
