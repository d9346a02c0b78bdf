// elastic::client and bulk_indexer against the real OpenSearch node of the test harness,
// plus scripted local servers for the failures a real node will not produce on demand.
#include "elastic/client.hpp"
#include "elastic/indexer.hpp"
#include "support/env.hpp"
#include "support/raw_server.hpp"
#include "support/run_coro.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <set>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace sgcache;
using namespace std::chrono_literals;
using elastic::bulk_op;
using elastic::item_status;
using test::run_coro;

namespace {

elastic::client_config node_config() {
    elastic::client_config cfg;
    cfg.hosts = {test::es_url()};
    return cfg;
}

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

bulk_op versioned(const std::string& index, const std::string& id, std::string source, std::uint64_t version) {
    bulk_op op;
    op.index = index;
    op.id = id;
    op.source = std::move(source);
    op.external_version = version;
    return op;
}

// Creates a uniquely named index for one test and deletes it afterwards.
struct scratch_index {
    asio::io_context& ioc;
    elastic::client& es;
    std::string name;
    scratch_index(asio::io_context& i, elastic::client& c, const json::object& body, std::string prefix = "sgct")
        : ioc(i), es(c), name(test::unique_name(prefix)) {
        run_coro(ioc, es.create_index(name, body));
    }
    ~scratch_index() {
        try {
            run_coro(ioc, es.delete_index(name));
        } catch (...) {
        }
    }
};

const char* shot_index_body = R"({
    "settings": {"number_of_shards": 1, "number_of_replicas": 0},
    "mappings": {"dynamic": "strict", "properties": {
        "id": {"type": "long"},
        "code": {"type": "keyword"},
        "sg_cut_in": {"type": "long"},
        "_sgc": {"properties": {"retired": {"type": "boolean"}, "read_version": {"type": "long"}}}
    }}})";

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

TEST_CASE("elastic: root info names the distribution and version; health is yellow or green") {
    asio::io_context ioc;
    elastic::client es(ioc.get_executor(), node_config());
    auto info = run_coro(ioc, es.info());
    CHECK(info.distribution == test::engine());
    if (test::engine() == "opensearch") {
        CHECK(info.version.rfind("2.", 0) == 0);
        CHECK(info.major == 2);
    } else {
        CHECK(info.major >= 8);  // 8.19 in the suite; 9.5 by hand (SGCACHE_TEST_ENGINE_VERSION)
        CHECK(info.version.rfind(std::to_string(info.major) + ".", 0) == 0);
    }
    auto health = run_coro(ioc, es.health("yellow", 10s));
    CHECK((health.status == "green" || health.status == "yellow"));
    CHECK(health.number_of_nodes >= 1);
    CHECK_FALSE(health.timed_out);
}

TEST_CASE("elastic: create, inspect, update settings, refresh and delete an index by exact name") {
    asio::io_context ioc;
    elastic::client es(ioc.get_executor(), node_config());
    const std::string name = test::unique_name("sgct-create");
    run_coro(ioc, es.create_index(name, obj(shot_index_body)));
    CHECK(run_coro(ioc, es.exists(name)));

    auto mapping = run_coro(ioc, es.get_mapping(name));
    CHECK(json::serialize(mapping.at("properties").at("code")) == R"({"type":"keyword"})");

    // Creating it again is an error carrying ES's type and naming the host and index.
    try {
        run_coro(ioc, es.create_index(name, obj(shot_index_body)));
        FAIL("created an index twice");
    } catch (const elastic::error& e) {
        CHECK(e.what_kind() == elastic::error::kind::status);
        CHECK(e.status() == 400);
        CHECK(e.type() == "resource_already_exists_exception");
        const std::string msg = e.what();
        CHECK(msg.find("PUT " + test::es_url() + "/" + name) != std::string::npos);
    }

    run_coro(ioc, es.update_settings(name, obj(R"({"index":{"refresh_interval":"-1","number_of_replicas":0}})")));
    auto settings = run_coro(ioc, es.request(http::verb::get, "/" + name + "/_settings"));
    CHECK(settings.status == 200);
    CHECK(settings.body.find(R"("refresh_interval":"-1")") != std::string::npos);
    run_coro(ioc, es.refresh(name));

    // Wildcards never reach the cluster.
    CHECK_THROWS_AS(run_coro(ioc, es.delete_index(name.substr(0, 8) + "*")), std::invalid_argument);
    CHECK(run_coro(ioc, es.exists(name)));

    CHECK(run_coro(ioc, es.delete_index(name)));
    CHECK_FALSE(run_coro(ioc, es.exists(name)));
    CHECK_FALSE(run_coro(ioc, es.delete_index(name)));  // already gone: false, not an error
}

TEST_CASE("elastic: settings and refresh of several indices in one request each") {
    asio::io_context ioc;
    elastic::client es(ioc.get_executor(), node_config());
    scratch_index a(ioc, es, obj(shot_index_body), "sgct-multi");
    scratch_index b(ioc, es, obj(shot_index_body), "sgct-multi");
    const std::vector<std::string> both{a.name, b.name};
    const auto requests_before = es.stats().requests;
    run_coro(ioc, es.update_settings(both, obj(R"({"index":{"refresh_interval":"-1"}})")));
    run_coro(ioc, es.bulk({versioned(a.name, "1", R"({"code":"a1"})", 1), versioned(b.name, "1", R"({"code":"b1"})", 1)}));
    CHECK(run_coro(ioc, es.count(a.name)) == 0);  // not refreshed yet: the setting took
    run_coro(ioc, es.refresh(both));
    CHECK(es.stats().requests - requests_before == 4);  // settings, bulk, count, refresh
    CHECK(run_coro(ioc, es.count(a.name)) == 1);
    CHECK(run_coro(ioc, es.count(b.name)) == 1);
    for (const auto& name : both) {
        auto settings = run_coro(ioc, es.request(http::verb::get, "/" + name + "/_settings"));
        CHECK(settings.body.find(R"("refresh_interval":"-1")") != std::string::npos);
    }

    // A name that could match other indices is refused before any request; none is sent
    // for an empty list.
    const auto requests_then = es.stats().requests;
    CHECK_THROWS_AS(run_coro(ioc, es.refresh(std::vector<std::string>{a.name, "sgct-multi*"})), std::invalid_argument);
    CHECK_THROWS_AS(run_coro(ioc, es.update_settings(std::vector<std::string>{"a,b"}, obj("{}"))), std::invalid_argument);
    run_coro(ioc, es.refresh(std::vector<std::string>{}));
    CHECK(es.stats().requests == requests_then);
}

TEST_CASE("elastic: an external-version write older than the stored one is stale and changes nothing") {
    asio::io_context ioc;
    elastic::client es(ioc.get_executor(), node_config());
    scratch_index idx(ioc, es, obj(shot_index_body));

    auto first = run_coro(ioc, es.bulk({versioned(idx.name, "7", R"({"id":7,"code":"new"})", 2000)}));
    REQUIRE(first.size() == 1);
    CHECK(first[0].status == item_status::written);

    auto older = run_coro(ioc, es.bulk({versioned(idx.name, "7", R"({"id":7,"code":"old"})", 1000)}));
    CHECK(older[0].status == item_status::stale);
    CHECK(older[0].http_status == 409);
    auto same = run_coro(ioc, es.bulk({versioned(idx.name, "7", R"({"id":7,"code":"same"})", 2000)}));
    CHECK(same[0].status == item_status::stale);  // equal versions are refused too

    auto doc = run_coro(ioc, es.get(idx.name, "7"));
    REQUIRE(doc);
    CHECK(doc->source.at("code").as_string() == "new");
    CHECK(doc->version == 2000);

    auto newer = run_coro(ioc, es.bulk({versioned(idx.name, "7", R"({"id":7,"code":"newer"})", 3000)}));
    CHECK(newer[0].status == item_status::written);
    CHECK(run_coro(ioc, es.get(idx.name, "7"))->source.at("code").as_string() == "newer");
}

TEST_CASE("elastic: a _bulk with one bad item reports that item rejected with ES's reason, the rest written") {
    asio::io_context ioc;
    elastic::client es(ioc.get_executor(), node_config());
    scratch_index idx(ioc, es, obj(shot_index_body));
    std::vector<bulk_op> ops;
    for (int i = 1; i <= 5; ++i) {
        ops.push_back(versioned(idx.name, std::to_string(i),
                                i == 3 ? R"({"id":3,"sg_cut_in":"not a number"})" : R"({"id":)" + std::to_string(i) + "}",
                                100));
    }
    auto items = run_coro(ioc, es.bulk(ops));
    REQUIRE(items.size() == 5);
    for (int i = 0; i < 5; ++i) CHECK(items[i].status == (i == 2 ? item_status::rejected : item_status::written));
    CHECK(items[2].http_status == 400);
    // Elasticsearch 8 names a value that does not parse a document_parsing_exception.
    CHECK(items[2].error_type == (test::engine() == "opensearch" ? "mapper_parsing_exception" : "document_parsing_exception"));
    CHECK(items[2].reason.find("sg_cut_in") != std::string::npos);
    run_coro(ioc, es.refresh(idx.name));
    CHECK(run_coro(ioc, es.count(idx.name)) == 4);
}

TEST_CASE("elastic: several aliases swap in one atomic call; a failing action changes nothing") {
    asio::io_context ioc;
    elastic::client es(ioc.get_executor(), node_config());
    scratch_index g1(ioc, es, obj(shot_index_body), "sgct-alias");
    scratch_index g2(ioc, es, obj(shot_index_body), "sgct-alias");
    const std::string live = test::unique_name("sgct-live");
    const std::string all = test::unique_name("sgct-all");
    const auto not_retired = obj(R"({"bool":{"must_not":{"term":{"_sgc.retired":true}}}})");

    // Generation 1 holds 30 documents (5 retired), generation 2 holds 60 (10 retired).
    auto fill = [&](const std::string& index, int n) {
        std::vector<bulk_op> ops;
        for (int i = 1; i <= n; ++i) {
            ops.push_back(versioned(index, std::to_string(i),
                                    R"({"id":)" + std::to_string(i) + R"(,"_sgc":{"retired":)" +
                                        (i % 6 == 0 ? "true" : "false") + "}}",
                                    1));
        }
        for (auto& r : run_coro(ioc, es.bulk(ops))) REQUIRE(r.status == item_status::written);
        run_coro(ioc, es.refresh(index));
    };
    fill(g1.name, 30);
    fill(g2.name, 60);

    run_coro(ioc, es.update_aliases({{elastic::alias_verb::add, g1.name, live, not_retired},
                                     {elastic::alias_verb::add, g1.name, all, std::nullopt}}));
    CHECK(run_coro(ioc, es.count(live)) == 25);
    CHECK(run_coro(ioc, es.count(all)) == 30);

    // An action that fails (no such index) rolls back the whole call.
    CHECK_THROWS_AS(run_coro(ioc, es.update_aliases({{elastic::alias_verb::remove, g1.name, live, std::nullopt},
                                                     {elastic::alias_verb::add, g2.name, live, not_retired},
                                                     {elastic::alias_verb::add, "sgct-no-such-index", all, std::nullopt}})),
                    elastic::error);
    CHECK(run_coro(ioc, es.indices_of_alias(live)) == std::vector<std::string>{g1.name});
    CHECK(run_coro(ioc, es.indices_of_alias(all)) == std::vector<std::string>{g1.name});

    // Readers counting through the live alias during repeated swaps only ever see one whole
    // generation: 25 or 50, never 0 and never 75.
    std::set<std::uint64_t> seen;
    bool swapping = true;
    auto reader = [&]() -> asio::awaitable<void> {
        while (swapping) seen.insert(co_await es.count(live));
    };
    auto swapper = [&]() -> asio::awaitable<void> {
        std::string from = g1.name, to = g2.name;
        for (int i = 0; i < 10; ++i) {
            // A named vector: g++ 12 cannot compile an initializer list inside co_await.
            const std::vector<elastic::alias_action> swap{{elastic::alias_verb::remove, from, live, std::nullopt},
                                                          {elastic::alias_verb::remove, from, all, std::nullopt},
                                                          {elastic::alias_verb::add, to, live, not_retired},
                                                          {elastic::alias_verb::add, to, all, std::nullopt}};
            co_await es.update_aliases(swap);
            std::swap(from, to);
            co_await sleep_for(20ms);
        }
        swapping = false;
    };
    auto both = [&]() -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        co_await (reader() && swapper());
    };
    run_coro(ioc, both());
    CHECK(seen == std::set<std::uint64_t>{25, 50});
    // Ten swaps: back on generation 1.
    CHECK(run_coro(ioc, es.indices_of_alias(live)) == std::vector<std::string>{g1.name});
    CHECK(run_coro(ioc, es.aliases_of_index(g1.name)) == std::vector<std::string>{std::min(all, live), std::max(all, live)});
    CHECK(run_coro(ioc, es.aliases_of_index(g2.name)).empty());
    CHECK(run_coro(ioc, es.indices_of_alias(test::unique_name("sgct-nothing"))).empty());
}

TEST_CASE("elastic: compare-and-set writes with if_seq_no/if_primary_term") {
    asio::io_context ioc;
    elastic::client es(ioc.get_executor(), node_config());
    scratch_index idx(ioc, es, obj(R"({"settings":{"number_of_shards":1,"number_of_replicas":0}})"), "sgct-state");

    auto created = run_coro(ioc, es.put(idx.name, "lease", obj(R"({"holder":"a"})"), std::nullopt, true));
    CHECK(created.written);
    auto again = run_coro(ioc, es.put(idx.name, "lease", obj(R"({"holder":"b"})"), std::nullopt, true));
    CHECK_FALSE(again.written);  // create-only: it exists

    auto doc = run_coro(ioc, es.get(idx.name, "lease"));
    REQUIRE(doc);
    CHECK(doc->seq_no == created.seq_no);
    CHECK(doc->primary_term == created.primary_term);

    auto swap = run_coro(ioc, es.put(idx.name, "lease", obj(R"({"holder":"c"})"),
                                     elastic::cas{doc->seq_no, doc->primary_term}));
    CHECK(swap.written);
    CHECK(swap.seq_no > doc->seq_no);

    // The same (now stale) condition fails and leaves the document as it is.
    auto stale = run_coro(ioc, es.put(idx.name, "lease", obj(R"({"holder":"d"})"),
                                      elastic::cas{doc->seq_no, doc->primary_term}));
    CHECK_FALSE(stale.written);
    CHECK(run_coro(ioc, es.get(idx.name, "lease"))->source.at("holder").as_string() == "c");
    CHECK_FALSE(run_coro(ioc, es.get(idx.name, "missing")));
    CHECK_FALSE(run_coro(ioc, es.get(test::unique_name("sgct-no-index"), "x")));
}

TEST_CASE("elastic: _count and _search with search_after on a field of our own") {
    asio::io_context ioc;
    elastic::client es(ioc.get_executor(), node_config());
    scratch_index idx(ioc, es, obj(shot_index_body));
    std::vector<bulk_op> ops;
    for (int i = 1; i <= 25; ++i) {
        ops.push_back(versioned(idx.name, std::to_string(i), R"({"id":)" + std::to_string(i) + R"(,"code":"sh)" +
                                                                 std::to_string(i % 3) + "\"}",
                                1));
    }
    run_coro(ioc, es.bulk(ops));
    run_coro(ioc, es.refresh(idx.name));
    CHECK(run_coro(ioc, es.count(idx.name)) == 25);
    CHECK(run_coro(ioc, es.count(idx.name, obj(R"({"query":{"term":{"code":"sh0"}}})"))) == 8);

    std::vector<int> ids;
    json::array after;
    for (int page = 0; page < 10; ++page) {
        json::object body = obj(R"({"size":10,"sort":[{"id":"asc"}],"query":{"match_all":{}}})");
        if (!after.empty()) body["search_after"] = after;
        auto res = run_coro(ioc, es.search(idx.name, body));
        CHECK(res.total == 25);
        if (res.hits.empty()) break;
        for (auto& h : res.hits) ids.push_back(static_cast<int>(h.source.at("id").to_number<std::int64_t>()));
        after = res.hits.back().sort;
    }
    REQUIRE(ids.size() == 25);
    for (int i = 0; i < 25; ++i) CHECK(ids[i] == i + 1);
}

TEST_CASE("elastic: a slow or dead endpoint times out cleanly with a message naming host and request") {
    asio::io_context ioc;
    test::raw_server slow(ioc, [](test::raw_connection& c) -> asio::awaitable<void> {
        co_await c.read_request();
        co_await sleep_for(30s);
    });
    elastic::client_config cfg;
    cfg.hosts = {"http://127.0.0.1:" + std::to_string(slow.port())};
    cfg.http.request_timeout = 200ms;
    cfg.retry = {2, 10ms, 10ms};
    elastic::client es(ioc.get_executor(), cfg);
    const auto t0 = std::chrono::steady_clock::now();
    try {
        run_coro(ioc, es.count("sgct-x"));
        FAIL("no timeout");
    } catch (const elastic::error& e) {
        CHECK(e.what_kind() == elastic::error::kind::unreachable);
        const std::string msg = e.what();
        CHECK(msg.find("POST http://127.0.0.1:" + std::to_string(slow.port()) + "/sgct-x/_count") != std::string::npos);
        CHECK(msg.find("timed out") != std::string::npos);
        CHECK(msg.find("2 attempts") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);

    std::uint16_t dead_port;
    {
        test::raw_server gone(ioc, [](test::raw_connection&) -> asio::awaitable<void> { co_return; });
        dead_port = gone.port();
    }
    elastic::client_config dead_cfg;
    dead_cfg.hosts = {"http://elastic:hunter2@127.0.0.1:" + std::to_string(dead_port)};
    dead_cfg.retry = {3, 10ms, 20ms};
    elastic::client dead(ioc.get_executor(), dead_cfg);
    try {
        run_coro(ioc, dead.info());
        FAIL("reached a dead host");
    } catch (const elastic::error& e) {
        const std::string msg = e.what();
        CHECK(msg.find("GET http://127.0.0.1:" + std::to_string(dead_port) + "/") != std::string::npos);
        CHECK(msg.find("refused") != std::string::npos);
        CHECK(msg.find("hunter2") == std::string::npos);  // credentials never in messages
    }
}

TEST_CASE("elastic: a non-JSON reply is a clear error naming the host and request") {
    asio::io_context ioc;
    test::raw_server proxy(ioc, [](test::raw_connection& c) -> asio::awaitable<void> {
        for (;;) {
            if ((co_await c.read_request()).empty()) co_return;
            co_await c.write(test::http_reply(200, "<html><body>Welcome to nginx!</body></html>",
                                              "Content-Type: text/html\r\n"));
        }
    });
    elastic::client_config cfg;
    cfg.hosts = {"http://127.0.0.1:" + std::to_string(proxy.port())};
    elastic::client es(ioc.get_executor(), cfg);
    try {
        run_coro(ioc, es.info());
        FAIL("accepted HTML");
    } catch (const elastic::error& e) {
        CHECK(e.what_kind() == elastic::error::kind::malformed);
        CHECK(std::string(e.what()) == "elasticsearch: GET http://127.0.0.1:" + std::to_string(proxy.port()) +
                                           "/: reply is not a JSON object (HTTP 200): <html><body>Welcome to nginx!</body></html>");
    }
    CHECK_THROWS_AS(run_coro(ioc, es.bulk({versioned("i", "1", "{}", 1)})), elastic::error);
}

TEST_CASE("elastic: bad configuration is refused before any request") {
    asio::io_context ioc;
    elastic::client_config none;
    CHECK_THROWS_WITH_AS(elastic::client(ioc.get_executor(), none), "elasticsearch: no hosts configured",
                         std::invalid_argument);
    elastic::client_config bad_url;
    bad_url.hosts = {"localhost:9200"};
    CHECK_THROWS_WITH_AS(elastic::client(ioc.get_executor(), bad_url), doctest::Contains("malformed URL 'localhost:9200'"),
                         std::invalid_argument);
    elastic::client_config both;
    both.hosts = {"http://127.0.0.1:9200"};
    both.username = "u";
    both.password = "p";
    both.api_key = "k";
    CHECK_THROWS_AS(elastic::client(ioc.get_executor(), both), std::invalid_argument);
}

TEST_CASE("elastic: basic and API-key authorization headers") {
    asio::io_context ioc;
    std::vector<std::string> seen;
    test::raw_server server(ioc, [&](test::raw_connection& c) -> asio::awaitable<void> {
        for (;;) {
            auto req = co_await c.read_request();
            if (req.empty()) co_return;
            seen.push_back(req);
            co_await c.write(test::http_reply(200, R"({"count":3})"));
        }
    });
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
    elastic::client_config basic;
    basic.hosts = {url};
    basic.username = "sgcache";
    basic.password = "s3cret";
    elastic::client a(ioc.get_executor(), basic);
    CHECK(run_coro(ioc, a.count("x")) == 3);
    elastic::client_config key;
    key.hosts = {url};
    key.api_key = "VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw";
    elastic::client b(ioc.get_executor(), key);
    CHECK(run_coro(ioc, b.count("x")) == 3);
    elastic::client_config encoded;
    encoded.hosts = {url};
    encoded.api_key = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
    elastic::client c(ioc.get_executor(), encoded);
    CHECK(run_coro(ioc, c.count("x")) == 3);
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].find("Authorization: Basic c2djYWNoZTpzM2NyZXQ=\r\n") != std::string::npos);
    CHECK(seen[1].find("Authorization: ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==\r\n") !=
          std::string::npos);
    CHECK(seen[2].find("Authorization: ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==\r\n") !=
          std::string::npos);
}

TEST_CASE("elastic: TLS to the cluster with a custom CA") {
    const std::string pki = test::test_pki_dir();
    const test::tls_files files{pki + "/server.pem", pki + "/server.key"};
    asio::io_context ioc;
    test::raw_server server(ioc, [](test::raw_connection& c) -> asio::awaitable<void> {
        co_await c.read_request();
        co_await c.write(test::http_reply(
            200, R"({"name":"n","cluster_name":"c","version":{"number":"8.15.0","build_flavor":"default"},"tagline":"You Know, for Search"})",
            "X-Elastic-Product: Elasticsearch\r\n"));
    }, &files);
    elastic::client_config cfg;
    cfg.hosts = {"https://localhost:" + std::to_string(server.port())};
    cfg.http.ca_file = pki + "/ca.pem";
    elastic::client es(ioc.get_executor(), cfg);
    auto info = run_coro(ioc, es.info());
    CHECK(info.distribution == "elasticsearch");  // Elasticsearch 8 names no distribution
    CHECK(info.major == 8);

    elastic::client_config untrusted = cfg;
    untrusted.http.ca_file = pki + "/other-ca.pem";
    elastic::client refused(ioc.get_executor(), untrusted);
    try {
        run_coro(ioc, refused.info());
        FAIL("trusted an unknown CA");
    } catch (const elastic::error& e) {
        CHECK(e.what_kind() == elastic::error::kind::tls);
    }
}

TEST_CASE("elastic: a dead host among several is skipped and the request goes to the next") {
    asio::io_context ioc;
    std::uint16_t dead_port;
    {
        test::raw_server gone(ioc, [](test::raw_connection&) -> asio::awaitable<void> { co_return; });
        dead_port = gone.port();
    }
    elastic::client_config cfg;
    cfg.hosts = {"http://127.0.0.1:" + std::to_string(dead_port), test::es_url()};
    elastic::client es(ioc.get_executor(), cfg);
    for (int i = 0; i < 6; ++i) CHECK(run_coro(ioc, es.info()).distribution == test::engine());
    // The dead host was tried once, then skipped during its cool-down.
    CHECK(es.stats().failovers == 1);
    CHECK(es.stats().requests == 7);
}

TEST_CASE("bulk indexer: batches by bytes and documents, every item acknowledged") {
    asio::io_context ioc;
    elastic::client es(ioc.get_executor(), node_config());
    scratch_index idx(ioc, es, obj(shot_index_body));
    elastic::indexer_options opts;
    opts.max_batch_docs = 300;
    opts.max_batch_bytes = 16 * 1024;
    opts.max_in_flight = 2;
    std::vector<std::string> rejected;
    elastic::bulk_indexer indexer(es, opts, [&](const bulk_op& op, const elastic::item_result& r) {
        if (r.status == item_status::rejected) rejected.push_back(op.id + ": " + r.reason);
    });
    auto load = [&]() -> asio::awaitable<void> {
        for (int i = 1; i <= 3000; ++i) {
            co_await indexer.add(versioned(idx.name, std::to_string(i),
                                           R"({"id":)" + std::to_string(i) + R"(,"code":"shot_)" + std::to_string(i) +
                                               "\"}",
                                           10));
        }
        // Older versions of 100 of them: stale, and harmless.
        for (int i = 1; i <= 100; ++i) {
            co_await indexer.add(versioned(idx.name, std::to_string(i), R"({"id":0})", 5));
        }
        co_await indexer.flush();
    };
    run_coro(ioc, load());
    auto st = indexer.stats();
    CHECK(st.written == 3000);
    CHECK(st.stale == 100);
    CHECK(st.rejected == 0);
    CHECK(rejected.empty());
    CHECK(indexer.pending() == 0);
    CHECK(st.requests > 20);  // the byte cap (16 KiB), not the doc cap (300: 11 requests), cut the batches
    run_coro(ioc, es.refresh(idx.name));
    CHECK(run_coro(ioc, es.count(idx.name)) == 3000);
}

TEST_CASE("bulk indexer: items answered 429 are retried; undeliverable batches surface at flush") {
    asio::io_context ioc;
    int bulk_calls = 0;
    // First _bulk: item 2 of 3 gets 429. Second: only that item is re-sent, and is written.
    test::raw_server server(ioc, [&](test::raw_connection& c) -> asio::awaitable<void> {
        for (;;) {
            auto req = co_await c.read_request();
            if (req.empty()) co_return;
            ++bulk_calls;
            const auto body = req.substr(req.find("\r\n\r\n") + 4);
            const auto lines = std::count(body.begin(), body.end(), '\n');
            if (bulk_calls == 1) {
                CHECK(lines == 6);
                co_await c.write(test::http_reply(200, R"({"errors":true,"items":[
                    {"index":{"status":201}},
                    {"index":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},
                    {"index":{"status":201}}]})"));
            } else {
                CHECK(lines == 2);
                CHECK(body.find(R"("_id":"2")") != std::string::npos);
                co_await c.write(test::http_reply(200, R"({"errors":false,"items":[{"index":{"status":201}}]})"));
            }
        }
    });
    elastic::client_config cfg;
    cfg.hosts = {"http://127.0.0.1:" + std::to_string(server.port())};
    elastic::client es(ioc.get_executor(), cfg);
    elastic::indexer_options opts;
    opts.item_retry = {5, 10ms, 20ms};
    std::vector<std::string> retried;  // what on_retry was told
    opts.on_retry = [&](const elastic::item_result& r, std::size_t items, int attempt) {
        retried.push_back(r.error_type + " " + std::to_string(r.http_status) + " " + std::to_string(items) + " " +
                          std::to_string(attempt));
    };
    elastic::bulk_indexer indexer(es, opts);
    auto load = [&]() -> asio::awaitable<void> {
        for (int i = 1; i <= 3; ++i) co_await indexer.add(versioned("i", std::to_string(i), "{}", 1));
        co_await indexer.flush();
    };
    run_coro(ioc, load());
    CHECK(bulk_calls == 2);
    CHECK(indexer.stats().written == 3);
    CHECK(indexer.stats().item_retries == 1);
    CHECK(retried == std::vector<std::string>{"es_rejected_execution_exception 429 1 1"});

    // Nothing answers: the error reaches flush(), and the items are not counted as done.
    std::uint16_t dead_port;
    {
        test::raw_server gone(ioc, [](test::raw_connection&) -> asio::awaitable<void> { co_return; });
        dead_port = gone.port();
    }
    elastic::client_config dead_cfg;
    dead_cfg.hosts = {"http://127.0.0.1:" + std::to_string(dead_port)};
    dead_cfg.retry = {2, 10ms, 10ms};
    elastic::client dead(ioc.get_executor(), dead_cfg);
    elastic::bulk_indexer lost(dead, opts);
    auto fail = [&]() -> asio::awaitable<void> {
        co_await lost.add(versioned("i", "1", "{}", 1));
        co_await lost.flush();
    };
    CHECK_THROWS_AS(run_coro(ioc, fail()), elastic::error);
    CHECK(lost.stats().written == 0);
    CHECK(lost.pending() == 0);
}
