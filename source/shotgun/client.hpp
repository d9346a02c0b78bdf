// sgcache's side of the Shotgun api3 conversation: the JSON-RPC envelope over http::client,
// script-key (or session-token) authentication, reads with filters, sorts and paging, a
// keyset-paging helper, summarize, and the schema reads.
//
// Retries: every call here is a read, so it is retried on 429, 502, 503, 504, timeouts,
// connection failures and resets, and on replies that are cut short or not JSON, with
// jittered exponential backoff (a Retry-After header wins) up to `retry.max_attempts`.
// Faults the site returns on purpose are not retried: an authentication fault (102) throws
// auth_error at once, any other fault throws fault with the server's code and message.
//
// Concurrency: one limiter bounds the requests in flight to the site, whatever part of
// sgcache asks; callers queue on it (in FIFO order).
//
// Secrets: the script key and session token are sent in the body and never appear in a
// message, a log line or an exception.
//
// Cancellation: terminal cancellation of the caller stops at the next wait (slot, I/O or
// backoff) with error (kind cancelled).
//
// Threading and lifetime: one io_context thread; the client outlives every call. No
// coroutine here takes a defaulted non-trivial argument (g++ 12, see README).
#pragma once

#include "common/backoff.hpp"
#include "common/limiter.hpp"
#include "http/client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sgcache::shotgun {

struct credentials {
    std::string script_name;
    std::string script_key;     // secret
    std::string session_token;  // secret; used instead of the script when set
};

struct client_config {
    /// The site's base URL ("https://studio.shotgrid.autodesk.com"); api3 lives at
    /// <base path>api3/json as shotgun_api3 computes it.
    std::string url;
    credentials auth;
    http::client_options http;
    retry_policy retry{6, std::chrono::milliseconds(500), std::chrono::milliseconds(30'000)};
    /// Requests in flight to the site at once, for all of sgcache.
    std::size_t max_in_flight = 8;
};

/// The path of a site's api3 endpoint as shotgun_api3 computes it from the site URL: a base
/// path without a trailing slash loses its last segment ("https://host/sg" -> "/api3/json").
std::string api_path_of(const std::string& url);

/// Transport-level failure after retries: the site unreachable, busy, or answering garbage.
class error : public std::runtime_error {
public:
    enum class kind { unreachable, busy, malformed, tls, cancelled };
    error(kind k, const std::string& message) : std::runtime_error(message), kind_(k) {}
    kind what_kind() const noexcept { return kind_; }

private:
    kind kind_;
};

/// A fault the site returned ({"exception": true, "error_code": N, "message": ...}).
class fault : public std::runtime_error {
public:
    fault(int code, std::string server_message, const std::string& message)
        : std::runtime_error(message), code_(code), server_message_(std::move(server_message)) {}
    int code() const noexcept { return code_; }
    const std::string& server_message() const noexcept { return server_message_; }

private:
    int code_;
    std::string server_message_;
};

/// Fault 102 (or 106/108/110): credentials refused. Never retried.
class auth_error : public fault {
public:
    using fault::fault;
};

struct site_info {
    std::vector<int> version;            // [8, 30, 0]
    std::size_t max_entities_per_page = 500;
    boost::json::object raw;
};

struct sort {
    std::string field;
    bool descending = false;
};

struct read_request {
    std::string type;
    std::vector<std::string> fields;   // "type" and "id" always come back
    boost::json::object filters;       // wire form; empty matches everything
    std::vector<sort> sorts;           // empty: id ascending (the server's default)
    std::size_t page_size = 500;
    std::size_t page = 1;              // 1-based
    bool retired_only = false;         // return_only: "retired" instead of "active"
    /// The page owns the buffer its entities are parsed into (read_page::arena), with no
    /// reference count per value: parsing is cheaper and dropping the page frees the buffer
    /// without visiting each value. The entities must then not be moved out of the page,
    /// only read or copied. Without it, moved-out values keep a shared buffer alive.
    bool owned_arena = false;
};

struct read_page {
    /// With read_request::owned_arena: the buffer of `entities`, declared first so that it
    /// outlives them.
    std::unique_ptr<boost::json::monotonic_resource> arena;
    boost::json::array entities;
    bool has_next_page = false;
    /// When the request that succeeded left this process.
    std::chrono::system_clock::time_point sent_at;
    /// The version stamped on this read right before its successful request was sent (from
    /// the client's version source; 0 without one). A version is never later than the
    /// moment its read left this process, which is what makes later reads win.
    std::int64_t version = 0;
};

/// How one attempt ended, for metrics: outcome is "ok", "fault" (an api3 fault),
/// "busy" (429/502/503/504, retried), "http_error" (another non-2xx status), "malformed"
/// (a reply that is not JSON, retried) or "transport" (no answer: connect, timeout, reset,
/// TLS); status is the HTTP status, 0 when there was none.
struct request_outcome {
    std::string outcome;
    unsigned status = 0;
    auto operator<=>(const request_outcome&) const = default;
};

struct client_stats {
    std::uint64_t requests = 0;  // attempts sent
    std::uint64_t retries = 0;
    std::uint64_t faults = 0;
    std::map<request_outcome, std::uint64_t> outcomes;  // attempts by how they ended
};

class client {
public:
    /// Throws std::invalid_argument for a malformed URL or missing credentials.
    client(boost::asio::any_io_executor ex, client_config cfg);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// `info` (no authentication): version and page size limit.
    boost::asio::awaitable<site_info> info();

    /// One page of `read`.
    boost::asio::awaitable<read_page> read(read_request req);

    /// Keyset paging: up to `limit` entities with after < id <= up_to that match `filters`,
    /// ordered by id. Read the next page with after = the last id returned. Unlike offset
    /// paging, rows retired meanwhile cannot make it skip others.
    boost::asio::awaitable<read_page> read_after(std::string type, std::vector<std::string> fields,
                                                 boost::json::object filters, std::int64_t after,
                                                 std::int64_t up_to, std::size_t limit, bool retired_only,
                                                 bool owned_arena = false);

    /// `summarize`: summaries like [{"field": "id", "type": "count"}], grouping like
    /// [{"field": "id", "type": "hundreds", "direction": "asc"}] (may be empty).
    boost::asio::awaitable<boost::json::object> summarize(std::string type, boost::json::array summaries,
                                                          boost::json::object filters, boost::json::array grouping);

    /// `schema_read`: {type: {field: properties}}.
    boost::asio::awaitable<boost::json::object> schema_read();
    /// `schema_entity_read`: {type: {"name": {"value": ...}}}.
    boost::asio::awaitable<boost::json::object> schema_entity_read();
    /// `schema_field_read` for one type (all fields, or one when field is not empty).
    boost::asio::awaitable<boost::json::object> schema_field_read(std::string type, std::string field);

    /// Any method with a payload object (or none): the unwrapped "results" value. For
    /// methods this class does not wrap; retried like every call here, so use it for reads.
    boost::asio::awaitable<boost::json::value> call(std::string method, std::optional<boost::json::value> payload,
                                                    bool authenticate);

    /// Stamps reads (see read_page::version). The source returns nothing while it cannot
    /// issue a version (the version floor is being persisted); the read then waits for it,
    /// up to 60 s, before failing with error (kind busy).
    void set_version_source(std::function<std::optional<std::int64_t>()> source);

    /// The page size to ask for: `wanted`, or the site's api_max_entities_per_page when that
    /// is smaller (at least 1). A site answers at most that many entities per page whatever
    /// is asked, so a reader that takes a short page for the last one, or asks for N ids in
    /// one page, must ask for no more. Reads the site's info() once when no info() has been
    /// read yet (throws as info() does).
    boost::asio::awaitable<std::size_t> page_size(std::size_t wanted);

    client_stats stats() const noexcept;
    const limiter& request_limiter() const noexcept;
    /// "https://site:443" - for messages.
    std::string origin() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace sgcache::shotgun
