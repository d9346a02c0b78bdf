#include "http/content_coding.hpp"

#include <doctest/doctest.h>

#include <zlib.h>

using namespace sgcache::http;

TEST_CASE("gzip bodies round-trip and are size-capped") {
    std::string text;
    for (int i = 0; i < 10000; ++i) text += "{\"type\":\"Shot\",\"id\":" + std::to_string(i) + "}\n";
    const std::string packed = gzip_compress(text);
    CHECK(packed.size() < text.size() / 5);

    std::string err;
    auto out = decode_content("gzip", packed, 10u << 20, err);
    REQUIRE(out);
    CHECK(*out == text);
    CHECK(decode_content("x-gzip", packed, 10u << 20, err) == text);

    // A small compressed body must not expand past the limit (a "zip bomb").
    auto capped = decode_content("gzip", packed, 1000, err);
    CHECK_FALSE(capped);
    CHECK(err.find("exceeds 1000") != std::string::npos);
}

TEST_CASE("corrupt, truncated and unknown encodings are errors, not crashes") {
    const std::string packed = gzip_compress("hello hello hello hello");
    std::string err;
    CHECK_FALSE(decode_content("gzip", packed.substr(0, packed.size() / 2), 1 << 20, err));
    CHECK(err.find("truncated") != std::string::npos);
    CHECK_FALSE(decode_content("gzip", "definitely not gzip", 1 << 20, err));
    CHECK(err.find("corrupt") != std::string::npos);
    CHECK_FALSE(decode_content("br", "x", 1 << 20, err));
    CHECK(err == "unsupported Content-Encoding 'br'");
    CHECK(decode_content("identity", "plain", 100, err) == std::string("plain"));
    CHECK(decode_content("", "plain", 100, err) == std::string("plain"));
    CHECK_FALSE(decode_content("", "plain", 3, err));
}

TEST_CASE("deflate: zlib-wrapped and raw") {
    const std::string text = "deflate me deflate me deflate me";
    // zlib-wrapped
    uLongf len = compressBound(static_cast<uLong>(text.size()));
    std::string wrapped(len, '\0');
    REQUIRE(compress(reinterpret_cast<Bytef*>(wrapped.data()), &len,
                     reinterpret_cast<const Bytef*>(text.data()), static_cast<uLong>(text.size())) == Z_OK);
    wrapped.resize(len);
    std::string err;
    CHECK(decode_content("deflate", wrapped, 1 << 20, err) == text);
    // raw deflate: strip the 2-byte zlib header and 4-byte adler trailer
    CHECK(decode_content("deflate", wrapped.substr(2, wrapped.size() - 6), 1 << 20, err) == text);
}
