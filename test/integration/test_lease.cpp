// The lease of the state index when a server is killed and started again at once, as a
// supervisor with Restart=on-failure does: a write the dead server had already sent may
// reach Elasticsearch after its successor read the state, and must not stop the successor;
// a live second server still must (test_serve.cpp: "a second server ... refuses to start").
#include "support/env.hpp"
#include "support/hold_proxy.hpp"
#include "support/run_coro.hpp"
#include "support/sync_env.hpp"
#include "sync/documents.hpp"

#include <doctest/doctest.h>

#include <csignal>

using namespace sgcache;
using namespace std::chrono_literals;
using test::eventually;
using test::sync_env;

TEST_CASE("lease: a server restarted while its killed predecessor's lease write is on its way takes over") {
    sync_env env({"--generate", "studio:500", "--seed", "26"}, {"Shot", "Asset"}, "");
    test::hold_proxy proxy(env.es_url);
    // Both servers reach the node through the proxy, which holds back writes of the lease.
    proxy.hold(http::verb::put, "/" + sync::state_index(env.prefix) + "/_doc/lease");

    // The first server sends its lease write and dies before it arrives.
    {
        auto dead = env.serve_through(proxy.url(), "dead");
        REQUIRE_MESSAGE(eventually([&] { return proxy.held() == 1; }, 30s), dead->log());
        dead->kill9();
    }
    // Its successor reads the state (no lease yet) and sends its own lease write, held too.
    auto successor_process = env.serve_through(proxy.url(), "successor");
    auto& successor = *successor_process;
    REQUIRE_MESSAGE(eventually([&] { return proxy.held() == 2; }, 30s), successor.log());
    proxy.stop_holding();
    // The dead server's write lands first, then the successor's finds the lease changed.
    CHECK(proxy.release_oldest() == 201);
    CHECK(proxy.release_oldest() == 409);

    // The change came from a process of this host that is gone: the successor takes over.
    env.converge(60s, &successor);
    CHECK(successor.running());
    const std::string holder(env.state_doc("lease").at("holder").as_string());
    CHECK_MESSAGE(holder.find(":" + std::to_string(successor.pid()) + ":") != std::string::npos, holder);
    CHECK(successor.log().find("another sgcache server") == std::string::npos);
    CHECK(successor.stop(SIGTERM, 10s) == 0);
}
