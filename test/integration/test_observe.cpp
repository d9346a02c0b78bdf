// Observability of a running `sgcache serve` against the real node and a fake site: the
// stats documents a sync and some events leave (with retention of old daily indices), stats
// refused by Elasticsearch while syncing carries on, the metrics endpoint over a real
// socket, and logs that never show a configured secret.
#include "config/settings.hpp"
#include "observe/stats_documents.hpp"
#include "observe/stats_writer.hpp"
#include "support/child_process.hpp"
#include "support/env.hpp"
#include "support/run_coro.hpp"
#include "support/sync_env.hpp"
#include "sync/documents.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace sgcache;
using namespace std::chrono_literals;
using test::eventually;
using test::free_port;
using test::run_coro;
using test::sync_env;

namespace {

// Every stats document of one kind, oldest first (after a refresh, so all are visible).
std::vector<json::object> stats_of(sync_env& env, const std::string& kind) {
    const std::string alias = observe::stats_alias(env.prefix);
    if (!run_coro(env.ioc, env.es->exists(alias))) return {};
    run_coro(env.ioc, env.es->refresh(alias));
    json::object body = json::parse(R"({"size": 1000, "sort": [{"@timestamp": "asc"}]})").as_object();
    json::object term;
    term["kind"] = kind;
    body["query"] = json::object{{"term", term}};
    auto page = run_coro(env.ioc, env.es->search(alias, body));
    std::vector<json::object> out;
    for (auto& h : page.hits) out.push_back(std::move(h.source));
    return out;
}

double num(const json::value& v) { return v.to_number<double>(); }

// One GET over a fresh connection to the metrics endpoint: status and body (status 0 when
// nothing answered).
std::pair<unsigned, std::string> http_get(sync_env& env, int port, const std::string& target,
                                         http::verb method = http::verb::get) {
    http::client c(env.ioc.get_executor(), http::parse_endpoint("http://127.0.0.1:" + std::to_string(port)));
    http::request req;
    req.method = method;
    req.target = target;
    req.timeout = 5s;
    auto res = run_coro(env.ioc, c.send(req));
    if (!res) return {0, res.error().message};
    return {res->status, res->body};
}

// The value of one sample line of the text format ("name{labels} value"), or -1.
double metric(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
}

std::string random_secret(const char* what) {
    std::random_device rd;
    std::mt19937_64 rng(rd());
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s-%016llx", what, static_cast<unsigned long long>(rng()));
    return buf;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void replace_once(std::string& text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, "no '" << from << "' in the config");
    text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("stats: a sync and some events leave download, event batch, heartbeat and validation documents") {
    sync_env env({"--generate", "studio:1500", "--seed", "41"}, {"Shot", "Task", "Version"}, "", "",
                 "stats:\n  heartbeat_interval_s: 1\n  retention_days: 3\n");
    // Daily indices from before: one past retention, one inside it, and one whose name is not
    // a day (never ours to delete). The kept one is a day short of the limit, so that a run
    // crossing midnight UTC does not see it expire (the exact boundary is a unit test).
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    const std::string expired = observe::daily_index(env.prefix, today - std::chrono::days(4));
    const std::string kept = observe::daily_index(env.prefix, today - std::chrono::days(2));
    const std::string foreign = observe::stats_alias(env.prefix) + "-keep-me";
    for (const auto& name : {expired, kept, foreign}) run_coro(env.ioc, env.es->create_index(name, json::object{}));

    auto serve = env.serve();
    env.converge(90s, serve.get());
    // What the downloads wrote, before any change: the live documents of each type.
    std::map<std::string, std::uint64_t> live;
    for (const auto& c : env.configs) live[c.type] = run_coro(env.ioc, env.es->count(sync::names_for(env.prefix, c.type).live_alias));

    auto driver = env.driver(15, 42, 4, "writer", nullptr, "");
    REQUIRE(driver->wait(60s));
    env.converge(60s, serve.get());
    const auto high = env.state_doc("follower").at("high").to_number<std::int64_t>();

    // The template is in place with explicit mappings, the expired index is gone, the others stay.
    auto tmpl = run_coro(env.ioc, env.es->request(http::verb::get, "/_index_template/" + observe::stats_alias(env.prefix)));
    REQUIRE(tmpl.status == 200);
    const json::value templates = json::parse(tmpl.body);
    const auto& mapped = templates.at("index_templates").at(0).at("index_template").at("template").at("mappings");
    CHECK(mapped.at("properties").at("download").at("properties").at("entities").at("type") == "long");
    CHECK(mapped.at("properties").at("event_batch").at("properties").at("delay_max_s").at("type") == "double");
    CHECK(eventually([&] { return !run_coro(env.ioc, env.es->exists(expired)); }, 20s));
    CHECK(run_coro(env.ioc, env.es->exists(kept)));
    CHECK(run_coro(env.ioc, env.es->exists(foreign)));
    // Today's index was made from the template (its mapping, its alias).
    const std::string today_index = observe::daily_index(env.prefix, std::chrono::system_clock::now());
    REQUIRE(eventually([&] { return run_coro(env.ioc, env.es->exists(today_index)); }, 20s));
    auto today_mapping = run_coro(env.ioc, env.es->get_mapping(today_index));
    CHECK(today_mapping.at("properties").at("heartbeat").at("properties").at("lag_s").at("type") == "double");
    CHECK(today_mapping.at("dynamic") == "false");

    // One download document per type, matching what the download wrote.
    const std::string site_origin = http::parse_endpoint(env.site->url()).origin();
    auto downloads = stats_of(env, "download");
    REQUIRE(downloads.size() == 3);
    for (const auto& doc : downloads) {
        const auto& d = doc.at("download").as_object();
        const std::string type(d.at("type").as_string());
        CAPTURE(type);
        CHECK(doc.at("pid").to_number<int>() == serve->pid());
        CHECK(doc.at("site").as_string() == site_origin);
        CHECK(doc.at("version").as_string().size() > 0);
        CHECK(d.at("generation") == 1);
        CHECK(d.at("entities").to_number<std::uint64_t>() == live.at(type));
        CHECK(num(d.at("duration_s")) > 0);
        CHECK(num(d.at("duration_s")) < 90);
        CHECK(num(d.at("entities_per_s")) == doctest::Approx(num(d.at("entities")) / num(d.at("duration_s"))));
        CHECK(d.at("shotgun_requests").to_number<int>() >= 1);
        CHECK(d.at("bulk_requests").to_number<int>() >= 1);
        CHECK(d.at("rejected") == 0);
    }

    // Event batches: every applied event is in one, ids ascend, delays are plausible.
    std::vector<json::object> batches;
    std::uint64_t events = 0;
    REQUIRE(eventually([&] {
        batches = stats_of(env, "event_batch");
        events = 0;
        std::int64_t last = 0;
        for (const auto& b : batches) {
            events += b.at("event_batch").at("events").to_number<std::uint64_t>();
            last = std::max(last, b.at("event_batch").at("last_event_id").to_number<std::int64_t>());
        }
        return !batches.empty() && last == high;
    }, 20s));
    std::int64_t previous_last = 0;
    for (const auto& doc : batches) {
        const auto& b = doc.at("event_batch").as_object();
        CAPTURE(json::serialize(b));
        CHECK(b.at("events").to_number<int>() >= 1);
        CHECK(b.at("first_event_id").to_number<std::int64_t>() <= b.at("last_event_id").to_number<std::int64_t>());
        CHECK(b.at("first_event_id").to_number<std::int64_t>() > previous_last);
        previous_last = b.at("last_event_id").to_number<std::int64_t>();
        CHECK(b.at("delays").to_number<int>() <= b.at("events").to_number<int>());
        if (b.at("delays").to_number<int>() > 0) {
            CHECK(num(b.at("delay_min_s")) >= 0);
            CHECK(num(b.at("delay_min_s")) <= num(b.at("delay_mean_s")));
            CHECK(num(b.at("delay_mean_s")) <= num(b.at("delay_max_s")));
            CHECK(num(b.at("delay_max_s")) < 60);
        }
    }

    // Heartbeats every second: uptime grows, the last one sees the whole run.
    std::vector<json::object> beats;
    REQUIRE(eventually([&] {
        beats = stats_of(env, "heartbeat");
        return beats.size() >= 3 && beats.back().at("heartbeat").at("events_applied").to_number<std::uint64_t>() == events;
    }, 20s));
    double previous_uptime = -1;
    for (const auto& doc : beats) {
        const auto& h = doc.at("heartbeat").as_object();
        CHECK(num(h.at("uptime_s")) > previous_uptime);
        previous_uptime = num(h.at("uptime_s"));
        CHECK(num(h.at("lag_s")) >= 0);
        CHECK(num(h.at("lag_s")) < 60);
        CHECK(h.at("open_gaps").to_number<int>() >= 0);
        CHECK(h.at("types") == 3);
        CHECK(h.at("resident_memory_bytes").to_number<std::uint64_t>() > (1u << 20));
    }
    const auto& last = beats.back().at("heartbeat").as_object();
    CHECK(last.at("ready") == true);
    CHECK(last.at("following") == true);
    CHECK(last.at("types_active") == 3);
    CHECK(last.at("last_event_id").to_number<std::int64_t>() == high);
    CHECK(last.at("stats_dropped") == 0);
    CHECK(last.at("stats_failed") == 0);

    // A validation run, as `sgcache validate` writes it.
    const auto settings = config::load(env.config_file);
    auto result = json::parse(R"({"kind": "validation", "command": "counts", "ok": false, "duration_s": 1.25,
        "types": [{"type": "Shot", "status": "ok", "shotgun": 10, "cache": 10},
                  {"type": "Task", "status": "MISMATCH", "shotgun": 10, "cache": 9}]})").as_object();
    run_coro(env.ioc, observe::write_validation_stats(*env.es, settings, result));
    auto validations = stats_of(env, "validation");
    REQUIRE(validations.size() == 1);
    const auto& v = validations.front().at("validation").as_object();
    CHECK(v.at("ok") == false);
    CHECK(v.at("command") == "counts");
    CHECK(num(v.at("duration_s")) == 1.25);
    CHECK(v.at("types_checked") == 2);
    CHECK(v.at("types_failed") == 1);
    CHECK(json::serialize(v.at("failed_types")) == R"(["Task"])");
    CHECK(v.at("result").at("types").at(1).at("cache") == 9);

    // A search as a dashboard would make it: the slowest download, by the documented field.
    json::object agg = json::parse(R"({"size": 0, "query": {"term": {"kind": "download"}},
        "aggs": {"slowest": {"max": {"field": "download.duration_s"}}, "per_type": {"terms": {"field": "download.type"}}}})").as_object();
    auto reply = run_coro(env.ioc, env.es->search_raw(observe::stats_alias(env.prefix), agg));
    CHECK(num(reply.at("aggregations").at("slowest").at("value")) > 0);
    CHECK(reply.at("aggregations").at("per_type").at("buckets").as_array().size() == 3);
    CHECK(serve->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("stats: when Elasticsearch refuses stats documents, syncing goes on and /metrics counts the failures") {
    const int port = free_port();
    sync_env env({"--generate", "studio:600", "--seed", "43"}, {"Shot", "Task", "Version"}, "", "",
                 "stats:\n  heartbeat_interval_s: 1\nmetrics:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n");
    // Today's (and tomorrow's, should the test cross midnight) stats index refuses writes.
    const auto now = std::chrono::system_clock::now();
    for (const auto& day : {observe::daily_index(env.prefix, now), observe::daily_index(env.prefix, now + std::chrono::hours(24))}) {
        run_coro(env.ioc, env.es->create_index(day, json::parse(R"({"settings": {"index.blocks.write": true}})").as_object()));
    }
    auto serve = env.serve();
    env.converge(90s, serve.get());
    auto driver = env.driver(10, 44, 3, "writer", nullptr, "");
    REQUIRE(driver->wait(60s));
    env.converge(60s, serve.get());

    std::string text;
    REQUIRE(eventually([&] {
        text = http_get(env, port, "/metrics").second;
        return metric(text, "sgcache_stats_documents_total{outcome=\"failed\"}") >= 5;
    }, 20s));
    CHECK(metric(text, "sgcache_stats_documents_total{outcome=\"written\"}") == 0);
    CHECK(metric(text, "sgcache_events_applied_total") > 0);
    CHECK(metric(text, "sgcache_ready") == 1);
    // Syncing went on: the follower is current and every type is live.
    CHECK(http_get(env, port, "/readyz").first == 200);
    CHECK(http_get(env, port, "/healthz").first == 200);
    CHECK(http_get(env, port, "/nothing").first == 404);
    CHECK(http_get(env, port, "/metrics", http::verb::post).first == 405);
    // One warning for the streak of failures, not one per document.
    const std::string log = serve->log();
    std::size_t warnings = 0;
    for (std::size_t at = 0; (at = log.find("stats documents not written (syncing", at)) != std::string::npos; ++at) ++warnings;
    CHECK(warnings == 1);
    CHECK(log.find("cluster_block_exception") != std::string::npos);
    CHECK(serve->stop(SIGTERM, 10s) == 0);
    // After the stop nothing listens any more.
    CHECK(http_get(env, port, "/healthz").first == 0);
}

TEST_CASE("logs: no configured secret appears in serve's output, as text or as JSON lines") {
    const std::string script_key = random_secret("script-key");
    const std::string es_password = random_secret("es-password");
    const std::string control_token = random_secret("control-token");
    const std::string wrong_key = random_secret("wrong-key");
    sync_env env({"--generate", "studio:400", "--seed", "45", "--script", "observer:" + script_key}, {"Shot", "Task", "Version"}, "", "");
    std::string config = read_file(env.config_file);
    replace_once(config, "script_name: sgcache\n  script_key: " + std::string(test::reader_key),
                 "script_name: observer\n  script_key: " + script_key);
    // A dead first host makes the client fail over (and log it) on every start.
    replace_once(config, "elasticsearch:\n  hosts: [", "elasticsearch:\n  username: sgcache\n  password: " + es_password +
                                                          "\n  hosts: [http://127.0.0.1:" + std::to_string(free_port()) + ", ");
    replace_once(config, "control:\n  endpoint: tcp://127.0.0.1:" + std::to_string(env.control_port) + "\n",
                 "control:\n  endpoint: tcp://127.0.0.1:" + std::to_string(env.control_port) + "\n  token: " + control_token + "\n");
    std::ofstream(env.config_file) << config;

    auto no_secret = [&](const std::string& output) {
        for (const auto& s : {script_key, es_password, control_token, wrong_key}) {
            CHECK_MESSAGE(output.find(s) == std::string::npos, "a secret in the output:\n" << sync_env::tail(output, 3000));
        }
    };
    // Text, at debug level, with Shotgun refusing the first requests for longer than the
    // client retries (the engine logs the failure with its message and tries again) and
    // answering 503 now and then during the download.
    env.set_faults(R"({"fail_next": ["503", "503", "503", "503", "503", "503", "503", "503", "503", "503", "503", "503"], "http_503": 0.05})");
    auto serve = env.serve();
    env.converge(90s, serve.get());
    env.set_faults(R"({"http_503": 0})");
    auto driver = env.driver(10, 46, 2, "writer", nullptr, "");
    REQUIRE(driver->wait(60s));
    env.converge(60s, serve.get());
    CHECK(serve->stop(SIGTERM, 10s) == 0);
    const std::string text_log = serve->log();
    CHECK(text_log.find(" DEBUG ") != std::string::npos);
    CHECK(text_log.find("INFO  serve: starting") != std::string::npos);
    CHECK_MESSAGE(text_log.find("failed; retrying") != std::string::npos, text_log.substr(0, 4000));
    CHECK(text_log.find("HTTP 503") != std::string::npos);
    no_secret(text_log);

    // JSON lines: every line is an object with a level, a component and a message.
    std::string json_config = config;
    replace_once(json_config, "log:\n  level: debug\n", "log:\n  level: debug\n  format: json\n");
    std::ofstream(env.config_file) << json_config;
    serve = env.serve();
    auto driver2 = env.driver(10, 47, 2, "writer", nullptr, "");
    REQUIRE(driver2->wait(60s));
    env.converge(60s, serve.get());
    CHECK(serve->stop(SIGTERM, 10s) == 0);
    const std::string json_log = serve->log();
    no_secret(json_log);
    std::istringstream lines(json_log);
    int parsed = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        boost::system::error_code ec;
        auto v = json::parse(line, ec);
        REQUIRE_MESSAGE(!ec, "not a JSON line: " << line);
        CHECK(v.at("component").as_string().size() > 0);
        CHECK(v.at("level").is_string());
        CHECK(v.at("msg").is_string());
        ++parsed;
    }
    CHECK(parsed > 5);

    // A refused key: the error names the script, never the key.
    std::string wrong = config;
    replace_once(wrong, "script_key: " + script_key, "script_key: " + wrong_key);
    std::ofstream(env.config_file) << wrong;
    serve = env.serve();
    CHECK(serve->wait(60s) == 1);
    const std::string refused = serve->log();
    CHECK(refused.find("fault 102") != std::string::npos);
    no_secret(refused);
}
