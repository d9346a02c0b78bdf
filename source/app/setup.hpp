// What every command does before its real work: client configurations built from the
// service configuration, and running one top-level coroutine to completion.
#pragma once

#include "config/settings.hpp"
#include "elastic/client.hpp"
#include "shotgun/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>

namespace sgcache::app {

shotgun::client_config shotgun_config(const config::settings& s);
elastic::client_config elastic_config(const config::settings& s);

/// Runs `work` on `ioc` until it finishes; rethrows what it throws.
int run_to_completion(boost::asio::io_context& ioc, boost::asio::awaitable<int> work);

}  // namespace sgcache::app
