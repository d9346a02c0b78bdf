// The Elasticsearch / OpenSearch client: the REST calls sgcache needs, over http::client,
// against one cluster reached through one or more hosts.
//
// Works with OpenSearch 2.x and Elasticsearch 8.x: only typeless paths, plain JSON media
// types, indices deleted by exact name, and no reliance on vendor-specific extras.
//
// Failover and retries: every call goes to one host (round robin over the hosts not marked
// dead). A connection-level failure (refused, reset, timeout) marks the host dead for
// `dead_host_cooldown` and the call is sent again at once to another host; when no host is
// left, or the cluster answers 429/502/503/504, the call waits a jittered exponential
// backoff and tries again, up to `retry.max_attempts` attempts. Calls are only retried when
// sending them twice is harmless: reads, and writes that are idempotent by construction
// (external versions, exact-name index operations). See each function for the exceptions.
//
// Errors: functions throw elastic::error, whose message names the host and the request
// ("elasticsearch: PUT http://127.0.0.1:9200/sgc-entity-shot-g000001: HTTP 400
// resource_already_exists_exception: index [...] already exists"). Credentials never
// appear in messages.
//
// Cancellation: terminal cancellation of the caller stops the call at its next wait (I/O or
// backoff) with elastic::error of kind cancelled.
//
// Threading and lifetime: one io_context thread; the client must outlive every call.
// Coroutines here take no defaulted std::string arguments (see client.cpp); overloads
// stand in for defaults.
#pragma once

#include "common/backoff.hpp"
#include "elastic/bulk.hpp"
#include "http/client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sgcache::elastic {

struct client_config {
    /// Base URLs of the cluster's HTTP endpoints, e.g. {"https://es1:9200", "https://es2:9200"}.
    std::vector<std::string> hosts;
    /// Basic auth (username + password) or an API key; at most one. Credentials in a host
    /// URL are also honoured (as basic auth).
    std::string username;
    std::string password;
    /// The API key as Elasticsearch returns it ("encoded"), or "id:api_key".
    std::string api_key;
    http::client_options http;
    retry_policy retry{5, std::chrono::milliseconds(200), std::chrono::milliseconds(5000)};
    /// How long a host that failed at the connection level is skipped.
    std::chrono::milliseconds dead_host_cooldown{5000};
};

class error : public std::runtime_error {
public:
    enum class kind {
        unreachable,  // no host answered (connect, timeout, reset), retries exhausted
        busy,         // the cluster kept answering 429/502/503/504
        status,       // an error status with ES's error type and reason
        malformed,    // a reply that is not the JSON we expect
        tls,          // TLS refused (certificate, host name)
        cancelled,
    };
    error(kind k, unsigned status, std::string type, std::string reason, const std::string& message)
        : std::runtime_error(message), kind_(k), status_(status), type_(std::move(type)), reason_(std::move(reason)) {}

    kind what_kind() const noexcept { return kind_; }
    unsigned status() const noexcept { return status_; }     // 0 when no response
    const std::string& type() const noexcept { return type_; }   // ES error.type or ""
    const std::string& reason() const noexcept { return reason_; }

private:
    kind kind_;
    unsigned status_;
    std::string type_;
    std::string reason_;
};

struct cluster_info {
    std::string distribution;  // "opensearch" or "elasticsearch"
    std::string version;       // "2.19.6"
    int major = 0;
    std::string cluster_name;
};

struct cluster_health {
    std::string status;  // green, yellow, red
    int number_of_nodes = 0;
    int number_of_data_nodes = 0;
    bool timed_out = false;
};

enum class alias_verb { add, remove, remove_index };

struct alias_action {
    alias_verb verb = alias_verb::add;
    std::string index;
    std::string alias;                    // unused for remove_index
    std::optional<boost::json::object> filter;  // add only: a filtered alias
};

struct document {
    boost::json::object source;
    std::uint64_t seq_no = 0;
    std::uint64_t primary_term = 0;
    std::int64_t version = 0;
};

/// Compare-and-set condition: the write succeeds only if the stored document still has
/// exactly this sequence number and primary term.
struct cas {
    std::uint64_t seq_no = 0;
    std::uint64_t primary_term = 0;
};

struct write_outcome {
    bool written = false;  // false: the CAS condition (or create-only) failed with 409
    std::uint64_t seq_no = 0;
    std::uint64_t primary_term = 0;
};

struct search_hit {
    std::string id;
    boost::json::object source;
    boost::json::array sort;  // the hit's sort values, for search_after
};

struct search_page {
    std::vector<search_hit> hits;
    std::uint64_t total = 0;  // hits.total.value (may be a lower bound, see ES docs)
};

struct client_stats {
    std::uint64_t requests = 0;   // attempts sent
    std::uint64_t retries = 0;    // attempts after the first
    std::uint64_t failovers = 0;  // attempts moved to another host after a connection failure
};

class client {
public:
    /// Throws std::invalid_argument when hosts is empty, a host URL is malformed, or both
    /// basic auth and an API key are given; std::runtime_error when the CA file is unreadable.
    client(boost::asio::any_io_executor ex, client_config cfg);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// GET / : distribution and version.
    boost::asio::awaitable<cluster_info> info();
    /// GET /_cluster/health, waiting up to `wait` for `wait_for_status` ("yellow", "green"
    /// or "" for no wait). A timed-out wait is a result (timed_out = true), not an error.
    boost::asio::awaitable<cluster_health> health(std::string wait_for_status, std::chrono::seconds wait);
    boost::asio::awaitable<cluster_health> health();

    /// PUT /<name> with {"settings":..., "mappings":..., "aliases":...} as given. Throws
    /// error (status 400, type resource_already_exists_exception) when it exists.
    boost::asio::awaitable<void> create_index(const std::string& name, const boost::json::object& body);
    /// create_index, for a body that asks for `replicas` replicas, answered once each shard
    /// has as many started copies as the cluster's data nodes allow (replicas + 1 at most;
    /// the node's 30 s at most: a wait that runs out still created the index). A node lost
    /// right after the creation then leaves a started copy of every shard. One extra
    /// GET /_cluster/health.
    boost::asio::awaitable<void> create_index_started(const std::string& name, const boost::json::object& body,
                                                      int replicas);
    /// HEAD /<name>: true when an index or alias of that name exists.
    boost::asio::awaitable<bool> exists(const std::string& name);
    /// DELETE /<name> by exact name (wildcards, commas and _all are refused with
    /// std::invalid_argument before any request). Returns false when there was no such index.
    boost::asio::awaitable<bool> delete_index(const std::string& name);
    /// PUT /<name>/_settings.
    boost::asio::awaitable<void> update_settings(const std::string& name, const boost::json::object& settings);
    /// PUT /<a>,<b>,.../_settings: one request and one cluster-state update for all of
    /// them, where one call per index costs the master one update each. Each name must be
    /// exact (std::invalid_argument before any request); an empty list sends nothing.
    boost::asio::awaitable<void> update_settings(const std::vector<std::string>& names,
                                                 const boost::json::object& settings);
    /// POST /<name>/_refresh.
    boost::asio::awaitable<void> refresh(const std::string& name);
    /// POST /<a>,<b>,.../_refresh: the indices' shards are refreshed side by side. Exact
    /// names only, as above; an empty list sends nothing.
    boost::asio::awaitable<void> refresh(const std::vector<std::string>& names);
    /// GET /<name>/_mapping : the index's mappings object.
    boost::asio::awaitable<boost::json::object> get_mapping(const std::string& name);

    /// POST /_aliases with all actions in one request: ES applies them atomically.
    boost::asio::awaitable<void> update_aliases(const std::vector<alias_action>& actions);
    /// GET /_alias/<alias>: the concrete indices the alias points to (empty if none).
    boost::asio::awaitable<std::vector<std::string>> indices_of_alias(const std::string& alias);
    /// GET /<index>/_alias: the aliases of an index (empty if none or no such index).
    boost::asio::awaitable<std::vector<std::string>> aliases_of_index(const std::string& index);

    /// POST /_bulk with the given ops, one request (the caller batches; see indexer.hpp).
    /// Returns one result per op. Retries the whole request on connection failures and on
    /// 429/5xx for the request itself (items are idempotent with external versions); item
    /// level retries are the caller's business.
    boost::asio::awaitable<std::vector<item_result>> bulk(const std::vector<bulk_op>& ops);

    /// POST /<index>/_count with an optional {"query": ...} body.
    boost::asio::awaitable<std::uint64_t> count(const std::string& index, boost::json::object query);
    boost::asio::awaitable<std::uint64_t> count(const std::string& index);
    /// POST /<index>/_search with the body as given (size, sort, search_after, query, ...).
    boost::asio::awaitable<search_page> search(const std::string& index, const boost::json::object& body);
    /// POST /<index>/_search with any body, returning the raw reply (for aggregations).
    boost::asio::awaitable<boost::json::object> search_raw(const std::string& index,
                                                           const boost::json::object& body);

    /// GET /<index>/_doc/<id>: the document with its seq_no and primary_term, or nothing.
    boost::asio::awaitable<std::optional<document>> get(const std::string& index, const std::string& id);
    /// PUT /<index>/_doc/<id>, with if_seq_no/if_primary_term when `condition` is given, or
    /// op_type=create when `create_only`. A failed condition is a result (written = false),
    /// not an error. With `refresh` the write is visible to searches on return.
    /// Caution: after a connection failure the write is retried; if the first attempt had in
    /// fact been applied, the retry reports written = false. Callers of CAS writes re-read.
    boost::asio::awaitable<write_outcome> put(const std::string& index, const std::string& id,
                                              const boost::json::object& source,
                                              std::optional<cas> condition = {}, bool create_only = false,
                                              bool refresh = false);

    /// A raw request with failover and retries, for calls not covered above. Returns the
    /// response whatever its status once it is not a retryable one.
    boost::asio::awaitable<http::response> request(http::verb method, const std::string& path, std::string body,
                                                   std::string content_type);
    boost::asio::awaitable<http::response> request(http::verb method, const std::string& path);

    client_stats stats() const noexcept;
    const std::vector<std::string>& host_origins() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Refuses index names that could match more than one index (wildcards, commas, _all) or
/// that ES would refuse anyway (empty, upper case, leading -/_/+). Throws
/// std::invalid_argument naming the index.
void check_exact_index_name(const std::string& name);

/// Parses an ES error reply body into (type, reason); empty strings when it is not one.
std::pair<std::string, std::string> parse_error_body(std::string_view body);

}  // namespace sgcache::elastic
