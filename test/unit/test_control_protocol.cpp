#include "control/protocol.hpp"

#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

using namespace sgcache::control;

namespace {
std::string error_of(std::string_view msg, const std::string& token = "") {
    auto d = decode(msg, token);
    return d.req ? "valid" : d.error;
}
}  // namespace

TEST_CASE("control protocol: valid requests") {
    auto ping = decode(R"({"command":"ping"})", "");
    REQUIRE(ping.req);
    CHECK(ping.req->command == "ping");
    auto rb = decode(R"({"command":"rebuild","entity_types":["Shot","Asset"]})", "");
    REQUIRE(rb.req);
    CHECK(rb.req->entity_types == std::vector<std::string>{"Shot", "Asset"});
    CHECK_FALSE(rb.req->all_types);
    auto all = decode(R"({"command":"rebuild","entity_types":"all"})", "");
    REQUIRE(all.req);
    CHECK(all.req->all_types);
    auto rr = decode(R"({"command":"reread","entities":{"Shot":[3,1],"Asset":[9]}})", "");
    REQUIRE(rr.req);
    CHECK(rr.req->entities.at("Shot") == std::vector<std::int64_t>{3, 1});
    CHECK(rr.req->entities.at("Asset") == std::vector<std::int64_t>{9});
}

TEST_CASE("control protocol: malformed input gets a one-line error naming the problem") {
    CHECK(error_of("").find("malformed JSON") == 0);
    CHECK(error_of("{not json").find("malformed JSON") == 0);
    CHECK(error_of("[1,2]") == "a request must be a JSON object such as {\"command\": \"status\"}");
    CHECK(error_of("{}") == "missing \"command\" (one of ping, status, rebuild, cancel_rebuild, reread, reload)");
    CHECK(error_of(R"({"command":7})").find("missing \"command\"") == 0);
    CHECK(error_of(R"({"command":"shutdown"})") ==
          "unknown command 'shutdown' (commands: ping, status, rebuild, cancel_rebuild, reread, reload)");
    CHECK(error_of(R"({"command":"status","verbose":true})") == "unknown key 'verbose' for command status");
    CHECK(error_of(R"({"command":"reload","now":1})") == "unknown key 'now' for command reload");
    CHECK(error_of(R"({"command":"rebuild"})").find("rebuild needs \"entity_types\"") == 0);
    CHECK(error_of(R"({"command":"rebuild","entity_types":"Shot"})").find("must be a list") != std::string::npos);
    CHECK(error_of(R"({"command":"rebuild","entity_types":[1]})").find("must be a list") != std::string::npos);
    CHECK(error_of(R"({"command":"rebuild","entity_types":[]})") == "rebuild: \"entity_types\" is empty");
    CHECK(error_of(R"({"command":"reread","entities":{"Shot":["a"]}})") == "reread: ids must be positive integers");
    CHECK(error_of(R"({"command":"reread","entities":{"Shot":[-4]}})") == "reread: ids must be positive integers");
    // Beyond the int64 range (found by the fuzzer: the conversion threw out of decode()).
    CHECK(error_of(R"({"command":"reread","entities":{"Shot":[15101612594050682425,2]}})") ==
          "reread: ids must be positive integers");
    CHECK(error_of(R"({"command":"reread","entities":[]})").find("reread: \"entities\" must map") == 0);
    CHECK(error_of(std::string(max_request_bytes + 1, ' ')).find("request too large") == 0);
    // Odd bytes in names are not echoed raw.
    CHECK(error_of("{\"command\":\"a\\nb'\"}").find("'a?b?'") != std::string::npos);
    // A long name is cut at 64 bytes, never inside a UTF-8 character: the error goes back in a
    // JSON reply, which must stay valid (found by the fuzzer: 63 ASCII bytes, then U+0657).
    const std::string long_name = std::string(63, 'x') + "\xd9\x97" + "tail";
    const std::string cut = error_of("{\"command\":\"" + long_name + "\"}");
    CHECK(cut.find("'" + std::string(63, 'x') + "...'") != std::string::npos);
    boost::system::error_code ec;
    boost::json::parse(error_reply(cut), ec);
    CHECK_FALSE(ec);
    // Whole characters up to the limit are kept.
    const std::string two = std::string(62, 'x') + "\xd9\x97" + "tail";
    CHECK(error_of("{\"command\":\"" + two + "\"}").find("'" + two.substr(0, 64) + "...'") != std::string::npos);
}

TEST_CASE("control protocol: tokens") {
    const std::string token = "s3cret-token";
    auto missing = decode(R"({"command":"ping"})", token);
    CHECK_FALSE(missing.req);
    CHECK(missing.auth_failed);
    CHECK(missing.error == "authentication required: this server needs a \"token\"");
    auto wrong = decode(R"({"command":"ping","token":"guess"})", token);
    CHECK(wrong.auth_failed);
    CHECK(wrong.error == "wrong token");
    CHECK(wrong.error.find("guess") == std::string::npos);
    CHECK(decode(R"({"command":"ping","token":42})", token).auth_failed);
    // The token is checked before anything else is said about the request.
    CHECK(decode(R"({"command":"nonsense","token":"guess"})", token).error == "wrong token");
    CHECK(decode(R"({"command":"ping","token":"s3cret-token"})", token).req);
    CHECK(same_secret("abc", "abc"));
    CHECK_FALSE(same_secret("abc", "abd"));
    CHECK_FALSE(same_secret("abc", "abcd"));
}

TEST_CASE("control protocol: error replies are valid JSON") {
    auto reply = boost::json::parse(error_reply("quote \" and \n newline")).as_object();
    CHECK(reply.at("ok").as_bool() == false);
    CHECK(reply.at("error").as_string() == "quote \" and \n newline");
}
