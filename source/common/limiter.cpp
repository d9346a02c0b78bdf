#include "common/limiter.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace sgcache {

namespace asio = boost::asio;

// A waiter sleeps on its own timer; release_one() hands it a slot by setting `granted`
// before waking it, so a wake-up without `granted` can only be a cancellation.
struct limiter::waiter {
    explicit waiter(const asio::any_io_executor& ex) : timer(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    bool granted = false;
};

limiter::limiter(asio::any_io_executor ex, std::size_t slots) : ex_(std::move(ex)), slots_(std::max<std::size_t>(slots, 1)) {}

limiter::~limiter() {
    for (auto& w : queue_) w->timer.cancel();
}

asio::awaitable<limiter::permit> limiter::acquire() {
    if (in_use_ < slots_ && queue_.empty()) {
        ++in_use_;
        peak_ = std::max(peak_, in_use_);
        co_return permit(this);
    }
    auto me = std::make_shared<waiter>(ex_);
    queue_.push_back(me);
    boost::system::error_code ec;
    co_await me->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!me->granted) {
        queue_.erase(std::remove(queue_.begin(), queue_.end(), me), queue_.end());
        throw boost::system::system_error(asio::error::operation_aborted, "waiting for a request slot");
    }
    co_return permit(this);  // the slot was handed over by release_one(); in_use_ already counts it
}

void limiter::release_one() noexcept {
    if (!queue_.empty()) {
        auto next = queue_.front();
        queue_.pop_front();
        next->granted = true;  // the slot passes straight to the next waiter
        next->timer.cancel();
        return;
    }
    if (in_use_ > 0) --in_use_;
}

void limiter::permit::release() noexcept {
    if (owner_) {
        owner_->release_one();
        owner_ = nullptr;
    }
}

}  // namespace sgcache
