// `sgcache proxy`: an api3 endpoint (/api3/json) in front of the site. Reads the cache can
// answer exactly (proxy/read_plan.hpp) are answered from Elasticsearch; everything else goes
// to the site unchanged and its reply comes back unchanged.
//
// What the proxy keeps is soft state, so several proxies may run side by side against one
// cluster and one `sgcache serve`:
//   - the catalog: the cached types (entity configs), the site's entity types and page size
//     (schema_entity_read, info), loaded at start and retried until loaded; until then every
//     read is forwarded;
//   - each type's state and the follower's lag, polled from serve's control socket (status)
//     every proxy.status_interval_ms; a type is answered only while it is following and the
//     lag, plus the age of the last status, is within proxy.max_lag_s;
//   - callers whose script name and key the site accepted (auth_cache.hpp): the first call
//     of a caller is forwarded, and the site's answer (fault 102 or not) decides;
//   - types with a write whose re-read serve has not acknowledged: their reads are forwarded.
//
// Read-your-writes: after a write the site accepted (create, update, delete, revive, batch)
// the proxy asks serve to re-read the written entities (control `reread`), waits for the
// acknowledgement up to proxy.reread_timeout_s, refreshes the type's index, then replies:
// the same caller's next read sees its write. If serve does not answer in time, the reply
// carries "X-Sgcache-Reread: pending" and reads of the type are forwarded until a retry in
// the background succeeds.
//
// Replies carry X-Sgcache-Source (cache or site) and, from the cache, X-Sgcache-Lag
// (seconds). GET /_proxy/stats gives the counts (served, forwarded and why).
//
// Threading: everything runs on the io_context's thread, except the control socket calls
// (blocking ZeroMQ REQ sockets), which run on a small thread pool and resume on it.
#pragma once

#include "config/entity_config.hpp"
#include "config/settings.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <vector>

namespace sgcache::proxy {

class service {
public:
    /// Binds the listener at once (url() is valid on return). Throws std::runtime_error with
    /// a one-line message when the address does not bind or the certificate does not load.
    service(boost::asio::any_io_executor ex, const config::settings& s, std::vector<config::entity_config> types);
    ~service();
    service(const service&) = delete;
    service& operator=(const service&) = delete;

    std::string url() const;

    /// Serves until stop(). Cancellation: terminal cancellation acts like stop().
    boost::asio::awaitable<void> run();
    /// Stops listening and the background loops; run() then returns.
    void stop();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace sgcache::proxy
