#include "http/content_coding.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace sgcache::http {

namespace {

std::string lower_trimmed(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// window_bits: 16 + MAX_WBITS for gzip, 32 + MAX_WBITS to auto-detect a zlib or gzip header.
std::optional<std::string> inflate_all(std::string_view in, int window_bits, std::size_t max_bytes,
                                       std::string& error) {
    z_stream zs{};
    if (inflateInit2(&zs, window_bits) != Z_OK) {
        error = "zlib initialisation failed";
        return std::nullopt;
    }
    std::string out;
    out.reserve(std::min<std::size_t>(in.size() * 4, max_bytes));
    char chunk[64 * 1024];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = reinterpret_cast<Bytef*>(chunk);
        zs.avail_out = sizeof chunk;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            error = rc == Z_BUF_ERROR ? "truncated compressed body"
                                      : std::string("corrupt compressed body (") +
                                            (zs.msg ? zs.msg : "zlib error") + ")";
            inflateEnd(&zs);
            return std::nullopt;
        }
        const std::size_t produced = sizeof chunk - zs.avail_out;
        if (out.size() + produced > max_bytes) {
            error = "decoded body exceeds " + std::to_string(max_bytes) + " bytes";
            inflateEnd(&zs);
            return std::nullopt;
        }
        out.append(chunk, produced);
        if (rc == Z_OK && zs.avail_in == 0 && produced == 0) {
            error = "truncated compressed body";
            inflateEnd(&zs);
            return std::nullopt;
        }
    }
    inflateEnd(&zs);
    return out;
}

}  // namespace

std::optional<std::string> decode_content(std::string_view coding, std::string_view body,
                                          std::size_t max_bytes, std::string& error) {
    const std::string c = lower_trimmed(coding);
    if (c.empty() || c == "identity") {
        if (body.size() > max_bytes) {
            error = "body exceeds " + std::to_string(max_bytes) + " bytes";
            return std::nullopt;
        }
        return std::string(body);
    }
    if (c == "gzip" || c == "x-gzip") return inflate_all(body, 16 + MAX_WBITS, max_bytes, error);
    // "deflate" is meant to be zlib-wrapped, but some servers send raw deflate; accept both.
    if (c == "deflate") {
        std::string first_error;
        if (auto out = inflate_all(body, MAX_WBITS, max_bytes, first_error)) return out;
        if (auto out = inflate_all(body, -MAX_WBITS, max_bytes, error)) return out;
        error = first_error;
        return std::nullopt;
    }
    error = "unsupported Content-Encoding '" + c + "'";
    return std::nullopt;
}

std::string gzip_compress(std::string_view data) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("zlib deflateInit2 failed");
    }
    std::string out;
    out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("zlib deflate failed");
    out.resize(zs.total_out);
    return out;
}

}  // namespace sgcache::http
