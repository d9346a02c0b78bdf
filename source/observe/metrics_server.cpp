#include "observe/metrics_server.hpp"

#include "control/protocol.hpp"
#include "http/server.hpp"
#include "observe/collect.hpp"
#include "observe/status_page.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <stdexcept>

namespace sgcache::observe {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

http::response json_response(unsigned status, const json::object& body) {
    http::response res;
    res.status = status;
    res.fields.push_back({"Content-Type", "application/json"});
    res.fields.push_back({"Cache-Control", "no-store"});
    res.body = json::serialize(body) + "\n";
    return res;
}

http::response text_response(unsigned status, std::string body) {
    http::response res;
    res.status = status;
    res.fields.push_back({"Content-Type", "text/plain; charset=utf-8"});
    res.body = std::move(body);
    return res;
}

// The path without its query string: Prometheus may append ?name[]=... style parameters.
std::string_view path_of(std::string_view target) {
    const auto q = target.find('?');
    return q == std::string_view::npos ? target : target.substr(0, q);
}

http::response answer_get(std::string_view path, const metrics_sources& src) {
    if (path == "/healthz") {
        json::object o;
        o["status"] = "ok";
        if (src.status) o["uptime_s"] = (now_ms() - src.status().started_ms) / 1000.0;
        return json_response(200, o);
    }
    if (path == "/readyz") {
        const auto st = src.status();
        const auto r = check_ready(st, src.ready_max_lag);
        json::object o;
        o["ready"] = r.ready;
        o["reason"] = r.reason;
        o["following"] = st.following;
        o["lag_s"] = st.lag_seconds;
        json::object types;
        for (const auto& t : st.types) {
            json::object one;
            one["phase"] = t.phase;
            one["active_generation"] = t.active_generation;
            types[t.type] = std::move(one);
        }
        o["types"] = std::move(types);
        // 503: load balancers and Kubernetes treat it as "not ready, ask again later".
        return json_response(r.ready ? 200 : 503, o);
    }
    if (path == "/metrics") {
        metrics_input in;
        in.status = src.status();
        in.counters = src.counters();
        if (src.stats) in.stats = src.stats();
        in.process = read_process_info();
        in.now_ms = now_ms();
        in.ready_max_lag = src.ready_max_lag;
        http::response res;
        res.status = 200;
        res.fields.push_back({"Content-Type", text_content_type});
        res.body = collect(in).render();
        return res;
    }
    return text_response(404, "not found: try /, /metrics, /healthz or /readyz\n");
}

// %XX and + decoded (a token in a query string).
std::string url_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size()) {
            unsigned v = 0;
            auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
            if (ec == std::errc() && end == s.data() + i + 3) {
                out += static_cast<char>(v);
                i += 2;
            } else {
                out += s[i];
            }
        } else {
            out += s[i];
        }
    }
    return out;
}

// The token a request carries: ?token=... or Authorization: Bearer ...
std::string token_of(const http::request& req) {
    std::string_view auth = http::find_field(req.fields, "Authorization");
    if (auth.substr(0, 7) == "Bearer ") return std::string(auth.substr(7));
    const auto q = req.target.find('?');
    if (q == std::string::npos) return {};
    std::string_view query = std::string_view(req.target).substr(q + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (pair.substr(0, 6) == "token=") return url_decode(pair.substr(6));
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    }
    return {};
}

http::response answer_page(std::string_view path, const http::request& req, const metrics_sources& src) {
    if (!src.page_data) return text_response(404, "no status page here\n");
    if (src.page_needs_token) {
        if (src.page_token.empty()) {
            return text_response(403, "the status page is served beyond loopback only with control.token set "
                                      "(or set metrics.listen to 127.0.0.1)\n");
        }
        if (!control::same_secret(token_of(req), src.page_token)) {
            auto res = text_response(401, "the status page needs the control token: open /?token=...\n");
            res.fields.push_back({"WWW-Authenticate", "Bearer"});
            return res;
        }
    }
    if (path == "/status.json") return json_response(200, src.page_data());
    http::response res;
    res.status = 200;
    res.fields.push_back({"Content-Type", "text/html; charset=utf-8"});
    res.fields.push_back({"Cache-Control", "no-store"});
    // Everything is inline; nothing else may load, and no other site may frame the page.
    res.fields.push_back({"Content-Security-Policy",
                          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                          "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'"});
    res.body = std::string(status_page_html());
    return res;
}

asio::awaitable<http::reply> reply_with(http::response res) {
    http::reply r;
    r.res = std::move(res);
    co_return r;
}

}  // namespace

http::response answer(const http::request& req, const metrics_sources& src) {
    if (req.method != http::verb::get && req.method != http::verb::head) {
        auto res = text_response(405, "method not allowed: GET only\n");
        res.fields.push_back({"Allow", "GET, HEAD"});
        return res;
    }
    http::response res;
    try {
        const std::string_view path = path_of(req.target);
        res = path == "/" || path == "/status.json" ? answer_page(path, req, src) : answer_get(path, src);
    } catch (const std::exception& e) {
        res = text_response(500, std::string("internal error: ") + e.what() + "\n");
    }
    if (req.method == http::verb::head) res.body.clear();
    return res;
}

std::pair<std::string, std::uint16_t> parse_listen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
        throw std::invalid_argument("metrics.listen must look like 127.0.0.1:9465, got '" + listen + "'");
    }
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const std::string port_text = listen.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
        throw std::invalid_argument("metrics.listen: bad port '" + port_text + "' in '" + listen + "'");
    }
    return {host, static_cast<std::uint16_t>(port)};
}

metrics_server::metrics_server(asio::any_io_executor ex, const std::string& listen, metrics_sources src)
    : sources_(std::make_shared<metrics_sources>(std::move(src))) {
    std::pair<std::string, std::uint16_t> where;
    try {
        where = parse_listen(listen);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(e.what());
    }
    const std::string& host = where.first;
    sources_->page_needs_token = !(host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0);
    http::server_options o;
    o.address = where.first;
    o.port = where.second;
    o.max_request_body = 64 << 10;  // scrapes and probes have no body
    o.max_connections = 64;
    o.read_timeout = std::chrono::seconds(30);
    o.write_timeout = std::chrono::seconds(30);
    // The handler owns the sources: connections may outlive a request in flight.
    auto sources = sources_;
    // Not a coroutine lambda (its captures would live in the closure, not the frame): the
    // answer is computed at once and handed to a coroutine that owns it.
    http::handler h = [sources](const http::request& req) { return reply_with(answer(req, *sources)); };
    try {
        server_ = std::make_unique<http::server>(ex, o, std::move(h));
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(std::string("metrics.listen ") + listen + ": " + e.what());
    }
}

metrics_server::~metrics_server() = default;

std::string metrics_server::url() const { return server_->url(); }
std::uint16_t metrics_server::port() const { return server_->port(); }

asio::awaitable<void> metrics_server::run() { co_await server_->run(); }

void metrics_server::stop() { server_->stop(); }

}  // namespace sgcache::observe
