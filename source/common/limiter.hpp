// An asynchronous counting semaphore for coroutines on one io_context: at most `slots`
// holders at a time; further acquire() calls wait in FIFO order. sgcache uses one to bound
// how many requests it has in flight to Shotgun, whatever part of sgcache asks.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <deque>
#include <memory>

namespace sgcache {

class limiter {
    struct waiter;

public:
    /// Releases its slot on destruction (or release()). Movable, not copyable.
    class permit {
    public:
        permit() = default;
        permit(permit&& o) noexcept : owner_(o.owner_) { o.owner_ = nullptr; }
        permit& operator=(permit&& o) noexcept {
            if (this != &o) {
                release();
                owner_ = o.owner_;
                o.owner_ = nullptr;
            }
            return *this;
        }
        permit(const permit&) = delete;
        permit& operator=(const permit&) = delete;
        ~permit() { release(); }
        void release() noexcept;
        explicit operator bool() const noexcept { return owner_ != nullptr; }

    private:
        friend class limiter;
        explicit permit(limiter* l) : owner_(l) {}
        limiter* owner_ = nullptr;
    };

    limiter(boost::asio::any_io_executor ex, std::size_t slots);
    ~limiter();
    limiter(const limiter&) = delete;
    limiter& operator=(const limiter&) = delete;

    /// Waits for a free slot. Cancellation: a cancelled waiter leaves the queue and the
    /// call throws boost::system::system_error(operation_aborted); no slot is lost.
    boost::asio::awaitable<permit> acquire();

    std::size_t slots() const noexcept { return slots_; }
    std::size_t in_use() const noexcept { return in_use_; }
    std::size_t waiting() const noexcept { return queue_.size(); }
    /// The largest number of simultaneous holders seen (for tests and stats).
    std::size_t peak() const noexcept { return peak_; }

private:
    void release_one() noexcept;

    boost::asio::any_io_executor ex_;
    std::size_t slots_;
    std::size_t in_use_ = 0;
    std::size_t peak_ = 0;
    std::deque<std::shared_ptr<waiter>> queue_;
};

}  // namespace sgcache
