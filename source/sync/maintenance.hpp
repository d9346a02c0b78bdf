// The engine's housekeeping, once a second: renews the lease (a third of its time to live),
// persists the version floor ahead of use, reads the site's schema again after a schema
// event (fields gone or retyped: stop reading them, say which entity config to regenerate),
// and logs a heartbeat line every 30 s while following.
//
// Errors: run() throws lease_error when another server took the lease (the engine stops);
// other failures are logged and retried the next second. Cancellation: at any co_await.
#pragma once

#include "sync/sync_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>

namespace sgcache::sync {

class maintenance {
public:
    /// `status` gives the heartbeat's figures.
    maintenance(sync_context& ctx, std::function<engine_status()> status);

    boost::asio::awaitable<void> run();

private:
    sync_context& ctx_;
    std::function<engine_status()> status_;
};

}  // namespace sgcache::sync
