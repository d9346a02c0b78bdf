// Short, single-line, valid-UTF-8 excerpts of text that came from elsewhere (a server's
// reply body, a client's request), for error messages, log lines and JSON replies.
//
// Bodies need not be UTF-8 (an HTML error page in Latin-1, a truncated reply), and cutting
// at a byte count can split a character; either would make a JSON log line, a stats document
// or a control reply invalid. Pure functions; no exceptions beyond std::bad_alloc.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sgcache::text {

/// The largest n <= max such that s.substr(0, n) does not end inside a UTF-8 sequence
/// (s itself is assumed to be UTF-8; bytes that are not are handled by excerpt()).
std::size_t utf8_cut(std::string_view s, std::size_t max) noexcept;

/// At most `max` bytes of `s` (cut at a character boundary) plus "..." when cut; line
/// breaks and tabs become spaces, other control characters and bytes that are not valid
/// UTF-8 become '?'. The result is always valid UTF-8 on one line.
std::string excerpt(std::string_view s, std::size_t max);

}  // namespace sgcache::text
