// Endpoints: the scheme, host, port and base path of a service URL, parsed and checked once
// at configuration time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sgcache::http {

struct endpoint {
    bool tls = false;       // https
    std::string host;       // as written (lower-cased), without brackets for IPv6
    std::uint16_t port = 0; // explicit or the scheme's default
    /// Path prefix ending in '/', prepended to every request target ("/" or "/es/").
    std::string base_path = "/";
    /// Credentials written in the URL itself ("https://user:pass@host"), percent-decoded.
    /// Never printed: origin() and redacted() leave them out.
    std::string username;
    std::string password;

    /// "https://host:port" - what messages print.
    std::string origin() const;
    /// Host header value: "host" or "host:port" when the port is not the default.
    std::string host_field() const;
    /// The target to send for a request path: base_path + path without a doubled '/'.
    std::string target_for(std::string_view path) const;
};

/// Parses an http or https URL. Throws std::invalid_argument with a one-line message naming
/// the URL (credentials removed) and what is wrong: a missing or other scheme, an empty host,
/// a port out of range, a query or fragment.
endpoint parse_endpoint(std::string_view url);

/// The URL with any user:password part replaced by "***", for messages.
std::string redact_url(std::string_view url);

}  // namespace sgcache::http
