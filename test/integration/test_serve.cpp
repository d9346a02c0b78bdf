// sgcache serve end to end: the real sgcache executable against a fake Shotgun site and the
// real OpenSearch node, over real sockets. Every test ends with the convergence check: each
// entity's cached document equals what the site returns, no retired entity is visible
// through the live alias, and no cached entity is missing.
#include "config/entity_config.hpp"
#include "elastic/client.hpp"
#include "shotgun/client.hpp"
#include "shotgun/schema.hpp"
#include "support/env.hpp"
#include "support/hold_proxy.hpp"
#include "support/run_coro.hpp"
#include "support/sync_env.hpp"
#include "sync/documents.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace sgcache;
using namespace std::chrono_literals;
using test::eventually;
using test::run_coro;
using test::sync_env;
using test::silent_key;
using test::reader_key;

namespace {

const std::vector<std::string> studio_types{"Project", "Shot", "Asset", "Task", "Version", "Playlist", "Note"};

}  // namespace

TEST_CASE("serve: a full download equals the site; SIGTERM stops it cleanly") {
    sync_env env({"--generate", "studio:4000", "--seed", "11"}, studio_types, "");
    auto serve = env.serve();
    env.converge(90s, serve.get());
    for (const auto& t : studio_types) {
        CHECK_MESSAGE(env.active_index(t) == sync::names_for(env.prefix, t).generation(1), t);
    }
    // The generation of Task is configured for readers again after the load.
    auto settings = run_coro(env.ioc, env.es->request(http::verb::get, "/" + env.active_index("Task") + "/_settings"));
    CHECK(settings.body.find(R"("refresh_interval":"1s")") != std::string::npos);

    const auto t0 = std::chrono::steady_clock::now();
    auto status = serve->stop(SIGTERM, 10s);
    REQUIRE(status);
    CHECK(*status == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    CHECK(env.state_doc("lease").at("holder").as_string() == "");  // released
    CHECK(serve->log().find("stopping on SIGTERM") != std::string::npos);
    CHECK(serve->log().find(reader_key) == std::string::npos);  // the key never reaches the log
}

TEST_CASE("serve: creates, updates, retirements, revivals, multi-entity edits and Task moves during the download") {
    // Latency makes the download take a while, so that the workload overlaps it.
    sync_env env({"--generate", "studio:6000", "--seed", "12", "--fault", "latency_ms=15"}, studio_types,
                 "  snapshot_range_size: 500\n  snapshot_workers: 2\n");
    auto serve = env.serve();
    auto driver = env.driver(60, 7, 8);
    const auto driven = driver->wait(60s);
    REQUIRE(driven);
    CHECK_MESSAGE(*driven == 0, driver->log());
    env.converge(90s, serve.get());
    // The workload really overlapped the download.
    CHECK(serve->log().find("full download complete") != std::string::npos);
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("serve: out-of-order event commits and ids that never commit") {
    sync_env env({"--generate", "studio:1500", "--seed", "13"}, studio_types, "  gap_timeout_s: 4\n");
    auto serve = env.serve();
    env.converge(60s, serve.get());
    // From now on a third of the writes become visible late, and some ids never appear.
    env.set_faults(R"({"event_delay_probability":0.3,"event_delay_ms":1500,"event_drop_probability":0.1})");
    auto driver = env.driver(40, 8, 6);
    REQUIRE(driver->wait(60s));
    env.converge(60s, serve.get());
    // Ids that never commit are given up after the gap timeout, and the follower goes on.
    CHECK(eventually([&] { return serve->log().find("gave up waiting for an event id") != std::string::npos; }, 20s));
    CHECK(serve->running());
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("serve: a backlog with ids that never commit is caught up; its gaps are given up by the site's clock") {
    sync_env env({"--generate", "studio:1500", "--seed", "16"}, studio_types,
                 "  gap_timeout_s: 3\n  event_batch_size: 1000\n");
    {
        auto serve = env.serve();
        env.converge(60s, serve.get());
        serve->stop(SIGTERM, 10s);
    }
    // While it is down, 8 s of writes, a tenth of whose event ids never commit: the backlog
    // spans more than the gap timeout on the site's clock.
    env.set_faults(R"({"event_drop_probability":0.1})");
    auto driver = env.driver(150, 17, 8);
    REQUIRE(driver->wait(60s));
    env.set_faults(R"({"event_drop_probability":0})");
    auto serve = env.serve();
    env.converge(60s, serve.get());
    // The gaps below events older than the timeout went as the follower read past them, in
    // one summary line, not one line each.
    CHECK_MESSAGE(eventually([&] { return serve->log().find("gave up event ids missing from the backlog") != std::string::npos; }, 20s),
                  sync_env::tail(serve->log(), 3000));
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("serve: kill -9 during the download and during following; a finished download is not repeated") {
    sync_env env({"--generate", "studio:12000", "--seed", "14", "--fault", "latency_ms=10"}, studio_types,
                 "  snapshot_range_size: 400\n  snapshot_workers: 2\n");
    // Playlist's build is held between recording its index and planning its ranges: the
    // read of its highest id does not answer until released.
    env.set_faults(R"({"latency_ms":10,"hold":["\"type\":\"Playlist\"","\"direction\":\"desc\""]})");
    {
        auto serve = env.serve();
        // Kill it once some ranges of Task are acknowledged, but not all.
        const bool started = eventually(
            [&] {
                auto doc = env.state_doc("type-Task");
                if (doc.empty() || !doc.contains("done")) return false;
                std::size_t done = 0;
                for (const auto& d : doc.at("done").as_array()) done += d.as_bool();
                return done > 0 && env.site_stats().at("held").to_number<int>() == 1;
            },
            60s);
        REQUIRE(started);
        serve->kill9();
    }
    env.set_faults(R"({"latency_ms":10,"hold":[]})");
    env.release_held();  // to a dead socket
    auto doc = env.state_doc("type-Task");
    const auto building = doc.at("building").to_number<int>();
    REQUIRE(building == 1);
    const auto playlist = env.state_doc("type-Playlist");
    REQUIRE(playlist.at("building").to_number<int>() == 1);
    REQUIRE(playlist.at("ranges").as_array().empty());
    // How each build resumes follows from its saved state. Ranges planned and some not
    // done: range by range (a save the dead server sent may still land after this read, but
    // it only marks more ranges done). Index recorded, ranges not planned: planned now, into
    // the same index (Playlist; other types may be there too, but a save in flight could
    // plan theirs after this read).
    std::vector<std::string> expected{"resuming a full download: its ranges are planned now (type=Playlist"};
    for (const auto& t : studio_types) {
        const auto st = env.state_doc("type-" + t);
        if (st.empty() || st.at("building").to_number<int>() == 0) continue;
        const auto& done = st.at("done").as_array();
        bool all_done = true;
        for (const auto& d : done) all_done = all_done && d.as_bool();
        if (!done.empty() && !all_done) expected.push_back("resuming a full download (type=" + t);
    }
    {
        auto serve = env.serve();
        env.converge(120s, serve.get());
        for (const auto& line : expected) {
            CHECK_MESSAGE(serve->log().find(line) != std::string::npos, line, "\n", sync_env::tail(serve->log(), 3000));
        }
        // Following now: kill it while a workload runs.
        auto driver = env.driver(50, 9, 6);
        std::this_thread::sleep_for(3s);
        serve->kill9();
        REQUIRE(driver->wait(60s));
    }
    {
        auto serve = env.serve();
        env.converge(90s, serve.get());
        // Still generation 1 everywhere: nothing was downloaded again.
        for (const auto& t : studio_types) {
            CHECK_MESSAGE(env.active_index(t) == sync::names_for(env.prefix, t).generation(1), t);
        }
        CHECK(serve->log().find("full download started") == std::string::npos);
        serve->stop(SIGTERM, 10s);
    }
}

TEST_CASE("serve: Shotgun faults and a cluster restart in the middle of a run") {
    // A node of its own, on a fixed port, restarted with its data like a real cluster restart.
    const std::string node_dir = "/tmp/" + test::unique_name("sgct-restart-node");
    int port = 0;
    {
        asio::io_context probe;
        asio::ip::tcp::acceptor a(probe, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = a.local_endpoint().port();
    }
    const std::string script = test::search_node_script();
    const std::string start = script + " start" + test::search_node_engine_options() + " --dir " + node_dir + " --http-port " + std::to_string(port) +
                              " --watch-pid " + std::to_string(::getpid()) + " >/dev/null 2>&1";
    REQUIRE(std::system(start.c_str()) == 0);
    struct node_guard {
        std::string cmd;
        ~node_guard() { (void)std::system(cmd.c_str()); }
    } guard{script + " stop --dir " + node_dir + " >/dev/null 2>&1; rm -rf " + node_dir};

    sync_env env({"--generate", "studio:3000", "--seed", "15"}, studio_types, "",
                 "http://127.0.0.1:" + std::to_string(port));
    auto serve = env.serve();
    env.converge(90s, serve.get());

    // Bursts of 503, resets and latency spikes while the site changes.
    env.set_faults(R"({"http_503":0.2,"reset":0.05,"latency_ms":50,"jitter_ms":300,"methods":["read"]})");
    auto driver = env.driver(30, 10, 10);
    std::this_thread::sleep_for(3s);
    // The cluster goes away for a while, and comes back with its data.
    REQUIRE(std::system((script + " stop --dir " + node_dir + " >/dev/null 2>&1").c_str()) == 0);
    std::this_thread::sleep_for(4s);
    REQUIRE(std::system((script + " start" + test::search_node_engine_options() + " --keep-data --dir " + node_dir + " --http-port " + std::to_string(port) +
                         " --watch-pid " + std::to_string(::getpid()) + " >/dev/null 2>&1")
                            .c_str()) == 0);
    REQUIRE(driver->wait(60s));
    env.reset_faults();
    env.converge(120s, serve.get());
    CHECK(serve->running());  // never fatal
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("serve: writes that generate no events are caught by the safety scan") {
    sync_env env({"--generate", "studio:1500", "--seed", "16"}, studio_types,
                 "  safety_scan_interval_s: 3\n  safety_scan_overlap_s: 5\n");
    auto serve = env.serve();
    env.converge(60s, serve.get());
    // Status and field updates only: a script without events still moves updated_at.
    auto driver = env.driver(30, 11, 4, "silent", silent_key,
                             "update_status=10,update_fields=5,create_shot=0,create_task=0,create_version=0,"
                             "create_note=0,retire=0,revive=0,move_task=0,multi_add_remove=0,playlist_add=0");
    const auto driven = driver->wait(60s);
    REQUIRE(driven);
    REQUIRE_MESSAGE(*driven == 0, driver->log());
    // Those writes made no events: only the safety scan can see them.
    CHECK(env.state_doc("follower").at("high").to_number<std::int64_t>() > 0);
    env.converge(60s, serve.get());
    CHECK(serve->log().find("re-reading entities changed since the last scan") != std::string::npos);
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("serve: an entity config edited while stopped rebuilds only that type; a removed one is dropped") {
    sync_env env({"--generate", "studio:1500", "--seed", "17"}, studio_types, "");
    {
        auto serve = env.serve();
        env.converge(60s, serve.get());
        serve->stop(SIGTERM, 10s);
    }
    // Asset loses a cached field; Playlist is no longer cached.
    const fs::path asset = env.dir / "entityConfig" / "Asset.yaml";
    std::ifstream in(asset);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string before = text;
    text = std::regex_replace(text, std::regex("\n  description: [^\n]*"), "");
    REQUIRE(text != before);
    std::ofstream(asset) << text;
    fs::remove(env.dir / "entityConfig" / "Playlist.yaml");
    env.reload_configs();
    const std::string old_playlist = env.active_index("Playlist");
    {
        auto serve = env.serve();
        // The old generation keeps serving while the new one is built; then the swap.
        const std::string asset2 = sync::names_for(env.prefix, "Asset").generation(2);
        CHECK_MESSAGE(eventually([&] { return env.active_index("Asset") == asset2; }, 60s), serve->log());
        env.converge(60s, serve.get());
        for (const char* t : {"Project", "Shot", "Task", "Version", "Note"}) {
            CHECK_MESSAGE(env.active_index(t) == sync::names_for(env.prefix, t).generation(1), t);
        }
        CHECK_FALSE(run_coro(env.ioc, env.es->exists(sync::names_for(env.prefix, "Asset").generation(1))));
        CHECK_FALSE(run_coro(env.ioc, env.es->exists(old_playlist)));
        serve->stop(SIGTERM, 10s);
    }
}

TEST_CASE("serve: a second server against the same state refuses to start") {
    sync_env env({"--generate", "studio:500", "--seed", "18"}, {"Shot", "Asset"}, "");
    auto first = env.serve();
    env.converge(60s, first.get());
    // The same state and prefix, but a control socket of its own, so that the lease is what
    // stops it (two servers on one control endpoint fail to bind it first).
    std::ifstream in(env.config_file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text = std::regex_replace(text, std::regex("tcp://127\\.0\\.0\\.1:[0-9]+"), "tcp://127.0.0.1:" + std::to_string(env.control_port + 1));
    const auto second_config = env.dir / "second.yaml";
    std::ofstream(second_config) << text;
    auto second = std::make_unique<test::child_process>(
        std::vector<std::string>{test::sgcache_binary(), "serve", "--config", second_config.string()},
        (env.dir / "second.log").string());
    auto status = second->wait(30s);
    REQUIRE(status);
    CHECK(*status == 1);
    CHECK_MESSAGE(second->log().find("another sgcache server") != std::string::npos, second->log() << text);
    CHECK(first->running());
    first->stop(SIGTERM, 10s);
}

TEST_CASE("serve: links to entities of types that are not cached stay current") {
    // Version is not cached, yet Shot.versions and Task.sg_versions hold Version links that
    // change when Versions are created, renamed, retired and revived.
    sync_env env({"--generate", "studio:2000", "--seed", "19"}, {"Shot", "Asset", "Task"}, "");
    auto serve = env.serve();
    env.converge(60s, serve.get());
    auto driver = env.driver(40, 12, 8);
    const auto driven = driver->wait(60s);
    REQUIRE(driven);
    CHECK_MESSAGE(*driven == 0, driver->log());
    env.converge(60s, serve.get());
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("serve: links to a revived entity come back, in fields without a back-reference too") {
    // Version.entity -> Sequence and Task.task_assignees -> HumanUser have no field on the
    // other side: when the Sequence or the user comes back, nothing on the site names the
    // Version or the Task, yet both links read as before again.
    sync_env env({"--generate", "studio:800", "--seed", "25"}, {"Sequence", "Shot", "Version", "Task"}, "");
    auto serve = env.serve();
    env.converge(60s, serve.get());
    auto first = [&](const std::string& type) { return env.first_id(type); };
    const json::object project{{"type", "Project"}, {"id", first("Project")}};
    const std::int64_t sequence = env.create("Sequence", json::object{{"code", "SQ_REVIVED"}, {"project", project}});
    const std::int64_t user = env.create("HumanUser", json::object{{"login", "revived.user"}, {"firstname", "Re"},
                                                                   {"lastname", "Vived"}});
    const json::object seq_link{{"type", "Sequence"}, {"id", sequence}};
    const json::object user_link{{"type", "HumanUser"}, {"id", user}};
    const std::int64_t version = first("Version"), shot = first("Shot"), task = first("Task");
    env.update("Version", version, json::object{{"entity", seq_link}});
    env.update("Shot", shot, json::object{{"sg_sequence", seq_link}});
    env.update("Task", task, json::object{{"task_assignees", json::array{user_link}}});
    env.converge(30s, serve.get());

    env.site_call("delete", json::object{{"type", "Sequence"}, {"id", sequence}});
    env.site_call("delete", json::object{{"type", "HumanUser"}, {"id", user}});
    env.converge(30s, serve.get());  // the links read as gone, in the cache too

    env.site_call("revive", json::object{{"type", "Sequence"}, {"id", sequence}});
    env.site_call("revive", json::object{{"type", "HumanUser"}, {"id", user}});
    env.converge(30s, serve.get());
    // The check above compares every field; name the two links too, so a failure says which.
    auto doc = [&](const std::string& type, std::int64_t id) {
        auto d = run_coro(env.ioc, env.es->get(env.active_index(type), std::to_string(id)));
        REQUIRE(d);
        return d->source;
    };
    CHECK(doc("Version", version).at("entity").at("id").to_number<std::int64_t>() == sequence);
    CHECK(doc("Task", task).at("task_assignees").as_array().size() == 1);
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("serve: SIGTERM with a stalled node ends within the stop timeout; nothing unacknowledged is lost") {
    sync_env env({"--generate", "studio:1500", "--seed", "27"}, {"Shot", "Task"}, "  stop_timeout_s: 3\n");
    test::hold_proxy proxy(env.es_url);
    const std::string lease = "/" + sync::state_index(env.prefix) + "/_doc/lease";
    for (int round = 1; round <= 2; ++round) {
        CAPTURE(round);
        auto serve = env.serve_through(proxy.url(), "stalled-" + std::to_string(round));
        env.converge(60s, serve.get());
        // From now on the node takes no more documents: every _bulk request stays on its way.
        proxy.hold(http::verb::post, "/_bulk");
        // Round 2: the lease cannot be released either, so only the stop timeout ends it.
        if (round == 2) proxy.hold(http::verb::put, lease);
        const auto held_before = proxy.held();
        auto driver = env.driver(20, 27 + round, 3);
        REQUIRE(driver->wait(60s));
        REQUIRE_MESSAGE(eventually([&] { return proxy.held() > held_before; }, 30s), serve->log());
        const auto t0 = std::chrono::steady_clock::now();
        auto status = serve->stop(SIGTERM, 30s);
        const auto took = std::chrono::steady_clock::now() - t0;
        REQUIRE(status);
        CHECK(*status == 0);
        // Bounded by the stop timeout, not by the request's (60 s) or its retries: the margin
        // is for a loaded machine, the point is that it is not minutes.
        CHECK_MESSAGE(took < 15s, std::chrono::duration<double>(took).count() << " s");
        if (round == 1) {
            // The requests in flight are cancelled: a clean stop, lease released.
            CHECK(serve->log().find("serve: stopped") != std::string::npos);
            CHECK(serve->log().find("did not stop within") == std::string::npos);
        } else {
            CHECK(serve->log().find("did not stop within 3 s") != std::string::npos);
        }
        proxy.stop_holding();
    }
    // The changes whose documents were held were never acknowledged, so the cursor did not
    // pass them: the next start reads them again.
    auto again = env.serve();
    env.converge(60s, again.get());
    again->stop(SIGTERM, 10s);
}

TEST_CASE("serve: killed between creating a download's index and planning its ranges, it resumes into that index") {
    sync_env env({"--generate", "studio:800", "--seed", "28"}, {"Shot", "Asset"}, "");
    // The read of Asset's highest id is held: the server has created and recorded Asset's
    // index, and not yet planned its ranges, when it is killed.
    env.set_faults(R"({"hold": ["\"type\":\"Asset\"", "\"direction\":\"desc\""]})");
    {
        auto serve = env.serve();
        REQUIRE_MESSAGE(eventually([&] { return env.site_stats().at("held").to_number<int>() == 1; }, 30s), serve->log());
        auto doc = env.state_doc("type-Asset");
        REQUIRE(doc.at("building").to_number<int>() == 1);
        CHECK(doc.at("ranges").as_array().empty());
        serve->kill9();
    }
    env.set_faults(R"({"hold": []})");
    env.release_held();
    auto serve = env.serve();
    env.converge(60s, serve.get());
    // The same generation, its ranges planned by the new server: no index was left behind.
    CHECK(env.active_index("Asset") == sync::names_for(env.prefix, "Asset").generation(1));
    CHECK_FALSE(run_coro(env.ioc, env.es->exists(sync::names_for(env.prefix, "Asset").generation(2))));
    // Said of Asset (Shot, whose ranges may or may not have been planned before the kill,
    // may resume too).
    CHECK_MESSAGE(serve->log().find("resuming a full download: its ranges are planned now (type=Asset") !=
                      std::string::npos,
                  sync_env::tail(serve->log(), 3000));
    serve->stop(SIGTERM, 10s);
}
