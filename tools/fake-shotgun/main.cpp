// fake-shotgun: a fake Shotgun (ShotGrid) site for tests, benchmarks and demos. Serves the
// api3 JSON-RPC endpoint (POST /api3/json) from an in-memory store over HTTP or HTTPS, with
// fault injection and an admin endpoint (/_admin/...) to switch faults and read request
// statistics at run time. All logic lives in the plain-C++ library beside this file; this
// file parses the command line and moves bytes between http::server and site::handle().
#include "faults.hpp"
#include "generator.hpp"
#include "schema.hpp"
#include "site.hpp"
#include "store.hpp"
#include "studio_schema.hpp"
#include "values.hpp"

#include "http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace json = boost::json;
namespace http = sgcache::http;
namespace fs = sgcache::fake_shotgun;

namespace {

constexpr const char* usage = R"(usage: fake-shotgun --script NAME:KEY [options]

A fake Shotgun site: POST /api3/json (the api3 JSON-RPC protocol of shotgun_api3) served
from memory, plus /_admin/ endpoints for faults and statistics. The first line printed on
stdout is the URL served, e.g. http://127.0.0.1:38211

options:
  --listen HOST:PORT        address to serve (default 127.0.0.1:0; port 0 picks a free one)
  --script NAME:KEY[:noevents]
                            an api script (ApiUser) allowed to connect; repeatable. With
                            :noevents its writes make no EventLogEntry rows
  --user LOGIN:PASSWORD     a HumanUser allowed to log in with user_login/user_password
  --schema FILE             schema in schema_read() shape (default: the built-in studio
                            schema); the schema_entity_read() file is looked for beside it
                            as <name>-entity.json unless --schema-entity is given
  --schema-entity FILE      schema_entity_read() shape for --schema
  --generate studio:N       fill the site with a deterministic studio of about N entities
                            (N may end in k or m)
  --seed S                  seed of the generator and of random faults (default 1)
  --now UNIX_SECONDS        the generated studio's "now" (default: the current time)
  --tls-cert FILE           PEM certificate chain: serve HTTPS (needs --tls-key)
  --tls-key FILE            PEM private key
  --fault KEY=VALUE         set a fault at start; repeatable (keys as for /_admin/faults:
                            latency_ms, jitter_ms, http_502, http_503, http_504, http_429,
                            retry_after_s, reset, stall, stall_ms, fail_next, methods, hold,
                            max_entities_per_page, no_events, event_delay_probability,
                            event_delay_ms, event_drop_probability)
  --faults JSON             the same as one JSON object
  --max-entities-per-page N shorthand for --fault max_entities_per_page=N (default 500)
  --no-events               shorthand for --fault no_events=true
  --max-body-bytes N        largest request body accepted (default 67108864)
  --gzip                    gzip api3 answers over 1 KiB for clients that accept it, as
                            real sites do (off by default: it costs CPU in benchmarks)
  --verbose                 log one line per api3 request on stderr
  --dump-schema DIR         write the built-in studio schema to DIR/studio-schema.json and
                            DIR/studio-schema-entity.json and exit
  --help                    this text

admin endpoint (same port, no authentication - a local test tool):
  GET  /_admin/faults         current fault settings (JSON)
  POST /_admin/faults         change some: body {"http_502": 0.1, "latency_ms": 50, ...}
  POST /_admin/faults/reset   back to the settings given at start
  GET  /_admin/stats          api3 requests by method and by HTTP status, entity counts
  POST /_admin/stats/reset    zero the request counters
  POST /_admin/events/commit  make every delayed (uncommitted) event readable now
  POST /_admin/release        send every answer the hold fault is holding back
  GET  /_admin/health         "ok"
)";

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::vector<fs::script_credential> scripts;
    std::vector<fs::user_credential> users;
    std::string schema_file;
    std::string schema_entity_file;
    std::optional<std::int64_t> generate;
    std::uint64_t seed = 1;
    std::optional<std::int64_t> now;
    std::string tls_cert, tls_key;
    fs::fault_config faults;
    std::size_t max_body = 64u << 20;
    bool verbose = false;
    bool gzip = false;
    std::string dump_schema;
};

[[noreturn]] void usage_error(const std::string& msg) {
    std::cerr << "fake-shotgun: " << msg << "\n(see fake-shotgun --help)\n";
    std::exit(2);
}

std::uint64_t parse_number(const std::string& flag, const std::string& v, std::uint64_t max) {
    if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) {
        usage_error(flag + " expects a non-negative integer, got '" + v + "'");
    }
    auto n = std::stoull(v);
    if (n > max) usage_error(flag + " value " + v + " is too large");
    return n;
}

options parse_args(int argc, char** argv) {
    options o;
    auto value = [&](int& i) -> std::string {
        if (i + 1 >= argc) usage_error(std::string(argv[i]) + " needs a value");
        return argv[++i];
    };
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        try {
            if (a == "--help" || a == "-h") {
                std::cout << usage;
                std::exit(0);
            } else if (a == "--listen") {
                std::string v = value(i);
                auto colon = v.rfind(':');
                if (colon == std::string::npos) usage_error("--listen expects HOST:PORT, got '" + v + "'");
                o.host = v.substr(0, colon);
                if (o.host.size() >= 2 && o.host.front() == '[' && o.host.back() == ']') {
                    o.host = o.host.substr(1, o.host.size() - 2);
                }
                o.port = static_cast<std::uint16_t>(parse_number("--listen port", v.substr(colon + 1), 65535));
            } else if (a == "--script") {
                std::string v = value(i);
                auto c1 = v.find(':');
                if (c1 == std::string::npos || c1 == 0 || c1 + 1 == v.size()) {
                    usage_error("--script expects NAME:KEY[:noevents], got '" + v + "'");
                }
                fs::script_credential s;
                s.name = v.substr(0, c1);
                s.key = v.substr(c1 + 1);
                if (auto c2 = s.key.rfind(":noevents"); c2 != std::string::npos && c2 + 9 == s.key.size()) {
                    s.key = s.key.substr(0, c2);
                    s.generate_events = false;
                }
                o.scripts.push_back(std::move(s));
            } else if (a == "--user") {
                std::string v = value(i);
                auto c = v.find(':');
                if (c == std::string::npos || c == 0) usage_error("--user expects LOGIN:PASSWORD, got '" + v + "'");
                o.users.push_back({v.substr(0, c), v.substr(c + 1)});
            } else if (a == "--schema") {
                o.schema_file = value(i);
            } else if (a == "--schema-entity") {
                o.schema_entity_file = value(i);
            } else if (a == "--generate") {
                o.generate = fs::parse_generate_spec(value(i));
            } else if (a == "--seed") {
                o.seed = parse_number(a, value(i), UINT64_MAX);
            } else if (a == "--now") {
                o.now = static_cast<std::int64_t>(parse_number(a, value(i), 4'000'000'000ULL));
            } else if (a == "--tls-cert") {
                o.tls_cert = value(i);
            } else if (a == "--tls-key") {
                o.tls_key = value(i);
            } else if (a == "--fault") {
                fs::apply_setting(o.faults, value(i));
            } else if (a == "--faults") {
                boost::system::error_code ec;
                auto v = json::parse(value(i), ec);
                if (ec) usage_error("--faults expects a JSON object: " + ec.message());
                fs::apply_json(o.faults, v);
            } else if (a == "--max-entities-per-page") {
                fs::apply_setting(o.faults, "max_entities_per_page=" + value(i));
            } else if (a == "--no-events") {
                o.faults.knobs.no_events = true;
            } else if (a == "--max-body-bytes") {
                o.max_body = parse_number(a, value(i), 1ULL << 32);
            } else if (a == "--gzip") {
                o.gzip = true;
            } else if (a == "--verbose") {
                o.verbose = true;
            } else if (a == "--dump-schema") {
                o.dump_schema = value(i);
            } else {
                usage_error("unknown option '" + a + "'");
            }
        } catch (const std::invalid_argument& e) {
            usage_error(e.what());
        }
    }
    if (o.dump_schema.empty() && o.scripts.empty() && o.users.empty()) {
        usage_error("give at least one --script NAME:KEY (or --user LOGIN:PASSWORD)");
    }
    if (o.tls_cert.empty() != o.tls_key.empty()) usage_error("--tls-cert and --tls-key go together");
    return o;
}

// Boost.JSON 1.81 has no pretty printer; the schema files are meant to be read by people.
void pretty(std::ostream& out, const json::value& v, int indent) {
    const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
    if (const auto* o = v.if_object()) {
        if (o->empty()) {
            out << "{}";
            return;
        }
        out << "{\n";
        std::size_t i = 0;
        for (const auto& [k, x] : *o) {
            out << pad << "  " << json::serialize(json::string(k)) << ": ";
            pretty(out, x, indent + 1);
            out << (++i < o->size() ? ",\n" : "\n");
        }
        out << pad << "}";
    } else if (const auto* a = v.if_array()) {
        // Short lists of scalars stay on one line.
        bool flat = std::all_of(a->begin(), a->end(), [](const json::value& x) { return !x.is_structured(); });
        if (flat) {
            out << json::serialize(v);
            return;
        }
        out << "[\n";
        for (std::size_t i = 0; i < a->size(); ++i) {
            out << pad << "  ";
            pretty(out, (*a)[i], indent + 1);
            out << (i + 1 < a->size() ? ",\n" : "\n");
        }
        out << pad << "]";
    } else {
        out << json::serialize(v);
    }
}

void write_json_file(const std::string& path, const json::value& v) {
    std::ofstream out(path, std::ios::binary);
    if (!out) throw std::runtime_error("cannot write " + path);
    pretty(out, v, 0);
    out << "\n";
    if (!out) throw std::runtime_error("cannot write " + path);
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The method name without a full parse, to decide faults before running the request. A
// body this cannot read yields "", which the site will fault on anyway.
std::string sniff_method(std::string_view body) {
    auto k = body.find("\"method_name\"");
    if (k == std::string_view::npos) return {};
    auto q1 = body.find('"', body.find(':', k + 13));
    if (q1 == std::string_view::npos) return {};
    auto q2 = body.find('"', q1 + 1);
    if (q2 == std::string_view::npos || q2 - q1 > 64) return {};
    return std::string(body.substr(q1 + 1, q2 - q1 - 1));
}

// Case-insensitive header lookup ("" when absent).
std::string_view header(const http::request& req, std::string_view name) {
    for (const auto& f : req.fields) {
        if (f.name.size() == name.size() &&
            std::equal(f.name.begin(), f.name.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
            })) {
            return f.value;
        }
    }
    return {};
}

// gzip (RFC 1952) of `in` at the fastest level; nothing on a zlib failure.
std::optional<std::string> gzip(std::string_view in) {
    z_stream zs{};
    // windowBits 15 + 16 asks zlib for the gzip wrapper instead of the zlib one.
    if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return std::nullopt;
    return out;
}

std::string_view reason(unsigned status) {
    switch (status) {
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Error";
    }
}

struct app {
    options opts;
    fs::fault_config initial_faults;
    std::unique_ptr<fs::schema> schema;
    std::unique_ptr<fs::store> store;
    std::unique_ptr<fs::site> site;
    std::mt19937_64 rng;
    http::server* server = nullptr;

    // Counters for /_admin/stats.
    std::uint64_t api_requests = 0;
    std::map<std::string, std::uint64_t> by_method;
    std::map<unsigned, std::uint64_t> by_status;
    std::uint64_t faults_answered = 0;   // api3 fault bodies (HTTP 200)
    std::uint64_t injected = 0;          // injected HTTP errors, resets, stalls
    std::uint64_t bytes_out = 0;

    // Answers held back by the `hold` fault wait on this timer (it never expires);
    // POST /_admin/release cancels it and puts a fresh one in its place.
    std::shared_ptr<asio::steady_timer> hold_gate;
    std::uint64_t held_now = 0, held_total = 0;

    void release_held() {
        if (hold_gate) hold_gate->cancel();
        hold_gate.reset();
    }
};

http::reply text_reply(unsigned status, std::string body, std::string_view type = "text/plain; charset=utf-8") {
    http::reply r;
    r.res.status = status;
    r.res.fields.push_back({"Content-Type", std::string(type)});
    r.res.body = std::move(body);
    return r;
}

http::reply json_reply(unsigned status, const json::value& v) {
    return text_reply(status, json::serialize(v) + "\n", "application/json; charset=utf-8");
}

json::object stats_json(const app& a) {
    json::object o;
    json::object methods, statuses, entities;
    for (const auto& [m, n] : a.by_method) methods[m.empty() ? "(unreadable)" : m] = n;
    for (const auto& [s, n] : a.by_status) statuses[std::to_string(s)] = n;
    for (const auto& t : a.schema->types()) {
        entities[t->name] = a.store->live_count(t->name);
    }
    o["api_requests"] = a.api_requests;
    o["by_method"] = std::move(methods);
    o["by_status"] = std::move(statuses);
    o["faults_answered"] = a.faults_answered;
    o["injected_failures"] = a.injected;
    o["bytes_out"] = a.bytes_out;
    o["events_written"] = a.site->events_written();
    o["entities"] = std::move(entities);
    if (a.server) {
        auto s = a.server->stats();
        o["connections"] = s.connections;
        o["active_connections"] = s.active_connections;
        o["http_requests"] = s.requests;
    }
    o["held"] = a.held_now;
    o["held_total"] = a.held_total;
    return o;
}

http::reply admin(app& a, const http::request& req, std::string_view path) {
    const bool get = req.method == http::verb::get;
    const bool post = req.method == http::verb::post;
    if (path == "/_admin/health" && get) return text_reply(200, "ok\n");
    if (path == "/_admin/faults" && get) return json_reply(200, fs::to_json(a.opts.faults));
    if (path == "/_admin/faults" && post) {
        boost::system::error_code ec;
        auto v = json::parse(req.body, ec);
        if (ec) return json_reply(400, json::object{{"error", "body is not JSON: " + ec.message()}});
        try {
            fs::apply_json(a.opts.faults, v);
        } catch (const std::invalid_argument& e) {
            return json_reply(400, json::object{{"error", e.what()}});
        }
        a.site->knobs() = a.opts.faults.knobs;
        return json_reply(200, fs::to_json(a.opts.faults));
    }
    if (path == "/_admin/faults/reset" && post) {
        a.opts.faults = a.initial_faults;
        a.site->knobs() = a.opts.faults.knobs;
        return json_reply(200, fs::to_json(a.opts.faults));
    }
    if (path == "/_admin/stats" && get) return json_reply(200, stats_json(a));
    if (path == "/_admin/stats/reset" && post) {
        a.api_requests = a.faults_answered = a.injected = a.bytes_out = 0;
        a.by_method.clear();
        a.by_status.clear();
        return json_reply(200, stats_json(a));
    }
    if (path == "/_admin/release" && post) {
        const auto n = a.held_now;
        a.release_held();
        return json_reply(200, json::object{{"released", n}});
    }
    if (path == "/_admin/events/commit" && post) {
        std::uint64_t n = 0;
        if (auto* t = a.store->find_table("EventLogEntry")) {
            for (auto& r : t->rows()) {
                if (r.visible_at_ms != 0) {
                    r.visible_at_ms = 0;
                    ++n;
                }
            }
        }
        return json_reply(200, json::object{{"committed", n}});
    }
    return json_reply(404, json::object{{"error", "no admin endpoint " + std::string(path) + " for this method"}});
}

http::reply api3(app& a, const http::request& req) {
    ++a.api_requests;
    std::string method = sniff_method(req.body);
    auto d = fs::decide(a.opts.faults, a.rng, method);
    http::reply r;
    r.delay = d.delay;
    if (d.status != 0) {
        // The load balancer answers; the site never sees the request.
        ++a.injected;
        ++a.by_method[method];
        ++a.by_status[d.status];
        r = text_reply(d.status, "<html><body><h1>" + std::to_string(d.status) + " " + std::string(reason(d.status)) +
                                     "</h1></body></html>\n",
                       "text/html");
        r.delay = d.delay;
        if (d.status == 429 || d.status == 503) {
            r.res.fields.push_back({"Retry-After", std::to_string(a.opts.faults.retry_after_s)});
        }
        return r;
    }
    auto out = a.site->handle(req.body, now_ms());
    ++a.by_method[out.method];
    ++a.by_status[200];
    if (out.fault) ++a.faults_answered;
    a.bytes_out += out.body.size();
    if (a.opts.verbose) {
        std::cerr << "api3 " << (out.method.empty() ? "?" : out.method) << " -> "
                  << (out.fault ? "fault " + std::to_string(out.error_code) : std::string("ok")) << " ("
                  << out.body.size() << " bytes)\n";
    }
    r.res.status = 200;
    r.res.fields.push_back({"Content-Type", "application/json; charset=utf-8"});
    r.res.body = std::move(out.body);
    if (a.opts.gzip && r.res.body.size() > 1024 && header(req, "Accept-Encoding").find("gzip") != std::string_view::npos) {
        if (auto z = gzip(r.res.body)) {
            r.res.body = std::move(*z);
            r.res.fields.push_back({"Content-Encoding", "gzip"});
        }
    }
    if (d.reset || d.close || d.stall) ++a.injected;
    if (d.reset) r.action = http::reply_action::reset_mid_body;
    if (d.close) r.action = http::reply_action::close_mid_body;
    if (d.stall) {
        r.action = http::reply_action::stall;
        r.stall_for = std::chrono::milliseconds(a.opts.faults.stall_ms);
    }
    return r;
}

asio::awaitable<http::reply> handle(app& a, const http::request& req) {
    std::string_view target = req.target;
    std::string_view path = target.substr(0, target.find('?'));
    if (path.size() >= 10 && path.substr(path.size() - 10) == "/api3/json") {
        if (req.method != http::verb::post) co_return text_reply(405, "api3 takes POST\n");
        const bool hold = fs::held(a.opts.faults, req.body);
        http::reply r = api3(a, req);  // executed now, whether or not the answer is held
        if (hold) {
            if (!a.hold_gate) {
                a.hold_gate = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                                   asio::steady_timer::time_point::max());
            }
            auto gate = a.hold_gate;  // this request's gate, even after a release replaced it
            ++a.held_now;
            ++a.held_total;
            boost::system::error_code ec;
            co_await gate->async_wait(asio::redirect_error(asio::use_awaitable, ec));
            --a.held_now;
        }
        co_return r;
    }
    if (path.rfind("/_admin/", 0) == 0) co_return admin(a, req, path);
    if (path == "/" && req.method == http::verb::get) {
        co_return text_reply(200, "fake-shotgun: POST /api3/json (api3 JSON-RPC); /_admin/ for faults and stats\n");
    }
    co_return text_reply(404, "not found\n");
}

void log_failure(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        std::cerr << "fake-shotgun: server failed: " << x.what() << "\n";
    }
}

}  // namespace

int main(int argc, char** argv) {
    auto o = parse_args(argc, argv);
    try {
        if (!o.dump_schema.empty()) {
            write_json_file(o.dump_schema + "/studio-schema.json", fs::studio_schema_read());
            write_json_file(o.dump_schema + "/studio-schema-entity.json", fs::studio_schema_entity_read());
            std::cerr << "wrote " << o.dump_schema << "/studio-schema.json and studio-schema-entity.json\n";
            return 0;
        }
        app a;
        a.opts = o;
        a.initial_faults = o.faults;
        a.rng.seed(o.seed);
        if (o.schema_file.empty()) {
            a.schema = std::make_unique<fs::schema>(fs::studio_schema_read(), fs::studio_schema_entity_read());
        } else {
            a.schema = std::make_unique<fs::schema>(fs::schema::load(o.schema_file, o.schema_entity_file));
        }
        a.store = std::make_unique<fs::store>(*a.schema);
        a.site = std::make_unique<fs::site>(*a.store, o.scripts, o.users, o.seed);
        a.site->knobs() = o.faults.knobs;
        if (o.generate) {
            fs::generate_options g;
            g.entities = *o.generate;
            g.seed = o.seed;
            g.now_s = o.now ? *o.now : now_ms() / 1000;
            auto started = std::chrono::steady_clock::now();
            auto res = fs::generate_studio(*a.store, g);
            double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            std::cerr << "fake-shotgun: generated " << res.total << " entities in " << secs << " s ("
                      << static_cast<std::int64_t>(static_cast<double>(res.total) / std::max(secs, 1e-9))
                      << "/s):";
            for (const auto& [t, n] : res.counts) std::cerr << " " << t << "=" << n;
            std::cerr << "\n";
        }

        asio::io_context ioc{1};
        http::server_options so;
        so.address = o.host;
        so.port = o.port;
        so.tls_cert_file = o.tls_cert;
        so.tls_key_file = o.tls_key;
        so.max_request_body = o.max_body;
        so.server_name = "fake-shotgun";
        auto h = [&a](const http::request& req) { return handle(a, req); };
        http::server server(ioc.get_executor(), so, h);
        a.server = &server;
        // The first line of stdout is the contract with scripts and test fixtures.
        std::cout << server.url() << std::endl;

        asio::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code& ec, int) {
            if (!ec) {
                a.release_held();
                server.stop();
            }
        });
        auto task = server.run();
        asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e) {
            log_failure(e);
            signals.cancel();
        });
        ioc.run();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "fake-shotgun: " << e.what() << "\n";
        return 1;
    }
}
