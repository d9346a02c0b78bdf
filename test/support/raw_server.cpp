#include "support/raw_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstdlib>
#include <optional>
#include <stdexcept>

namespace sgcache::test {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

template <class Stream>
asio::awaitable<std::string> read_one(Stream& s, std::string& buf) {
    auto [ec, n] = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n", use_nothrow);
    if (ec) co_return std::string();
    std::string head = buf.substr(0, n);
    buf.erase(0, n);
    std::size_t length = 0;
    for (const char* key : {"Content-Length: ", "content-length: "}) {
        auto at = head.find(key);
        if (at != std::string::npos) length = std::strtoul(head.c_str() + at + std::string(key).size(), nullptr, 10);
    }
    if (buf.size() < length) {
        auto [ec2, m] = co_await asio::async_read(s, asio::dynamic_buffer(buf),
                                                  asio::transfer_exactly(length - buf.size()), use_nothrow);
        (void)m;
        if (ec2) co_return std::string();
    }
    head += buf.substr(0, length);
    buf.erase(0, length);
    co_return head;
}

class plain_connection final : public raw_connection {
public:
    explicit plain_connection(tcp::socket s) : socket_(std::move(s)) {}
    asio::awaitable<std::string> read_request() override { return read_one(socket_, buf_); }
    asio::awaitable<void> write(std::string bytes) override {
        co_await asio::async_write(socket_, asio::buffer(bytes), use_nothrow);
    }
    void reset() override {
        boost::system::error_code ec;
        socket_.set_option(asio::socket_base::linger(true, 0), ec);
        socket_.close(ec);
    }
    void close() override {
        boost::system::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }
    std::string sni() const override { return {}; }

private:
    tcp::socket socket_;
    std::string buf_;
};

class tls_connection final : public raw_connection {
public:
    tls_connection(tcp::socket s, ssl::context& ctx) : stream_(std::move(s), ctx) {}
    asio::awaitable<bool> handshake() {
        auto [ec] = co_await stream_.async_handshake(ssl::stream_base::server, use_nothrow);
        co_return !ec;
    }
    asio::awaitable<std::string> read_request() override { return read_one(stream_, buf_); }
    asio::awaitable<void> write(std::string bytes) override {
        co_await asio::async_write(stream_, asio::buffer(bytes), use_nothrow);
    }
    void reset() override {
        boost::system::error_code ec;
        stream_.lowest_layer().set_option(asio::socket_base::linger(true, 0), ec);
        stream_.lowest_layer().close(ec);
    }
    void close() override {
        boost::system::error_code ec;
        stream_.lowest_layer().close(ec);
    }
    std::string sni() const override {
        const char* name = SSL_get_servername(const_cast<ssl::stream<tcp::socket>&>(stream_).native_handle(), TLSEXT_NAMETYPE_host_name);
        return name ? name : "";
    }

private:
    ssl::stream<tcp::socket> stream_;
    std::string buf_;
};

}  // namespace

struct raw_server::impl : std::enable_shared_from_this<impl> {
    tcp::acceptor acceptor;
    script run;
    std::optional<ssl::context> ctx;
    int accepted = 0;

    impl(asio::io_context& ioc, script s) : acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), run(std::move(s)) {}

    static asio::awaitable<void> serve(std::shared_ptr<impl> self, tcp::socket socket) {
        std::unique_ptr<raw_connection> conn;
        if (self->ctx) {
            auto t = std::make_unique<tls_connection>(std::move(socket), *self->ctx);
            if (!co_await t->handshake()) co_return;
            conn = std::move(t);
        } else {
            conn = std::make_unique<plain_connection>(std::move(socket));
        }
        try {
            co_await self->run(*conn);
        } catch (const std::exception&) {
            // A script that fails only affects its own connection; the test sees the client side.
        }
    }

    static asio::awaitable<void> accept_loop(std::shared_ptr<impl> self) {
        for (;;) {
            auto [ec, socket] = co_await self->acceptor.async_accept(use_nothrow);
            if (ec) co_return;  // acceptor closed: the server is gone
            ++self->accepted;
            // Each connection owns a reference to the server state, so it may outlive ~raw_server.
            asio::co_spawn(self->acceptor.get_executor(), serve(self, std::move(socket)), asio::detached);
        }
    }
};

raw_server::raw_server(asio::io_context& ioc, script s, const tls_files* tls)
    : impl_(std::make_shared<impl>(ioc, std::move(s))) {
    if (tls) {
        impl_->ctx.emplace(ssl::context::tls_server);
        impl_->ctx->use_certificate_chain_file(tls->cert);
        impl_->ctx->use_private_key_file(tls->key, ssl::context::pem);
    }
    asio::co_spawn(ioc, impl::accept_loop(impl_), asio::detached);
}

raw_server::~raw_server() {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
}

std::uint16_t raw_server::port() const { return impl_->acceptor.local_endpoint().port(); }
int raw_server::connections() const { return impl_->accepted; }

std::string http_reply(int status, const std::string& body, const std::string& extra_headers) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n" + extra_headers + "\r\n" + body;
}

const std::string& test_pki_dir() {
    static const std::string dir = [] {
        const char* root = std::getenv("SGCACHE_ROOT");
        std::string base = root ? root : ".";
        char tmpl[] = "/tmp/sgcache-pki-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        const std::string cmd = base + "/scripts/lib/make-test-certs " + tmpl + " >/dev/null";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot make test certificates: " + cmd);
        return std::string(tmpl);
    }();
    return dir;
}

}  // namespace sgcache::test
