#include "support/sync_env.hpp"

#include "shotgun/schema.hpp"
#include "support/env.hpp"
#include "support/run_coro.hpp"
#include "sync/documents.hpp"

#include <doctest/doctest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>

#include <atomic>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace sgcache::test {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

const char* reader_key = "reader-key";
const char* writer_key = "writer-key";
const char* silent_key = "silent-key";

sync_env::sync_env(std::vector<std::string> site_args, const std::vector<std::string>& types, const std::string& sync_yaml,
                   std::string es_host, const std::string& extra_yaml)
    : es_url(es_host.empty() ? test::es_url() : std::move(es_host)) {
    dir = fs::temp_directory_path() / unique_name("sgct-serve");
    fs::create_directories(dir / "entityConfig");
    prefix = unique_name("sgct") + "-";
    site_args.insert(site_args.end(), {"--script", std::string("sgcache:") + reader_key, "--script",
                                       std::string("writer:") + writer_key, "--script",
                                       std::string("silent:") + silent_key + ":noevents"});
    site = std::make_unique<fake_site>(site_args);
    shotgun::client_config sc;
    sc.url = site->url();
    sc.auth = {"sgcache", reader_key, ""};
    sc.retry = {10, 100ms, 1000ms};
    sg = std::make_unique<shotgun::client>(ioc.get_executor(), sc);
    sc.auth = {"writer", writer_key, ""};
    writer = std::make_unique<shotgun::client>(ioc.get_executor(), sc);
    elastic::client_config ec;
    // es_host may name several nodes of one cluster, "URL, URL, ...": the YAML flow list
    // of the config, and every host of the test's own client.
    ec.hosts.clear();
    for (std::size_t at = 0; at < es_url.size();) {
        auto end = es_url.find(',', at);
        if (end == std::string::npos) end = es_url.size();
        auto host = es_url.substr(at, end - at);
        host.erase(0, host.find_first_not_of(' '));
        host.erase(host.find_last_not_of(' ') + 1);
        if (!host.empty()) ec.hosts.push_back(host);
        at = end + 1;
    }
    ec.retry = {20, 200ms, 2000ms};
    es = std::make_unique<elastic::client>(ioc.get_executor(), ec);

    auto fields = run_coro(ioc, sg->schema_read());
    auto entities = run_coro(ioc, sg->schema_entity_read());
    const auto schema = shotgun::parse_schema(fields, entities);
    for (const auto& t : types) {
        auto cfg = config::generate(schema.types.at(t), config::generate_settings{});
        std::ofstream(dir / "entityConfig" / (t + ".yaml")) << config::to_yaml(cfg, "test");
    }
    reload_configs();
    config_file = dir / "config.yaml";
    // A control port of its own, unless the test sets the control section itself.
    std::string control;
    if (extra_yaml.find("control:") == std::string::npos) {
        control_port = free_port();
        control = "control:\n  endpoint: tcp://127.0.0.1:" + std::to_string(control_port) + "\n";
    }
    // A free metrics port too (0: the kernel picks), unless the test sets the section itself:
    // serve runs of parallel test suites must not fight over the default 9465.
    if (extra_yaml.find("metrics:") == std::string::npos) control += "metrics:\n  listen: 127.0.0.1:0\n";
    std::ofstream(config_file) << control << "shotgun:\n  url: " << site->url() << "\n  script_name: sgcache\n  script_key: "
                               << reader_key << "\n  retry:\n    max_attempts: 4\n    initial_delay_ms: 100\n"
                               << "    max_delay_ms: 1000\nelasticsearch:\n  hosts: [" << es_url
                               << "]\n  index_prefix: " << prefix
                               << "\n  retry:\n    max_attempts: 4\n    initial_delay_ms: 100\n    max_delay_ms: 1000\n"
                               << "entity_config_dir: entityConfig\nlog:\n  level: debug\n" << extra_yaml << "sync:\n"
                               << "  event_poll_interval_ms: 200\n  lease_ttl_s: 10\n" << sync_yaml;
}

void sync_env::reload_configs() { configs = config::load_entity_configs(dir / "entityConfig"); }

void sync_env::write_entity_config(const std::string& type) {
    auto fields = run_coro(ioc, sg->schema_read());
    auto entities = run_coro(ioc, sg->schema_entity_read());
    const auto schema = shotgun::parse_schema(fields, entities);
    auto cfg = config::generate(schema.types.at(type), config::generate_settings{});
    std::ofstream(dir / "entityConfig" / (type + ".yaml")) << config::to_yaml(cfg, "test");
}

std::unique_ptr<child_process> sync_env::serve() {
    const std::string log = (dir / ("serve-" + std::to_string(++serve_runs) + ".log")).string();
    return std::make_unique<child_process>(
        std::vector<std::string>{sgcache_binary(), "serve", "--config", config_file.string()}, log);
}

std::unique_ptr<child_process> sync_env::serve_through(const std::string& es, const std::string& name) {
    std::ifstream in(config_file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string from = "hosts: [" + es_url + "]";
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), "hosts: [" + es + "]");
    const auto file = dir / (name + ".yaml");
    std::ofstream(file) << text;
    return std::make_unique<child_process>(std::vector<std::string>{sgcache_binary(), "serve", "--config", file.string()},
                                           (dir / (name + ".log")).string());
}

std::unique_ptr<child_process> sync_env::driver(double rate, int seed, double seconds, const char* script,
                                                const char* key, const std::string& mix) {
    std::vector<std::string> argv{repo_root() + "/tools/fake-shotgun/fake-shotgun-driver", "--url", site->url(),
                                  "--script", std::string(script) + ":" + (key ? key : writer_key), "--rate",
                                  std::to_string(rate), "--seed", std::to_string(seed), "--duration",
                                  std::to_string(seconds), "--strict"};
    if (!mix.empty()) argv.insert(argv.end(), {"--mix", mix});
    return std::make_unique<child_process>(argv, (dir / ("driver-" + std::to_string(seed) + ".log")).string());
}

void sync_env::converge(std::chrono::seconds limit, const child_process* serve) {
    auto report = wait_for_convergence(ioc, *sg, *es, prefix, configs, limit,
                                       serve ? std::function<bool()>([&] { return !serve->running(); }) : nullptr);
    // The serve log goes into the failure message itself: the junit report keeps only that.
    REQUIRE_MESSAGE(report.ok, report.summary() << (serve ? "\nserve log tail:\n" + tail(serve->log(), 4000) : ""));
    CHECK(report.site_entities > 0);
}

std::string sync_env::active_index(const std::string& type) {
    auto n = sync::names_for(prefix, type);
    auto indices = run_coro(ioc, es->indices_of_alias(n.live_alias));
    return indices.size() == 1 ? indices.front() : std::string("(" + std::to_string(indices.size()) + " indices)");
}

json::object sync_env::state_doc(const std::string& id) {
    auto doc = run_coro(ioc, es->get(sync::state_index(prefix), id));
    return doc ? doc->source : json::object{};
}

void sync_env::set_faults(const std::string& body) { admin_post(*site, ioc, "/_admin/faults", body); }

json::value sync_env::site_call(const std::string& method, json::object payload) {
    return run_coro(ioc, writer->call(method, json::value(std::move(payload)), true));
}

std::int64_t sync_env::create(const std::string& type, const json::object& fields) {
    json::array list;
    for (const auto& [k, v] : fields) list.push_back(json::object{{"field_name", k}, {"value", v}});
    auto r = site_call("create", json::object{{"type", type}, {"fields", std::move(list)}});
    return r.at("id").to_number<std::int64_t>();
}

void sync_env::update(const std::string& type, std::int64_t id, const json::object& fields) {
    json::array list;
    for (const auto& [k, v] : fields) list.push_back(json::object{{"field_name", k}, {"value", v}});
    site_call("update", json::object{{"type", type}, {"id", id}, {"fields", std::move(list)}});
}

std::int64_t sync_env::first_id(const std::string& type) {
    shotgun::read_request req;
    req.type = type;
    req.fields = {"id"};
    req.page_size = 1;
    auto page = run_coro(ioc, sg->read(req));
    REQUIRE(!page.entities.empty());
    return page.entities[0].at("id").to_number<std::int64_t>();
}

json::object sync_env::site_stats() {
    http::client admin(ioc.get_executor(), http::parse_endpoint(site->url()));
    http::request req;
    req.target = "/_admin/stats";
    auto res = run_coro(ioc, admin.send(req));
    REQUIRE(res.has_value());
    REQUIRE(res->status == 200);
    return json::parse(res->body).as_object();
}

void sync_env::release_held() { admin_post(*site, ioc, "/_admin/release", "{}"); }

void sync_env::reset_faults() { admin_post(*site, ioc, "/_admin/faults/reset", "{}"); }

void sync_env::admin_post(const fake_site& site, boost::asio::io_context& ioc, const std::string& path,
                          const std::string& body) {
    http::client admin(ioc.get_executor(), http::parse_endpoint(site.url()));
    http::request req;
    req.method = http::verb::post;
    req.target = path;
    req.body = body;
    req.content_type = "application/json";
    auto res = run_coro(ioc, admin.send(req));
    REQUIRE(res.has_value());
    REQUIRE(res->status == 200);
}

std::string sync_env::tail(const std::string& s, std::size_t n) { return s.size() > n ? s.substr(s.size() - n) : s; }

sync_env::~sync_env() {
    try {
        auto r = run_coro(ioc, es->request(http::verb::get, "/_cat/indices/" + prefix + "*?h=index"));
        std::istringstream lines(r.body);
        for (std::string index; std::getline(lines, index);) {
            if (!index.empty()) run_coro(ioc, es->delete_index(index));
        }
        // The stats index template of serve runs (docs/observability.md).
        run_coro(ioc, es->request(http::verb::delete_, "/_index_template/" + prefix + "stats"));
    } catch (...) {
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
}

int free_port() {
    // The kernel hands out ports of ip_local_port_range to binds to port 0 (the fake site,
    // the server's metrics listener) and to the local ends of connections. A port picked
    // there and released could be handed out again before the server under test binds it,
    // which then dies at start (seen once in CI-like runs). Below that range only explicit
    // binds land: each test process walks its own stretch of it (seeded by pid) and takes
    // the first port that binds.
    static std::atomic<int> next{0};
    int low = 32768;
    std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
    constexpr int first = 10000;
    const int span = low - first;
    boost::asio::io_context probe;
    if (span >= 1000) {
        static const int offset = static_cast<int>((static_cast<unsigned>(::getpid()) * 7919u) % static_cast<unsigned>(span));
        for (int tries = 0; tries < span; ++tries) {
            const int port = first + (offset + next++) % span;
            boost::asio::ip::tcp::acceptor a(probe);
            boost::system::error_code ec;
            a.open(boost::asio::ip::tcp::v4(), ec);
            if (!ec) a.bind({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
            if (!ec) return port;
        }
    }
    boost::asio::ip::tcp::acceptor a(probe, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(100ms);
    }
    return pred();
}

}  // namespace sgcache::test
