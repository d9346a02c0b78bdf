// The Beast side of http::server. Like client.cpp, this is one of the few translation units
// that include Beast and OpenSSL; keep the rest of the project out of here.
#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <cstdio>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <unordered_set>

namespace sgcache::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// How long a clean TLS close may take before the socket is simply dropped: a client that
// never answers close_notify must not pin the connection.
constexpr std::chrono::seconds tls_shutdown_timeout{2};

// How long, and how many bytes, the rest of a refused request is read and dropped before
// the connection closes (see send_error).
constexpr std::chrono::seconds lingering_close_timeout{2};
constexpr std::size_t lingering_close_limit = 8u << 20;

std::optional<verb> from_beast(bhttp::verb v) {
    switch (v) {
        case bhttp::verb::get: return verb::get;
        case bhttp::verb::head: return verb::head;
        case bhttp::verb::post: return verb::post;
        case bhttp::verb::put: return verb::put;
        case bhttp::verb::delete_: return verb::delete_;
        default: return std::nullopt;
    }
}

// IMF-fixdate, the only Date format HTTP/1.1 senders may produce.
std::string http_date() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

bool is_quiet_close(const error_code& ec) {
    // The normal ways a keep-alive connection ends: the client hung up between requests,
    // the idle timeout passed, or stop() closed the socket.
    return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
           ec == beast::error::timeout || ec == asio::error::operation_aborted ||
           ec == asio::error::connection_reset || ec == asio::error::bad_descriptor ||
           ec == ssl::error::stream_truncated;
}

void log_task_failure(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        std::fprintf(stderr, "http server: connection task failed: %s\n", x.what());
    } catch (...) {
        std::fprintf(stderr, "http server: connection task failed\n");
    }
}

}  // namespace

// One accepted connection. Exactly one of plain/secure is set.
struct session {
    std::optional<beast::tcp_stream> plain;
    std::optional<ssl::stream<beast::tcp_stream>> secure;
    asio::steady_timer timer;  // delays and stalls; stop() cancels it
    beast::flat_buffer buffer;

    explicit session(asio::any_io_executor ex) : timer(ex) {}
    beast::tcp_stream& lowest() { return secure ? secure->next_layer() : *plain; }

    void close() {
        error_code ignored;
        lowest().socket().close(ignored);
        timer.cancel();
    }

    // SO_LINGER with a zero timeout makes close() send RST instead of FIN: the client sees
    // "connection reset by peer", as behind a load balancer that drops a backend.
    void reset() {
        error_code ignored;
        lowest().socket().set_option(tcp::socket::linger(true, 0), ignored);
        lowest().socket().close(ignored);
        timer.cancel();
    }
};

struct server::impl : std::enable_shared_from_this<server::impl> {
    asio::any_io_executor ex;
    server_options opts;
    http::handler handle;
    tcp::acceptor acceptor;
    std::optional<ssl::context> tls;
    std::unordered_set<session*> sessions;
    asio::steady_timer capacity;  // woken when a connection ends while at max_connections
    server_stats stats;
    bool stopped = false;

    impl(asio::any_io_executor e, server_options o, http::handler h)
        : ex(e), opts(std::move(o)), handle(std::move(h)), acceptor(e), capacity(e) {}

    void stop() {
        if (stopped) return;
        stopped = true;
        error_code ignored;
        acceptor.close(ignored);
        capacity.cancel();
        for (auto* s : sessions) s->close();
    }

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> run_session(tcp::socket sock);
    template <class Stream>
    asio::awaitable<void> serve(session& s, Stream& stream);
    template <class Stream>
    asio::awaitable<bool> send(session& s, Stream& stream, const request& req, reply& r,
                               bool keep_alive);
    template <class Stream>
    asio::awaitable<void> send_error(session& s, Stream& stream, unsigned status,
                                     std::string_view text);
    template <class Stream>
    asio::awaitable<void> close_gracefully(session& s, Stream& stream);
};

server::server(asio::any_io_executor ex, server_options opts, handler h)
    : impl_(std::make_shared<impl>(ex, std::move(opts), std::move(h))) {
    auto& o = impl_->opts;
    if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
        throw std::runtime_error("http server: TLS needs both a certificate and a key file");
    }
    if (!o.tls_cert_file.empty()) {
        impl_->tls.emplace(ssl::context::tls_server);
        error_code ec;
        impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                ssl::context::no_tlsv1_1);
        impl_->tls->use_certificate_chain_file(o.tls_cert_file, ec);
        if (ec) {
            throw std::runtime_error("http server: cannot load certificate " + o.tls_cert_file +
                                     ": " + ec.message());
        }
        impl_->tls->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
        if (ec) {
            throw std::runtime_error("http server: cannot load private key " + o.tls_key_file +
                                     ": " + ec.message());
        }
    }
    error_code ec;
    auto addr = asio::ip::make_address(o.address, ec);
    if (ec) throw std::runtime_error("http server: bad listen address '" + o.address + "'");
    tcp::endpoint ep{addr, o.port};
    auto& acc = impl_->acceptor;
    acc.open(ep.protocol(), ec);
    if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc.bind(ep, ec);
    if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        throw std::runtime_error("http server: cannot listen on " + o.address + ":" +
                                 std::to_string(o.port) + ": " + ec.message());
    }
}

server::~server() {
    if (impl_) impl_->stop();
}

std::uint16_t server::port() const noexcept {
    error_code ec;
    auto ep = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

std::string server::url() const {
    error_code ec;
    auto ep = impl_->acceptor.local_endpoint(ec);
    std::string host = ep.address().to_string();
    if (ep.address().is_v6()) host = "[" + host + "]";
    return std::string(impl_->tls ? "https://" : "http://") + host + ":" +
           std::to_string(ep.port());
}

asio::awaitable<void> server::run() { co_await impl_->accept_loop(); }

void server::stop() { impl_->stop(); }

server_stats server::stats() const noexcept { return impl_->stats; }

asio::awaitable<void> server::impl::accept_loop() {
    auto self = shared_from_this();  // keeps the acceptor alive while we wait on it
    while (!stopped) {
        if (sessions.size() >= opts.max_connections) {
            capacity.expires_at(asio::steady_timer::time_point::max());
            co_await capacity.async_wait(use_nothrow);
            continue;
        }
        auto [ec, sock] = co_await acceptor.async_accept(use_nothrow);
        if (stopped) break;
        if (ec == asio::error::operation_aborted) {
            // Terminal cancellation of run() lands here: treat it as stop().
            stop();
            break;
        }
        if (ec) {
            if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
                ec == asio::error::connection_aborted) {
                // Out of file descriptors or a client that vanished in the accept queue:
                // both pass, so wait briefly instead of spinning or giving up.
                asio::steady_timer pause(ex, std::chrono::milliseconds(50));
                co_await pause.async_wait(use_nothrow);
                continue;
            }
            throw boost::system::system_error(ec, "http server: accept");
        }
        ++stats.connections;
        // Named before co_spawn: GCC 12 miscompiles temporaries in that full-expression.
        auto task = run_session(std::move(sock));
        asio::co_spawn(ex, std::move(task), log_task_failure);
    }
}

asio::awaitable<void> server::impl::run_session(tcp::socket sock) {
    auto self = shared_from_this();
    session s(ex);
    sessions.insert(&s);
    ++stats.active_connections;
    // Deregisters on every exit path, exceptions included, so stop() never touches a dead
    // session and the accept loop learns that capacity is free again.
    struct guard {
        impl* owner;
        session* s;
        ~guard() {
            owner->sessions.erase(s);
            --owner->stats.active_connections;
            owner->capacity.cancel();
        }
    } g{this, &s};

    error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);
    if (tls) {
        s.secure.emplace(beast::tcp_stream(std::move(sock)), *tls);
        s.lowest().expires_after(opts.read_timeout);
        auto [ec] = co_await s.secure->async_handshake(ssl::stream_base::server, use_nothrow);
        if (ec) {
            s.close();
            co_return;
        }
        co_await serve(s, *s.secure);
    } else {
        s.plain.emplace(std::move(sock));
        co_await serve(s, *s.plain);
    }
    s.close();
}

template <class Stream>
asio::awaitable<void> server::impl::serve(session& s, Stream& stream) {
    while (!stopped) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(opts.max_request_body);
        parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));

        s.lowest().expires_after(opts.read_timeout);
        auto [hec, hn] = co_await bhttp::async_read_header(stream, s.buffer, parser, use_nothrow);
        (void)hn;
        if (hec) {
            if (is_quiet_close(hec) || stopped) co_return;
            ++stats.bad_requests;
            if (hec == bhttp::error::header_limit) {
                co_await send_error(s, stream, 431, "request header fields too large");
            } else if (hec == bhttp::error::body_limit) {
                // A Content-Length over the limit is refused as soon as the header is read.
                co_await send_error(s, stream, 413, "request body too large");
            } else {
                co_await send_error(s, stream, 400, "malformed request");
            }
            co_return;
        }
        // Clients such as curl wait for this interim answer before sending a large body.
        auto expect = parser.get()[bhttp::field::expect];
        if (beast::iequals(expect, "100-continue")) {
            static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
            auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(cont), use_nothrow);
            (void)wn;
            if (wec) co_return;
        }
        auto [ec, n] = co_await bhttp::async_read(stream, s.buffer, parser, use_nothrow);
        (void)n;
        if (ec) {
            if (is_quiet_close(ec) || stopped) co_return;
            ++stats.bad_requests;
            if (ec == bhttp::error::body_limit) {
                co_await send_error(s, stream, 413, "request body too large");
            } else {
                co_await send_error(s, stream, 400, "malformed request");
            }
            co_return;
        }
        ++stats.requests;
        auto& msg = parser.get();
        bool keep_alive = msg.keep_alive();

        auto method = from_beast(msg.method());
        if (!method) {
            ++stats.bad_requests;
            co_await send_error(s, stream, 501, "method not implemented");
            co_return;
        }
        request req;
        req.method = *method;
        req.target = std::string(msg.target());
        req.content_type = std::string(msg[bhttp::field::content_type]);
        for (const auto& f : msg) {
            req.fields.push_back({std::string(f.name_string()), std::string(f.value())});
        }
        req.body = std::move(msg.body());

        reply r;
        try {
            r = co_await handle(req);
        } catch (const std::exception& e) {
            r = reply{};
            r.res.status = 500;
            r.res.fields.push_back({"Content-Type", "text/plain; charset=utf-8"});
            r.res.body = std::string("internal error: ") + e.what() + "\n";
        }
        if (stopped) co_return;
        if (req.method == verb::head) r.res.body.clear();
        if (!co_await send(s, stream, req, r, keep_alive)) co_return;
    }
}

// Returns whether the connection stays open for another request.
template <class Stream>
asio::awaitable<bool> server::impl::send(session& s, Stream& stream, const request& req,
                                         reply& r, bool keep_alive) {
    (void)req;
    if (r.delay.count() > 0) {
        s.timer.expires_after(r.delay);
        co_await s.timer.async_wait(use_nothrow);
        if (stopped) co_return false;
    }
    switch (r.action) {
        case reply_action::reset:
            s.reset();
            co_return false;
        case reply_action::stall:
            // Nothing is sent: the client's read timeout is what ends this, or our timer.
            s.timer.expires_after(r.stall_for);
            co_await s.timer.async_wait(use_nothrow);
            s.close();
            co_return false;
        case reply_action::reset_mid_body:
        case reply_action::close_mid_body: {
            // Hand-built header announcing the full length, then only part of the body: the
            // client reads a truncated response, as when a proxy dies mid-transfer.
            std::string head = "HTTP/1.1 " + std::to_string(r.res.status) + " " +
                               std::string(bhttp::obsolete_reason(
                                   static_cast<bhttp::status>(r.res.status))) +
                               "\r\n";
            for (const auto& f : r.res.fields) head += f.name + ": " + f.value + "\r\n";
            head += "Content-Length: " + std::to_string(r.res.body.size()) + "\r\n";
            head += "Server: " + opts.server_name + "\r\n\r\n";
            head.append(r.res.body, 0, r.res.body.size() / 2);
            s.lowest().expires_after(opts.write_timeout);
            auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head), use_nothrow);
            (void)n;
            if (!ec && r.action == reply_action::close_mid_body) {
                co_await close_gracefully(s, stream);
            }
            s.reset();
            co_return false;
        }
        case reply_action::respond: break;
    }

    bool stay = keep_alive && !r.close;
    bhttp::response<bhttp::string_body> res;
    res.version(11);
    res.result(r.res.status);
    for (const auto& f : r.res.fields) res.insert(f.name, f.value);
    res.set(bhttp::field::server, opts.server_name);
    res.set(bhttp::field::date, http_date());
    res.keep_alive(stay);
    res.body() = std::move(r.res.body);
    res.prepare_payload();
    s.lowest().expires_after(opts.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, res, use_nothrow);
    (void)n;
    if (ec) co_return false;
    if (!stay) {
        co_await close_gracefully(s, stream);
        co_return false;
    }
    co_return true;
}

template <class Stream>
asio::awaitable<void> server::impl::send_error(session& s, Stream& stream, unsigned status,
                                               std::string_view text) {
    bhttp::response<bhttp::string_body> res;
    res.version(11);
    res.result(status);
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.set(bhttp::field::server, opts.server_name);
    res.set(bhttp::field::date, http_date());
    res.keep_alive(false);
    res.body() = std::string(text) + "\n";
    res.prepare_payload();
    s.lowest().expires_after(opts.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, res, use_nothrow);
    (void)n;
    if (!ec) {
        if constexpr (!std::is_same_v<Stream, ssl::stream<beast::tcp_stream>>) {
            // Lingering close: the client may still be sending the rest of a request we
            // refused. Closing with unread bytes would make the kernel send RST, and the
            // client could lose our answer; so stop sending, read and drop what is left
            // for a moment, then close.
            error_code ignored;
            s.lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
            s.lowest().expires_after(lingering_close_timeout);
            std::array<char, 16384> scratch;
            std::size_t drained = 0;
            while (drained < lingering_close_limit) {
                auto [rec, got] = co_await s.lowest().async_read_some(asio::buffer(scratch), use_nothrow);
                if (rec) break;
                drained += got;
            }
            s.close();
            co_return;
        }
    }
    co_await close_gracefully(s, stream);
}

template <class Stream>
asio::awaitable<void> server::impl::close_gracefully(session& s, Stream& stream) {
    if constexpr (std::is_same_v<Stream, ssl::stream<beast::tcp_stream>>) {
        // close_notify tells the client the response really ended; a client that never
        // answers it is not waited for long.
        s.lowest().expires_after(tls_shutdown_timeout);
        auto [ec] = co_await stream.async_shutdown(use_nothrow);
        (void)ec;
    } else {
        (void)stream;
        error_code ignored;
        s.lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    s.close();
}

}  // namespace sgcache::http
