// The pure logic of `sgcache validate`: value normalisation, entity comparison, bucket
// fingerprints, the meaning of pending events, option parsing and the reports.
#include "validate/buckets.hpp"
#include "validate/compare.hpp"
#include "validate/events.hpp"
#include "validate/options.hpp"
#include "validate/report.hpp"
#include "validate/values.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

namespace json = boost::json;
using namespace sgcache::validate;

namespace {

json::value j(const char* text) { return json::parse(text); }
json::object o(const char* text) { return json::parse(text).as_object(); }

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "accepted";
}

const std::vector<field_spec> shot_fields{{"code", "text"},
                                          {"sg_status_list", "status_list"},
                                          {"sg_cut_in", "number"},
                                          {"assets", "multi_entity"},
                                          {"sg_sequence", "entity"},
                                          {"updated_at", "date_time"}};

}  // namespace

TEST_CASE("validate values: api3 times in every spelling") {
    const auto base = parse_time_us("2026-01-31T10:00:00Z");
    REQUIRE(base);
    CHECK(*base == 1769853600LL * 1'000'000);
    CHECK(parse_time_us("2026-01-31T11:00:00+01:00") == base);
    CHECK(parse_time_us("2026-01-31T05:30:00-0430") == base);
    CHECK(parse_time_us("2026-01-31T10:00:00") == base);  // no offset: UTC
    CHECK(parse_time_us("2026-01-31 10:00:00Z") == base);
    CHECK(parse_time_us("2026-01-31T10:00:00.250Z") == *base + 250'000);
    CHECK(parse_time_us("2026-01-31") == *base - 10LL * 3600 * 1'000'000);
    CHECK(parse_time_us("1970-01-01T00:00:00Z") == 0);
    CHECK(parse_time_us("1969-12-31T23:59:59Z") == -1'000'000);
    CHECK_FALSE(parse_time_us(""));
    CHECK_FALSE(parse_time_us("yesterday"));
    CHECK_FALSE(parse_time_us("2026-13-01"));
    CHECK_FALSE(parse_time_us("2026-01-31T10:00:00Q"));
    CHECK_FALSE(parse_time_us("2026-01-31T10:00:00Z trailing"));
}

TEST_CASE("validate values: representations that mean the same value are equal") {
    CHECK(same_value("number", j("1"), j("1.0")));
    CHECK(same_value("float", j("0.1"), j("0.10000000000000001")));
    CHECK(same_value("text", j("\"\""), j("null")));
    CHECK(same_value("multi_entity", j("[]"), j("null")));
    CHECK(same_value("entity", j(R"({"type":"Shot","id":3,"name":"a"})"),
                     j(R"({"id":3.0,"name":"a","type":"Shot","valid":"valid"})")));
    CHECK(same_value("multi_entity", j(R"([{"type":"Asset","id":2,"name":"b"},{"type":"Asset","id":1,"name":"a"}])"),
                     j(R"([{"type":"Asset","id":1,"name":"a"},{"type":"Asset","id":2,"name":"b"}])")));
    CHECK(same_value("date_time", j(R"("2026-01-31T10:00:00Z")"), j(R"("2026-01-31T11:00:00+01:00")")));
    CHECK(same_value("date_time", j(R"("2026-01-31T10:00:00Z")"), j(R"("2026-01-31T10:00:00.000Z")")));
    CHECK(same_value("image", j(R"("https://s3/x.jpg?Signature=a&Expires=1")"), j(R"("https://s3/x.jpg?Signature=b")")));
    CHECK(same_value("tag_list", j(R"(["b","a"])"), j(R"(["a","b"])")));
    CHECK(same_value("url", j(R"({"url":"http://x","name":"x","local_path":null})"), j(R"({"name":"x","url":"http://x"})")));
    CHECK(same_value("serializable", j(R"({"a":{"b":[1,2.0]},"c":1})"), j(R"({"c":1.0,"a":{"b":[1,2]}})")));
    CHECK(same_value("checkbox", j("false"), j("false")));
}

TEST_CASE("validate values: different meanings are different") {
    CHECK_FALSE(same_value("number", j("1"), j("2")));
    CHECK_FALSE(same_value("float", j("0.1"), j("0.1001")));
    CHECK_FALSE(same_value("status_list", j(R"("ip")"), j(R"("fin")")));
    CHECK_FALSE(same_value("text", j(R"("a")"), j(R"("A")")));
    CHECK_FALSE(same_value("checkbox", j("false"), j("true")));
    CHECK_FALSE(same_value("checkbox", j("false"), j("null")));
    CHECK_FALSE(same_value("entity", j(R"({"type":"Shot","id":3,"name":"a"})"), j(R"({"type":"Shot","id":4,"name":"a"})")));
    CHECK_FALSE(same_value("entity", j(R"({"type":"Shot","id":3,"name":"a"})"), j(R"({"type":"Asset","id":3,"name":"a"})")));
    // A rename shows in every link: the name is part of the value.
    CHECK_FALSE(same_value("entity", j(R"({"type":"Shot","id":3,"name":"a"})"), j(R"({"type":"Shot","id":3,"name":"b"})")));
    CHECK_FALSE(same_value("multi_entity", j(R"([{"type":"Asset","id":1},{"type":"Asset","id":2}])"),
                           j(R"([{"type":"Asset","id":1}])")));
    CHECK_FALSE(same_value("date_time", j(R"("2026-01-31T10:00:00Z")"), j(R"("2026-01-31T10:00:01Z")")));
    CHECK_FALSE(same_value("date", j(R"("2026-01-31")"), j(R"("2026-02-01")")));
    CHECK_FALSE(same_value("image", j(R"("https://s3/x.jpg?a=1")"), j(R"("https://s3/y.jpg?a=1")")));
    CHECK_FALSE(same_value("serializable", j(R"({"a":1})"), j(R"({"a":1,"b":2})")));
    // Text values that merely look empty are not empty.
    CHECK_FALSE(same_value("text", j(R"(" ")"), j("null")));
}

TEST_CASE("validate values: links anywhere in a value; brief") {
    std::vector<std::pair<std::string, std::int64_t>> links;
    links_in(j(R"({"added":[{"type":"Asset","id":4,"name":"x"}],"old_value":{"type":"Shot","id":9},"n":3})"), links);
    REQUIRE(links.size() == 2);
    CHECK(links[0] == std::make_pair(std::string("Asset"), std::int64_t{4}));
    CHECK(links[1] == std::make_pair(std::string("Shot"), std::int64_t{9}));
    CHECK(brief(j(R"("abcdefghij")"), 8) == "\"abcd...");
    CHECK(brief(j("12"), 8) == "12");
}

TEST_CASE("validate compare: missing, stray, different, and agreement") {
    const auto site = o(R"({"type":"Shot","id":1,"code":"a","sg_status_list":"ip","sg_cut_in":1001,
        "assets":[{"type":"Asset","id":2,"name":"b"},{"type":"Asset","id":1,"name":"a"}],
        "sg_sequence":{"type":"Sequence","id":5,"name":"SQ"},"updated_at":"2026-01-31T10:00:00Z"})");
    auto doc = site;
    doc["assets"] = j(R"([{"type":"Asset","id":1,"name":"a"},{"type":"Asset","id":2,"name":"b"}])");
    doc["sg_cut_in"] = 1001.0;
    doc["_sgcache"] = j(R"({"retired":false,"read_version":5})");
    CHECK_FALSE(judge(1, &site, &doc, shot_fields));

    auto changed = doc;
    changed["sg_status_list"] = "fin";
    changed.erase("code");
    auto f = judge(1, &site, &changed, shot_fields);
    REQUIRE(f);
    CHECK(f->kind == finding_kind::different);
    REQUIRE(f->fields.size() == 2);
    CHECK(f->fields[0].field == "code");
    CHECK(f->fields[0].site == "a");
    CHECK(f->fields[0].cache.is_null());
    CHECK(f->fields[1].field == "sg_status_list");
    CHECK(f->fields[1].cache == "fin");

    auto tomb = o(R"({"type":"Shot","id":1,"_sgcache":{"retired":true}})");
    CHECK(judge(1, &site, nullptr, shot_fields)->kind == finding_kind::missing);
    CHECK(judge(1, &site, &tomb, shot_fields)->kind == finding_kind::missing);
    CHECK(judge(1, nullptr, &doc, shot_fields)->kind == finding_kind::stray);
    // A tombstone for an entity the site does not return is what the cache should hold.
    CHECK_FALSE(judge(1, nullptr, &tomb, shot_fields));
    CHECK_FALSE(judge(1, nullptr, nullptr, shot_fields));
    // A document whose metadata is gone is visible through the live alias.
    CHECK(is_live(o(R"({"id":1})")));
    CHECK_FALSE(is_live(tomb));
}

TEST_CASE("validate compare: sets are judged id by id, each finding once") {
    std::map<std::int64_t, json::object> site, cache;
    site[1] = o(R"({"id":1,"code":"a"})");
    site[2] = o(R"({"id":2,"code":"b"})");
    site[3] = o(R"({"id":3,"code":"c"})");
    cache[2] = o(R"({"id":2,"code":"B"})");
    cache[3] = o(R"({"id":3,"code":"c"})");
    cache[4] = o(R"({"id":4,"code":"d"})");
    cache[5] = o(R"({"id":5,"_sgcache":{"retired":true}})");
    const std::vector<field_spec> fields{{"code", "text"}};
    const auto found = compare_sets(site, cache, fields);
    REQUIRE(found.size() == 3);
    CHECK(found[0].id == 1);
    CHECK(found[0].kind == finding_kind::missing);
    CHECK(found[1].id == 2);
    CHECK(found[1].kind == finding_kind::different);
    CHECK(found[2].id == 4);
    CHECK(found[2].kind == finding_kind::stray);
    CHECK(to_string(finding_kind::stray) == "stray");

    finding link_diff{7, finding_kind::different, {{"assets", j(R"([{"type":"Asset","id":3}])"), j("null")}}};
    const auto linked = linked_entities(link_diff);
    REQUIRE(linked.size() == 1);
    CHECK(linked[0].second == 3);
}

TEST_CASE("validate buckets: grouping types and sizes") {
    CHECK(grouping_type(10) == "tens");
    CHECK(grouping_type(100) == "hundreds");
    CHECK(grouping_type(1'000'000) == "millions");
    CHECK(error_of([] { grouping_type(50); }).find("10, 100, 1000") != std::string::npos);
    CHECK(choose_bucket_size(0) == 100);
    CHECK(choose_bucket_size(2'000'000) == 100);
    CHECK(choose_bucket_size(2'000'100) == 1000);
    CHECK(choose_bucket_size(300'000'000) == 100000);
    CHECK(json::serialize(site_grouping(100)) == R"([{"field":"id","type":"hundreds","direction":"asc"}])");
    CHECK(json::serialize(site_summaries({true, true})) ==
          R"([{"field":"id","type":"sum"},{"field":"created_at","type":"record_count"},{"field":"updated_at","type":"latest"}])");
    CHECK(json::serialize(site_summaries({false, false})) == R"([{"field":"id","type":"record_count"}])");
}

TEST_CASE("validate buckets: the site's groups and the cache's composite pages give the same fingerprints") {
    const auto reply = o(R"({"summaries":{},"groups":[
        {"group_name":"0 - 99","group_value":0,"summaries":{"id":4950,"created_at":99,"updated_at":"2026-01-31T10:00:00Z"}},
        {"group_name":"100 - 199","group_value":"100 - 199","summaries":{"id":150,"created_at":1,"updated_at":null}},
        {"group_name":"","group_value":null,"summaries":{"id":1,"created_at":1}}]})");
    const fingerprint_kind kind{true, true};
    const auto site = parse_site_buckets(reply, 100, kind);
    REQUIRE(site.size() == 2);
    CHECK(site.at(0).count == 99);
    CHECK(site.at(0).id_sum == 4950);
    CHECK(site.at(0).latest_s == 1769853600);
    CHECK(site.at(100).count == 1);
    CHECK_FALSE(site.at(100).latest_s);
    CHECK(error_of([] { parse_site_buckets(json::object{}, 100, fingerprint_kind{}); }).find("groups") != std::string::npos);

    bucket_map cache;
    const auto page1 = o(R"({"aggregations":{"b":{"after_key":{"bucket":0.0},"buckets":[
        {"key":{"bucket":0.0},"doc_count":99,"id_sum":{"value":4950.0},
         "latest":{"value":1769853600000.0,"value_as_string":"2026-01-31T10:00:00.000Z"}}]}}})");
    auto after = add_cache_buckets(page1, 100, kind, cache);
    CHECK(json::serialize(after) == R"({"bucket":0E0})");
    const auto page2 = o(R"({"aggregations":{"b":{"after_key":{"bucket":200.0},"buckets":[
        {"key":{"bucket":100.0},"doc_count":1,"id_sum":{"value":150.0},"latest":{"value":null}},
        {"key":{"bucket":200.0},"doc_count":1,"id_sum":{"value":250.0},"latest":{"value":null}}]}}})");
    after = add_cache_buckets(page2, 100, kind, cache);
    CHECK_FALSE(after.empty());
    const auto last = o(R"({"aggregations":{"b":{"buckets":[]}}})");
    CHECK(add_cache_buckets(last, 100, kind, cache).empty());
    CHECK(error_of([&] { add_cache_buckets(json::object{}, 100, kind, cache); }).find("buckets") != std::string::npos);

    CHECK(cache.at(0) == site.at(0));
    CHECK(cache.at(100) == site.at(100));
    CHECK(differing_buckets(site, cache) == std::vector<std::int64_t>{200});
    // Same count, different ids (one deleted, one stray): the id sum tells them apart.
    cache.at(0).id_sum = 4950 - 10 + 5;
    CHECK(differing_buckets(site, cache) == std::vector<std::int64_t>{0, 200});
    cache.at(0).id_sum = 4950;
    cache.at(0).latest_s = 1769853599;
    CHECK(differing_buckets(site, cache) == std::vector<std::int64_t>{0, 200});

    const auto body = cache_aggregation(100, &after, kind);
    const auto& comp = body.at("aggs").at("b").at("composite").as_object();
    CHECK(comp.at("after") == after);
    CHECK(comp.at("sources").at(0).at("bucket").at("histogram").at("interval") == 100);
    CHECK(body.at("aggs").at("b").at("aggs").as_object().contains("id_sum"));
    CHECK_FALSE(cache_aggregation(100, nullptr, fingerprint_kind{false, false}).at("aggs").at("b").as_object().contains("aggs"));
}

TEST_CASE("validate buckets: differing buckets become few id ranges") {
    const auto ranges = merge_ranges({500, 0, 200, 100, 100}, 100);
    REQUIRE(ranges.size() == 2);
    CHECK(ranges[0] == id_range{-1, 299});
    CHECK(ranges[1] == id_range{499, 599});
    CHECK(in_ranges(ranges, 0));
    CHECK(in_ranges(ranges, 299));
    CHECK_FALSE(in_ranges(ranges, 300));
    CHECK(in_ranges(ranges, 500));
    CHECK_FALSE(in_ranges(ranges, 499));
    CHECK_FALSE(in_ranges(ranges, 600));
    CHECK(merge_ranges({}, 100).empty());
}

TEST_CASE("validate events: the entities events name") {
    touched_entities t;
    t.add_event(o(R"({"id":10,"event_type":"Shotgun_Shot_Change","attribute_name":"assets",
        "entity":{"type":"Shot","id":1,"name":"x"},
        "meta":{"type":"attribute_change","entity_type":"Shot","entity_id":1,
                "added":[{"type":"Asset","id":4,"name":"a"}],"removed":[{"type":"Asset","id":5,"name":"b"}]}})"));
    // A retirement: the row's entity is null, the event type and meta still name it.
    t.add_event(o(R"({"id":11,"event_type":"Shotgun_Task_Retirement","entity":null,
        "meta":{"entity_id":77,"entity_type":"Task"}})"));
    // A back-reference row names the entity whose field was really set.
    t.add_event(o(R"({"id":12,"event_type":"Shotgun_Shot_Change","attribute_name":"tasks","entity":null,
        "meta":{"entity_type":"Task","entity_id":78,"actual_attribute_changed":"Task.entity"}})"));
    CHECK(t.contains("Shot", 1));
    CHECK(t.contains("Asset", 4));
    CHECK(t.contains("Asset", 5));
    CHECK(t.contains("Task", 77));
    CHECK(t.contains("Task", 78));
    CHECK(t.contains("Shot", 78));  // the event type's entity with meta.entity_id, as sgcache reads it
    CHECK_FALSE(t.contains("Shot", 2));
    t.set_everything();
    CHECK(t.contains("Shot", 2));
}

TEST_CASE("validate events: pending counts explain differences within their bounds") {
    const auto deps = filter_dependencies_of(json::parse(R"([["project.Project.archived","is_not",true],
        {"filter_operator":"any","filters":[["sg_status_list","is","ip"],["sg_sequence.Sequence.code","is","A"]]}])").as_array());
    CHECK(deps.own_fields == std::set<std::string>{"project", "sg_status_list", "sg_sequence"});
    CHECK(deps.linked_fields.count({"Project", "archived"}));
    CHECK(deps.linked_fields.count({"Sequence", "code"}));
    const auto deep = filter_dependencies_of(json::parse(R"([["entity.Shot.sg_sequence.Sequence.code","is","x"]])").as_array());
    CHECK(deep.linked_fields == std::set<std::pair<std::string, std::string>>{{"Shot", "sg_sequence"}, {"Sequence", "code"}});

    pending_counts p;
    add_pending("Shot", deps, o(R"({"event_type":"Shotgun_Shot_New"})"), p);
    add_pending("Shot", deps, o(R"({"event_type":"Shotgun_Shot_Revival"})"), p);
    add_pending("Shot", deps, o(R"({"event_type":"Shotgun_Shot_Retirement"})"), p);
    add_pending("Shot", deps, o(R"({"event_type":"Shotgun_Asset_New"})"), p);
    add_pending("Shot", deps, o(R"({"event_type":"Shotgun_Shot_Change","attribute_name":"description"})"), p);
    CHECK(p.up == 2);
    CHECK(p.down == 1);
    CHECK_FALSE(p.uncertain);
    CHECK(judge_count(10, 10, p) == count_status::ok);
    CHECK(judge_count(12, 10, p) == count_status::pending);
    CHECK(judge_count(13, 10, p) == count_status::mismatch);
    CHECK(judge_count(10, 11, p) == count_status::pending);
    CHECK(judge_count(10, 12, p) == count_status::mismatch);
    add_pending("Shot", deps, o(R"({"event_type":"Shotgun_Shot_Change","attribute_name":"sg_status_list"})"), p);
    CHECK(p.up == 3);
    CHECK(p.down == 2);
    add_pending("Shot", deps, o(R"({"event_type":"Shotgun_Project_Change","attribute_name":"archived"})"), p);
    CHECK(p.uncertain);
    CHECK(judge_count(30, 10, p) == count_status::uncertain);
    CHECK(std::string(to_string(count_status::mismatch)) == "MISMATCH");

    const auto filter = count_events_filter({{"Shot", deps}});
    const std::string text = json::serialize(filter);
    CHECK(filter.at("logical_operator") == "or");
    CHECK(text.find(R"("Shotgun_Shot_New","Shotgun_Shot_Retirement","Shotgun_Shot_Revival")") != std::string::npos);
    CHECK(text.find(R"("Shotgun_Project_Change")") != std::string::npos);
    CHECK(text.find(R"("values":["archived"])") != std::string::npos);
    CHECK(count_events_filter({}).empty());
}

TEST_CASE("validate options: --filters and --order in the list forms, with clear errors") {
    CHECK(json::serialize(parse_filters(R"([["sg_status_list","is","ip"]])")) ==
          R"({"logical_operator":"and","conditions":[{"path":"sg_status_list","relation":"is","values":["ip"]}]})");
    CHECK(parse_filters(R"([{"filter_operator":"any","filters":[["id","in",[1,2]],["code","is","x"]]}])")
              .at("conditions")
              .at(0)
              .at("logical_operator") == "or");
    CHECK(error_of([] { parse_filters("[[\"code\",\"is\""); }).rfind("--filters: not valid JSON", 0) == 0);
    CHECK(error_of([] { parse_filters("\"code\""); }).rfind("--filters: expected a JSON list", 0) == 0);
    CHECK(error_of([] { parse_filters(R"([["code","iss","x"]])"); }) == "--filters[0][1]: unknown relation 'iss'");
    CHECK(error_of([] { parse_filters(R"([{"filter_operator":"some","filters":[]}])"); }).find("unknown operator 'some'") !=
          std::string::npos);

    const auto order = parse_order(R"([{"field_name":"updated_at","direction":"desc"},{"column":"id"}])");
    REQUIRE(order.size() == 2);
    CHECK(order[0].field == "updated_at");
    CHECK(order[0].descending);
    CHECK(order[1].field == "id");
    CHECK_FALSE(order[1].descending);
    CHECK(error_of([] { parse_order("{}"); }).rfind("--order: expected a JSON list", 0) == 0);
    CHECK(error_of([] { parse_order("[]"); }) == "--order: the list is empty");
    CHECK(error_of([] { parse_order(R"(["id"])"); }).rfind("--order[0]: expected an object", 0) == 0);
    CHECK(error_of([] { parse_order(R"([{"direction":"asc"}])"); }) == "--order[0].field_name: expected a field name");
    CHECK(error_of([] { parse_order(R"([{"field_name":"id","direction":"down"}])"); }) ==
          R"(--order[0].direction: expected "asc" or "desc", got "down")");
    CHECK(error_of([] { parse_order(R"([{"field_name":"id","dir":"asc"}])"); }).find("unknown key \"dir\"") !=
          std::string::npos);
    CHECK(error_of([] { parse_order("[{"); }).rfind("--order: not valid JSON", 0) == 0);
}

TEST_CASE("validate options: --fields, --limit, --page and the pages they span") {
    CHECK(parse_field_list("code, sg_status_list,assets") == std::vector<std::string>{"code", "sg_status_list", "assets"});
    CHECK(error_of([] { parse_field_list("code,,x"); }).find("empty field name") != std::string::npos);
    CHECK(error_of([] { parse_field_list(""); }).find("empty field name") != std::string::npos);
    CHECK(error_of([] { parse_field_list("code,code"); }) == "--fields: 'code' is given twice");
    CHECK(error_of([] { parse_field_list("co de"); }) == "--fields: 'co de' is not a field name");
    CHECK(parse_positive("--limit", "500", 1000) == 500);
    CHECK(error_of([] { parse_positive("--limit", "0", 1000); }) == "--limit: expected a whole number from 1 to 1000, got '0'");
    CHECK(error_of([] { parse_positive("--page", "-1", 10); }).rfind("--page: expected", 0) == 0);
    CHECK(error_of([] { parse_positive("--page", "2x", 10); }).rfind("--page: expected", 0) == 0);
    CHECK(error_of([] { parse_positive("--page", "11", 10); }).rfind("--page: expected", 0) == 0);
    CHECK(error_of([] { parse_positive("--page", "99999999999999999999", 10); }).rfind("--page: expected", 0) == 0);

    auto s = pages_for(0, 500, 500);
    CHECK((s.first_page == 1 && s.last_page == 1 && s.skip == 0));
    s = pages_for(1200, 1200, 500);  // --limit 1200 --page 2: entities 1200..2399
    CHECK((s.first_page == 3 && s.last_page == 5 && s.skip == 200));
    s = pages_for(3, 2, 500);
    CHECK((s.first_page == 1 && s.last_page == 1 && s.skip == 3));
}

TEST_CASE("validate report: JSON documents, tables and the exit verdict") {
    counts_result c;
    c.run.shotgun_requests = 3;
    c.rows.push_back({"Shot", 10, 10, {}, count_status::ok, ""});
    c.rows.push_back({"Task", 12, 10, {3, 0, false}, count_status::pending, ""});
    CHECK(c.ok());
    auto cj = to_json(c);
    CHECK(cj.at("kind") == "validation");
    CHECK(cj.at("command") == "counts");
    CHECK(cj.at("ok") == true);
    CHECK(cj.at("types").at(1).at("difference") == 2);
    CHECK(cj.at("types").at(1).at("pending").at("up") == 3);
    CHECK(cj.at("types").at(1).at("ok") == true);
    const auto table = render(c);
    CHECK(table.find("PENDING") != std::string::npos);
    CHECK(table.find("+3/-0") != std::string::npos);
    CHECK(table.find("all 2 types match") != std::string::npos);
    CHECK(table.find("no sgcache serve") == std::string::npos);
    c.rows.push_back({"Asset", 1, 2, {}, count_status::mismatch, ""});
    CHECK_FALSE(c.ok());
    CHECK(render(c).find("1 of 3 types do not match") != std::string::npos);
    c.run.server_running = false;
    c.run.prefix = "sgcache-";
    CHECK(render(c).find("note: no sgcache serve holds the lease of prefix 'sgcache-'") != std::string::npos);
    CHECK(to_json(c).at("server_running") == false);

    data_result d;
    d.mode = "all";
    type_report t;
    t.type = "Shot";
    t.compared = 3;
    t.buckets = bucket_stats{100, 5, 6, 1, 2, 480};
    t.findings.push_back({4, finding_kind::stray, {}});
    t.findings.push_back({5, finding_kind::different, {{"code", "a", "b"}}});
    d.types.push_back(t);
    CHECK_FALSE(d.ok());
    CHECK(d.findings() == 2);
    auto dj = to_json(d);
    CHECK(dj.at("command") == "data");
    CHECK(dj.at("mode") == "all");
    CHECK(dj.at("types").at(0).at("stray") == 1);
    CHECK(dj.at("types").at(0).at("buckets").at("rewritten_documents") == 2);
    CHECK(dj.at("types").at(0).at("findings").at(1).at("fields").at(0).at("cache") == "b");
    const auto text = render(d, 1);
    CHECK(text.find("DIFFERING") != std::string::npos);
    CHECK(text.find("Shot 4 stray") != std::string::npos);
    CHECK(text.find("... and 1 more") != std::string::npos);
    CHECK(text.find("reading every entity: about 1") != std::string::npos);

    // A repair that fixed everything makes the verdict good; one that left a finding not.
    d.repair = repair_report{2, 2, {}, ""};
    CHECK(d.ok());
    CHECK(render(d, 10).find("all now match") != std::string::npos);
    d.repair->remaining.push_back({"Shot", {finding{5, finding_kind::different, {}}}});
    CHECK_FALSE(d.ok());
    d.repair = repair_report{2, 0, {}, "no answer from tcp://127.0.0.1:1"};
    CHECK_FALSE(d.ok());
    CHECK(to_json(d).at("repair").at("error") == "no answer from tcp://127.0.0.1:1");
    CHECK(thousands(1234567) == "1,234,567");
}
