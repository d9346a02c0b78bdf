// The control socket of a running `sgcache serve`: status checked against the fake site and
// the node, a rebuild under a steady workload without readers ever seeing fewer entities,
// and every kind of bad or hostile client.
#include "support/child_process.hpp"
#include "support/control.hpp"
#include "support/env.hpp"
#include "support/run_coro.hpp"
#include "support/sync_env.hpp"
#include "sync/documents.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <zmq.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <csignal>
#include <cstdio>
#include <sys/wait.h>
#include <thread>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace sgcache;
using namespace std::chrono_literals;
using test::eventually;
using test::free_port;
using test::run_coro;
using test::sync_env;

namespace {

std::string ask(const std::string& endpoint, const std::string& body, std::chrono::milliseconds limit = 30000ms) {
    return test::control_ask(endpoint, body, limit);
}

json::object ask_json(const std::string& endpoint, const std::string& body) { return test::control_json(endpoint, body); }

// One type's entry of `status`; empty when the server did not answer within half a second.
json::object type_status(const std::string& endpoint, std::string_view type) {
    const auto reply = ask(endpoint, R"({"command":"status"})", 500ms);
    if (reply.empty()) return {};
    const json::value st = json::parse(reply);
    for (const auto& tv : st.at("types").as_array()) {
        if (tv.at("type").as_string() == type) return tv.as_object();
    }
    return {};
}

int run_cli(const std::vector<std::string>& args, std::string& out) { return test::run_sgcache(args, out); }

struct control_env : sync_env {
    std::string endpoint;
    control_env(std::vector<std::string> site_args, const std::vector<std::string>& types, const std::string& token = "",
                const std::string& bind = "127.0.0.1")
        : sync_env(std::move(site_args), types, "", "",
                   "control:\n  endpoint: tcp://" + bind + ":" + std::to_string(next_port()) + "\n" +
                       (token.empty() ? std::string() : "  token: " + token + "\n")) {
        endpoint = "tcp://127.0.0.1:" + std::to_string(last_port());
    }
    static int& port_slot() {
        static int p = 0;
        return p;
    }
    static int next_port() { return port_slot() = free_port(); }
    static int last_port() { return port_slot(); }
};

}  // namespace

TEST_CASE("control: ping and status match the site and the node; the CLI prints them") {
    control_env env({"--generate", "studio:2000", "--seed", "21"}, {"Shot", "Asset", "Task"});
    auto serve = env.serve();
    env.converge(60s, serve.get());
    REQUIRE(eventually([&] { return !ask(env.endpoint, R"({"command":"ping"})", 500ms).empty(); }, 10s));
    auto pong = ask_json(env.endpoint, R"({"command":"ping"})");
    CHECK(pong.at("ok").as_bool());
    CHECK(pong.at("pong").as_bool());

    auto st = ask_json(env.endpoint, R"({"command":"status"})");
    CHECK(st.at("ok").as_bool());
    CHECK(st.at("ready").as_bool());
    CHECK(st.at("follower").at("following").as_bool());
    // The follower's last event is the checkpoint persisted in the state index.
    CHECK(st.at("follower").at("last_event_id").to_number<std::int64_t>() ==
          env.state_doc("follower").at("high").to_number<std::int64_t>());
    for (const auto& tv : st.at("types").as_array()) {
        const auto& t = tv.as_object();
        const std::string type(t.at("type").as_string());
        CHECK(t.at("state").as_string() == "following");
        CHECK(t.at("active_generation").to_number<int>() == 1);
        // Live documents equal the site's count for the type.
        auto summary = run_coro(env.ioc, env.sg->summarize(type, json::parse(R"([{"field":"id","type":"record_count"}])").as_array(),
                                                           json::object{}, json::array{}));
        CHECK_MESSAGE(t.at("live_documents").to_number<std::int64_t>() ==
                          summary.at("summaries").at("id").to_number<std::int64_t>(),
                      type);
        CHECK(t.at("live_documents").to_number<std::int64_t>() ==
              static_cast<std::int64_t>(run_coro(env.ioc, env.es->count(sync::names_for(env.prefix, type).live_alias))));
    }

    std::string out;
    CHECK(run_cli({"status", "--config", env.config_file.string()}, out) == 0);
    CHECK(out.find("following") != std::string::npos);
    CHECK(out.find("Task") != std::string::npos);
    CHECK(run_cli({"status", "--endpoint", env.endpoint, "--json"}, out) == 0);
    CHECK(json::parse(out).as_object().at("ok").as_bool());
    CHECK(run_cli({"rebuild", "--config", env.config_file.string(), "Bogus"}, out) == 1);
    CHECK(out.find("'Bogus' is not a cached entity type (cached: Asset, Shot, Task)") != std::string::npos);
    CHECK(run_cli({"status", "--endpoint", "tcp://127.0.0.1:" + std::to_string(free_port()), "--timeout", "1"}, out) == 1);
    CHECK(out.find("no answer from") != std::string::npos);
    CHECK(run_cli({"status", "--endpoint", "127.0.0.1:1"}, out) == 2);
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("control: a rebuild under a steady workload never shows readers fewer entities") {
    control_env env({"--generate", "studio:6000", "--seed", "22", "--fault", "latency_ms=5"}, {"Shot", "Task", "Version"});
    auto serve = env.serve();
    env.converge(90s, serve.get());
    REQUIRE(eventually([&] { return !ask(env.endpoint, R"({"command":"ping"})", 500ms).empty(); }, 10s));
    const auto task_live = sync::names_for(env.prefix, "Task").live_alias;
    const auto floor = run_coro(env.ioc, env.es->count(task_live));

    // Creates and updates only: the site's count of Tasks never goes down, so neither may
    // the cache's, during the whole rebuild.
    auto driver = env.driver(30, 31, 10, "writer", nullptr, "retire=0,revive=0");
    std::string out;
    REQUIRE(run_cli({"rebuild", "--config", env.config_file.string(), "Task", "Version"}, out) == 0);
    CHECK(out.find("rebuilding: Task, Version") != std::string::npos);
    // A second request while it runs says so.
    auto again = ask_json(env.endpoint, R"({"command":"rebuild","entity_types":["Task"]})");
    CHECK(json::serialize(again.at("already_rebuilding")) == R"(["Task"])");

    std::uint64_t lowest = floor;
    bool saw_building = false;
    const auto task2 = sync::names_for(env.prefix, "Task").generation(2);
    const bool swapped = eventually(
        [&] {
            lowest = std::min<std::uint64_t>(lowest, run_coro(env.ioc, env.es->count(task_live)));
            const auto reply = ask(env.endpoint, R"({"command":"status"})");
            REQUIRE_MESSAGE(!reply.empty(), "no reply to status; running=" << serve->running() << "\n" << serve->log());
            auto st = json::parse(reply).as_object();
            for (const auto& t : st.at("types").as_array()) {
                if (t.at("type").as_string() == "Task" && t.at("state").as_string() == "building") saw_building = true;
            }
            return env.active_index("Task") == task2 && env.active_index("Version") == sync::names_for(env.prefix, "Version").generation(2);
        },
        90s);
    REQUIRE(swapped);
    CHECK(saw_building);
    CHECK(lowest >= floor);
    REQUIRE(driver->wait(60s));
    env.converge(90s, serve.get());
    CHECK_FALSE(run_coro(env.ioc, env.es->exists(sync::names_for(env.prefix, "Task").generation(1))));
    CHECK(env.active_index("Shot") == sync::names_for(env.prefix, "Shot").generation(1));

    // Cancelling: a rebuild abandoned keeps the current generation.
    auto started = ask_json(env.endpoint, R"({"command":"rebuild","entity_types":["Shot"]})");
    CHECK(json::serialize(started.at("started")) == R"(["Shot"])");
    auto cancel = ask_json(env.endpoint, R"({"command":"cancel_rebuild","entity_types":["Shot"]})");
    CHECK(json::serialize(cancel.at("cancelled")) == R"(["Shot"])");
    CHECK(eventually([&] {
        auto st = ask_json(env.endpoint, R"({"command":"status"})");
        for (const auto& t : st.at("types").as_array()) {
            if (t.at("type").as_string() == "Shot") return t.at("state").as_string() == "following";
        }
        return false;
    }, 30s));
    CHECK(env.active_index("Shot") == sync::names_for(env.prefix, "Shot").generation(1));
    env.converge(60s, serve.get());
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("control: bad and hostile clients get answers or are dropped, and the server carries on") {
    control_env env({"--generate", "studio:300", "--seed", "23"}, {"Shot"});
    auto serve = env.serve();
    env.converge(60s, serve.get());
    REQUIRE(eventually([&] { return !ask(env.endpoint, R"({"command":"ping"})", 500ms).empty(); }, 10s));

    const auto error_of = [&](const std::string& body) {
        auto r = ask_json(env.endpoint, body);
        CHECK_FALSE(r.at("ok").as_bool());
        return std::string(r.at("error").as_string());
    };
    CHECK(error_of("{not json").find("malformed JSON") == 0);
    CHECK(error_of("[]").find("must be a JSON object") != std::string::npos);
    CHECK(error_of(R"({"command":"explode"})").find("unknown command 'explode'") == 0);
    CHECK(error_of(R"({"command":"rebuild","entity_types":"Shot"})").find("must be a list") != std::string::npos);
    CHECK(error_of(R"({"command":"rebuild","entity_types":["Nope"]})").find("'Nope' is not a cached entity type") == 0);
    CHECK(error_of(R"({"command":"reread","entities":{"Shot":["x"]}})").find("ids must be positive") != std::string::npos);

    // Oversized: libzmq drops the connection; the server stays up.
    CHECK(ask(env.endpoint, std::string(200 * 1024, 'x'), 1500ms).empty());
    CHECK(ask_json(env.endpoint, R"({"command":"ping"})").at("ok").as_bool());

    // Clients that go away before their reply.
    for (int i = 0; i < 20; ++i) {
        zmq::context_t ctx;
        zmq::socket_t s(ctx, zmq::socket_type::req);
        s.set(zmq::sockopt::linger, 0);
        s.connect(env.endpoint);
        s.send(zmq::buffer(std::string(R"({"command":"status"})")), zmq::send_flags::none);
    }
    // A raw TCP client speaking garbage instead of ZMTP.
    {
        asio::io_context io;
        asio::ip::tcp::socket raw(io);
        raw.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                            static_cast<unsigned short>(std::stoi(env.endpoint.substr(env.endpoint.rfind(':') + 1)))));
        boost::system::error_code ec;
        asio::write(raw, asio::buffer(std::string("GET / HTTP/1.1\r\n\r\n")), ec);
    }
    // Many clients at once: every one gets its answer.
    std::atomic<int> answered{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < 40; ++i) {
        clients.emplace_back([&, i] {
            const auto reply = ask(env.endpoint, i % 2 ? R"({"command":"status"})" : R"({"command":"ping"})", 10s);
            if (!reply.empty() && json::parse(reply).as_object().at("ok").as_bool()) ++answered;
        });
    }
    for (auto& t : clients) t.join();
    CHECK(answered == 40);
    CHECK(serve->running());
    CHECK(ask_json(env.endpoint, R"({"command":"ping"})").at("ok").as_bool());
    auto st = serve->stop(SIGTERM, 10s);
    REQUIRE(st);
    CHECK(*st == 0);
}

TEST_CASE("control: a token is required beyond loopback, checked, and never logged") {
    const std::string token = "tok-Very-Secret-42";
    {
        // Not on loopback and no token: refused at start.
        control_env open_env({"--generate", "studio:200", "--seed", "24"}, {"Shot"}, "", "0.0.0.0");
        auto serve = open_env.serve();
        auto st = serve->wait(30s);
        REQUIRE(st);
        CHECK(*st == 1);
        CHECK(serve->log().find("is not on loopback: set control.token") != std::string::npos);
    }
    control_env env({"--generate", "studio:200", "--seed", "24"}, {"Shot"}, token, "0.0.0.0");
    auto serve = env.serve();
    env.converge(60s, serve.get());
    REQUIRE(eventually([&] { return !ask(env.endpoint, R"({"command":"ping"})", 500ms).empty(); }, 10s));
    auto missing = ask_json(env.endpoint, R"({"command":"status"})");
    CHECK(missing.at("error").as_string() == "authentication required: this server needs a \"token\"");
    auto wrong = ask_json(env.endpoint, R"({"command":"status","token":"tok-guess"})");
    CHECK(wrong.at("error").as_string() == "wrong token");
    auto right = ask_json(env.endpoint, R"({"command":"status","token":")" + token + "\"}");
    CHECK(right.at("ok").as_bool());
    std::string out;
    CHECK(run_cli({"status", "--config", env.config_file.string()}, out) == 0);  // the CLI sends the config's token
    serve->stop(SIGTERM, 10s);
    const auto log = serve->log();
    CHECK(log.find("refused a request") != std::string::npos);
    CHECK(log.find(token) == std::string::npos);
    CHECK(log.find("tok-guess") == std::string::npos);
}

TEST_CASE("control: reread goes through the normal path and answers when acknowledged") {
    control_env env({"--generate", "studio:300", "--seed", "25"}, {"Shot"});
    auto serve = env.serve();
    env.converge(60s, serve.get());
    REQUIRE(eventually([&] { return !ask(env.endpoint, R"({"command":"ping"})", 500ms).empty(); }, 10s));
    // Damage one document directly, then ask the server to read it again.
    const auto names = sync::names_for(env.prefix, "Shot");
    auto docs = run_coro(env.ioc, env.es->search(names.live_alias, json::parse(R"({"size":1,"sort":[{"id":"asc"}]})").as_object()));
    REQUIRE(docs.hits.size() == 1);
    const std::string id = docs.hits[0].id;
    auto idx = env.active_index("Shot");
    run_coro(env.ioc, env.es->request(http::verb::post, "/" + idx + "/_update/" + id + "?refresh=true",
                                      R"({"doc":{"code":"damaged"}})", "application/json"));
    auto r = ask_json(env.endpoint, R"({"command":"reread","entities":{"Shot":[)" + id + "]}}");
    CHECK(r.at("ok").as_bool());
    CHECK(r.at("reread").to_number<int>() == 1);
    // The damage was written without a version bump (an update keeps the internal version),
    // and the re-read's newer external version wins.
    env.converge(30s, serve.get());
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("control: a cached field gone or retyped on the site: the rest syncs, rejections carry ES's reason, status names the config") {
    control_env env({"--generate", "studio:1500", "--seed", "23"}, {"Project", "Shot", "Asset"});
    // Shot's entity config as if written before the site changed: sg_gone has since been
    // deleted on the site, and sg_camera_data was a number field then (about a fifth of the
    // Shots have camera data, as objects).
    const auto shot_yaml = env.dir / "entityConfig" / "Shot.yaml";
    std::string text;
    {
        std::ifstream in(shot_yaml);
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const std::string before = text;
    text = std::regex_replace(text, std::regex("\n  sg_camera_data: [^\n]*"),
                              "\n  sg_camera_data: {data_type: number, mapping: {\"type\":\"long\"}}");
    text = std::regex_replace(text, std::regex("\nfields:\n"),
                              "\nfields:\n  sg_gone: {data_type: text, mapping: {\"type\":\"keyword\"}}\n");
    REQUIRE(text != before);
    std::ofstream(shot_yaml) << text;

    auto serve = env.serve();
    REQUIRE_MESSAGE(eventually([&] {
                        const auto reply = ask(env.endpoint, R"({"command":"status"})", 500ms);
                        return !reply.empty() && json::parse(reply).as_object().at("ready").as_bool();
                    }, 60s),
                    serve->log());
    auto st = ask_json(env.endpoint, R"({"command":"status"})");
    auto site_count = [&](const std::string& type) {
        auto s = run_coro(env.ioc, env.sg->summarize(type, json::parse(R"([{"field":"id","type":"record_count"}])").as_array(),
                                                     json::object{}, json::array{}));
        return s.at("summaries").at("id").to_number<std::int64_t>();
    };
    for (const auto& tv : st.at("types").as_array()) {
        const auto& t = tv.as_object();
        const std::string type(t.at("type").as_string());
        CAPTURE(type);
        CHECK(t.at("state").as_string() == "following");
        const auto live = static_cast<std::int64_t>(run_coro(env.ioc, env.es->count(sync::names_for(env.prefix, type).live_alias)));
        const auto rejected = t.at("rejected").to_number<std::int64_t>();
        if (type != "Shot") {
            // The other types are whole and untouched by Shot's trouble.
            CHECK(live == site_count(type));
            CHECK(rejected == 0);
            CHECK_FALSE(t.contains("warnings"));
            continue;
        }
        // Every Shot with camera data was refused by ES, with its reason; every other one is in.
        CHECK(rejected > 0);
        CHECK(live > 0);
        CHECK(live + rejected == site_count(type));
        const std::string reason(t.at("last_rejection").as_string());
        CHECK_MESSAGE(reason.find("sg_camera_data") != std::string::npos, reason);
        // Both problems, each naming the entity config to regenerate.
        const auto& warnings = t.at("warnings").as_array();
        REQUIRE(warnings.size() == 2);
        const std::string all = json::serialize(warnings);
        CHECK_MESSAGE(all.find("Shot.sg_gone no longer exists on the site: regenerate " + shot_yaml.string()) !=
                          std::string::npos, all);
        CHECK_MESSAGE(all.find("Shot.sg_camera_data is 'serializable' on the site but 'number' in the entity config: "
                               "regenerate " + shot_yaml.string()) != std::string::npos, all);
    }
    // The other fields of Shot are cached; the field gone is not asked for.
    auto page = run_coro(env.ioc, env.es->search(sync::names_for(env.prefix, "Shot").live_alias,
                                                 json::parse(R"({"size":1,"query":{"exists":{"field":"description"}}})").as_object()));
    REQUIRE_FALSE(page.hits.empty());
    CHECK_FALSE(page.hits.front().source.contains("sg_gone"));
    const std::string log = serve->log();
    CHECK(log.find("Shot.sg_gone no longer exists on the site") != std::string::npos);
    CHECK(log.find("Elasticsearch rejected a document") != std::string::npos);
    CHECK(serve->running());
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("control: a cached field deleted on the site while following is noticed; the rest goes on syncing") {
    control_env env({"--generate", "studio:1500", "--seed", "29"}, {"Project", "Shot", "Asset"});
    auto serve = env.serve();
    env.converge(60s, serve.get());
    run_coro(env.ioc, env.sg->call("schema_field_delete", json::object{{"type", "Shot"}, {"field_name", "sg_cut_order"}},
                                   true));
    const std::string shot_yaml = (env.dir / "entityConfig" / "Shot.yaml").string();
    auto shot_warnings = [&] {
        const auto t = type_status(env.endpoint, "Shot");
        return t.contains("warnings") ? json::serialize(t.at("warnings")) : std::string();
    };
    // The site's event for it makes the server read the schema again and say what to do.
    REQUIRE_MESSAGE(eventually([&] {
                        return shot_warnings().find("Shot.sg_cut_order no longer exists on the site: regenerate " +
                                                    shot_yaml) != std::string::npos;
                    }, 30s),
                    serve->log());
    CHECK(serve->log().find("the site's schema changed; checking the cached fields again") != std::string::npos);

    // Changes keep arriving, read without the field that is gone.
    const auto live = sync::names_for(env.prefix, "Shot").live_alias;
    auto first = run_coro(env.ioc, env.es->search(live, json::parse(R"({"size":1,"sort":[{"id":"asc"}]})").as_object()));
    REQUIRE_FALSE(first.hits.empty());
    const std::int64_t id = first.hits.front().source.at("id").to_number<std::int64_t>();
    CHECK(first.hits.front().source.contains("sg_cut_order"));  // as downloaded before the deletion
    run_coro(env.ioc, env.sg->call("update",
                                   json::object{{"type", "Shot"}, {"id", id},
                                                {"fields", json::array{json::object{{"field_name", "description"},
                                                                                    {"value", "after the schema change"}}}}},
                                   true));
    json::object doc;
    CHECK_MESSAGE(eventually([&] {
                      auto page = run_coro(env.ioc, env.es->search(live, json::object{{"query", json::object{{"ids", json::object{{"values", json::array{std::to_string(id)}}}}}}}));
                      if (page.hits.empty()) return false;
                      doc = page.hits.front().source;
                      auto d = doc.if_contains("description");
                      return d && d->is_string() && d->get_string() == "after the schema change";
                  }, 30s),
                  serve->log());
    CHECK_FALSE(doc.contains("sg_cut_order"));
    CHECK(doc.at("code").is_string());
    CHECK(serve->running());
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("control: a cached field retyped on the site while following: status names the config, ES's refusals are counted, the rest syncs") {
    control_env env({"--generate", "studio:1500", "--seed", "31"}, {"Project", "Shot", "Asset"});
    auto serve = env.serve();
    env.converge(60s, serve.get());
    // A site cannot change a field's type; the same name comes back with another type when
    // the field is deleted and created again (once the site has purged the old one).
    run_coro(env.ioc, env.sg->call("schema_field_delete", json::object{{"type", "Shot"}, {"field_name", "sg_cut_order"}},
                                   true));
    const json::value created = run_coro(
        env.ioc, env.sg->call("schema_field_create",
                              json::object{{"type", "Shot"}, {"data_type", "text"},
                                           {"properties", json::array{json::object{{"property_name", "name"},
                                                                                   {"value", "Cut Order"}}}}},
                              true));
    REQUIRE(created == json::value("sg_cut_order"));
    const std::string shot_yaml = (env.dir / "entityConfig" / "Shot.yaml").string();
    auto shot_status = [&] { return type_status(env.endpoint, "Shot"); };
    REQUIRE_MESSAGE(eventually([&] {
                        const auto t = shot_status();
                        return t.contains("warnings") &&
                               json::serialize(t.at("warnings"))
                                       .find("Shot.sg_cut_order is 'text' on the site but 'number' in the entity "
                                             "config: regenerate " + shot_yaml) != std::string::npos;
                    }, 30s),
                    serve->log());

    // A Shot whose new text value the index (still mapped as a number) refuses: counted
    // with ES's reason; the server and the other types go on.
    const auto live_shot = sync::names_for(env.prefix, "Shot").live_alias;
    auto first = run_coro(env.ioc, env.es->search(live_shot, json::parse(R"({"size":1,"sort":[{"id":"asc"}]})").as_object()));
    REQUIRE_FALSE(first.hits.empty());
    const std::int64_t shot_id = first.hits.front().source.at("id").to_number<std::int64_t>();
    auto update = [&](const char* type, std::int64_t id, const char* field, json::value value) {
        run_coro(env.ioc, env.sg->call("update",
                                       json::object{{"type", type}, {"id", id},
                                                    {"fields", json::array{json::object{{"field_name", field},
                                                                                        {"value", std::move(value)}}}}},
                                       true));
    };
    update("Shot", shot_id, "sg_cut_order", "three");
    REQUIRE_MESSAGE(eventually([&] {
                        const auto t = shot_status();
                        return t.contains("rejected") && t.at("rejected").to_number<std::int64_t>() >= 1;
                    }, 30s),
                    serve->log());
    const auto t = shot_status();
    const std::string reason(t.at("last_rejection").as_string());
    CHECK_MESSAGE(reason.find("sg_cut_order") != std::string::npos, reason);
    CHECK(serve->log().find("Elasticsearch rejected a document") != std::string::npos);

    const auto live_asset = sync::names_for(env.prefix, "Asset").live_alias;
    auto asset = run_coro(env.ioc, env.es->search(live_asset, json::parse(R"({"size":1,"sort":[{"id":"asc"}]})").as_object()));
    REQUIRE_FALSE(asset.hits.empty());
    const std::int64_t asset_id = asset.hits.front().source.at("id").to_number<std::int64_t>();
    update("Asset", asset_id, "description", "after the retype");
    CHECK_MESSAGE(eventually([&] {
                      auto page = run_coro(env.ioc, env.es->search(live_asset, json::object{{"query", json::object{{"ids", json::object{{"values", json::array{std::to_string(asset_id)}}}}}}}));
                      if (page.hits.empty()) return false;
                      auto d = page.hits.front().source.if_contains("description");
                      return d && d->is_string() && d->get_string() == "after the retype";
                  }, 30s),
                  serve->log());
    CHECK(serve->running());
    serve->stop(SIGTERM, 10s);
}
