// Failover against a real two-node OpenSearch cluster started by this test: an index with
// one replica, a steady indexing and reading load through a client that knows both nodes,
// and node 2 killed in the middle. No request may be lost.
#include "elastic/client.hpp"
#include "elastic/indexer.hpp"
#include "support/env.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace sgcache;
using namespace std::chrono_literals;
using test::run_coro;

namespace {

// Starts `scripts/search-node start --nodes 2` (the engine of this run) and stops the cluster
// on destruction.
// The nodes watch this process's pid, so a crashed test run leaves no JVM behind.
struct two_node_cluster {
    std::string dir;
    std::vector<std::string> urls;

    two_node_cluster() {
        dir = "/tmp/" + test::unique_name("sgct-cluster");
        const std::string cmd = test::search_node_script() + " start" + test::search_node_engine_options() + " --nodes 2 --dir " + dir +
                                " --watch-pid " + std::to_string(::getpid()) + " --timeout 180";
        FILE* out = ::popen(cmd.c_str(), "r");
        if (!out) throw std::runtime_error("cannot run " + cmd);
        char line[256];
        while (std::fgets(line, sizeof line, out)) {
            std::string url(line);
            while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
            if (!url.empty()) urls.push_back(url);
        }
        if (::pclose(out) != 0 || urls.size() != 2) throw std::runtime_error("two-node cluster did not start: " + cmd);
    }

    void kill_node(int k) const {
        const std::string cmd = test::search_node_script() + " stop --kill --node " + std::to_string(k) +
                                " --dir " + dir + " >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot stop node: " + cmd);
    }

    ~two_node_cluster() {
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
    two_node_cluster cluster;
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
