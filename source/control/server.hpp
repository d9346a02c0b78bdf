// The control socket of `sgcache serve`: a ZeroMQ ROUTER socket bound to the configured
// endpoint, served on the io_context through the socket's ZMQ_FD, never blocking it.
//
// Every request gets exactly one reply ({"ok": ...}), malformed ones included; each
// request is handled in a coroutine of its own, so a slow one (a status that counts
// documents, a re-read) does not hold the others up; at most 64 are in flight, beyond which
// requests get a "busy" error reply. Requests over 64 KiB are refused by libzmq itself
// (ZMQ_MAXMSGSIZE: the offending connection is dropped). Clients that disconnect before
// their reply simply do not get it.
//
// ZMQ_FD pitfalls (style.md): the fd is edge-triggered and any send, receive or
// ZMQ_EVENTS query consumes its edge, so the loop checks ZMQ_EVENTS before every wait, and
// replies are sent by the loop itself (handlers queue them and wake the loop).
//
// Lifetime: the zmq::context_t must outlive this object and the io_context.
#pragma once

#include "control/protocol.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <zmq.hpp>

#include <functional>
#include <memory>
#include <string>

namespace sgcache::control {

/// Handles one valid request; returns the reply object (without "ok", which is added).
/// Throwing std::exception turns into {"ok": false, "error": what()}.
using handler = std::function<boost::asio::awaitable<boost::json::object>(const request&)>;

class server {
public:
    /// Binds now, so that a bad endpoint or a port in use is a start-up error: throws
    /// std::runtime_error naming the endpoint. Refuses a non-loopback endpoint without a
    /// token.
    server(boost::asio::any_io_executor ex, zmq::context_t& ctx, std::string endpoint, std::string token, handler h);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Serves until cancelled.
    boost::asio::awaitable<void> run();

    /// The bound endpoint (with the real port when bound to port 0).
    std::string endpoint() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

/// True for tcp://127.x.x.x, tcp://localhost and tcp://[::1] endpoints.
bool is_loopback_endpoint(const std::string& endpoint);

}  // namespace sgcache::control
