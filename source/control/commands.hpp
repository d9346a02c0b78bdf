// What each control command does on a running engine, and the JSON of its reply.
#pragma once

#include "control/protocol.hpp"
#include "sync/engine.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>

namespace sgcache::control {

/// What serve does for a reload (the configuration file is serve's): the reply's fields, or
/// std::exception with the one-line reason it was refused.
using reload_hook = std::function<boost::asio::awaitable<boost::json::object>()>;

/// Runs one decoded request against the engine. Throws std::exception (turned into an
/// error reply) for requests the engine refuses, e.g. an unknown entity type.
boost::asio::awaitable<boost::json::object> execute(const request& r, sync::engine& engine, std::int64_t started_ms,
                                                    const reload_hook& reload = {});

/// The status reply body (also used by tests).
boost::json::object status_json(const sync::engine_status& st, std::int64_t now_ms);

}  // namespace sgcache::control
