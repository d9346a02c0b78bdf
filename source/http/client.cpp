// The Beast side of http::client. This is one of the few translation units that include
// Beast and OpenSSL; keep it that way, it is the slowest file of the project to compile.
#include "http/client.hpp"

#include "common/base64.hpp"
#include "http/content_coding.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <openssl/ssl.h>

#include <optional>
#include <stdexcept>
#include <variant>
#include <vector>

namespace sgcache::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// Header section cap: ES and Shotgun headers are small; 64 KiB is generous.
constexpr std::uint32_t header_limit = 64 * 1024;

bhttp::verb to_beast(verb v) {
    switch (v) {
        case verb::get: return bhttp::verb::get;
        case verb::head: return bhttp::verb::head;
        case verb::post: return bhttp::verb::post;
        case verb::put: return bhttp::verb::put;
        case verb::delete_: return bhttp::verb::delete_;
    }
    return bhttp::verb::get;
}

// Where in the exchange an error happened decides how it is classified: a refused connect
// is "connect", a reset while reading is "reset", a verification error is "tls".
enum class stage { resolve, connect, handshake, write, read };

bool is_connection_loss(const error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
           ec == asio::error::not_connected || ec == ssl::error::stream_truncated ||
           ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message;
}

failure_kind classify(stage where, const error_code& ec) {
    if (ec == beast::error::timeout) return failure_kind::timeout;
    if (ec == asio::error::operation_aborted) return failure_kind::cancelled;
    if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit ||
        ec == bhttp::error::buffer_overflow) {
        return failure_kind::too_large;
    }
    switch (where) {
        case stage::resolve: return failure_kind::resolve;
        case stage::connect: return failure_kind::connect;
        case stage::handshake:
            // A peer that hangs up during the handshake is a lost connection; anything the
            // TLS layer itself rejects (certificate, host name, protocol) is final.
            return is_connection_loss(ec) && ec != ssl::error::stream_truncated ? failure_kind::reset
                                                                                 : failure_kind::tls;
        case stage::write:
        case stage::read:
            if (is_connection_loss(ec)) return failure_kind::reset;
            // Any other parser error (bad status line, bad chunk, ...) is a peer not
            // speaking HTTP properly.
            if (ec.category() == error_code(bhttp::error::bad_version).category()) {
                return failure_kind::protocol;
            }
            if (ec.category() == asio::error::get_ssl_category()) return failure_kind::tls;
            return failure_kind::reset;
    }
    return failure_kind::protocol;
}

std::string describe_error(stage where, const error_code& ec) {
    std::string what;
    switch (where) {
        case stage::resolve: what = "cannot resolve host"; break;
        case stage::connect: what = "cannot connect"; break;
        case stage::handshake: what = "TLS handshake failed"; break;
        case stage::write: what = "sending the request failed"; break;
        case stage::read: what = "reading the response failed"; break;
    }
    if (ec == beast::error::timeout) return what + " (timed out)";
    std::string msg = ec.message();
    // OpenSSL's verification failure reads "certificate verify failed"; keep it as is.
    return what + " (" + msg + ")";
}

struct connection {
    std::optional<beast::tcp_stream> plain;
    std::optional<ssl::stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    bool reused = false;  // completed at least one exchange

    beast::tcp_stream& lowest() { return secure ? secure->next_layer() : *plain; }
};

// Outcome of one exchange on one connection, before the pool decides what to do with it.
struct exchange_error {
    stage where;
    error_code ec;
    bool got_response_bytes = false;
};

}  // namespace

struct client::impl {
    asio::any_io_executor ex;
    endpoint ep;
    client_options opts;
    std::optional<ssl::context> tls_ctx;
    std::vector<std::unique_ptr<connection>> idle;
    client_stats stats;
    std::string basic_auth;  // "Basic ..." from URL credentials, or empty

    impl(asio::any_io_executor e, endpoint p, client_options o)
        : ex(std::move(e)), ep(std::move(p)), opts(std::move(o)) {
        if (ep.tls) {
            tls_ctx.emplace(ssl::context::tls_client);
            tls_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                 ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                 ssl::context::no_tlsv1_1);
            error_code ec;
            tls_ctx->set_default_verify_paths(ec);
            if (!opts.ca_file.empty()) {
                tls_ctx->load_verify_file(opts.ca_file, ec);
                if (ec) {
                    throw std::runtime_error("cannot load CA file '" + opts.ca_file +
                                             "' for " + ep.origin() + ": " + ec.message());
                }
            }
            tls_ctx->set_verify_mode(opts.verify_peer ? ssl::verify_peer : ssl::verify_none);
        }
        if (!ep.username.empty() || !ep.password.empty()) {
            basic_auth = "Basic " + base64_encode(ep.username + ":" + ep.password);
        }
    }

    std::string describe(const request& req) const {
        return std::string(to_string(req.method)) + " " + ep.origin() + ep.target_for(req.target);
    }

    // Opens a TCP connection (and TLS session) within connect_timeout.
    asio::awaitable<std::variant<std::unique_ptr<connection>, exchange_error>> open() {
        using namespace asio::experimental::awaitable_operators;
        auto conn = std::make_unique<connection>();
        if (ep.tls) {
            conn->secure.emplace(ex, *tls_ctx);
        } else {
            conn->plain.emplace(ex);
        }
        auto& lowest = conn->lowest();

        // Resolution is not covered by tcp_stream's timer; race it against one of ours.
        tcp::resolver resolver(ex);
        asio::steady_timer timer(ex);
        timer.expires_after(opts.connect_timeout);
        auto raced = co_await (resolver.async_resolve(ep.host, std::to_string(ep.port), use_nothrow) ||
                               timer.async_wait(use_nothrow));
        if (raced.index() == 1) co_return exchange_error{stage::resolve, beast::error::timeout};
        auto [rec, results] = std::get<0>(std::move(raced));
        if (rec) co_return exchange_error{stage::resolve, rec};

        lowest.expires_after(opts.connect_timeout);
        auto [cec, connected] = co_await lowest.async_connect(results, use_nothrow);
        if (cec) co_return exchange_error{stage::connect, cec};
        (void)connected;
        lowest.socket().set_option(tcp::no_delay(true), cec);
        ++stats.connects;

        if (conn->secure) {
            SSL* native = conn->secure->native_handle();
            error_code addr_ec;
            asio::ip::make_address(ep.host, addr_ec);
            const bool is_ip = !addr_ec;
            // SNI carries host names only (RFC 6066); an IP literal is verified against the
            // certificate's IP SANs by host_name_verification below.
            if (!is_ip && !SSL_set_tlsext_host_name(native, ep.host.c_str())) {
                co_return exchange_error{stage::handshake,
                                         error_code(static_cast<int>(::ERR_get_error()),
                                                    asio::error::get_ssl_category())};
            }
            if (opts.verify_peer) conn->secure->set_verify_callback(ssl::host_name_verification(ep.host));
            auto [hec] = co_await conn->secure->async_handshake(ssl::stream_base::client, use_nothrow);
            if (hec) co_return exchange_error{stage::handshake, hec};
        }
        lowest.expires_never();
        co_return std::move(conn);
    }

    // Writes the request and reads the whole response on `conn` before `timeout` passes.
    template <class Stream>
    asio::awaitable<std::variant<response, exchange_error>> exchange(Stream& stream, connection& conn,
                                                                     const request& req,
                                                                     std::chrono::milliseconds timeout) {
        bhttp::request<bhttp::string_body> out{to_beast(req.method), ep.target_for(req.target), 11};
        out.set(bhttp::field::host, ep.host_field());
        out.set(bhttp::field::user_agent, opts.user_agent);
        if (opts.accept_gzip) out.set(bhttp::field::accept_encoding, "gzip, deflate");
        if (!basic_auth.empty()) out.set(bhttp::field::authorization, basic_auth);
        if (!req.content_type.empty()) out.set(bhttp::field::content_type, req.content_type);
        for (const auto& f : req.fields) out.set(f.name, f.value);
        out.keep_alive(true);
        out.body() = req.body;
        out.prepare_payload();

        // One absolute deadline for write and read together: tcp_stream keeps it until reset.
        conn.lowest().expires_after(timeout);
        auto [wec, written] = co_await bhttp::async_write(stream, out, use_nothrow);
        (void)written;
        if (wec) co_return exchange_error{stage::write, wec};

        bhttp::response_parser<bhttp::string_body> parser;
        parser.header_limit(header_limit);
        parser.body_limit(opts.max_response_bytes);
        if (req.method == verb::head) parser.skip(true);
        auto [rec, read] = co_await bhttp::async_read(stream, conn.buffer, parser, use_nothrow);
        (void)read;
        if (rec) co_return exchange_error{stage::read, rec, parser.got_some()};
        conn.lowest().expires_never();

        auto& msg = parser.get();
        response res;
        res.status = msg.result_int();
        res.fields.reserve(std::distance(msg.begin(), msg.end()));
        for (const auto& f : msg) res.fields.push_back({std::string(f.name_string()), std::string(f.value())});
        const auto coding = msg[bhttp::field::content_encoding];
        if (coding.empty()) {
            res.body = std::move(msg.body());
        } else {
            std::string why;
            auto decoded = decode_content(coding, msg.body(), opts.max_response_bytes, why);
            if (!decoded) {
                co_return exchange_error{stage::read,
                                         why.find("exceeds") != std::string::npos
                                             ? error_code(bhttp::error::body_limit)
                                             : error_code(bhttp::error::bad_transfer_encoding),
                                         true};
            }
            res.body = std::move(*decoded);
        }
        conn.reused = msg.keep_alive();
        co_return res;
    }

    asio::awaitable<result> send(request req) {
        ++stats.requests;
        const auto timeout = req.timeout.value_or(opts.request_timeout);
        std::unique_ptr<connection> conn;
        if (!idle.empty()) {
            conn = std::move(idle.back());
            idle.pop_back();
        }
        for (int attempt = 0;; ++attempt) {
            if (!conn) {
                auto opened = co_await open();
                if (auto* err = std::get_if<exchange_error>(&opened)) co_return make_failure(req, *err);
                conn = std::move(std::get<0>(opened));
            }
            const bool was_reused = conn->reused;
            // Not a ?: expression: g++ 12 miscompiles co_await inside a conditional operator.
            std::variant<response, exchange_error> outcome;
            if (conn->secure) {
                outcome = co_await exchange(*conn->secure, *conn, req, timeout);
            } else {
                outcome = co_await exchange(*conn->plain, *conn, req, timeout);
            }
            if (auto* res = std::get_if<response>(&outcome)) {
                if (conn->reused && idle.size() < opts.max_idle_connections) idle.push_back(std::move(conn));
                co_return std::move(*res);
            }
            const auto& err = std::get<exchange_error>(outcome);
            // A keep-alive connection the server closed while it sat idle fails at once, before
            // any reply byte; sending again on a new connection is safe for idempotent requests.
            const bool stale = was_reused && attempt == 0 && req.idempotent && !err.got_response_bytes &&
                               is_connection_loss(err.ec);
            conn.reset();
            if (!stale) co_return make_failure(req, err);
            ++stats.stale_retries;
        }
    }

    failure make_failure(const request& req, const exchange_error& err) const {
        failure f;
        f.kind = classify(err.where, err.ec);
        f.ec = err.ec;
        f.message = describe(req) + ": " +
                    (f.kind == failure_kind::cancelled ? std::string("cancelled")
                                                       : describe_error(err.where, err.ec));
        return f;
    }
};

client::client(asio::any_io_executor ex, endpoint ep, client_options opts)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(ep), std::move(opts))) {}

client::~client() = default;

asio::awaitable<result> client::send(request req) { return impl_->send(std::move(req)); }

const endpoint& client::target() const noexcept { return impl_->ep; }

client_stats client::stats() const noexcept { return impl_->stats; }

void client::close_idle() noexcept { impl_->idle.clear(); }

void throw_exception_from_error(const failure& f, const boost::source_location&) {
    throw std::runtime_error(f.message);
}

}  // namespace sgcache::http
