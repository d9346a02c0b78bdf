// How an HTTP exchange failed, classified so that callers' retry policies can decide without
// looking at error codes. Every failure carries a one-line message naming the request
// ("POST https://es1:9200/_bulk: connection refused"); messages never contain credentials.
#pragma once

#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sgcache::http {

struct response;

enum class failure_kind {
    resolve,    // the host name did not resolve
    connect,    // TCP connect refused or unreachable
    timeout,    // the connect or exchange deadline passed
    reset,      // the peer closed or reset the connection mid-exchange
    tls,        // handshake failed: untrusted certificate, wrong host name, protocol mismatch
    protocol,   // the peer sent something that is not valid HTTP, or a body we cannot decode
    too_large,  // the response body exceeded the configured limit
    status,     // a complete response with an error status (see failure::status)
    cancelled,  // the caller's coroutine was cancelled
};

std::string_view to_string(failure_kind k) noexcept;

struct failure {
    failure_kind kind = failure_kind::protocol;
    boost::system::error_code ec;  // the underlying error, when there is one
    unsigned status = 0;           // the HTTP status when kind == status
    std::string message;           // one line, safe to log
    /// From a Retry-After header on a 429/503, when present.
    std::optional<std::chrono::milliseconds> retry_after;
};

/// True for failures worth retrying after a pause: resolve, connect, timeout, reset, and
/// status 429, 502, 503, 504. TLS, protocol, too_large and cancelled are final.
bool is_retryable(const failure& f) noexcept;

/// True for the statuses that mean "busy or briefly away": 429, 502, 503, 504.
bool is_retryable_status(unsigned status) noexcept;

/// Parses a Retry-After value in delta-seconds form ("120"); the HTTP-date form and
/// garbage give nothing. Values are capped at one hour.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) noexcept;

/// Builds the status failure for a complete response (kind == status), with the first
/// 200 bytes of its body in the message. `what` names the request ("GET http://h:1/x").
failure status_failure(std::string_view what, const response& res);

}  // namespace sgcache::http
