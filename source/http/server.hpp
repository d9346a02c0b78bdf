// A small HTTP/1.1 server for one io_context: plain TCP or TLS (certificate and key files),
// keep-alive, request size limits, and a coroutine handler per request. It serves sgcache's
// metrics endpoint, the fake Shotgun site and local HTTPS test servers. Beast stays inside
// server.cpp, as it does for the client.
//
// Besides normal answers, a handler can ask for misbehaviour (see reply_action): answering
// late, resetting or closing the connection in the middle of a response, or stalling. Test
// servers use these to show clients the failures real load balancers produce.
//
// Threading: a server belongs to one io_context running on one thread. The handler runs on
// that thread, one call per request; calls for different connections may interleave at
// their co_await points, calls on one connection never do (HTTP/1.1 answers in order).
//
// Use:
//     asio::awaitable<http::reply> metrics(const http::request& req) {
//         http::reply r;
//         r.res.status = req.target == "/metrics" ? 200 : 404;
//         r.res.fields.push_back({"Content-Type", "text/plain; version=0.0.4"});
//         r.res.body = render_metrics();
//         co_return r;
//     }
//     http::server srv(ioc.get_executor(), {.address = "127.0.0.1", .port = 9464}, metrics);
//     asio::co_spawn(ioc, srv.run(), log_and_maybe_shutdown);   // srv.stop() to end it
// (tools/fake-shotgun/main.cpp is a complete example, with TLS and fault replies.)
#pragma once

#include "http/message.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace sgcache::http {

struct server_options {
    /// Address to bind: "127.0.0.1", "0.0.0.0", "::1". A host name is not resolved.
    std::string address = "127.0.0.1";
    /// 0 picks a free port; read it back with server::port().
    std::uint16_t port = 0;
    /// PEM certificate chain and private key. Both set: every connection speaks TLS.
    /// Both empty: plain HTTP. One without the other is a configuration error.
    std::string tls_cert_file;
    std::string tls_key_file;
    /// Largest request body accepted; a bigger one is answered 413 and the connection closed.
    std::size_t max_request_body = 64u << 20;
    /// Largest request header section; a bigger one is answered 431 and closed.
    std::size_t max_header_bytes = 64u << 10;
    /// How long a connection may sit idle between requests (keep-alive) or take to deliver
    /// one request, including the TLS handshake. Past it the connection is closed quietly.
    std::chrono::milliseconds read_timeout{60'000};
    /// How long writing one response may take before the connection is dropped.
    std::chrono::milliseconds write_timeout{60'000};
    /// Connections served at once; further ones wait in the kernel's accept queue.
    std::size_t max_connections = 512;
    /// Value of the Server header.
    std::string server_name = "sgcache";
};

/// What the server does with a handler's answer.
enum class reply_action {
    respond,         // send `res` normally
    reset,           // send nothing and abort the connection with a TCP RST
    reset_mid_body,  // send the header and about half the body, then RST
    close_mid_body,  // send the header and about half the body, then close cleanly (FIN)
    stall,           // send nothing, hold the connection for `stall_for`, then close it
};

struct reply {
    response res;
    reply_action action = reply_action::respond;
    /// Wait this long before doing `action` (latency injection). The wait ends early only
    /// when the server stops.
    std::chrono::milliseconds delay{0};
    /// For reply_action::stall.
    std::chrono::milliseconds stall_for{0};
    /// Close the connection after this response even if the client asked for keep-alive.
    bool close = false;
};

/// Called once per complete request. `res.fields` may carry any headers (Content-Type,
/// Retry-After, ...); the server adds Content-Length, Connection, Date and Server.
/// An exception thrown by the handler becomes a 500 answer; it never reaches the server.
using handler = std::function<boost::asio::awaitable<reply>(const request&)>;

struct server_stats {
    std::uint64_t connections = 0;         // accepted since start
    std::uint64_t active_connections = 0;  // open now
    std::uint64_t requests = 0;            // complete requests read
    std::uint64_t bad_requests = 0;        // answered 400/413/431/501 by the server itself
};

class server {
public:
    /// Binds and listens at once, so port() is valid when the constructor returns.
    /// Throws std::runtime_error with a one-line message when the address does not parse,
    /// the bind fails, or the certificate or key cannot be loaded.
    server(boost::asio::any_io_executor ex, server_options opts, handler h);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// The bound port (the real one when options asked for 0).
    std::uint16_t port() const noexcept;
    /// "http://127.0.0.1:PORT" or "https://..." (IPv6 addresses in brackets).
    std::string url() const;

    /// Accepts and serves connections until stop() is called, then returns. Each connection
    /// runs as its own coroutine; their failures are contained (a broken connection is just
    /// closed). Throws only for unexpected acceptor errors (file descriptor exhaustion is
    /// waited out, not thrown). Cancellation: terminal cancellation acts like stop().
    /// The server must outlive the returned awaitable and all its connections, which stop()
    /// closes; destroy the server only after the io_context stopped or run() returned and
    /// the io_context ran once more to let the connections finish.
    boost::asio::awaitable<void> run();

    /// Stops accepting, closes every open connection and wakes delayed or stalled replies.
    /// Idempotent; safe to call from a handler.
    void stop();

    server_stats stats() const noexcept;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace sgcache::http
