// What every command does before its real work: running one top-level coroutine to
// completion (client configurations: config/clients.hpp).
#pragma once

#include "config/clients.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>

namespace sgcache::app {

/// Runs `work` on `ioc` until it finishes; rethrows what it throws.
int run_to_completion(boost::asio::io_context& ioc, boost::asio::awaitable<int> work);

}  // namespace sgcache::app
