#include "http/url.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using sgcache::http::parse_endpoint;
using sgcache::http::redact_url;

TEST_CASE("parse_endpoint: scheme, default ports and base path") {
    auto a = parse_endpoint("https://Site.ShotGrid.Autodesk.com");
    CHECK(a.tls);
    CHECK(a.host == "site.shotgrid.autodesk.com");
    CHECK(a.port == 443);
    CHECK(a.base_path == "/");
    CHECK(a.origin() == "https://site.shotgrid.autodesk.com:443");
    CHECK(a.host_field() == "site.shotgrid.autodesk.com");

    auto b = parse_endpoint("http://127.0.0.1:9200/es");
    CHECK_FALSE(b.tls);
    CHECK(b.port == 9200);
    CHECK(b.base_path == "/es/");
    CHECK(b.target_for("/_bulk") == "/es/_bulk");
    CHECK(b.target_for("_count") == "/es/_count");
    CHECK(b.host_field() == "127.0.0.1:9200");

    auto c = parse_endpoint("http://[::1]:8080/");
    CHECK(c.host == "::1");
    CHECK(c.origin() == "http://[::1]:8080");
}

TEST_CASE("parse_endpoint: credentials are decoded and never printed") {
    auto e = parse_endpoint("https://elastic:s%40cret@es.example:9243");
    CHECK(e.username == "elastic");
    CHECK(e.password == "s@cret");
    CHECK(e.origin().find("cret") == std::string::npos);
    CHECK(redact_url("https://elastic:s%40cret@es.example:9243/x") == "https://***@es.example:9243/x");
    CHECK(redact_url("http://plain:9200") == "http://plain:9200");
}

TEST_CASE("parse_endpoint: malformed URLs are refused with a message naming the URL") {
    const auto message_of = [](const char* url) {
        try {
            parse_endpoint(url);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(message_of("") == "malformed URL '': empty");
    CHECK(message_of("ftp://host").find("scheme must be http or https") != std::string::npos);
    CHECK(message_of("localhost:9200").find("'localhost:9200'") != std::string::npos);
    CHECK(message_of("http://host:99999").find("out of range") != std::string::npos);
    CHECK(message_of("http://host/?a=b").find("query") != std::string::npos);
    CHECK(message_of("http://host/#frag").find("fragment") != std::string::npos);
    CHECK(message_of("http://").find("no host") != std::string::npos);
    CHECK(message_of("not a url").find("malformed URL 'not a url'") == 0);
    // The password never appears in the error.
    CHECK(message_of("ftp://u:hunter2@host").find("hunter2") == std::string::npos);
}
