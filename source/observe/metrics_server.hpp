// The HTTP endpoint of `sgcache serve` (metrics.listen, loopback by default), on the
// server's io_context:
//   GET /metrics  200, the Prometheus text format (observe/collect.hpp)
//   GET /healthz  200 {"status":"ok",...} while the process runs: its io_context answers
//   GET /readyz   200 when ready (every type downloaded, follower within
//                 metrics.ready_max_lag_s), else 503 with the reason, as JSON
//   GET /         the status page (observe/status_page.hpp), and
//   GET /status.json  its data; beyond loopback both need the control token, as ?token=...
//                 or Authorization: Bearer ... (401 without it, 403 when none is configured)
// Other paths answer 404, other methods 405 (HEAD works like GET without a body).
//
// Threading: one io_context thread; the sources are called on it, once per request.
#pragma once

#include "http/message.hpp"
#include "observe/stats_writer.hpp"
#include "sync/engine.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sgcache::http {
class server;
}

namespace sgcache::observe {

/// Where the endpoint reads its numbers; each called once per request that needs it.
struct metrics_sources {
    std::function<sync::engine_status()> status;
    std::function<sync::engine_counters()> counters;
    /// Empty (or returning nothing) when stats are disabled.
    std::function<std::optional<stats_counters>()> stats;
    std::chrono::milliseconds ready_max_lag{300'000};
    /// The status page's data; empty: no status page (404).
    std::function<boost::json::object()> page_data;
    /// The token the page needs when `page_needs_token` (the control token).
    std::string page_token;
    /// Set by metrics_server: true when the listener is not on a loopback address.
    bool page_needs_token = false;
};

/// The answer to one request (pure apart from reading /proc for process metrics and the
/// clock). Never throws for a request; a source that throws becomes a 500.
http::response answer(const http::request& req, const metrics_sources& src);

/// Splits "127.0.0.1:9465", "[::1]:9465" or "0.0.0.0:0" into address and port. Throws
/// std::invalid_argument with a one-line message when it is malformed.
std::pair<std::string, std::uint16_t> parse_listen(const std::string& listen);

class metrics_server {
public:
    /// Binds at once. Throws std::runtime_error naming metrics.listen when the address is
    /// malformed or cannot be bound (in use, not a local address).
    metrics_server(boost::asio::any_io_executor ex, const std::string& listen, metrics_sources src);
    ~metrics_server();
    metrics_server(const metrics_server&) = delete;
    metrics_server& operator=(const metrics_server&) = delete;

    /// "http://127.0.0.1:9465".
    std::string url() const;
    std::uint16_t port() const;

    /// Serves until stop() or terminal cancellation. The server must outlive it.
    boost::asio::awaitable<void> run();
    /// Stops accepting and closes open connections. Idempotent.
    void stop();
    /// A reload's metrics.ready_max_lag_s (the next /readyz uses it).
    void set_ready_max_lag(std::chrono::milliseconds lag) { sources_->ready_max_lag = lag; }

private:
    std::shared_ptr<metrics_sources> sources_;
    std::unique_ptr<http::server> server_;
};

}  // namespace sgcache::observe
