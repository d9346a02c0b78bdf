// A scriptable TCP (optionally TLS) server for HTTP client tests: each accepted connection
// runs a test-provided coroutine that reads raw request bytes and writes whatever bytes the
// test wants, including malformed replies, partial replies, stalls and resets. It runs on
// the test's io_context next to the client under test.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace sgcache::test {

class raw_connection {
public:
    virtual ~raw_connection() = default;
    /// Reads one HTTP request (head + Content-Length body); returns "" on EOF.
    virtual boost::asio::awaitable<std::string> read_request() = 0;
    virtual boost::asio::awaitable<void> write(std::string bytes) = 0;
    /// Closes with an RST (SO_LINGER 0) instead of a FIN.
    virtual void reset() = 0;
    virtual void close() = 0;
    /// For TLS connections: the SNI host name the client sent ("" when none).
    virtual std::string sni() const = 0;
};

struct tls_files {
    std::string cert;  // PEM chain
    std::string key;   // PEM key
};

class raw_server {
public:
    using script = std::function<boost::asio::awaitable<void>(raw_connection&)>;

    /// Listens on 127.0.0.1 with a free port; with `tls`, handshakes before the script runs.
    raw_server(boost::asio::io_context& ioc, script s, const tls_files* tls = nullptr);
    ~raw_server();

    std::uint16_t port() const;
    int connections() const;  // accepted so far

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

/// "HTTP/1.1 <status> X\r\nContent-Length: n\r\n<extra>\r\n<body>"
std::string http_reply(int status, const std::string& body, const std::string& extra_headers = "");

/// Where scripts/lib/make-test-certs put a fresh test PKI (made once per test process).
const std::string& test_pki_dir();

}  // namespace sgcache::test
