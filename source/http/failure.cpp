#include "http/failure.hpp"

#include "common/text.hpp"
#include "http/message.hpp"

#include <charconv>

namespace sgcache::http {

std::string_view to_string(failure_kind k) noexcept {
    switch (k) {
        case failure_kind::resolve: return "resolve";
        case failure_kind::connect: return "connect";
        case failure_kind::timeout: return "timeout";
        case failure_kind::reset: return "reset";
        case failure_kind::tls: return "tls";
        case failure_kind::protocol: return "protocol";
        case failure_kind::too_large: return "too_large";
        case failure_kind::status: return "status";
        case failure_kind::cancelled: return "cancelled";
    }
    return "unknown";
}

bool is_retryable_status(unsigned status) noexcept {
    return status == 429 || status == 502 || status == 503 || status == 504;
}

bool is_retryable(const failure& f) noexcept {
    switch (f.kind) {
        case failure_kind::resolve:
        case failure_kind::connect:
        case failure_kind::timeout:
        case failure_kind::reset: return true;
        case failure_kind::status: return is_retryable_status(f.status);
        case failure_kind::tls:
        case failure_kind::protocol:
        case failure_kind::too_large:
        case failure_kind::cancelled: return false;
    }
    return false;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) noexcept {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    unsigned long seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc{} || end != value.data() + value.size()) return std::nullopt;
    // A server asking for more than an hour is misconfigured; do not sleep for a day.
    constexpr unsigned long cap = 3600;
    return std::chrono::milliseconds{std::min(seconds, cap) * 1000};
}

failure status_failure(std::string_view what, const response& res) {
    failure f;
    f.kind = failure_kind::status;
    f.status = res.status;
    f.message = std::string(what) + ": HTTP " + std::to_string(res.status);
    if (!res.body.empty()) {
        // A short, single-line excerpt: enough to see the server's reason, never a page of HTML.
        f.message += ": " + text::excerpt(res.body, 200);
    }
    if (res.status == 429 || res.status == 503) f.retry_after = parse_retry_after(res.header("Retry-After"));
    return f;
}

}  // namespace sgcache::http
