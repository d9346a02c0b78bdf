// shotgun::client against the fake Shotgun site over HTTPS (a CA made at test time), with
// the site's fault injection driving every retry path.
#include "shotgun/client.hpp"
#include "shotgun/filters.hpp"
#include "support/env.hpp"
#include "support/fake_site.hpp"
#include "support/raw_server.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <set>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace sgcache;
using namespace std::chrono_literals;
using test::run_coro;

namespace {

const char* key = "k3y-not-for-logs";

std::vector<std::string> tls_args() {
    const std::string pki = test::test_pki_dir();
    return {"--tls-cert", pki + "/server.pem", "--tls-key", pki + "/server.key"};
}

shotgun::client_config config_for(const test::fake_site& site) {
    shotgun::client_config cfg;
    // The site prints https://127.0.0.1:PORT; the test certificate also names localhost.
    cfg.url = site.url();
    cfg.auth.script_name = "sgcache";
    cfg.auth.script_key = key;
    cfg.http.ca_file = test::test_pki_dir() + "/ca.pem";
    cfg.http.request_timeout = 5s;
    cfg.retry = {6, 20ms, 200ms};
    return cfg;
}

// Changes the site's faults at run time through its admin endpoint.
void set_faults(asio::io_context& ioc, const test::fake_site& site, const std::string& body) {
    http::client_options opts;
    opts.ca_file = test::test_pki_dir() + "/ca.pem";
    http::client admin(ioc.get_executor(), http::parse_endpoint(site.url()), opts);
    http::request req;
    req.method = http::verb::post;
    req.target = "/_admin/faults";
    req.body = body;
    req.content_type = "application/json";
    auto res = run_coro(ioc, admin.send(req));
    REQUIRE(res.has_value());
    REQUIRE(res->status == 200);
}

}  // namespace

TEST_CASE("shotgun client: info, read and schema over HTTPS with a test CA") {
    auto args = tls_args();
    args.insert(args.end(), {"--script", std::string("sgcache:") + key, "--generate", "studio:300", "--seed", "3"});
    test::fake_site site(args);
    REQUIRE(site.url().rfind("https://", 0) == 0);
    asio::io_context ioc;
    shotgun::client sg(ioc.get_executor(), config_for(site));

    auto info = run_coro(ioc, sg.info());
    REQUIRE(info.version.size() >= 3);
    CHECK(info.version[0] >= 7);
    CHECK(info.max_entities_per_page == 500);

    shotgun::read_request req;
    req.type = "Shot";
    req.fields = {"code", "sg_status_list", "project"};
    req.page_size = 5;
    auto page = run_coro(ioc, sg.read(req));
    REQUIRE(page.entities.size() == 5);
    CHECK(page.has_next_page);
    const auto& first = page.entities[0].as_object();
    CHECK(first.at("type").as_string() == "Shot");
    CHECK(first.contains("code"));
    CHECK(first.at("project").as_object().at("type").as_string() == "Project");
    const auto age = std::chrono::system_clock::now() - page.sent_at;
    CHECK(age >= 0s);
    CHECK(age < 10s);

    auto schema = run_coro(ioc, sg.schema_read());
    CHECK(schema.contains("Shot"));
    CHECK(schema.at("Shot").as_object().at("code").as_object().at("data_type").as_object().at("value").as_string() ==
          "text");
    auto entities = run_coro(ioc, sg.schema_entity_read());
    CHECK(entities.contains("Asset"));
    auto one = run_coro(ioc, sg.schema_field_read("Shot", "sg_status_list"));
    CHECK(one.size() == 1);
    CHECK(one.contains("sg_status_list"));
}

TEST_CASE("shotgun client: bad credentials stop at once, without the key in the message") {
    auto args = tls_args();
    args.insert(args.end(), {"--script", "sgcache:the-real-key"});
    test::fake_site site(args);
    asio::io_context ioc;
    shotgun::client sg(ioc.get_executor(), config_for(site));  // sends k3y-not-for-logs
    try {
        run_coro(ioc, sg.schema_read());
        FAIL("wrong key accepted");
    } catch (const shotgun::auth_error& e) {
        CHECK(e.code() == 102);
        const std::string msg = e.what();
        CHECK(msg.find("fault 102") != std::string::npos);
        CHECK(msg.find(key) == std::string::npos);
        CHECK(msg.find("the-real-key") == std::string::npos);
    }
    CHECK(sg.stats().requests == 1);  // not retried
    CHECK(sg.stats().retries == 0);
}

TEST_CASE("shotgun client: a burst of 503 then success; 429 honours Retry-After") {
    auto args = tls_args();
    args.insert(args.end(), {"--script", std::string("sgcache:") + key, "--generate", "studio:200"});
    test::fake_site site(args);
    asio::io_context ioc;
    shotgun::client sg(ioc.get_executor(), config_for(site));

    set_faults(ioc, site, R"({"fail_next": ["503", "503", "503"]})");
    auto page = run_coro(ioc, sg.read_after("Shot", {"code"}, {}, 0, 1'000'000, 10, false));
    CHECK(page.entities.size() == 10);
    CHECK(sg.stats().retries == 3);

    set_faults(ioc, site, R"({"fail_next": ["429"], "retry_after_s": 1})");
    const auto t0 = std::chrono::steady_clock::now();
    run_coro(ioc, sg.read_after("Shot", {"code"}, {}, 0, 1'000'000, 10, false));
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(sg.stats().retries == 4);
    CHECK(took >= 950ms);  // the policy alone would have waited at most 20 ms
    CHECK(took < 5s);
}

TEST_CASE("shotgun client: a reset and a stalled reply are retried") {
    auto args = tls_args();
    args.insert(args.end(), {"--script", std::string("sgcache:") + key, "--generate", "studio:200"});
    test::fake_site site(args);
    asio::io_context ioc;
    auto cfg = config_for(site);
    cfg.http.request_timeout = 400ms;
    shotgun::client sg(ioc.get_executor(), cfg);

    set_faults(ioc, site, R"({"fail_next": ["reset"]})");
    CHECK(run_coro(ioc, sg.read_after("Asset", {"code"}, {}, 0, 1'000'000, 3, false)).entities.size() == 3);
    CHECK(sg.stats().retries == 1);

    set_faults(ioc, site, R"({"fail_next": ["stall"], "stall_ms": 10000})");
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(run_coro(ioc, sg.read_after("Asset", {"code"}, {}, 0, 1'000'000, 3, false)).entities.size() == 3);
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);  // timed out at 400 ms, not 10 s
    CHECK(sg.stats().retries == 2);
}

TEST_CASE("shotgun client: a site that keeps failing gives up with a clear error") {
    auto args = tls_args();
    args.insert(args.end(), {"--script", std::string("sgcache:") + key, "--fault", "http_502=1.0"});
    test::fake_site site(args);
    asio::io_context ioc;
    auto cfg = config_for(site);
    cfg.retry = {3, 10ms, 20ms};
    shotgun::client sg(ioc.get_executor(), cfg);
    try {
        run_coro(ioc, sg.schema_read());
        FAIL("no error");
    } catch (const shotgun::error& e) {
        CHECK(e.what_kind() == shotgun::error::kind::busy);
        const std::string msg = e.what();
        CHECK(msg.find("HTTP 502") != std::string::npos);
        CHECK(msg.find("gave up after 3 attempts") != std::string::npos);
        CHECK(msg.find(key) == std::string::npos);
    }
    CHECK(sg.stats().requests == 3);
}

TEST_CASE("shotgun client: faults for bad requests are not retried") {
    auto args = tls_args();
    args.insert(args.end(), {"--script", std::string("sgcache:") + key});
    test::fake_site site(args);
    asio::io_context ioc;
    shotgun::client sg(ioc.get_executor(), config_for(site));
    shotgun::read_request req;
    req.type = "NoSuchType";
    req.fields = {"code"};
    try {
        run_coro(ioc, sg.read(req));
        FAIL("no fault");
    } catch (const shotgun::fault& f) {
        CHECK(f.code() != 102);
        CHECK(std::string(f.what()).find("NoSuchType") != std::string::npos);
    }
    CHECK(sg.stats().requests == 1);
}

TEST_CASE("shotgun client: keyset paging reads every entity once; summarize agrees") {
    auto args = tls_args();
    args.insert(args.end(), {"--script", std::string("sgcache:") + key, "--generate", "studio:3000", "--seed", "5"});
    test::fake_site site(args);
    asio::io_context ioc;
    shotgun::client sg(ioc.get_executor(), config_for(site));

    auto summary = run_coro(ioc, sg.summarize("Task", json::parse(R"([{"field":"id","type":"record_count"}])").as_array(),
                                              {}, {}));
    const auto expected = summary.at("summaries").as_object().at("id").to_number<std::int64_t>();
    REQUIRE(expected > 500);

    std::set<std::int64_t> ids;
    std::int64_t after = 0;
    int pages = 0;
    for (;;) {
        auto page = run_coro(ioc, sg.read_after("Task", {"content"}, {}, after, 10'000'000, 400, false));
        if (page.entities.empty()) break;
        ++pages;
        for (const auto& e : page.entities) {
            const auto id = e.as_object().at("id").to_number<std::int64_t>();
            CHECK(id > after);
            ids.insert(id);
        }
        after = page.entities.back().as_object().at("id").to_number<std::int64_t>();
    }
    CHECK(static_cast<std::int64_t>(ids.size()) == expected);
    CHECK(pages == (expected + 399) / 400);

    // A grouped summarize over id buckets: the bucket counts add up to the total.
    auto grouped = run_coro(ioc, sg.summarize("Task", json::parse(R"([{"field":"id","type":"record_count"}])").as_array(),
                                              {}, json::parse(R"([{"field":"id","type":"hundreds","direction":"asc"}])").as_array()));
    std::int64_t sum = 0;
    for (const auto& g : grouped.at("groups").as_array()) {
        sum += g.as_object().at("summaries").as_object().at("id").to_number<std::int64_t>();
    }
    CHECK(sum == expected);

    // Filters in list form, as a studio writes them, reach the site in wire form.
    auto filters = shotgun::from_list_form(json::parse(R"([["sg_status_list", "in", ["ip", "fin"]]])"));
    auto some = run_coro(ioc, sg.read_after("Task", {"sg_status_list"}, filters, 0, 10'000'000, 500, false));
    for (const auto& e : some.entities) {
        const auto s = e.as_object().at("sg_status_list").as_string();
        CHECK((s == "ip" || s == "fin"));
    }
}

TEST_CASE("shotgun client: one limiter bounds the requests in flight") {
    auto args = tls_args();
    args.insert(args.end(), {"--script", std::string("sgcache:") + key, "--generate", "studio:200",
                             "--fault", "latency_ms=100"});
    test::fake_site site(args);
    asio::io_context ioc;
    auto cfg = config_for(site);
    cfg.max_in_flight = 3;
    shotgun::client sg(ioc.get_executor(), cfg);
    int done = 0;
    auto one = [&]() -> asio::awaitable<void> {
        // Named arguments: g++ 12 cannot compile a braced list inside co_await.
        std::vector<std::string> fields{"code"};
        json::object no_filters;
        co_await sg.read_after("Shot", fields, no_filters, 0, 1'000'000, 1, false);
        ++done;
    };
    auto many = [&]() -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        co_await ((one() && one() && one() && one()) && (one() && one() && one() && one()) && (one() && one()));
    };
    const auto t0 = std::chrono::steady_clock::now();
    run_coro(ioc, many());
    CHECK(done == 10);
    CHECK(sg.request_limiter().peak() == 3);
    CHECK(sg.request_limiter().in_use() == 0);
    // Ten requests of 100 ms, three at a time: at least four rounds.
    CHECK(std::chrono::steady_clock::now() - t0 >= 390ms);
}

TEST_CASE("shotgun client: replies that are not JSON are retried, then reported") {
    asio::io_context ioc;
    int calls = 0;
    test::raw_server proxy(ioc, [&](test::raw_connection& c) -> asio::awaitable<void> {
        for (;;) {
            if ((co_await c.read_request()).empty()) co_return;
            ++calls;
            co_await c.write(test::http_reply(200, "<html>maintenance</html>", "Content-Type: text/html\r\n"));
        }
    });
    shotgun::client_config cfg;
    cfg.url = "http://127.0.0.1:" + std::to_string(proxy.port());
    cfg.auth = {"sgcache", key, ""};
    cfg.retry = {2, 10ms, 10ms};
    shotgun::client sg(ioc.get_executor(), cfg);
    try {
        run_coro(ioc, sg.schema_read());
        FAIL("accepted HTML");
    } catch (const shotgun::error& e) {
        CHECK(e.what_kind() == shotgun::error::kind::malformed);
        CHECK(std::string(e.what()).find("reply is not JSON: <html>maintenance</html>") != std::string::npos);
    }
    CHECK(calls == 2);
}

TEST_CASE("shotgun client: the request envelope is what shotgun_api3 sends") {
    asio::io_context ioc;
    std::string seen;
    test::raw_server site(ioc, [&](test::raw_connection& c) -> asio::awaitable<void> {
        seen = co_await c.read_request();
        co_await c.write(test::http_reply(200, R"({"results":{"entities":[],"paging_info":{"has_next_page":false}}})",
                                          "Content-Type: application/json\r\n"));
    });
    shotgun::client_config cfg;
    cfg.url = "http://127.0.0.1:" + std::to_string(site.port()) + "/sg/";
    cfg.auth = {"sgcache", key, ""};
    shotgun::client sg(ioc.get_executor(), cfg);
    shotgun::read_request req;
    req.type = "Asset";
    req.fields = {"code"};
    req.filters = shotgun::from_list_form(json::parse(R"([["id","is",32]])"));
    run_coro(ioc, sg.read(req));
    REQUIRE(seen.find("POST /sg/api3/json HTTP/1.1\r\n") == 0);
    const auto body = json::parse(seen.substr(seen.find("\r\n\r\n") + 4)).as_object();
    CHECK(body.at("method_name").as_string() == "read");
    const auto& params = body.at("params").as_array();
    REQUIRE(params.size() == 2);
    CHECK(json::serialize(params[0]) == std::string(R"({"script_name":"sgcache","script_key":")") + key + "\"}");
    const auto& p = params[1].as_object();
    CHECK(p.at("type").as_string() == "Asset");
    CHECK(json::serialize(p.at("filters")) ==
          R"({"logical_operator":"and","conditions":[{"path":"id","relation":"is","values":[32]}]})");
    CHECK(p.at("return_only").as_string() == "active");
    CHECK(json::serialize(p.at("paging")) == R"({"entities_per_page":500,"current_page":1})");
}

TEST_CASE("shotgun client: session-token authentication") {
    test::fake_site site({"--script", std::string("sgcache:") + key, "--user", "jdoe:pw123"});
    asio::io_context ioc;
    // A session token, as a human user's login gives one.
    shotgun::client_config login;
    login.url = site.url();
    login.auth = {"sgcache", key, ""};
    shotgun::client by_script(ioc.get_executor(), login);
    auto token = run_coro(ioc, by_script.call("get_session_token", std::nullopt, true));
    REQUIRE(token.is_object());
    const std::string session(token.as_object().at("session_id").as_string());
    REQUIRE_FALSE(session.empty());

    shotgun::client_config cfg;
    cfg.url = site.url();
    cfg.auth = {"", "", session};
    shotgun::client sg(ioc.get_executor(), cfg);
    CHECK(run_coro(ioc, sg.schema_read()).contains("Shot"));

    cfg.auth = {"", "", "not-a-session"};
    shotgun::client bad(ioc.get_executor(), cfg);
    CHECK_THROWS_AS(run_coro(ioc, bad.schema_read()), shotgun::auth_error);
    CHECK(bad.stats().requests == 1);
}
