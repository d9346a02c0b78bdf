// Reloading a running server's configuration (sgcache reload, SIGHUP): entity configs added,
// changed and removed take effect as on a restart, live settings apply at once, and a
// configuration with an error, or one that changes what needs a restart, is refused whole
// while the server carries on with the old one.
#include "support/control.hpp"
#include "support/env.hpp"
#include "support/run_coro.hpp"
#include "support/sync_env.hpp"
#include "sync/documents.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace sgcache;
using namespace std::chrono_literals;
using test::eventually;
using test::run_coro;
using test::sync_env;

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

std::string replaced(const std::string& text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, from);
    std::string out = text;
    out.replace(at, from.size(), to);
    return out;
}

}  // namespace

TEST_CASE("reload: entity configs added, changed and removed; live settings; refusals change nothing") {
    sync_env env({"--generate", "studio:1200", "--seed", "51"}, {"Shot", "Asset"}, "");
    auto serve = env.serve();
    env.converge(60s, serve.get());
    const std::string config = env.config_file.string();
    const std::string original = read_file(env.config_file);
    const auto names = [&](const std::string& t) { return sync::names_for(env.prefix, t); };
    std::string out;

    // Refused: a key that needs a restart. Nothing changes.
    write_file(env.config_file, replaced(original, "index_prefix: " + env.prefix, "index_prefix: other-"));
    CHECK(test::run_sgcache({"reload", "--config", config}, out) == 1);
    CHECK_MESSAGE(out.find("reload refused, nothing changed: these keys need a restart: elasticsearch.index_prefix") !=
                      std::string::npos,
                  out);
    // Refused: a configuration with an error, named with its file, line and key (by the
    // server: the client is told where the server is, not to read the broken file).
    const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(env.control_port);
    write_file(env.config_file, replaced(original, "  lease_ttl_s: 10\n", "  lease_ttl_s: 10\n  poll_interval: 3\n"));
    CHECK(test::run_sgcache({"reload", "--endpoint", endpoint}, out) == 1);
    CHECK_MESSAGE(std::regex_search(out, std::regex("reload refused, nothing changed: .*config\\.yaml:[0-9]+.*poll_interval")),
                  out);
    CHECK(serve->running());

    // Applied: a live setting, Task added, Asset changed (a field less), Shot removed.
    write_file(env.config_file,
               replaced(original, "  event_poll_interval_ms: 200\n", "  event_poll_interval_ms: 300\n"));
    env.write_entity_config("Task");
    const auto asset_yaml = env.dir / "entityConfig" / "Asset.yaml";
    std::string asset = read_file(asset_yaml);
    const auto field = asset.find("\n  description: ");
    REQUIRE(field != std::string::npos);
    asset.erase(field, asset.find('\n', field + 1) - field);
    write_file(asset_yaml, asset);
    fs::remove(env.dir / "entityConfig" / "Shot.yaml");
    REQUIRE(test::run_sgcache({"reload", "--config", config}, out) == 0);
    CHECK_MESSAGE(out.find("settings applied: sync.event_poll_interval_ms") != std::string::npos, out);
    CHECK(out.find("types added: Task") != std::string::npos);
    CHECK(out.find("types changed (rebuilding): Asset") != std::string::npos);
    CHECK(out.find("types removed: Shot") != std::string::npos);
    // As on a restart: Task downloads, Asset rebuilds into generation 2, Shot is dropped.
    REQUIRE_MESSAGE(eventually([&] {
                        return env.active_index("Task") == names("Task").generation(1) &&
                               env.active_index("Asset") == names("Asset").generation(2);
                    },
                    90s),
                    sync_env::tail(serve->log(), 3000));
    CHECK(eventually([&] { return !run_coro(env.ioc, env.es->exists(names("Shot").generation(1))); }, 30s));
    CHECK(eventually([&] { return !run_coro(env.ioc, env.es->exists(names("Asset").generation(1))); }, 30s));
    CHECK(env.state_doc("type-Shot").empty());
    const auto status_reply = test::control_ask(endpoint, R"({"command":"status"})");
    REQUIRE_MESSAGE(!status_reply.empty(), sync_env::tail(serve->log(), 6000));
    auto status = boost::json::parse(status_reply).as_object();
    std::string listed;
    for (const auto& t : status.at("types").as_array()) listed += std::string(t.at("type").as_string()) + " ";
    CHECK(listed == "Asset Task ");
    env.reload_configs();
    env.converge(60s, serve.get());

    // SIGHUP does the same: Shot comes back, downloaded anew.
    env.write_entity_config("Shot");
    REQUIRE(::kill(serve->pid(), SIGHUP) == 0);
    REQUIRE_MESSAGE(eventually([&] { return env.active_index("Shot") == names("Shot").generation(1); }, 90s),
                    sync_env::tail(serve->log(), 3000));
    CHECK_MESSAGE(serve->log().find("configuration reloaded") != std::string::npos, sync_env::tail(serve->log(), 4000));
    env.reload_configs();
    env.converge(60s, serve.get());
    CHECK(serve->running());
    serve->stop(SIGTERM, 10s);
}
