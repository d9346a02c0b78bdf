#include "shotgun/filters.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

namespace json = boost::json;
using namespace sgcache::shotgun;

namespace {
std::string wire(const char* list_form, const char* op = "all") {
    return json::serialize(from_list_form(json::parse(list_form), op));
}
std::string error_of(const char* list_form) {
    try {
        from_list_form(json::parse(list_form));
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "accepted";
}
}  // namespace

TEST_CASE("filters: list form becomes wire form as shotgun_api3 translates it") {
    CHECK(wire("[]") == R"({"logical_operator":"and","conditions":[]})");
    CHECK(wire(R"([["code","is","x"]])") ==
          R"({"logical_operator":"and","conditions":[{"path":"code","relation":"is","values":["x"]}]})");
    // One list value is the value list; several values are the list too.
    CHECK(wire(R"([["id","in",[1,2]]])") == wire(R"([["id","in",1,2]])"));
    CHECK(wire(R"([["project","is",null]])") ==
          R"({"logical_operator":"and","conditions":[{"path":"project","relation":"is","values":[null]}]})");
    CHECK(wire(R"([["a","is",1]])", "any") ==
          R"({"logical_operator":"or","conditions":[{"path":"a","relation":"is","values":[1]}]})");
    // Nested groups, any depth.
    CHECK(wire(R"([["project","is",{"type":"Project","id":70}],
                   {"filter_operator":"any","filters":[["sg_status_list","is","ip"],
                       {"filter_operator":"all","filters":[["sg_cut_in","between",10,20],["created_at","in_last",7,"DAY"]]}]}])") ==
          R"({"logical_operator":"and","conditions":[{"path":"project","relation":"is","values":[{"type":"Project","id":70}]},)"
          R"({"logical_operator":"or","conditions":[{"path":"sg_status_list","relation":"is","values":["ip"]},)"
          R"({"logical_operator":"and","conditions":[{"path":"sg_cut_in","relation":"between","values":[10,20]},)"
          R"({"path":"created_at","relation":"in_last","values":[7,"DAY"]}]}]}]})");
    // A wire-form group passes through, nested or at the top.
    const char* w = R"({"logical_operator":"or","conditions":[{"path":"id","relation":"is","values":[1]}]})";
    CHECK(wire(w) == w);
}

TEST_CASE("filters: malformed list forms name the culprit") {
    CHECK(error_of(R"([["code","iss","x"]])") == "filters[0][1]: unknown relation 'iss'");
    CHECK(error_of(R"([["code"]])") == "filters[0]: a condition needs at least a path and a relation");
    CHECK(error_of(R"([[1,"is","x"]])") == "filters[0][0]: the path must be a non-empty string");
    CHECK(error_of(R"([42])").find("filters[0]: expected a condition") == 0);
    CHECK(error_of(R"({"code":"x"})") == "filters: expected a list of conditions");
    CHECK(error_of(R"([{"filter_operator":"some","filters":[]}])").find("filters[0].filter_operator: unknown operator 'some'") == 0);
    CHECK(error_of(R"([{"filters":[]}])").find("filter_operator") != std::string::npos);
    CHECK(error_of(R"([{"filter_operator":"any","filters":[["a","is"],["b","bad",1]]}])") ==
          "filters[0].filters[1][1]: unknown relation 'bad'");
    CHECK(error_of(R"({"logical_operator":"xor","conditions":[]})").find("logical_operator") != std::string::npos);
    CHECK_THROWS_AS(from_list_form(json::parse("[]"), "sometimes"), std::invalid_argument);
}

TEST_CASE("filters: keyset range and combination") {
    auto r = id_range({}, 100, 600);
    CHECK(json::serialize(r) ==
          R"({"logical_operator":"and","conditions":[{"path":"id","relation":"greater_than","values":[100]},)"
          R"({"path":"id","relation":"less_than","values":[601]}]})");
    auto f = from_list_form(json::parse(R"([["sg_status_list","is","ip"]])"));
    auto both_ = id_range(f, 0, 10);
    CHECK(both_.at("conditions").as_array().size() == 2);
    CHECK(both_.at("conditions").as_array()[0] == f);
    CHECK(both(all_of(), f) == f);
    CHECK(both(f, {}) == f);
    CHECK(is_known_relation("name_contains"));
    CHECK_FALSE(is_known_relation("IS"));
}
