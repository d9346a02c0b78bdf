// Content-Encoding: decoding gzip and deflate response bodies (zlib), with a size cap so a
// small compressed body cannot expand without bound.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sgcache::http {

/// Decodes `body` sent with Content-Encoding `coding` ("gzip", "x-gzip", "deflate",
/// "identity" or empty). Returns the decoded bytes, or nothing with `error` set when the
/// coding is unknown, the data is corrupt or truncated, or the output would exceed
/// `max_bytes`. No exceptions.
std::optional<std::string> decode_content(std::string_view coding, std::string_view body,
                                          std::size_t max_bytes, std::string& error);

/// gzip-compresses `data` (used by tests and by the fake site to answer gzip clients).
std::string gzip_compress(std::string_view data);

}  // namespace sgcache::http
