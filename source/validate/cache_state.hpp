// What the running sgcache server has done to the cache, as validation needs it to settle
// its findings: the follower's persisted checkpoint (the events the cache has applied),
// whether a server holds the lease (follows the site), and a wait until the checkpoint
// passes an event. Read from the state index of the prefix (sync/state_store.hpp); it only
// reads.
//
// Errors: checkpoint() throws std::runtime_error when the state index holds no follower
// document (sgcache serve never ran with this prefix); every function propagates
// elastic::error from the client after its retries. Cancellation: terminal cancellation
// stops at the next request, or ends wait_for_cache()'s pause between two polls.
#pragma once

#include "elastic/client.hpp"
#include "sync/event_cursor.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace sgcache::validate {

class cache_state {
public:
    /// `es` outlives this object.
    cache_state(elastic::client& es, std::string prefix);

    /// The follower's persisted checkpoint.
    boost::asio::awaitable<sync::cursor_checkpoint> checkpoint();

    /// True when a server holds an unexpired lease: only then is it worth waiting for the
    /// cache to catch up.
    boost::asio::awaitable<bool> server_alive();

    /// Waits until the server's persisted checkpoint has passed `event_id` (true), or
    /// `limit` has passed (false); false at once when no server is alive. Polls every
    /// 200 ms.
    boost::asio::awaitable<bool> wait_for_cache(std::int64_t event_id, std::chrono::milliseconds limit);

private:
    elastic::client& es_;
    std::string prefix_;
};

}  // namespace sgcache::validate
