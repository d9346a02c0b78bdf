#include "validate/cache_state.hpp"

#include "sync/state_store.hpp"
#include "validate/context.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>
#include <utility>

namespace sgcache::validate {

namespace asio = boost::asio;
namespace json = boost::json;

cache_state::cache_state(elastic::client& es, std::string prefix) : es_(es), prefix_(std::move(prefix)) {}

asio::awaitable<sync::cursor_checkpoint> cache_state::checkpoint() {
    const std::string index = sync::state_index(prefix_);
    auto doc = co_await es_.get(index, "follower");
    if (!doc) {
        throw std::runtime_error("the cache has no follower state in " + index +
                                 " (has sgcache serve run with this configuration and index prefix?)");
    }
    co_return sync::follower_state_from_json(doc->source).cursor;
}

asio::awaitable<bool> cache_state::server_alive() {
    auto doc = co_await es_.get(sync::state_index(prefix_), "lease");
    if (!doc) co_return false;
    const json::value* holder = doc->source.if_contains("holder");
    const json::value* expires = doc->source.if_contains("expires_ms");
    const bool held = holder && holder->is_string() && !holder->get_string().empty();
    co_return held && expires && expires->is_number() && expires->to_number<std::int64_t>() > now_ms();
}

asio::awaitable<bool> cache_state::wait_for_cache(std::int64_t event_id, std::chrono::milliseconds limit) {
    const bool alive = co_await server_alive();
    if (!alive) co_return false;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        const auto c = co_await checkpoint();
        if (c.high >= event_id) co_return true;
        if (std::chrono::steady_clock::now() >= deadline) co_return false;
        timer.expires_after(std::chrono::milliseconds(200));
        co_await timer.async_wait(asio::use_awaitable);
    }
}

}  // namespace sgcache::validate
