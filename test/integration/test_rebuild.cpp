// Rebuilds on a running server and the windows in which a change could fall between two
// generations: entities created while a build reads its id bounds, and back-to-back
// rebuilds of two types under a steady workload of creates, updates, retirements and
// revivals, with convergence checked after each.
//
// The stress test runs a few rounds in the suite; by hand, run it many times on a loaded
// machine with SGCACHE_REBUILD_STRESS_ROUNDS=N, or through scripts/rebuild-stress --repeat N.
#include "support/control.hpp"
#include "support/env.hpp"
#include "support/run_coro.hpp"
#include "support/sync_env.hpp"
#include "sync/documents.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>

namespace json = boost::json;
using namespace sgcache;
using namespace std::chrono_literals;
using test::eventually;
using test::run_coro;
using test::sync_env;

namespace {

json::object control(const std::string& endpoint, const std::string& body) { return test::control_json(endpoint, body); }

std::string endpoint_of(const sync_env& env) { return "tcp://127.0.0.1:" + std::to_string(env.control_port); }

}  // namespace

TEST_CASE("rebuild: entities created while the build reads its id bounds reach the new generation") {
    sync_env env({"--generate", "studio:1500", "--seed", "31"}, {"Shot", "Version"}, "");
    auto serve = env.serve();
    env.converge(60s, serve.get());
    const auto live = sync::names_for(env.prefix, "Version").live_alias;
    const auto before = run_coro(env.ioc, env.es->count(live));
    const std::int64_t project = env.first_id("Project");
    const std::int64_t shot = env.first_id("Shot");

    // The build's read of the highest Version id is answered only when the test says so:
    // everything created meanwhile lies beyond the ranges the build will load.
    env.set_faults(R"({"hold": ["\"type\":\"Version\"", "\"direction\":\"desc\""]})");
    auto started = control(endpoint_of(env), R"({"command":"rebuild","entity_types":["Version"]})");
    REQUIRE(json::serialize(started.at("started")) == R"(["Version"])");
    REQUIRE(eventually([&] { return env.site_stats().at("held").to_number<int>() == 1; }, 30s));

    // Creates inside the window, applied by the follower before the window closes.
    for (int i = 0; i < 5; ++i) {
        env.create("Version", json::object{{"code", "window_v" + std::to_string(i)},
                                           {"project", json::object{{"type", "Project"}, {"id", project}}},
                                           {"entity", json::object{{"type", "Shot"}, {"id", shot}}}});
    }
    REQUIRE_MESSAGE(eventually([&] { return run_coro(env.ioc, env.es->count(live)) == before + 5; }, 30s),
                    test::sync_env::tail(serve->log(), 3000));
    CHECK(env.site_stats().at("held").to_number<int>() == 1);  // the window was still open

    env.set_faults(R"({"hold": []})");
    env.release_held();
    REQUIRE(eventually([&] { return env.active_index("Version") == sync::names_for(env.prefix, "Version").generation(2); },
                       60s));
    // The new generation holds the five, with nothing more to come: converged at once.
    env.converge(20s, serve.get());
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("rebuild: back-to-back rebuilds of two types under a steady workload converge after each") {
    const char* env_rounds = std::getenv("SGCACHE_REBUILD_STRESS_ROUNDS");
    const int rounds = env_rounds ? std::max(1, std::atoi(env_rounds)) : 2;
    sync_env env({"--generate", "studio:3000", "--seed", "32", "--fault", "latency_ms=3"},
                 {"Sequence", "Shot", "Task", "Version"}, "  snapshot_range_size: 300\n  snapshot_workers: 3\n");
    auto serve = env.serve();
    env.converge(90s, serve.get());
    const std::vector<std::string> rebuilt{"Task", "Version"};
    int generation = 1;
    for (int round = 1; round <= rounds; ++round) {
        CAPTURE(round);
        // Creates, updates, Task moves, multi-entity edits, retirements and revivals.
        auto driver = env.driver(50, 100 + round, 8);
        // Two rebuilds of both types, the second requested as soon as the first swapped.
        for (int again = 0; again < 2; ++again) {
            auto reply = control(endpoint_of(env), R"({"command":"rebuild","entity_types":["Task","Version"]})");
            REQUIRE_MESSAGE(json::serialize(reply["started"]) == R"(["Task","Version"])", json::serialize(reply));
            ++generation;
            const bool swapped = eventually(
                [&] {
                    for (const auto& t : rebuilt) {
                        if (env.active_index(t) != sync::names_for(env.prefix, t).generation(generation)) return false;
                    }
                    return true;
                },
                90s);
            REQUIRE_MESSAGE(swapped, test::sync_env::tail(serve->log(), 3000));
        }
        const auto driven = driver->wait(60s);
        REQUIRE(driven);
        CHECK_MESSAGE(*driven == 0, driver->log());
        env.converge(90s, serve.get());
        // Nothing but the active generation is left of either type.
        for (const auto& t : rebuilt) {
            for (int g = 1; g < generation; ++g) {
                CHECK_FALSE(run_coro(env.ioc, env.es->exists(sync::names_for(env.prefix, t).generation(g))));
            }
        }
        CHECK(serve->running());
    }
    serve->stop(SIGTERM, 10s);
}
