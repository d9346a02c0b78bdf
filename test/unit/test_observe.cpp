// Observability without sockets: the Prometheus text format, the stats documents and their
// index layout, the metrics collected from an engine status, readiness, the endpoint's
// routing, the stats queue's drop-and-count, and the configuration keys of stats/metrics.
#include "config/settings.hpp"
#include "config/yaml_reader.hpp"
#include "elastic/client.hpp"
#include "observe/collect.hpp"
#include "observe/metrics_server.hpp"
#include "observe/prometheus.hpp"
#include "observe/stats_documents.hpp"
#include "observe/stats_writer.hpp"
#include "observe/status_history.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <unistd.h>

using namespace sgcache;
using namespace sgcache::observe;
using namespace std::chrono;
namespace json = boost::json;

namespace {

// 2026-11-28T19:40:05.123Z
clock::time_point at(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0, int ms = 0) {
    return clock::time_point(sys_days(year(y) / month(m) / day(d)).time_since_epoch() + hours(hh) + minutes(mm) +
                             seconds(ss) + milliseconds(ms));
}

doc_context ctx() { return {"render-07", 4242, "https://studio.example:443", "0.1.0"}; }

// The lines of a rendered registry that are samples (not comments).
std::vector<std::string> samples(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line[0] != '#') out.push_back(line);
    }
    return out;
}

bool has_line(const std::string& text, const std::string& line) {
    for (const auto& l : samples(text)) {
        if (l == line) return true;
    }
    return false;
}

// Every leaf field of `doc` must be declared in the template's mappings, with a type that
// fits its JSON value: what the writer emits is what Kibana sees typed.
void check_mapped(const json::object& doc, const json::object& props, const std::string& path) {
    for (const auto& [key, value] : doc) {
        const std::string name = path + std::string(key);
        const json::value* m = props.if_contains(key);
        REQUIRE_MESSAGE(m, name << " is not in the template's mappings");
        const json::object& mapping = m->as_object();
        if (auto inner = mapping.if_contains("properties"); inner && value.is_object()) {
            check_mapped(value.as_object(), inner->as_object(), name + ".");
            continue;
        }
        const json::value* type = mapping.if_contains("type");
        REQUIRE(type);
        const std::string t(type->as_string());
        if (t == "object") continue;  // kept, not indexed
        if (value.is_bool()) CHECK_MESSAGE(t == "boolean", name);
        else if (value.is_string()) CHECK_MESSAGE((t == "keyword" || t == "date"), name);
        else if (value.is_double()) CHECK_MESSAGE(t == "double", name);
        else if (value.is_int64() || value.is_uint64()) CHECK_MESSAGE((t == "long" || t == "integer" || t == "double"), name);
        else if (value.is_array()) CHECK_MESSAGE(t == "keyword", name);
    }
}

sync::engine_status sample_status() {
    sync::engine_status st;
    st.started_ms = 1'000'000;
    st.last_event_id = 812;
    st.lag_seconds = 1.5;
    st.events_per_second = 2.25;
    st.open_gaps = 2;
    st.events_applied = 400;
    st.gaps_expired = 1;
    st.safety_scans = 3;
    st.following = true;
    sync::type_status shot;
    shot.type = "Shot";
    shot.phase = "following";
    shot.active_generation = 1;
    shot.written = 1200;
    shot.stale = 7;
    shot.tombstones = 5;
    sync::type_status task;
    task.type = "Task";
    task.phase = "building";
    task.building_generation = 1;
    task.build_total = 1000;
    task.build_loaded = 250;
    task.build_rate = 125.5;
    task.written = 250;
    st.types = {shot, task};
    st.ready = false;
    return st;
}

struct temp_config {
    std::filesystem::path dir;
    std::filesystem::path file;
    explicit temp_config(const std::string& text) {
        dir = std::filesystem::temp_directory_path() /
              ("sgct-observe-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
        std::filesystem::create_directories(dir);
        file = dir / "config.yaml";
        std::ofstream(file) << text;
    }
    ~temp_config() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

const char* minimal = "shotgun:\n  url: https://studio.shotgrid.autodesk.com\n  script_name: sgcache\n  script_key: k\n";

std::string error_of(const std::string& text) {
    temp_config c(text);
    try {
        config::load(c.file);
    } catch (const config::config_error& e) {
        std::string msg = e.what();
        const std::string prefix = c.file.string();
        if (msg.rfind(prefix, 0) == 0) msg = "config.yaml" + msg.substr(prefix.size());
        return msg;
    }
    return "loaded";
}

}  // namespace

TEST_CASE("prometheus: counters, gauges and labels render in the text format, escaped") {
    registry r;
    r.counter("sgcache_events_applied_total", "events applied", {}, 42);
    r.gauge("sgcache_follower_lag_seconds", "lag\nin seconds, with a \\ backslash", {}, 0.25);
    r.counter("sgcache_entities_indexed_total", "by type", {{"type", "Shot"}, {"outcome", "written"}}, 3);
    r.counter("sgcache_entities_indexed_total", "by type", {{"type", "Cut\"Item\\\n"}, {"outcome", "stale"}}, 0);
    const std::string text = r.render();
    CHECK(text ==
          "# HELP sgcache_events_applied_total events applied\n"
          "# TYPE sgcache_events_applied_total counter\n"
          "sgcache_events_applied_total 42\n"
          "# HELP sgcache_follower_lag_seconds lag\\nin seconds, with a \\\\ backslash\n"
          "# TYPE sgcache_follower_lag_seconds gauge\n"
          "sgcache_follower_lag_seconds 0.25\n"
          "# HELP sgcache_entities_indexed_total by type\n"
          "# TYPE sgcache_entities_indexed_total counter\n"
          "sgcache_entities_indexed_total{type=\"Shot\",outcome=\"written\"} 3\n"
          "sgcache_entities_indexed_total{type=\"Cut\\\"Item\\\\\\n\",outcome=\"stale\"} 0\n");
    CHECK(r.families() == 3);
}

TEST_CASE("prometheus: histograms are cumulative, end with +Inf and carry _sum and _count") {
    registry r;
    histogram_data h;
    h.bounds = {0.01, 0.1, 1};
    h.counts = {2, 0, 3, 1};
    h.sum = 4.5;
    r.histogram("sgcache_elasticsearch_bulk_duration_seconds", "latency", {{"writer", "follower"}}, h);
    const auto text = r.render();
    CHECK(text.find("# TYPE sgcache_elasticsearch_bulk_duration_seconds histogram\n") != std::string::npos);
    CHECK(has_line(text, "sgcache_elasticsearch_bulk_duration_seconds_bucket{writer=\"follower\",le=\"0.01\"} 2"));
    CHECK(has_line(text, "sgcache_elasticsearch_bulk_duration_seconds_bucket{writer=\"follower\",le=\"0.1\"} 2"));
    CHECK(has_line(text, "sgcache_elasticsearch_bulk_duration_seconds_bucket{writer=\"follower\",le=\"1\"} 5"));
    CHECK(has_line(text, "sgcache_elasticsearch_bulk_duration_seconds_bucket{writer=\"follower\",le=\"+Inf\"} 6"));
    CHECK(has_line(text, "sgcache_elasticsearch_bulk_duration_seconds_sum{writer=\"follower\"} 4.5"));
    CHECK(has_line(text, "sgcache_elasticsearch_bulk_duration_seconds_count{writer=\"follower\"} 6"));

    histogram_data bad = h;
    bad.counts.pop_back();
    CHECK_THROWS_AS(r.histogram("x_seconds", "", {}, bad), std::invalid_argument);
    bad = h;
    bad.bounds = {1, 0.5, 2};
    CHECK_THROWS_AS(r.histogram("x_seconds", "", {}, bad), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("y_seconds", "", {{"le", "1"}}, h), std::invalid_argument);
}

TEST_CASE("prometheus: values, names and type conflicts") {
    CHECK(format_value(0) == "0");
    CHECK(format_value(-3) == "-3");
    CHECK(format_value(1e15) == "1000000000000000");
    CHECK(format_value(0.1) == "0.1");
    CHECK(format_value(1.0 / 3) == "0.3333333333333333");
    CHECK(format_value(1e300) == "1e+300");
    CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(format_value(std::nan("")) == "NaN");
    CHECK(valid_metric_name("sgcache:rule_total"));
    CHECK_FALSE(valid_metric_name("9lives"));
    CHECK_FALSE(valid_metric_name("has-dash"));
    CHECK_FALSE(valid_metric_name(""));
    CHECK(valid_label_name("type"));
    CHECK_FALSE(valid_label_name("__name__"));
    CHECK_FALSE(valid_label_name("a:b"));
    registry r;
    r.gauge("x", "", {}, 1);
    CHECK_THROWS_AS(r.counter("x", "", {}, 1), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("bad name", "", {}, 1), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("y", "", {{"bad-label", "v"}}, 1), std::invalid_argument);
}

TEST_CASE("stats: timestamps and daily index names are UTC days") {
    CHECK(iso_timestamp(at(2026, 11, 28, 19, 40, 5, 123)) == "2026-11-28T19:40:05.123Z");
    CHECK(iso_timestamp(at(1999, 1, 2)) == "1999-01-02T00:00:00.000Z");
    CHECK(daily_index("sgcache-", at(2026, 11, 28, 23, 59, 59, 999)) == "sgcache-stats-2026.11.28");
    CHECK(daily_index("sgcache-", at(2026, 11, 29)) == "sgcache-stats-2026.11.29");
    CHECK(stats_alias("studio-") == "studio-stats");
    CHECK(day_of_index("sgcache-", "sgcache-stats-2026.02.28") == sys_days(year(2026) / 2 / 28));
    CHECK_FALSE(day_of_index("sgcache-", "sgcache-stats-2026.02.30"));   // no such day
    CHECK_FALSE(day_of_index("sgcache-", "sgcache-stats-2026.11.28-x"));  // not ours
    CHECK_FALSE(day_of_index("sgcache-", "sgcache-stats-keep"));
    CHECK_FALSE(day_of_index("sgcache-", "other-stats-2026.11.28"));
    CHECK_FALSE(day_of_index("sgcache-", "sgcache-stats-2026-11-28"));
}

TEST_CASE("stats: retention drops daily indices more than N days old, and nothing else") {
    const std::vector<std::string> indices{"sgcache-stats-2026.10.28", "sgcache-stats-2026.10.29",
                                           "sgcache-stats-2026.11.28", "sgcache-stats-2025.01.01",
                                           "sgcache-stats-keep",       "sgcache-entity-shot-g000001",
                                           "sgcache-stats-2026.12.01"};
    const auto today = sys_days(year(2026) / 11 / 28);
    CHECK(expired_indices("sgcache-", indices, today, 30) ==
          std::vector<std::string>{"sgcache-stats-2025.01.01", "sgcache-stats-2026.10.28"});
    CHECK(expired_indices("sgcache-", indices, today, 1).size() == 3);
    CHECK(expired_indices("other-", indices, today, 1).empty());
}

TEST_CASE("stats: every field of every kind of document is mapped in the template") {
    const auto tmpl = index_template("sgcache-");
    CHECK(json::serialize(tmpl.at("index_patterns")) == R"(["sgcache-stats-*"])");
    const auto& mappings = tmpl.at("template").at("mappings").as_object();
    CHECK(mappings.at("dynamic") == false);
    const auto& props = mappings.at("properties").as_object();
    CHECK(tmpl.at("template").at("aliases").as_object().contains("sgcache-stats"));

    sync::download_report d{"Shot", 2, 1200, 12.5, 9, 1, 3, 0};
    sync::event_batch_report b;
    b.events = 3;
    b.entities = 2;
    b.first_event_id = 10;
    b.last_event_id = 14;
    b.delays = {0.5, 1.5, 4.0};
    heartbeat h;
    h.uptime_s = 61.5;
    h.types = 3;
    json::object result = json::parse(R"({"ok":false,"command":"data","mode":"sample","seconds":2.5,"findings":3,
        "types":[{"type":"Shot","ok":true},{"type":"Task","ok":false,"site":10,"cache":9}]})").as_object();
    for (const auto& doc : {download_document(d, ctx(), at(2026, 11, 28)), event_batch_document(b, ctx(), at(2026, 11, 28)),
                            heartbeat_document(h, ctx(), at(2026, 11, 28)), validation_document(result, ctx(), at(2026, 11, 28))}) {
        CAPTURE(json::serialize(doc));
        check_mapped(doc, props, "");
    }
}

TEST_CASE("stats: document contents per kind") {
    const auto t = at(2026, 11, 28, 19, 40, 5, 123);
    sync::download_report d{"Shot", 2, 1200, 12.0, 9, 1, 3, 4};
    auto dl = download_document(d, ctx(), t);
    CHECK(dl.at("@timestamp") == "2026-11-28T19:40:05.123Z");
    CHECK(dl.at("kind") == "download");
    CHECK(dl.at("host") == "render-07");
    CHECK(dl.at("pid") == 4242);
    CHECK(dl.at("site") == "https://studio.example:443");
    CHECK(dl.at("download").at("type") == "Shot");
    CHECK(dl.at("download").at("entities") == 1200);
    CHECK(dl.at("download").at("entities_per_s").as_double() == doctest::Approx(100));
    CHECK(dl.at("download").at("shotgun_requests") == 9);
    CHECK(dl.at("download").at("shotgun_retries") == 1);
    CHECK(dl.at("download").at("bulk_requests") == 3);
    CHECK(dl.at("download").at("rejected") == 4);

    sync::event_batch_report b;
    b.events = 4;
    b.entities = 3;
    b.first_event_id = 10;
    b.last_event_id = 14;
    b.delays = {0.5, 1.5, 4.0, -0.2};  // a site clock a little ahead of ours
    auto eb = event_batch_document(b, ctx(), t).at("event_batch").as_object();
    CHECK(eb.at("events") == 4);
    CHECK(eb.at("entities") == 3);
    CHECK(eb.at("delays") == 4);
    CHECK(eb.at("delay_min_s").as_double() == 0.0);
    CHECK(eb.at("delay_mean_s").as_double() == doctest::Approx(1.5));
    CHECK(eb.at("delay_max_s").as_double() == 4.0);
    b.delays.assign(21, 0.738);  // a sum that rounds: the mean still lies within [min, max]
    eb = event_batch_document(b, ctx(), t).at("event_batch").as_object();
    CHECK(eb.at("delay_mean_s").as_double() >= eb.at("delay_min_s").as_double());
    CHECK(eb.at("delay_mean_s").as_double() <= eb.at("delay_max_s").as_double());
    b.delays.clear();
    eb = event_batch_document(b, ctx(), t).at("event_batch").as_object();
    CHECK(eb.at("delays") == 0);
    CHECK_FALSE(eb.contains("delay_mean_s"));

    // Validation: both shapes of per-type results, and whatever else the result holds kept.
    auto v = validation_document(json::parse(R"({"ok":false,"mode":"data","duration_s":3,
        "types":{"Shot":{"ok":true},"Task":{"ok":false},"Asset":{"ok":false}}})").as_object(), ctx(), t);
    const auto& vo = v.at("validation").as_object();
    CHECK(vo.at("ok") == false);
    CHECK(vo.at("mode") == "data");
    CHECK(vo.at("duration_s").as_double() == 3.0);
    CHECK(vo.at("types_checked") == 3);
    CHECK(vo.at("types_failed") == 2);
    CHECK(json::serialize(vo.at("failed_types")) == R"(["Task","Asset"])");
    CHECK(vo.at("result").at("types").at("Task").at("ok") == false);
    // The shape `sgcache validate counts --json` prints: per-type status, no per-type ok.
    auto counts = validation_document(json::parse(R"({"kind":"validation","command":"counts","ok":false,
        "duration_s":0.5,"types":[{"type":"Shot","status":"ok"},{"type":"Task","status":"pending"},
        {"type":"Version","status":"MISMATCH"},{"type":"Note","status":"error","error":"timeout"}]})").as_object(), ctx(), t);
    const auto& co = counts.at("validation").as_object();
    CHECK(co.at("command") == "counts");
    CHECK(co.at("types_checked") == 4);
    CHECK(json::serialize(co.at("failed_types")) == R"(["Version","Note"])");
    auto data = validation_document(json::parse(R"({"command":"data","mode":"sample","ok":true,"findings":0,
        "types":[{"type":"Shot","ok":true,"status":"whatever"}]})").as_object(), ctx(), t);
    CHECK(data.at("validation").at("mode") == "sample");
    CHECK(data.at("validation").at("findings") == 0);
    CHECK(data.at("validation").at("types_failed") == 0);
    auto bare = validation_document(json::object{}, ctx(), t).at("validation").as_object();
    CHECK(bare.size() == 1);  // only the (empty) result
}

TEST_CASE("metrics: collected from an engine status, every family parses as expected") {
    metrics_input in;
    in.status = sample_status();
    in.now_ms = 1'060'000;
    in.counters.shotgun.requests = 30;
    in.counters.shotgun.retries = 2;
    in.counters.shotgun.outcomes[{"ok", 200}] = 27;
    in.counters.shotgun.outcomes[{"busy", 503}] = 2;
    in.counters.shotgun.outcomes[{"transport", 0}] = 1;
    in.counters.follower_writes.requests = 5;
    in.counters.follower_writes.latency_buckets[0] = 4;
    in.counters.follower_writes.latency_buckets[12] = 1;
    in.counters.follower_writes.latency_seconds = 40.02;
    stats_counters sc;
    sc.written = 10;
    sc.failed = 2;
    sc.dropped = 1;
    sc.queue_length = 3;
    in.stats = sc;
    in.process.resident_bytes = 50 << 20;
    const auto text = collect(in).render();
    CHECK(has_line(text, "sgcache_uptime_seconds 60"));
    CHECK(has_line(text, "sgcache_ready 0"));  // Task is still building
    CHECK(has_line(text, "sgcache_events_applied_total 400"));
    CHECK(has_line(text, "sgcache_follower_lag_seconds 1.5"));
    CHECK(has_line(text, "sgcache_follower_open_gaps 2"));
    CHECK(has_line(text, "sgcache_follower_last_event_id 812"));
    CHECK(has_line(text, "sgcache_type_phase{type=\"Task\",phase=\"building\"} 1"));
    CHECK(has_line(text, "sgcache_type_phase{type=\"Task\",phase=\"following\"} 0"));
    CHECK(has_line(text, "sgcache_type_active_generation{type=\"Shot\"} 1"));
    CHECK(has_line(text, "sgcache_entities_indexed_total{type=\"Shot\",outcome=\"written\"} 1200"));
    CHECK(has_line(text, "sgcache_entities_indexed_total{type=\"Shot\",outcome=\"stale\"} 7"));
    CHECK(has_line(text, "sgcache_tombstones_written_total{type=\"Shot\"} 5"));
    CHECK(has_line(text, "sgcache_snapshot_progress_ratio{type=\"Task\"} 0.25"));
    CHECK(has_line(text, "sgcache_snapshot_progress_ratio{type=\"Shot\"} 1"));
    CHECK(has_line(text, "sgcache_snapshot_rate_entities_per_second{type=\"Task\"} 125.5"));
    CHECK(has_line(text, "sgcache_shotgun_requests_total{outcome=\"ok\",status=\"200\"} 27"));
    CHECK(has_line(text, "sgcache_shotgun_requests_total{outcome=\"busy\",status=\"503\"} 2"));
    CHECK(has_line(text, "sgcache_shotgun_requests_total{outcome=\"transport\",status=\"0\"} 1"));
    CHECK(has_line(text, "sgcache_shotgun_retries_total 2"));
    CHECK(has_line(text, "sgcache_elasticsearch_bulk_requests_total{writer=\"follower\"} 5"));
    CHECK(has_line(text, "sgcache_elasticsearch_bulk_duration_seconds_bucket{writer=\"follower\",le=\"0.005\"} 4"));
    CHECK(has_line(text, "sgcache_elasticsearch_bulk_duration_seconds_bucket{writer=\"follower\",le=\"30\"} 4"));
    CHECK(has_line(text, "sgcache_elasticsearch_bulk_duration_seconds_count{writer=\"follower\"} 5"));
    CHECK(has_line(text, "sgcache_elasticsearch_bulk_duration_seconds_count{writer=\"snapshot\"} 0"));
    CHECK(has_line(text, "sgcache_stats_documents_total{outcome=\"failed\"} 2"));
    CHECK(has_line(text, "sgcache_stats_documents_total{outcome=\"dropped\"} 1"));
    CHECK(has_line(text, "sgcache_stats_queue_length 3"));
    CHECK(has_line(text, "process_resident_memory_bytes 52428800"));
    // Each family is announced once, before its samples.
    std::size_t types = 0;
    for (std::size_t at = 0; (at = text.find("# TYPE sgcache_entities_indexed_total ", at)) != std::string::npos; ++at) ++types;
    CHECK(types == 1);

    in.stats.reset();
    CHECK(collect(in).render().find("sgcache_stats_") == std::string::npos);
}

TEST_CASE("metrics: readiness needs every type downloaded, a follower poll and a lag within the limit") {
    auto st = sample_status();
    auto r = check_ready(st, seconds(300));
    CHECK_FALSE(r.ready);
    CHECK(r.reason == "Task has no active generation yet (building, 25% loaded)");
    st.types[1].active_generation = 1;
    st.types[1].phase = "following";
    CHECK(check_ready(st, seconds(300)).ready);
    CHECK(check_ready(st, seconds(300)).reason == "ready");
    st.lag_seconds = 301;
    CHECK(check_ready(st, seconds(300)).reason == "the event follower lags 301.0 s behind the site (limit 300 s)");
    st.lag_seconds = 0;
    st.following = false;
    CHECK(check_ready(st, seconds(300)).reason == "the event follower has not completed a poll yet");
    st.types.clear();
    CHECK_FALSE(check_ready(st, seconds(300)).ready);

    const auto h = heartbeat_from(sample_status(), 1'030'500);
    CHECK(h.uptime_s == 30.5);
    CHECK(h.types == 2);
    CHECK(h.types_active == 1);
    CHECK(h.types_building == 1);
    CHECK(h.open_gaps == 2);
    CHECK(h.events_applied == 400);
}

TEST_CASE("metrics: the endpoint's routes and status codes") {
    metrics_sources src;
    auto st = sample_status();
    src.status = [&st] { return st; };
    src.counters = [] { return sync::engine_counters{}; };
    src.ready_max_lag = seconds(60);
    auto get = [&](const std::string& target, http::verb v = http::verb::get) {
        http::request req;
        req.method = v;
        req.target = target;
        return answer(req, src);
    };
    auto m = get("/metrics");
    CHECK(m.status == 200);
    CHECK(m.header("Content-Type") == text_content_type);
    CHECK(m.body.find("sgcache_events_applied_total 400") != std::string::npos);
    CHECK(get("/metrics?name[]=x").status == 200);
    CHECK(get("/healthz").status == 200);
    CHECK(json::parse(get("/healthz").body).at("status") == "ok");
    auto not_ready = get("/readyz");
    CHECK(not_ready.status == 503);
    CHECK(json::parse(not_ready.body).at("reason") == "Task has no active generation yet (building, 25% loaded)");
    st.types[1].active_generation = 1;
    CHECK(get("/readyz").status == 200);
    CHECK(json::parse(get("/readyz").body).at("ready") == true);
    CHECK(get("/nope").status == 404);
    auto post = get("/metrics", http::verb::post);
    CHECK(post.status == 405);
    CHECK(post.header("Allow") == "GET, HEAD");
    auto head = get("/metrics", http::verb::head);
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    src.counters = []() -> sync::engine_counters { throw std::runtime_error("boom"); };
    CHECK(get("/metrics").status == 500);

    src.counters = [] { return sync::engine_counters{}; };
    // The status page: 404 without data; beyond loopback only with the token.
    CHECK(get("/").status == 404);
    src.page_data = [] { return json::object{{"status", json::object{}}, {"history", json::object{}}}; };
    auto page = get("/");
    CHECK(page.status == 200);
    CHECK(page.header("Content-Type") == "text/html; charset=utf-8");
    CHECK(page.body.find("<title>sgcache status</title>") != std::string::npos);
    CHECK(page.body.find("://") == std::string::npos);  // no absolute URL: nothing is fetched from elsewhere
    CHECK(json::parse(get("/status.json").body).as_object().contains("history"));
    src.page_needs_token = true;
    CHECK(get("/").status == 403);  // no token configured
    src.page_token = "s3cret";
    CHECK(get("/").status == 401);
    CHECK(get("/status.json?token=nope").status == 401);
    CHECK(get("/status.json?token=s3cret").status == 200);
    CHECK(get("/?a=1&token=s3cr%65t").status == 200);
    http::request bearer;
    bearer.target = "/status.json";
    bearer.fields.push_back({"Authorization", "Bearer s3cret"});
    CHECK(answer(bearer, src).status == 200);
    CHECK(get("/metrics").status == 200);  // Prometheus needs no token

    CHECK(parse_listen("127.0.0.1:9465") == std::pair<std::string, std::uint16_t>{"127.0.0.1", 9465});
    CHECK(parse_listen("[::1]:0") == std::pair<std::string, std::uint16_t>{"::1", 0});
    CHECK_THROWS_AS(parse_listen("127.0.0.1"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen("127.0.0.1:99999"), std::invalid_argument);
    CHECK_THROWS_AS(parse_listen("127.0.0.1:http"), std::invalid_argument);
}

TEST_CASE("stats: a full queue drops documents and counts them; it never waits") {
    boost::asio::io_context ioc;
    elastic::client_config cfg;
    cfg.hosts = {"http://127.0.0.1:9"};  // never contacted: run() is not started
    elastic::client es(ioc.get_executor(), cfg);
    stats_writer_options o;
    o.queue_size = 3;
    o.context = ctx();
    stats_writer w(es, o);
    sync::event_batch_report b;
    b.events = 1;
    for (int i = 0; i < 5; ++i) w.event_batch_applied(b);
    sync::download_report d;
    d.type = "Shot";
    w.download_finished(d);
    const auto c = w.counters();
    CHECK(c.queued == 3);
    CHECK(c.dropped == 3);
    CHECK(c.queue_length == 3);
    CHECK(c.written == 0);
    CHECK_FALSE(c.template_ready);
    CHECK(w.enqueue(json::object{}) == false);
    w.stop();
    CHECK(w.enqueue(json::object{}) == false);  // stopping: nothing new is accepted
}

TEST_CASE("config: stats and metrics keys, with defaults and limits") {
    {
        temp_config c(minimal);
        const auto s = config::load(c.file);
        CHECK(s.stats.enabled);
        CHECK(s.stats.retention_days == 30);
        CHECK(s.stats.heartbeat_interval == seconds(60));
        CHECK(s.stats.queue_size == 1000);
        CHECK(s.metrics.listen == "127.0.0.1:9465");
        CHECK(s.metrics.ready_max_lag == seconds(300));
    }
    {
        temp_config c(std::string(minimal) +
                      "stats:\n  heartbeat_interval_s: 5\n  queue_size: 50\n  retention_days: 7\n"
                      "metrics:\n  listen: 127.0.0.1:0\n  ready_max_lag_s: 30\n");
        const auto s = config::load(c.file);
        CHECK(s.stats.heartbeat_interval == seconds(5));
        CHECK(s.stats.queue_size == 50);
        CHECK(s.stats.retention_days == 7);
        CHECK(s.metrics.ready_max_lag == seconds(30));
    }
    CHECK(error_of(std::string(minimal) + "stats:\n  heartbeat_interval_s: 0\n").find("config.yaml:6: stats.heartbeat_interval_s") == 0);
    CHECK(error_of(std::string(minimal) + "stats:\n  queue_size: 0\n").find("config.yaml:6: stats.queue_size") == 0);
    CHECK(error_of(std::string(minimal) + "metrics:\n  ready_max_lag_s: -1\n").find("config.yaml:6: metrics.ready_max_lag_s") == 0);
    CHECK(error_of(std::string(minimal) + "metrics:\n  ready_lag: 5\n").find("config.yaml:6: unknown key 'metrics.ready_lag'") == 0);
    // The shipped file documents and sets them.
    const char* root = std::getenv("SGCACHE_ROOT");
    ::setenv("SGCACHE_SCRIPT_KEY", "from-env", 1);
    const auto shipped = config::load(std::filesystem::path(root ? root : ".") / "etc" / "config.yaml");
    ::unsetenv("SGCACHE_SCRIPT_KEY");
    CHECK(shipped.stats.heartbeat_interval == seconds(60));
    CHECK(shipped.metrics.ready_max_lag == seconds(300));
}

TEST_CASE("status history: samples of the last window only, the latest problems newest first, the last validation") {
    sgcache::observe::status_history h(std::chrono::seconds(60), 3);
    h.sample(1'000, 0.5, 10, 0);
    h.sample(30'000, 1.5, 20, 2);
    h.sample(62'000, 2.5, 30, 1);  // the first is now more than 60 s old
    REQUIRE(h.points().size() == 2);
    CHECK(h.points().front().ms == 30'000);
    for (int i = 0; i < 5; ++i) h.note_problem(i, "warning", "follower", "gap " + std::to_string(i));
    CHECK(h.problems().size() == 3);
    auto j = h.to_json();
    CHECK(j.at("window_s").to_number<int>() == 60);
    CHECK(j.at("points").as_array().size() == 2);
    CHECK(j.at("problems").as_array().front().at("message").as_string() == "gap 4");
    CHECK(j.at("validation").is_null());
    h.set_validation(sgcache::observe::parse_timestamp_ms("2026-12-07T03:15:42.162Z"), boost::json::object{{"ok", true}});
    j = h.to_json();
    CHECK(j.at("validation").at("ok").as_bool());
    CHECK(j.at("validation").at("at_ms").to_number<std::int64_t>() == 1796613342162);
    CHECK(sgcache::observe::parse_timestamp_ms("not a time") == 0);
    CHECK(sgcache::observe::parse_timestamp_ms("2026-12-07T03:15:42Z") == 1796613342000);
}
