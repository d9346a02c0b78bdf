#include "elastic/bulk.hpp"
#include "elastic/client.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

using namespace sgcache::elastic;

namespace {
bulk_op doc(std::string id, std::string source, std::optional<std::uint64_t> version = {}) {
    bulk_op op;
    op.index = "sgc-entity-shot-g000001";
    op.id = std::move(id);
    op.source = std::move(source);
    op.external_version = version;
    return op;
}
}  // namespace

TEST_CASE("bulk NDJSON: action lines with external versions, one source line each") {
    std::string body;
    append_op(body, doc("42", R"({"code":"sh010"})", 1700000000123456ull));
    bulk_op del;
    del.type = op_type::del;
    del.index = "state";
    del.id = "lease";
    append_op(body, del);
    CHECK(body ==
          "{\"index\":{\"_index\":\"sgc-entity-shot-g000001\",\"_id\":\"42\",\"version\":1700000000123456,"
          "\"version_type\":\"external\"}}\n"
          "{\"code\":\"sh010\"}\n"
          "{\"delete\":{\"_index\":\"state\",\"_id\":\"lease\"}}\n");
    // Every line is valid JSON and the body ends with a newline, as _bulk requires.
    std::size_t start = 0;
    while (start < body.size()) {
        auto end = body.find('\n', start);
        REQUIRE(end != std::string::npos);
        CHECK_NOTHROW(boost::json::parse(body.substr(start, end - start)));
        start = end + 1;
    }
}

TEST_CASE("bulk NDJSON: ids needing escapes are escaped; empty parts are refused") {
    std::string body;
    append_op(body, doc("a\"b\\c", "{}"));
    CHECK(body.find(R"("_id":"a\"b\\c")") != std::string::npos);
    CHECK_THROWS_AS(append_op(body, doc("", "{}")), std::invalid_argument);
    CHECK_THROWS_AS(append_op(body, doc("1", "")), std::invalid_argument);
    bulk_op no_index = doc("1", "{}");
    no_index.index.clear();
    CHECK_THROWS_AS(append_op(body, no_index), std::invalid_argument);
}

TEST_CASE("op_size is an upper bound close to the real size") {
    for (auto op : {doc("1", "{}"), doc("123456789", std::string(1000, 'x'), 18446744073709551615ull)}) {
        std::string body;
        append_op(body, op);
        CHECK(op_size(op) >= body.size());
        CHECK(op_size(op) <= body.size() + 8);
    }
}

TEST_CASE("batches are capped by documents and by bytes") {
    std::vector<bulk_op> ops;
    for (int i = 0; i < 25; ++i) ops.push_back(doc(std::to_string(1000 + i), std::string(100, 'x')));
    auto by_docs = plan_batches(ops, 10, 1u << 20);
    REQUIRE(by_docs.size() == 3);
    CHECK(by_docs[0] == std::pair<std::size_t, std::size_t>{0, 10});
    CHECK(by_docs[2] == std::pair<std::size_t, std::size_t>{20, 25});

    const std::size_t one = op_size(ops[0]);
    auto by_bytes = plan_batches(ops, 1000, one * 4 + 1);
    CHECK(by_bytes.size() == 7);  // 4+4+4+4+4+4+1
    for (auto [b, e] : by_bytes) {
        std::size_t bytes = 0;
        for (auto i = b; i < e; ++i) bytes += op_size(ops[i]);
        CHECK(bytes <= one * 4 + 1);
    }
    // A single op larger than the cap still goes, alone.
    std::vector<bulk_op> huge{doc("1", std::string(5000, 'y')), doc("2", "{}")};
    auto alone = plan_batches(huge, 1000, 100);
    CHECK(alone.size() == 2);
    CHECK(plan_batches({}, 10, 10).empty());
}

TEST_CASE("item classification: written, stale, retryable, rejected") {
    CHECK(classify_item(201, "", op_type::index) == item_status::written);
    CHECK(classify_item(200, "", op_type::index) == item_status::written);
    CHECK(classify_item(409, "version_conflict_engine_exception", op_type::index) == item_status::stale);
    CHECK(classify_item(429, "es_rejected_execution_exception", op_type::index) == item_status::retryable);
    CHECK(classify_item(503, "unavailable_shards_exception", op_type::index) == item_status::retryable);
    CHECK(classify_item(500, "", op_type::index) == item_status::retryable);
    CHECK(classify_item(400, "mapper_parsing_exception", op_type::index) == item_status::rejected);
    CHECK(classify_item(404, "index_not_found_exception", op_type::index) == item_status::rejected);
    CHECK(classify_item(404, "", op_type::del) == item_status::written);
}

TEST_CASE("bulk reply parsing: per-item outcomes with ES's reasons") {
    const char* reply = R"({"took":3,"errors":true,"items":[
        {"index":{"_index":"i","_id":"1","_version":5,"result":"created","status":201}},
        {"index":{"_index":"i","_id":"2","status":409,"error":{"type":"version_conflict_engine_exception",
            "reason":"[2]: version conflict, current version [9] is higher or equal to the one provided [5]"}}},
        {"index":{"_index":"i","_id":"3","status":400,"error":{"type":"mapper_parsing_exception",
            "reason":"failed to parse field [sg_frames] of type [long]",
            "caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"abc\""}}}},
        {"index":{"_index":"i","_id":"4","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}}
    ]})";
    auto items = parse_bulk_reply(reply, 4);
    REQUIRE(items.size() == 4);
    CHECK(items[0].status == item_status::written);
    CHECK(items[1].status == item_status::stale);
    CHECK(items[2].status == item_status::rejected);
    CHECK(items[2].error_type == "mapper_parsing_exception");
    CHECK(items[2].reason == "failed to parse field [sg_frames] of type [long]: For input string: \"abc\"");
    CHECK(items[3].status == item_status::retryable);
    CHECK(items[3].http_status == 429);
}

TEST_CASE("bulk reply parsing: malformed replies are errors, never a crash") {
    CHECK_THROWS_WITH_AS(parse_bulk_reply("<html>502</html>", 1), doctest::Contains("not JSON"), std::runtime_error);
    CHECK_THROWS_WITH_AS(parse_bulk_reply(R"({"took":1})", 1), doctest::Contains("no items"), std::runtime_error);
    CHECK_THROWS_WITH_AS(parse_bulk_reply(R"({"items":[]})", 2), doctest::Contains("0 items for 2"), std::runtime_error);
    CHECK_THROWS_WITH_AS(parse_bulk_reply(R"({"items":[1]})", 1), doctest::Contains("item 0"), std::runtime_error);
    CHECK_THROWS_WITH_AS(parse_bulk_reply(R"({"items":[{"index":{"_id":"1"}}]})", 1),
                         doctest::Contains("no status"), std::runtime_error);
    CHECK_THROWS_AS(parse_bulk_reply(R"({"items":[{"index":{"status":201}})", 1), std::runtime_error);  // truncated
}

TEST_CASE("ES error bodies give type and reason") {
    auto [t, r] = parse_error_body(
        R"({"error":{"root_cause":[],"type":"resource_already_exists_exception","reason":"index [x/abc] already exists"},"status":400})");
    CHECK(t == "resource_already_exists_exception");
    CHECK(r == "index [x/abc] already exists");
    CHECK(parse_error_body("not json").first.empty());
    CHECK(parse_error_body(R"({"error":"plain text"})").second == "plain text");
}

TEST_CASE("exact index names: wildcards and patterns are refused") {
    CHECK_NOTHROW(check_exact_index_name("sgc-entity-shot-g000001"));
    for (const char* bad : {"", "_all", "logs-*", "a,b", "Upper", "-x", "_x", "a b", "a/b", "?"}) {
        CHECK_THROWS_AS(check_exact_index_name(bad), std::invalid_argument);
    }
}
