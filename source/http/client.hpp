// An asynchronous HTTP/1.1 client for one endpoint (scheme, host, port): plain or TLS,
// keep-alive connections reused across requests, per-request deadlines, a response size
// limit, and gzip/deflate decoding. Beast stays inside client.cpp.
//
// Threading: a client belongs to one io_context running on one thread; all its coroutines
// run there. Any number of requests may be in flight at once; each uses its own connection
// (an idle one if there is one, else a new one), so callers bound concurrency themselves.
#pragma once

#include "http/failure.hpp"
#include "http/message.hpp"
#include "http/url.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace sgcache::http {

struct client_options {
    std::chrono::milliseconds connect_timeout{10'000};
    /// Default whole-exchange deadline (write + read) when a request names none.
    std::chrono::milliseconds request_timeout{60'000};
    /// Largest decoded response body accepted; bigger ones fail with too_large.
    std::size_t max_response_bytes = 256u << 20;
    /// PEM file of extra trusted CAs; empty uses the system store.
    std::string ca_file;
    /// Certificate and host-name verification. On by default; turning it off is for local
    /// experiments only and is logged loudly by whoever offers it.
    bool verify_peer = true;
    /// Idle keep-alive connections kept for reuse; more are closed after use.
    std::size_t max_idle_connections = 16;
    std::string user_agent = "sgcache";
    /// Ask for gzip responses (Accept-Encoding) and decode them.
    bool accept_gzip = true;
};

struct client_stats {
    std::uint64_t requests = 0;     // exchanges started
    std::uint64_t connects = 0;     // TCP (and TLS) connections opened
    std::uint64_t stale_retries = 0;// requests re-sent after a dead keep-alive connection
};

using result = boost::system::result<response, failure>;

class client {
public:
    /// Throws std::runtime_error naming the file when ca_file cannot be loaded.
    client(boost::asio::any_io_executor ex, endpoint ep, client_options opts = {});
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// Sends one request and reads its response. Never throws for I/O problems: every
    /// failure comes back classified in the result. Any HTTP status counts as a response,
    /// including 4xx and 5xx (use status_failure() to turn one into a failure).
    /// Cancellation: terminal cancellation of the awaiting coroutine closes the connection
    /// in use and completes with failure_kind::cancelled.
    boost::asio::awaitable<result> send(request req);

    const endpoint& target() const noexcept;
    client_stats stats() const noexcept;

    /// Closes idle connections (in-flight ones finish normally).
    void close_idle() noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Found by ADL from result<response, failure>::value(): throws std::runtime_error carrying
/// the failure's message.
[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);

}  // namespace sgcache::http
