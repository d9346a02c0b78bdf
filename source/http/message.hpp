// Plain HTTP messages shared by the client (http/client.hpp) and the small server
// (http/server.hpp). No Beast types leak through here, so every component that speaks HTTP
// compiles without Beast's headers.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sgcache::http {

enum class verb { get, head, post, put, delete_ };

/// "GET", "POST", ... as sent on the wire.
std::string_view to_string(verb v) noexcept;

struct field {
    std::string name;
    std::string value;
};

/// Case-insensitive header lookup; returns an empty view when the header is absent.
std::string_view find_field(const std::vector<field>& fields, std::string_view name) noexcept;

struct request {
    http::verb method = verb::get;
    /// Origin-form target: path plus query, e.g. "/_bulk?refresh=false". The client prefixes
    /// the endpoint's base path.
    std::string target;
    std::string body;
    /// Sent as Content-Type when not empty.
    std::string content_type;
    /// Extra header fields (Authorization, ...). Host, User-Agent, Content-Length,
    /// Accept-Encoding and Connection are set by the client.
    std::vector<field> fields;
    /// Whole-exchange deadline for this request (connect + write + read); the client's
    /// default when empty.
    std::optional<std::chrono::milliseconds> timeout;
    /// May the client send this request again, once, when a reused keep-alive connection turns
    /// out to be closed by the peer before any byte of the reply arrived? True for reads and
    /// for idempotent writes (external-version bulk writes are); false for Shotgun creates.
    bool idempotent = true;
};

struct response {
    unsigned status = 0;
    std::vector<field> fields;
    /// The body with any gzip/deflate content-coding removed.
    std::string body;

    std::string_view header(std::string_view name) const noexcept {
        return find_field(fields, name);
    }
};

}  // namespace sgcache::http
