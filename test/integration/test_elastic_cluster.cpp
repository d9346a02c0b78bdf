// Real multi-node clusters started by these tests (scripts/search-node, the engine of this
// run): the client's failover with two nodes, one killed under a steady indexing and reading
// load, and `sgcache serve` on three nodes, one killed during the full download and another
// (the elected manager) while following, each restarted as an operator would. Nothing may be
// lost, and the nodes' return needs nothing from sgcache's user.
#include "elastic/client.hpp"
#include "elastic/indexer.hpp"
#include "support/control.hpp"
#include "support/env.hpp"
#include "support/run_coro.hpp"
#include "support/sync_env.hpp"
#include "sync/documents.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <unistd.h>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace sgcache;
using namespace std::chrono_literals;
using test::run_coro;

namespace {

// Runs a search-node command; its standard output, one line per element (node URLs).
std::vector<std::string> search_node(const std::string& args) {
    const std::string cmd = test::search_node_script() + " " + args;
    FILE* out = ::popen(cmd.c_str(), "r");
    if (!out) throw std::runtime_error("cannot run " + cmd);
    std::vector<std::string> lines;
    char line[256];
    while (std::fgets(line, sizeof line, out)) {
        std::string url(line);
        while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
        if (!url.empty()) lines.push_back(url);
    }
    if (::pclose(out) != 0) throw std::runtime_error("failed: " + cmd);
    return lines;
}

// `scripts/search-node start --nodes N` (the engine of this run), stopped on destruction.
// The nodes watch this process's pid, so a crashed test run leaves no JVM behind.
struct search_cluster {
    std::string dir;
    std::vector<std::string> urls;

    explicit search_cluster(int nodes) {
        dir = "/tmp/" + test::unique_name("sgct-cluster");
        urls = search_node("start" + test::search_node_engine_options() + " --nodes " + std::to_string(nodes) +
                           " --dir " + dir + " --watch-pid " + std::to_string(::getpid()) + " --timeout 180");
        if (urls.size() != static_cast<std::size_t>(nodes)) throw std::runtime_error("the cluster did not start in " + dir);
    }

    /// SIGKILL of node K (1-based).
    void kill_node(int k) const { search_node("stop --kill --node " + std::to_string(k) + " --dir " + dir + " >/dev/null"); }

    /// Node K started again with its data, at its URL; returns once the cluster counts it.
    void restart_node(int k) const {
        search_node("restart --node " + std::to_string(k) + " --dir " + dir + " --watch-pid " +
                    std::to_string(::getpid()) + " --timeout 180");
    }

    /// The hosts of a config's elasticsearch.hosts (and of a sync_env): "URL, URL, ...".
    std::string hosts() const {
        std::string out;
        for (const auto& u : urls) out += (out.empty() ? "" : ", ") + u;
        return out;
    }

    ~search_cluster() {
        const std::string cmd = test::search_node_script() + " stop --dir " + dir + " >/dev/null 2>&1";
        (void)std::system(cmd.c_str());
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

TEST_CASE("elastic cluster: killing one of two nodes mid-run loses no request") {
    search_cluster cluster(2);
    asio::io_context ioc;
    elastic::client_config cfg;
    cfg.hosts = cluster.urls;
    cfg.http.request_timeout = 20s;
    cfg.dead_host_cooldown = 3s;
    cfg.retry = {12, 100ms, 2000ms};
    elastic::client es(ioc.get_executor(), cfg);

    const std::string index = test::unique_name("sgct-failover");
    run_coro(ioc, es.create_index(index, json::parse(R"({"settings":{"number_of_shards":2,"number_of_replicas":1},
        "mappings":{"properties":{"id":{"type":"long"},"code":{"type":"keyword"}}}})").as_object()));
    auto health = run_coro(ioc, es.health("green", 60s));
    REQUIRE(health.status == "green");
    REQUIRE(health.number_of_nodes == 2);

    constexpr int total = 12000;
    elastic::indexer_options opts;
    opts.max_batch_docs = 200;
    opts.max_in_flight = 2;
    std::uint64_t rejected = 0;
    elastic::bulk_indexer indexer(es, opts, [&](const elastic::bulk_op&, const elastic::item_result& r) {
        if (r.status == elastic::item_status::rejected) ++rejected;
    });

    int added = 0;
    bool killed = false, writing = true;
    int reads = 0, read_failures = 0;
    auto writer = [&]() -> asio::awaitable<void> {
        for (int i = 1; i <= total; ++i) {
            elastic::bulk_op op;
            op.index = index;
            op.id = std::to_string(i);
            op.source = R"({"id":)" + std::to_string(i) + R"(,"code":"sh)" + std::to_string(i) + "\"}";
            op.external_version = 1;
            co_await indexer.add(std::move(op));
            ++added;
            if (i % 400 == 0) co_await sleep_for(20ms);  // a steady load that spans the kill
        }
        co_await indexer.flush();
        writing = false;
    };
    auto killer = [&]() -> asio::awaitable<void> {
        while (added < total / 3) co_await sleep_for(10ms);
        cluster.kill_node(2);
        killed = true;
    };
    auto reader = [&]() -> asio::awaitable<void> {
        while (writing) {
            try {
                co_await es.count(index);
                ++reads;
            } catch (const std::exception& e) {
                ++read_failures;
                MESSAGE("read failed: " << e.what());
            }
            co_await sleep_for(25ms);
        }
    };
    auto all = [&]() -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        co_await (writer() && killer() && reader());
    };
    run_coro(ioc, all(), 300s);

    CHECK(killed);
    CHECK(read_failures == 0);
    CHECK(reads > 10);
    CHECK(rejected == 0);
    // A batch applied by the dying node whose reply was lost is sent again: its items come
    // back 409 (same external version already stored), which is the idempotent outcome.
    CHECK(indexer.stats().written + indexer.stats().stale == total);
    CHECK(indexer.pending() == 0);
    // Requests that were meant for node 2 went to node 1 instead.
    CHECK(es.stats().failovers >= 1);

    run_coro(ioc, es.refresh(index));
    CHECK(run_coro(ioc, es.count(index)) == total);
    auto after = run_coro(ioc, es.health());
    CHECK(after.number_of_nodes == 1);
    run_coro(ioc, es.delete_index(index));
}

TEST_CASE("serve on a three-node cluster: a node lost during the download, the manager lost while following; "
          "nothing lost, their return needs nothing") {
    search_cluster cluster(3);
    test::sync_env env({"--generate", "studio:3000", "--seed", "43"}, {"Shot", "Asset", "Task", "Version"}, "",
                       cluster.hosts());
    // Version's highest-id read is held: its whole download comes after node 2 is lost,
    // while the other types are loading when it goes.
    env.set_faults(R"({"latency_ms":5,"hold":["\"type\":\"Version\"","\"direction\":\"desc\""]})");
    // On any failure: where every shard copy was (evaluated only then).
    auto shards = [&] {
        try {
            return run_coro(env.ioc, env.es->request(sgcache::http::verb::get, "/_cat/shards/" + env.prefix + "*?v")).body;
        } catch (const std::exception& e) {
            return std::string("(no shard table: ") + e.what() + ")";
        }
    };
    INFO("shards:\n" << shards());
    auto serve = env.serve();
    REQUIRE_MESSAGE(test::eventually([&] { return env.site_stats().at("held").to_number<int>() == 1; }, 60s),
                    test::sync_env::tail(serve->log(), 3000));
    // Every index sgcache made has a replica from its creation on.
    for (const auto& type : {"Shot", "Asset", "Task", "Version"}) {
        const auto index = sync::names_for(env.prefix, type).generation(1);
        auto r = run_coro(env.ioc, env.es->request(sgcache::http::verb::get, "/" + index + "/_settings/index.number_of_replicas"));
        REQUIRE_MESSAGE(r.status == 200, index);
        CHECK_MESSAGE(json::parse(r.body).at(index).at("settings").at("index").at("number_of_replicas").as_string() == "1",
                      index);
    }
    cluster.kill_node(2);
    env.set_faults(R"({"latency_ms":5,"hold":[]})");
    env.release_held();
    env.converge(180s, serve.get());
    CHECK(run_coro(env.ioc, env.es->health()).number_of_nodes == 2);
    CHECK(env.active_index("Version") == sync::names_for(env.prefix, "Version").generation(1));

    // Node 2 comes back by itself (as an operator restarts it); the server is not told.
    // The next loss waits until the cluster has healed (every replica recovered, green):
    // two nodes lost at once would leave shards whose only copies are both gone.
    cluster.restart_node(2);
    REQUIRE(run_coro(env.ioc, env.es->health("green", 120s)).status == "green");
    // Following under writes, the elected manager (node 1, which bootstrapped the cluster)
    // is killed: the other two elect a new one and the follower goes on.
    auto driver = env.driver(20, 44, 8);
    std::this_thread::sleep_for(3s);
    cluster.kill_node(1);
    REQUIRE(driver->wait(60s) == 0);
    env.converge(180s, serve.get());
    cluster.restart_node(1);
    auto writes = env.driver(20, 45, 3);
    REQUIRE(writes->wait(60s) == 0);
    env.converge(120s, serve.get());
    // Back to three nodes and green: every replica recovered, with nothing asked of sgcache.
    auto health = run_coro(env.ioc, env.es->health("green", 120s));
    CHECK(health.status == "green");
    CHECK(health.number_of_nodes == 3);
    const auto st = test::control_json("tcp://127.0.0.1:" + std::to_string(env.control_port),
                                            R"({"command":"status"})");
    for (const auto& t : st.at("types").as_array()) {
        CHECK_MESSAGE(t.at("state").as_string() == "following", json::serialize(t));
    }
    REQUIRE(serve->running());
    serve->stop(SIGTERM, 15s);
}
