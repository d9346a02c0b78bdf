// http::client against real sockets: a scriptable local server (plain and TLS with a PKI made
// at test time) plays every behaviour a client must survive.
#include "http/client.hpp"
#include "http/content_coding.hpp"
#include "support/raw_server.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <chrono>

namespace asio = boost::asio;
using namespace sgcache;
using namespace std::chrono_literals;
using test::http_reply;
using test::raw_connection;
using test::raw_server;
using test::run_coro;

namespace {

http::endpoint local(std::uint16_t port, bool tls = false, const char* host = "127.0.0.1") {
    return http::parse_endpoint(std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port));
}

http::request get(std::string target) {
    http::request r;
    r.target = std::move(target);
    return r;
}

// Answers every request on a connection with 200 and the request count, keeping it open.
asio::awaitable<void> echo_forever(raw_connection& c) {
    for (int n = 1;; ++n) {
        auto req = co_await c.read_request();
        if (req.empty()) co_return;
        co_await c.write(http_reply(200, "reply " + std::to_string(n)));
    }
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

TEST_CASE("http client: keep-alive connections are reused") {
    asio::io_context ioc;
    raw_server server(ioc, echo_forever);
    http::client client(ioc.get_executor(), local(server.port()));
    for (int i = 1; i <= 5; ++i) {
        auto r = run_coro(ioc, client.send(get("/x")));
        REQUIRE(r.has_value());
        CHECK(r->status == 200);
        CHECK(r->body == "reply " + std::to_string(i));
    }
    CHECK(client.stats().connects == 1);
    CHECK(server.connections() == 1);
}

TEST_CASE("http client: concurrent requests each get a connection, then all are reused") {
    asio::io_context ioc;
    raw_server server(ioc, echo_forever);
    http::client client(ioc.get_executor(), local(server.port()));
    auto three = [&]() -> asio::awaitable<int> {
        using namespace asio::experimental::awaitable_operators;
        auto [a, b, c] = co_await (client.send(get("/a")) && client.send(get("/b")) && client.send(get("/c")));
        co_return int(a.has_value()) + int(b.has_value()) + int(c.has_value());
    };
    CHECK(run_coro(ioc, three()) == 3);
    CHECK(run_coro(ioc, three()) == 3);
    CHECK(client.stats().connects == 3);
}

TEST_CASE("http client: Connection: close is honoured") {
    asio::io_context ioc;
    raw_server server(ioc, [](raw_connection& c) -> asio::awaitable<void> {
        co_await c.read_request();
        co_await c.write(http_reply(200, "bye", "Connection: close\r\n"));
        c.close();
    });
    http::client client(ioc.get_executor(), local(server.port()));
    for (int i = 0; i < 3; ++i) REQUIRE(run_coro(ioc, client.send(get("/"))).has_value());
    CHECK(client.stats().connects == 3);
    CHECK(client.stats().stale_retries == 0);
}

TEST_CASE("http client: a keep-alive connection closed by the server is retried once for idempotent requests") {
    asio::io_context ioc;
    // Answers one request without saying it will close, then closes: the next request on the
    // pooled connection meets a dead socket.
    raw_server server(ioc, [](raw_connection& c) -> asio::awaitable<void> {
        co_await c.read_request();
        co_await c.write(http_reply(200, "one"));
        c.close();
    });
    http::client client(ioc.get_executor(), local(server.port()));
    REQUIRE(run_coro(ioc, client.send(get("/1"))).has_value());
    run_coro(ioc, sleep_for(50ms));  // let the FIN arrive
    auto second = run_coro(ioc, client.send(get("/2")));
    REQUIRE(second.has_value());
    CHECK(second->body == "one");
    CHECK(client.stats().stale_retries == 1);
    CHECK(client.stats().connects == 2);

    // A request that must not be sent twice reports the loss instead.
    run_coro(ioc, sleep_for(50ms));
    auto create = get("/create");
    create.method = http::verb::post;
    create.idempotent = false;
    auto third = run_coro(ioc, client.send(create));
    REQUIRE(third.has_error());
    CHECK(third.error().kind == http::failure_kind::reset);
    CHECK(http::is_retryable(third.error()));
}

TEST_CASE("http client: a server that never answers times out cleanly") {
    asio::io_context ioc;
    raw_server server(ioc, [](raw_connection& c) -> asio::awaitable<void> {
        co_await c.read_request();
        co_await sleep_for(10s);  // read, then stall past the client's deadline
    });
    http::client client(ioc.get_executor(), local(server.port()));
    auto req = get("/slow");
    req.timeout = 300ms;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run_coro(ioc, client.send(req));
    const auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE(r.has_error());
    CHECK(r.error().kind == http::failure_kind::timeout);
    CHECK(r.error().message.find("GET http://127.0.0.1:" + std::to_string(server.port()) + "/slow") == 0);
    CHECK(r.error().message.find("timed out") != std::string::npos);
    CHECK(took >= 290ms);
    CHECK(took < 3s);
}

TEST_CASE("http client: a dead endpoint fails with connect, naming host and request") {
    asio::io_context ioc;
    std::uint16_t port = 0;
    {
        raw_server gone(ioc, echo_forever);
        port = gone.port();
    }  // closed: nothing listens on that port now
    http::client client(ioc.get_executor(), local(port));
    auto r = run_coro(ioc, client.send(get("/_cluster/health")));
    REQUIRE(r.has_error());
    CHECK(r.error().kind == http::failure_kind::connect);
    CHECK(r.error().message.find("GET http://127.0.0.1:" + std::to_string(port) + "/_cluster/health") == 0);
    CHECK(r.error().message.find("refused") != std::string::npos);
    CHECK(http::is_retryable(r.error()));
}

TEST_CASE("http client: an unresolvable host fails with resolve") {
    asio::io_context ioc;
    http::client client(ioc.get_executor(), http::parse_endpoint("http://no-such-host.invalid:9200"));
    auto r = run_coro(ioc, client.send(get("/")));
    REQUIRE(r.has_error());
    CHECK(r.error().kind == http::failure_kind::resolve);
    CHECK(r.error().message.find("no-such-host.invalid") != std::string::npos);
}

TEST_CASE("http client: a reset in the middle of a response is classified as reset") {
    asio::io_context ioc;
    raw_server server(ioc, [](raw_connection& c) -> asio::awaitable<void> {
        co_await c.read_request();
        co_await c.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
        co_await sleep_for(20ms);
        c.reset();
    });
    http::client client(ioc.get_executor(), local(server.port()));
    auto r = run_coro(ioc, client.send(get("/")));
    REQUIRE(r.has_error());
    CHECK(r.error().kind == http::failure_kind::reset);
}

TEST_CASE("http client: garbage instead of HTTP is a protocol failure") {
    asio::io_context ioc;
    raw_server server(ioc, [](raw_connection& c) -> asio::awaitable<void> {
        co_await c.read_request();
        co_await c.write("SSH-2.0-OpenSSH_9.2\r\n\r\n");
        c.close();
    });
    http::client client(ioc.get_executor(), local(server.port()));
    auto r = run_coro(ioc, client.send(get("/")));
    REQUIRE(r.has_error());
    CHECK(r.error().kind == http::failure_kind::protocol);
    CHECK_FALSE(http::is_retryable(r.error()));
}

TEST_CASE("http client: gzip responses are decoded; oversized bodies are refused") {
    asio::io_context ioc;
    std::string big(200'000, 'a');
    raw_server server(ioc, [&](raw_connection& c) -> asio::awaitable<void> {
        auto req = co_await c.read_request();
        const bool asked_gzip = req.find("gzip") != std::string::npos;
        if (req.find("GET /gzip") == 0 && asked_gzip) {
            co_await c.write(http_reply(200, http::gzip_compress(big), "Content-Encoding: gzip\r\n"));
        } else {
            co_await c.write(http_reply(200, big));
        }
        c.close();
    });
    http::client client(ioc.get_executor(), local(server.port()));
    auto r = run_coro(ioc, client.send(get("/gzip")));
    REQUIRE(r.has_value());
    CHECK(r->body == big);

    http::client_options small;
    small.max_response_bytes = 100'000;
    http::client limited(ioc.get_executor(), local(server.port()), small);
    auto plain = run_coro(ioc, limited.send(get("/plain")));
    REQUIRE(plain.has_error());
    CHECK(plain.error().kind == http::failure_kind::too_large);
    // The compressed body is small, but it must not expand past the limit either.
    auto bomb = run_coro(ioc, limited.send(get("/gzip")));
    REQUIRE(bomb.has_error());
    CHECK(bomb.error().kind == http::failure_kind::too_large);
}

TEST_CASE("http client: error statuses are responses; status_failure classifies them") {
    asio::io_context ioc;
    raw_server server(ioc, [](raw_connection& c) -> asio::awaitable<void> {
        co_await c.read_request();
        co_await c.write(http_reply(429, "slow down", "Retry-After: 3\r\n"));
    });
    http::client client(ioc.get_executor(), local(server.port()));
    auto r = run_coro(ioc, client.send(get("/")));
    REQUIRE(r.has_value());
    CHECK(r->status == 429);
    auto f = http::status_failure("GET /", *r);
    CHECK(http::is_retryable(f));
    CHECK(f.retry_after == std::chrono::milliseconds(3000));
}

TEST_CASE("http client: request fields, body and Host are sent as given") {
    asio::io_context ioc;
    std::string seen;
    raw_server server(ioc, [&](raw_connection& c) -> asio::awaitable<void> {
        seen = co_await c.read_request();
        co_await c.write(http_reply(200, "{}"));
    });
    auto ep = http::parse_endpoint("http://u:p%40ss@127.0.0.1:" + std::to_string(server.port()) + "/base");
    http::client client(ioc.get_executor(), ep);
    http::request req;
    req.method = http::verb::post;
    req.target = "/_bulk";
    req.body = "{\"index\":{}}\n{}\n";
    req.content_type = "application/x-ndjson";
    req.fields.push_back({"X-Opaque-Id", "t1"});
    REQUIRE(run_coro(ioc, client.send(req)).has_value());
    CHECK(seen.find("POST /base/_bulk HTTP/1.1\r\n") == 0);
    CHECK(seen.find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n") != std::string::npos);
    CHECK(seen.find("Content-Type: application/x-ndjson\r\n") != std::string::npos);
    CHECK(seen.find("X-Opaque-Id: t1\r\n") != std::string::npos);
    CHECK(seen.find("Authorization: Basic dTpwQHNz\r\n") != std::string::npos);  // u:p@ss
    CHECK(seen.ends_with("\r\n\r\n{\"index\":{}}\n{}\n"));
}

TEST_CASE("http client: TLS with a test CA, SNI and host-name verification") {
    const std::string pki = test::test_pki_dir();
    const test::tls_files good{pki + "/server.pem", pki + "/server.key"};
    const test::tls_files wrong_host{pki + "/wrong-host.pem", pki + "/wrong-host.key"};
    asio::io_context ioc;

    std::string sni;
    raw_server server(ioc, [&](raw_connection& c) -> asio::awaitable<void> {
        sni = c.sni();
        co_await echo_forever(c);
    }, &good);
    http::client_options trust_test_ca;
    trust_test_ca.ca_file = pki + "/ca.pem";

    SUBCASE("trusted CA and matching host name: accepted, SNI sent, connection reused") {
        http::client client(ioc.get_executor(), local(server.port(), true, "localhost"), trust_test_ca);
        REQUIRE(run_coro(ioc, client.send(get("/"))).has_value());
        REQUIRE(run_coro(ioc, client.send(get("/"))).has_value());
        CHECK(sni == "localhost");
        CHECK(client.stats().connects == 1);
    }
    SUBCASE("an IP address matches the certificate's IP SAN") {
        http::client client(ioc.get_executor(), local(server.port(), true, "127.0.0.1"), trust_test_ca);
        REQUIRE(run_coro(ioc, client.send(get("/"))).has_value());
        CHECK(sni.empty());  // SNI never carries IP literals
    }
    SUBCASE("an untrusted CA is refused") {
        http::client_options other;
        other.ca_file = pki + "/other-ca.pem";
        http::client client(ioc.get_executor(), local(server.port(), true, "localhost"), other);
        auto r = run_coro(ioc, client.send(get("/")));
        REQUIRE(r.has_error());
        CHECK(r.error().kind == http::failure_kind::tls);
        CHECK(r.error().message.find("certificate verify failed") != std::string::npos);
        CHECK_FALSE(http::is_retryable(r.error()));
    }
    SUBCASE("no CA file: the system store does not know the test CA") {
        http::client client(ioc.get_executor(), local(server.port(), true, "localhost"));
        auto r = run_coro(ioc, client.send(get("/")));
        REQUIRE(r.has_error());
        CHECK(r.error().kind == http::failure_kind::tls);
    }
    SUBCASE("a certificate for another host name is refused") {
        raw_server other_host(ioc, echo_forever, &wrong_host);
        http::client client(ioc.get_executor(), local(other_host.port(), true, "localhost"), trust_test_ca);
        auto r = run_coro(ioc, client.send(get("/")));
        REQUIRE(r.has_error());
        CHECK(r.error().kind == http::failure_kind::tls);
    }
    SUBCASE("a plain HTTP server behind an https URL is a TLS failure") {
        // Like a real HTTP server reading a ClientHello: it answers 400 and hangs up.
        raw_server plain(ioc, [](raw_connection& c) -> asio::awaitable<void> {
            co_await c.write(http_reply(400, "Bad Request", "Connection: close\r\n"));
            c.close();
        });
        http::client client(ioc.get_executor(), local(plain.port(), true, "localhost"), trust_test_ca);
        auto r = run_coro(ioc, client.send(get("/")));
        REQUIRE(r.has_error());
        CHECK(r.error().kind == http::failure_kind::tls);
    }
}

TEST_CASE("http client: a missing CA file is refused at construction, naming the file") {
    asio::io_context ioc;
    http::client_options opts;
    opts.ca_file = "/nonexistent/ca.pem";
    try {
        http::client c(ioc.get_executor(), http::parse_endpoint("https://localhost:1"), opts);
        FAIL("accepted a missing CA file");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("/nonexistent/ca.pem") != std::string::npos);
    }
}

TEST_CASE("http client: cancelling the caller ends the exchange at once") {
    asio::io_context ioc;
    raw_server server(ioc, [](raw_connection& c) -> asio::awaitable<void> {
        co_await c.read_request();
        co_await sleep_for(10s);
    });
    http::client client(ioc.get_executor(), local(server.port()));
    auto race = [&]() -> asio::awaitable<int> {
        using namespace asio::experimental::awaitable_operators;
        auto r = co_await (client.send(get("/")) || sleep_for(100ms));
        co_return static_cast<int>(r.index());
    };
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(run_coro(ioc, race()) == 1);  // the timer won; the request was cancelled
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
}
