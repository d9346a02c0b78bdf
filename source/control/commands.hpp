// What each control command does on a running engine, and the JSON of its reply.
#pragma once

#include "control/protocol.hpp"
#include "sync/engine.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>

namespace sgcache::control {

/// Runs one decoded request against the engine. Throws std::exception (turned into an
/// error reply) for requests the engine refuses, e.g. an unknown entity type.
boost::asio::awaitable<boost::json::object> execute(const request& r, sync::engine& engine, std::int64_t started_ms);

/// The status reply body (also used by tests).
boost::json::object status_json(const sync::engine_status& st, std::int64_t now_ms);

}  // namespace sgcache::control
