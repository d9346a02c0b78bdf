#include "http/failure.hpp"
#include "http/message.hpp"

#include <doctest/doctest.h>

using namespace sgcache::http;

namespace {
failure of_kind(failure_kind k, unsigned status = 0) {
    failure f;
    f.kind = k;
    f.status = status;
    return f;
}
}  // namespace

TEST_CASE("retry classification of failures") {
    CHECK(is_retryable(of_kind(failure_kind::connect)));
    CHECK(is_retryable(of_kind(failure_kind::timeout)));
    CHECK(is_retryable(of_kind(failure_kind::reset)));
    CHECK(is_retryable(of_kind(failure_kind::resolve)));
    CHECK_FALSE(is_retryable(of_kind(failure_kind::tls)));
    CHECK_FALSE(is_retryable(of_kind(failure_kind::protocol)));
    CHECK_FALSE(is_retryable(of_kind(failure_kind::too_large)));
    CHECK_FALSE(is_retryable(of_kind(failure_kind::cancelled)));
    for (unsigned s : {429u, 502u, 503u, 504u}) {
        CHECK(is_retryable(of_kind(failure_kind::status, s)));
    }
    for (unsigned s : {400u, 401u, 403u, 404u, 409u, 413u, 500u}) {
        CHECK_FALSE(is_retryable(of_kind(failure_kind::status, s)));
    }
}

TEST_CASE("Retry-After parsing") {
    CHECK(parse_retry_after("2") == std::chrono::milliseconds(2000));
    CHECK(parse_retry_after(" 0 ") == std::chrono::milliseconds(0));
    CHECK(parse_retry_after("99999") == std::chrono::milliseconds(3600 * 1000));
    CHECK_FALSE(parse_retry_after(""));
    CHECK_FALSE(parse_retry_after("-1"));
    CHECK_FALSE(parse_retry_after("1.5"));
    CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
}

TEST_CASE("status_failure names the request and quotes a short single-line body") {
    response r;
    r.status = 503;
    r.fields.push_back({"retry-after", "7"});
    r.body = "busy\nnow";
    auto f = status_failure("POST http://h:1/api3/json", r);
    CHECK(f.kind == failure_kind::status);
    CHECK(f.status == 503);
    CHECK(f.message == "POST http://h:1/api3/json: HTTP 503: busy now");
    CHECK(f.retry_after == std::chrono::milliseconds(7000));

    response big;
    big.status = 400;
    big.body = std::string(500, 'x');
    auto g = status_failure("GET x", big);
    CHECK(g.message.size() < 240);
    CHECK(g.message.ends_with("..."));
    CHECK_FALSE(g.retry_after);
}

TEST_CASE("header lookup is case-insensitive") {
    std::vector<field> fs{{"Content-Type", "application/json"}, {"X-Elastic-Product", "Elasticsearch"}};
    CHECK(find_field(fs, "content-type") == "application/json");
    CHECK(find_field(fs, "X-ELASTIC-PRODUCT") == "Elasticsearch");
    CHECK(find_field(fs, "missing").empty());
}
