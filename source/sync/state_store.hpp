// sgcache's own state, kept in a small Elasticsearch index next to the data it describes:
// the lease (one writer per site and prefix), the version floor, the follower's checkpoint
// and, per entity type, its generations and full-download progress.
//
// Every write is a compare-and-set (if_seq_no/if_primary_term) against the version this
// server last read or wrote: if another server wrote meanwhile, the write fails with
// lease_error and this server stops writing. A CAS write that was retried after a lost
// reply and then reports a conflict is checked by reading the document back. A conflict
// caused by a server of this host whose process is gone is not another server: a write it
// sent before it was killed reached Elasticsearch after this server read the document, so
// this server writes over it (see write()).
//
// Cancellation and errors: elastic::error from the client propagates (the engine retries);
// lease errors are final.
#pragma once

#include "common/limiter.hpp"
#include "elastic/client.hpp"
#include "sync/event_cursor.hpp"
#include "sync/type_state.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sgcache::sync {

/// Another server holds the lease, or took it from us.
class lease_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct follower_state {
    cursor_checkpoint cursor;
    std::int64_t safety_scan_ms = 0;  // start of the last complete safety scan (epoch ms)
};

class state_store {
public:
    /// `holder` identifies this server ("host:pid:random"); `host` and `pid` decide whether a
    /// lease left by a crashed server on this machine may be taken over at once.
    state_store(boost::asio::any_io_executor ex, elastic::client& es, std::string index, std::string holder,
                std::string host, int pid);

    /// Creates the state index, with `replicas` replicas, when it does not exist (an
    /// existing one is kept).
    boost::asio::awaitable<void> ensure_index(int replicas);

    /// Takes the lease, or throws lease_error naming the holder when another server has it
    /// (it is taken over at once when its holder was a process of this host that is gone,
    /// or when it expired).
    boost::asio::awaitable<void> acquire_lease(std::chrono::milliseconds ttl);
    /// Extends the lease; throws lease_error when another server took it.
    boost::asio::awaitable<void> renew_lease(std::chrono::milliseconds ttl);
    /// Gives the lease up (best effort; a stale lease also expires by itself).
    boost::asio::awaitable<void> release_lease();

    boost::asio::awaitable<std::optional<std::int64_t>> load_floor();
    boost::asio::awaitable<void> save_floor(std::int64_t floor);

    boost::asio::awaitable<std::optional<follower_state>> load_follower();
    boost::asio::awaitable<void> save_follower(const follower_state& f);

    boost::asio::awaitable<std::map<std::string, type_state>> load_types();
    boost::asio::awaitable<void> save_type(const type_state& t);
    boost::asio::awaitable<void> delete_type(const std::string& type);

    const std::string& index() const noexcept { return index_; }

private:
    boost::asio::awaitable<std::optional<boost::json::object>> read(const std::string& id);
    boost::asio::awaitable<void> write(const std::string& id, boost::json::object body);
    // True when `writer` (a holder id) names a process of this host, other than this one,
    // that is no longer running.
    bool written_by_dead_local_server(const std::string& writer) const;

    elastic::client& es_;
    std::string index_;
    std::string holder_;
    std::string host_;
    int pid_;
    std::map<std::string, elastic::cas> seen_;  // the version of each document we last saw
    // One write at a time: two loops saving the same document concurrently would both send
    // the same expected version, and the second would look like another server's write.
    limiter write_lock_;
};

/// Encodings used in the state documents (also for tests).
boost::json::object to_json(const type_state& t);
type_state type_state_from_json(const boost::json::object& o);
boost::json::object to_json(const follower_state& f);
follower_state follower_state_from_json(const boost::json::object& o);

}  // namespace sgcache::sync
