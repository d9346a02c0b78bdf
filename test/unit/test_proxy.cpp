// The proxy's pure parts: which reads are answered from the cache and with what search,
// the api3 envelope decoder, and the credential cache.
#include "config/entity_config.hpp"
#include "proxy/auth_cache.hpp"
#include "proxy/envelope.hpp"
#include "proxy/catalog.hpp"
#include "proxy/read_plan.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

namespace json = boost::json;
using namespace sgcache;

namespace {

config::cached_field field(const std::string& name, const std::string& data_type, const std::string& mapping) {
    return {name, data_type, json::parse(mapping).as_object()};
}

proxy::catalog shots(json::array filters = {}) {
    config::entity_config cfg;
    cfg.type = "Shot";
    cfg.filters = std::move(filters);
    const std::string lower = R"("lower":{"type":"keyword","ignore_above":8191,"normalizer":"lowercase"})";
    cfg.fields = {
        field("code", "text", R"({"type":"keyword","fields":{)" + lower + "}}"),
        field("description", "text", R"({"type":"text","fields":{"keyword":{"type":"keyword"},)" + lower + "}}"),
        field("old_text", "text", R"({"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}})"),
        field("id", "number", R"({"type":"long"})"),
        field("sg_cut_in", "number", R"({"type":"long"})"),
        field("sg_cut_duration", "duration", R"({"type":"long"})"),
        field("sg_frame_rate", "float", R"({"type":"double"})"),
        field("sg_status_list", "status_list", R"({"type":"keyword"})"),
        field("sg_closed", "checkbox", R"({"type":"boolean"})"),
        field("created_at", "date_time", R"({"type":"date"})"),
        field("project", "entity", R"({"type":"object","properties":{"type":{"type":"keyword"},"id":{"type":"long"}}})"),
        field("assets", "multi_entity", R"({"type":"nested","properties":{"type":{"type":"keyword"},"id":{"type":"long"}}})"),
        field("image", "image", R"({"type":"keyword","index":false})"),
    };
    proxy::catalog cat;
    cat.types["Shot"] = proxy::describe(cfg, "p-");
    cat.site_types = {"Shot", "Asset", "Project"};
    cat.max_per_page = 500;
    return cat;
}

proxy::read_plan plan(const proxy::catalog& cat, const std::string& params) {
    return proxy::plan_read(cat, json::parse(params).as_object());
}

std::string query_of(const proxy::read_plan& p) {
    REQUIRE_MESSAGE(p.cached, p.forward_reason);
    return json::serialize(p.cached->body.at("query"));
}

std::string cond(const std::string& path, const std::string& rel, const std::string& values) {
    return R"({"type":"Shot","filters":{"logical_operator":"and","conditions":[{"path":")" + path +
           R"(","relation":")" + rel + R"(","values":)" + values + "}]}}";
}

}  // namespace

TEST_CASE("proxy plan: text compares through the ASCII-folded sub-field, wildcards escaped") {
    auto cat = shots();
    CHECK(query_of(plan(cat, cond("code", "is", R"(["SH_010"])"))) ==
          R"({"bool":{"filter":[{"term":{"code.lower":"sh_010"}}]}})");
    CHECK(query_of(plan(cat, cond("description", "contains", R"(["a*B?"])"))) ==
          R"({"bool":{"filter":[{"wildcard":{"description.lower":"*a\\*b\\?*"}}]}})");
    CHECK(query_of(plan(cat, cond("code", "starts_with", R"(["Ab"])"))) ==
          R"({"bool":{"filter":[{"prefix":{"code.lower":"ab"}}]}})");
    // Not contains: documents without a value match too, as on the site.
    CHECK(query_of(plan(cat, cond("code", "not_contains", R"(["x"])"))) ==
          R"({"bool":{"filter":[{"bool":{"must_not":[{"wildcard":{"code.lower":"*x*"}}]}}]}})");
    // The index folds every script's letters, the site only ASCII ones.
    CHECK(plan(cat, cond("code", "is", R"(["\u00c9cole"])")).forward_reason.find("non-ASCII") != std::string::npos);
    CHECK_FALSE(plan(cat, cond("code", "contains", R"(["\u00e9"])")).cached);
    // A field whose mapping predates `lower` is forwarded.
    auto old = plan(cat, cond("old_text", "is", R"(["x"])"));
    CHECK_FALSE(old.cached);
    CHECK(old.forward_reason.find("lower") != std::string::npos);
}

TEST_CASE("proxy plan: links pair type and id inside one (nested) object; null is no value") {
    auto cat = shots();
    CHECK(query_of(plan(cat, cond("project", "is", R"([{"type":"Project","id":3,"name":"x"}])"))) ==
          R"({"bool":{"filter":[{"bool":{"filter":[{"term":{"project.type":"Project"}},{"term":{"project.id":3}}]}}]}})");
    CHECK(query_of(plan(cat, cond("assets", "in", R"([{"type":"Asset","id":4}])"))).find(R"("nested":{"path":"assets")") !=
          std::string::npos);
    CHECK(query_of(plan(cat, cond("assets", "is", "[null]"))) ==
          R"({"bool":{"filter":[{"bool":{"must_not":[{"nested":{"path":"assets","query":{"exists":{"field":"assets.id"}}}}]}}]}})");
    // An unknown type or a malformed link is the site's to refuse.
    CHECK_FALSE(plan(cat, cond("project", "is", R"([{"type":"Nope","id":3}])")).cached);
    CHECK_FALSE(plan(cat, cond("project", "is", R"([{"type":"Project","id":"3"}])")).cached);
}

TEST_CASE("proxy plan: ranges never match a missing value; not_between only where the site takes it") {
    auto cat = shots();
    CHECK(query_of(plan(cat, cond("sg_cut_in", "not_between", "[1, null]"))) ==
          R"({"bool":{"filter":[{"bool":{"filter":[{"exists":{"field":"sg_cut_in"}}],"must_not":[{"range":{"sg_cut_in":{"gte":1}}}]}}]}})");
    CHECK_FALSE(plan(cat, cond("sg_cut_duration", "not_between", "[1, 2]")).cached);
    CHECK(query_of(plan(cat, cond("created_at", "greater_than", R"(["2026-01-02"])"))) ==
          R"({"bool":{"filter":[{"range":{"created_at":{"gt":"2026-01-02T00:00:00Z"}}}]}})");
    // A date-time with an offset compares as text on the site: forwarded.
    CHECK_FALSE(plan(cat, cond("created_at", "is", R"(["2026-01-02T00:00:00+00:00"])")).cached);
    CHECK_FALSE(plan(cat, cond("sg_cut_in", "less_than", "[null]")).cached);
    CHECK_FALSE(plan(cat, cond("sg_cut_in", "is", "[1.5]")).cached);
}

TEST_CASE("proxy plan: checkbox false is false or no value") {
    auto cat = shots();
    CHECK(query_of(plan(cat, cond("sg_closed", "is", "[false]"))) ==
          R"({"bool":{"filter":[{"bool":{"must_not":[{"term":{"sg_closed":true}}]}}]}})");
    CHECK_FALSE(plan(cat, cond("sg_closed", "is", "[null]")).cached);
}

TEST_CASE("proxy plan: what is forwarded") {
    auto cat = shots();
    auto reason = [&](const std::string& params) {
        auto p = plan(cat, params);
        CHECK_FALSE(p.cached);
        return p.forward_reason;
    };
    CHECK(reason(R"({"type":"Asset"})").find("not cached") != std::string::npos);
    CHECK(reason(R"({"type":"Shot","return_fields":["project.Project.name"]})").find("deep") != std::string::npos);
    CHECK(reason(R"({"type":"Shot","return_fields":["image"]})").find("image") != std::string::npos);
    CHECK(reason(R"({"type":"Shot","return_fields":["nope"]})").find("not cached") != std::string::npos);
    CHECK(reason(cond("created_at", "in_last", R"([1,"DAY"])")).find("in_last") != std::string::npos);
    CHECK(reason(cond("project", "name_contains", R"(["x"])")).find("name_contains") != std::string::npos);
    CHECK(reason(R"({"type":"Shot","return_only":"retired"})").find("return_only") != std::string::npos);
    CHECK(reason(R"({"type":"Shot","additional_filter_presets":[{"preset_name":"LATEST"}]})").find("preset") !=
          std::string::npos);
    CHECK(reason(R"({"type":"Shot","include_archived_projects":false})").find("archived") != std::string::npos);
    CHECK(reason(R"({"type":"Shot","sorts":[{"field_name":"project","direction":"asc"}]})").find("sort") !=
          std::string::npos);
    CHECK(reason(R"({"type":"Shot","paging":{"entities_per_page":500,"current_page":21}})").find("window") !=
          std::string::npos);
    CHECK(reason(R"({"type":"Shot","surprise":1})").find("surprise") != std::string::npos);
    // A type cached without archived projects' entities answers only reads that leave them out.
    auto unarchived = shots(json::array{json::array{"project.Project.archived", "is_not", true}});
    CHECK(plan(unarchived, R"({"type":"Shot","include_archived_projects":false})").cached);
    CHECK_FALSE(plan(unarchived, R"({"type":"Shot"})").cached);
}

TEST_CASE("proxy plan: sorts, the id tie-break, paging and rendering") {
    auto cat = shots();
    auto p = plan(cat, R"({"type":"Shot","return_fields":["code","code","id","sg_cut_in"],
        "sorts":[{"field_name":"code","direction":"desc"}],"paging":{"entities_per_page":2,"current_page":3},
        "return_paging_info":true})");
    REQUIRE(p.cached);
    CHECK(json::serialize(p.cached->body.at("sort")) ==
          R"([{"code.lower":{"order":"desc","missing":"_first"}},{"code":{"order":"desc","missing":"_first"}},{"id":{"order":"asc"}}])");
    // The sort on text holds while every matching value is printable ASCII: counted alongside.
    CHECK(p.cached->guards == std::vector<std::string>{"non_ascii_0"});
    CHECK(json::serialize(p.cached->body.at("aggs")) ==
          R"({"non_ascii_0":{"filter":{"regexp":{"code":{"value":".*[^ -~].*","flags":"NONE"}}}}})");
    CHECK(p.cached->body.at("from") == 4);
    CHECK(p.cached->body.at("size") == 3);
    CHECK(p.cached->return_fields == std::vector<std::string>{"code", "sg_cut_in"});
    auto hits = json::parse(R"([{"_source":{"type":"Shot","id":5,"code":"a"}},{"_source":{"type":"Shot","id":6,"code":"b","sg_cut_in":3}},
        {"_source":{"type":"Shot","id":7}}])").as_array();
    CHECK(json::serialize(proxy::render(*p.cached, hits, 7)) ==
          R"({"entities":[{"type":"Shot","id":5,"code":"a","sg_cut_in":null},{"type":"Shot","id":6,"code":"b","sg_cut_in":3}],)"
          R"("paging_info":{"has_next_page":true,"entity_count":7,"current_page":3,"page_count":4}})");
    // A sort on id decides every tie: nothing after it, no extra tie-break.
    auto q = plan(cat, R"({"type":"Shot","sorts":[{"field_name":"id","direction":"desc"},{"field_name":"code"}]})");
    REQUIRE(q.cached);
    CHECK(json::serialize(q.cached->body.at("sort")) == R"([{"id":{"order":"desc","missing":"_first"}}])");
}

TEST_CASE("proxy envelope: decode, script callers, faults") {
    std::string err;
    auto r = proxy::decode(R"({"method_name":"read","params":[{"script_name":"a","script_key":"k"},{"type":"Shot"}]})", err);
    REQUIRE(r);
    CHECK(r->method == "read");
    CHECK(proxy::script_of(r->auth)->name == "a");
    CHECK_FALSE(proxy::script_of(json::parse(R"({"script_name":"a","script_key":"k","sudo_as_login":"b"})").as_object()));
    CHECK_FALSE(proxy::script_of(json::parse(R"({"session_token":"t"})").as_object()));
    CHECK(proxy::decode(R"({"method_name":"info","params":[]})", err));
    for (const char* bad : {"", "nope", "[]", R"({"params":[]})", R"({"method_name":"read","params":[1]})",
                            R"({"method_name":"read","params":{}})", R"({"method_name":"read","params":[{},{},{}]})"}) {
        CHECK_FALSE_MESSAGE(proxy::decode(bad, err), bad);
        CHECK_FALSE(err.empty());
    }
    CHECK(proxy::fault_code(json::parse(proxy::fault_body(102, "no"))) == 102);
    CHECK_FALSE(proxy::fault_code(json::parse(R"({"results":{}})")));
}

TEST_CASE("proxy auth cache: hashed keys that expire") {
    using namespace std::chrono_literals;
    proxy::auth_cache cache(10s, 2);
    const auto t0 = std::chrono::steady_clock::now();
    cache.remember("a", "k", t0);
    CHECK(cache.known("a", "k", t0 + 5s));
    CHECK_FALSE(cache.known("a", "other", t0 + 5s));
    CHECK_FALSE(cache.known("a", "k", t0 + 11s));
    cache.forget("a", "k");
    CHECK_FALSE(cache.known("a", "k", t0));
    // The name and key never appear as such: only their digest.
    CHECK(proxy::auth_cache::digest("a", "k").size() == 64);
    CHECK(proxy::auth_cache::digest("a", "k") != proxy::auth_cache::digest(std::string("a\0k", 3), ""));
}

TEST_CASE("proxy summarize: integer aggregates, dates, counts; floats and groupings forwarded") {
    auto cat = shots();
    auto p = proxy::plan_summarize(cat, json::parse(R"({"type":"Shot","summaries":[
        {"field":"sg_cut_in","type":"sum"},{"field":"created_at","type":"latest"},{"field":"project","type":"count"},
        {"field":"sg_closed","type":"unchecked"},{"field":"id","type":"record_count"}]})").as_object());
    REQUIRE_MESSAGE(p.cached, p.forward_reason);
    CHECK(json::serialize(p.cached->body.at("aggs")) ==
          R"({"s0":{"sum":{"field":"sg_cut_in"}},"s1":{"max":{"field":"created_at"}},)"
          R"("s2":{"filter":{"exists":{"field":"project.id"}}},"s3":{"filter":{"term":{"sg_closed":true}}}})");
    auto aggs = json::parse(R"({"s0":{"value":42.0},"s1":{"value":1767323045000.0},"s2":{"doc_count":5},"s3":{"doc_count":2}})");
    CHECK(json::serialize(proxy::render_summary(*p.cached, aggs.as_object(), 9)) ==
          R"({"summaries":{"sg_cut_in":42,"created_at":"2026-01-02T03:04:05Z","project":5,"sg_closed":7,"id":9},"groups":[]})");
    auto reason = [&](const std::string& params) {
        auto q = proxy::plan_summarize(cat, json::parse(params).as_object());
        CHECK_FALSE(q.cached);
        return q.forward_reason;
    };
    CHECK(reason(R"({"type":"Shot","summaries":[{"field":"sg_frame_rate","type":"sum"}]})").find("sum") != std::string::npos);
    CHECK(reason(R"({"type":"Shot","summaries":[{"field":"id","type":"count"}],"grouping":[{"field":"code","type":"exact"}]})")
              .find("grouping") != std::string::npos);
    CHECK(reason(R"({"type":"Shot","summaries":[{"field":"sg_status_list","type":"status_percentage"}]})")
              .find("status_percentage") != std::string::npos);
}

TEST_CASE("proxy plan: retired reads only where the index keeps retired entities' fields") {
    auto cat = shots();
    CHECK(plan(cat, R"({"type":"Shot","return_only":"retired"})").forward_reason.find("retired") != std::string::npos);
    cat.types["Shot"].retired_kept = true;
    auto p = plan(cat, R"({"type":"Shot","return_only":"retired","filters":{"logical_operator":"and","conditions":[
        {"path":"sg_cut_in","relation":"greater_than","values":[3]}]}})");
    REQUIRE_MESSAGE(p.cached, p.forward_reason);
    CHECK(p.cached->index == "p-entity-shot-all");
    CHECK(json::serialize(p.cached->body.at("query")) ==
          R"({"bool":{"filter":[{"bool":{"filter":[{"range":{"sg_cut_in":{"gt":3}}}]}},{"term":{"_sgcache.site_retired":true}}]}})");
    CHECK(plan(cat, R"({"type":"Shot"})").cached->index == "p-entity-shot");
}
