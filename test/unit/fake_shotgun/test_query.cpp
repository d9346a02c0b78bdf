// read() paging, sorting, return fields and return_only; summarize() summaries and
// groupings.
#include "fixture.hpp"

using namespace sgcache::fake_shotgun;
using namespace sgcache::fake_shotgun::testing;
using ids_t = std::vector<std::int64_t>;

namespace {

json::object paging(std::int64_t per_page, std::int64_t page) {
    return json::object{{"entities_per_page", per_page}, {"current_page", page}};
}

}  // namespace

TEST_CASE("read: 1-based pages, has_next_page and entity_count") {
    fixture f;
    for (int i = 0; i < 7; ++i) f.create("Asset", {{"code", "a" + std::to_string(i)}});
    auto page = [&](std::int64_t n, std::int64_t p, bool counts) {
        json::object q{{"type", "Asset"},
                       {"return_fields", json::array{"code"}},
                       {"filters", all({})},
                       {"paging", paging(n, p)},
                       {counts ? "return_paging_info" : "return_paging_info_without_counts", true}};
        return f.call("read", q).as_object();
    };
    auto p1 = page(3, 1, false);
    CHECK(p1.at("entities").as_array().size() == 3);
    CHECK(p1.at("entities").as_array()[0].at("code") == "a0");
    CHECK(p1.at("paging_info").at("has_next_page") == true);
    auto p3 = page(3, 3, false);
    CHECK(p3.at("entities").as_array().size() == 1);
    CHECK(p3.at("entities").as_array()[0].at("code") == "a6");
    CHECK(p3.at("paging_info").at("has_next_page") == false);
    CHECK(page(3, 4, false).at("entities").as_array().empty());
    auto counted = page(3, 2, true);
    CHECK(counted.at("paging_info").at("entity_count") == 7);
    CHECK(counted.at("paging_info").at("has_next_page") == true);
    // Exactly full last page: no next page.
    CHECK(page(7, 1, false).at("paging_info").at("has_next_page") == false);
}

TEST_CASE("read: entities_per_page is clamped to api_max_entities_per_page") {
    fixture f;
    for (int i = 0; i < 5; ++i) f.create("Asset", {{"code", "a" + std::to_string(i)}});
    f.site.knobs().max_entities_per_page = 2;
    auto r = f.call("read", json::object{{"type", "Asset"}, {"filters", all({})}, {"paging", paging(500, 1)},
                                         {"return_paging_info_without_counts", true}});
    CHECK(r.at("entities").as_array().size() == 2);
    CHECK(r.at("paging_info").at("has_next_page") == true);
    CHECK(f.site.info().at("api_max_entities_per_page") == 2);
}

TEST_CASE("read: sorts on several fields, nulls last ascending and first descending") {
    fixture f;
    auto a = f.create("Shot", {{"code", "b"}, {"sg_cut_in", 10}});
    auto b = f.create("Shot", {{"code", "A"}, {"sg_cut_in", 10}});
    auto c = f.create("Shot", {{"code", "c"}});
    auto d = f.create("Shot", {{"code", "a"}, {"sg_cut_in", 5}});
    auto sorted = [&](json::array sorts) {
        return f.ids("Shot", all({}), json::object{{"sorts", std::move(sorts)}});
    };
    auto s = [](std::string_view field, std::string_view dir) {
        return json::object{{"field_name", field}, {"direction", dir}};
    };
    CHECK(sorted({s("sg_cut_in", "asc")}) == ids_t{d, a, b, c});
    CHECK(sorted({s("sg_cut_in", "desc")}) == ids_t{c, a, b, d});
    CHECK(sorted({s("sg_cut_in", "asc"), s("code", "asc")}) == ids_t{d, b, a, c});
    CHECK(sorted({s("sg_cut_in", "asc"), s("code", "desc")}) == ids_t{d, a, b, c});
    // Case-insensitive text order, id as the final tie-break ("A" and "a").
    CHECK(sorted({s("code", "asc")}) == ids_t{b, d, a, c});
    CHECK(sorted({s("id", "desc")}) == ids_t{d, c, b, a});
    // Unknown sort fields are ignored, as a real site does.
    CHECK(sorted({s("sg_nope", "asc")}) == ids_t{a, b, c, d});
    CHECK(fault_of([&] { sorted({s("code", "sideways")}); }) == fault_code::bad_request);
}

TEST_CASE("read: sort by a link sorts by the linked entity's name, deep paths too") {
    fixture f;
    auto q1 = f.create("Sequence", {{"code", "zz"}});
    auto q2 = f.create("Sequence", {{"code", "aa"}});
    auto s1 = f.create("Shot", {{"code", "s1"}, {"sg_sequence", link("Sequence", q1)}});
    auto s2 = f.create("Shot", {{"code", "s2"}, {"sg_sequence", link("Sequence", q2)}});
    auto sorted = [&](std::string_view field) {
        return f.ids("Shot", all({}),
                     json::object{{"sorts", json::array{json::object{{"field_name", field}, {"direction", "asc"}}}}});
    };
    CHECK(sorted("sg_sequence") == ids_t{s2, s1});
    CHECK(sorted("sg_sequence.Sequence.code") == ids_t{s2, s1});
}

TEST_CASE("read: return fields, deep links, unknown fields and value shapes") {
    fixture f;
    auto p = f.create("Project", {{"name", "Nightfall"}});
    auto q = f.create("Sequence", {{"code", "SQ010"}, {"project", link("Project", p)}});
    auto sh = f.create("Shot", {{"code", "SH010"}, {"sg_sequence", link("Sequence", q)}});
    auto rows = f.find("Shot", all({}),
                       {"code", "sg_sequence", "sg_sequence.Sequence.code", "sg_sequence.Sequence.project.Project.name",
                        "assets", "tag_list", "sg_is_hero", "sg_nope", "assets.Asset.code", "id", "type"});
    REQUIRE(rows.size() == 1);
    const auto& e = rows[0].as_object();
    CHECK(e.at("type") == "Shot");
    CHECK(e.at("id") == sh);
    CHECK(e.at("sg_sequence") == json::object{{"type", "Sequence"}, {"id", q}, {"name", "SQ010"}});
    CHECK(e.at("sg_sequence.Sequence.code") == "SQ010");
    CHECK(e.at("sg_sequence.Sequence.project.Project.name") == "Nightfall");
    CHECK(e.at("assets") == json::array{});
    CHECK(e.at("tag_list") == json::array{});
    CHECK(e.at("sg_is_hero") == false);
    CHECK(e.at("sg_nope").is_null());
    CHECK(e.at("assets.Asset.code").is_null());  // no values from behind a multi-entity link
    CHECK(e.size() == 11);
    // A rename shows through every link at once.
    f.update("Sequence", q, {{"code", "SQ011"}});
    CHECK(f.find("Shot", all({}), {"sg_sequence"})[0].at("sg_sequence").at("name") == "SQ011");
}

TEST_CASE("read: return_only active or retired") {
    fixture f;
    auto a = f.create("Asset", {{"code", "a"}});
    auto b = f.create("Asset", {{"code", "b"}});
    f.call("delete", json::object{{"type", "Asset"}, {"id", a}});
    CHECK(f.ids("Asset", all({})) == ids_t{b});
    CHECK(f.ids("Asset", all({}), json::object{{"return_only", "active"}}) == ids_t{b});
    CHECK(f.ids("Asset", all({}), json::object{{"return_only", "retired"}}) == ids_t{a});
    CHECK(fault_of([&] { f.ids("Asset", all({}), json::object{{"return_only", "both"}}); }) == 103);
}

TEST_CASE("read: id bounds scan only the needed rows and agree with a full scan") {
    fixture f;
    for (int i = 0; i < 50; ++i) f.create("Asset", {{"code", "a" + std::to_string(i)}, {"sg_polycount", i % 7}});
    auto expect = [&](json::array conds) {
        // The same conditions nested in an extra group defeat the id-bound shortcut.
        auto fast = f.ids("Asset", all(conds));
        auto slow = f.ids("Asset", all({all(conds)}));
        CHECK(fast == slow);
        return fast;
    };
    CHECK(expect({cond("id", "greater_than", {45})}) == ids_t{46, 47, 48, 49, 50});
    CHECK(expect({cond("id", "between", {3, 5}), cond("sg_polycount", "is_not", {4})}) == ids_t{3, 4});
    CHECK(expect({cond("id", "in", {9, 2})}) == ids_t{2, 9});
    CHECK(expect({cond("id", "less_than", {3})}) == ids_t{1, 2});
    CHECK(expect({cond("id", "in", json::array{})}).empty());
    CHECK(expect({cond("id", "greater_than", {100})}).empty());
    CHECK(f.ids("Asset", all({cond("id", "greater_than", {47})}),
                json::object{{"sorts", json::array{json::object{{"field_name", "id"}, {"direction", "desc"}}}}}) ==
          ids_t{50, 49, 48});
}

TEST_CASE("read: malformed payloads get fault 103") {
    fixture f;
    CHECK(fault_of([&] { f.call("read", json::object{{"type", "Nope"}}); }) == 103);
    CHECK(fault_of([&] { f.call("read", json::object{}); }) == 103);
    CHECK(fault_of([&] { f.call("read", json::object{{"type", "Shot"}, {"return_fields", "code"}}); }) == 103);
    CHECK(fault_of([&] { f.call("read", json::object{{"type", "Shot"}, {"paging", paging(0, 1)}}); }) == 103);
    CHECK(fault_of([&] { f.call("read", json::object{{"type", "Shot"}, {"paging", paging(10, 0)}}); }) == 103);
    CHECK(fault_of([&] { f.call("read", json::array{}); }) == 103);
}

TEST_CASE("summarize: summaries over the filtered rows") {
    fixture f;
    f.create("Shot", {{"code", "a"}, {"sg_cut_duration", 10}, {"sg_turnover_date", "2023-01-05"}, {"sg_is_hero", true}});
    f.create("Shot", {{"code", "b"}, {"sg_cut_duration", 25}, {"sg_turnover_date", "2023-03-01"}});
    f.create("Shot", {{"code", "c"}});
    auto r = f.call("summarize", json::object{{"type", "Shot"},
                                              {"filters", all({})},
                                              {"summaries", json::array{
                                                                json::object{{"field", "id"}, {"type", "record_count"}},
                                                                json::object{{"field", "sg_cut_duration"}, {"type", "sum"}},
                                                                json::object{{"field", "code"}, {"type", "count"}},
                                                                json::object{{"field", "sg_turnover_date"}, {"type", "latest"}},
                                                                json::object{{"field", "sg_is_hero"}, {"type", "checked"}},
                                                            }}});
    const auto& s = r.at("summaries").as_object();
    CHECK(s.at("id") == 3);
    CHECK(s.at("sg_cut_duration") == 35);
    CHECK(s.at("code") == 3);
    CHECK(s.at("sg_turnover_date") == "2023-03-01");
    CHECK(s.at("sg_is_hero") == 1);
    CHECK(r.at("groups") == json::array{});
    auto one = [&](std::string_view field, std::string_view type) {
        return f.call("summarize", json::object{{"type", "Shot"},
                                                {"filters", all({cond("sg_cut_duration", "is_not", {nullptr})})},
                                                {"summaries", json::array{json::object{{"field", field}, {"type", type}}}}})
            .at("summaries")
            .at(field);
    };
    CHECK(one("sg_cut_duration", "average") == 17.5);
    CHECK(one("sg_cut_duration", "maximum") == 25);
    CHECK(one("sg_cut_duration", "minimum") == 10);
    CHECK(one("sg_turnover_date", "earliest") == "2023-01-05");
    CHECK(one("id", "record_count") == 2);
    CHECK(fault_of([&] { one("code", "sum"); }) == 103);
    CHECK(fault_of([&] { one("code", "median"); }) == 103);
    CHECK(fault_of([&] { one("sg_nope", "count"); }) == 103);
}

TEST_CASE("summarize: groupings exact, number buckets, dates, links and nesting") {
    fixture f;
    auto q1 = f.create("Sequence", {{"code", "SQ020"}});
    auto q2 = f.create("Sequence", {{"code", "SQ010"}});
    f.create("Shot", {{"code", "a"}, {"sg_status_list", "ip"}, {"sg_cut_duration", 12}, {"sg_sequence", link("Sequence", q1)},
                      {"sg_turnover_date", "2023-01-05"}});
    f.create("Shot", {{"code", "b"}, {"sg_status_list", "ip"}, {"sg_cut_duration", 19}, {"sg_sequence", link("Sequence", q2)},
                      {"sg_turnover_date", "2023-01-20"}});
    f.create("Shot", {{"code", "c"}, {"sg_status_list", "fin"}, {"sg_cut_duration", 131}, {"sg_sequence", link("Sequence", q2)},
                      {"sg_turnover_date", "2023-02-01"}});
    auto grouped = [&](json::array grouping) {
        return f.call("summarize",
                      json::object{{"type", "Shot"},
                                   {"filters", all({})},
                                   {"summaries", json::array{json::object{{"field", "id"}, {"type", "count"}}}},
                                   {"grouping", std::move(grouping)}})
            .at("groups")
            .as_array();
    };
    auto g = [](std::string_view field, std::string_view type, std::string_view dir = "asc") {
        return json::object{{"field", field}, {"type", type}, {"direction", dir}};
    };
    auto exact = grouped({g("sg_status_list", "exact", "desc")});
    REQUIRE(exact.size() == 2);
    CHECK(exact[0].at("group_value") == "ip");
    CHECK(exact[0].at("summaries").at("id") == 2);
    CHECK(exact[1].at("group_name") == "fin");

    auto tens = grouped({g("sg_cut_duration", "tens")});
    REQUIRE(tens.size() == 2);
    CHECK(tens[0].at("group_value") == 10);
    CHECK(tens[0].at("group_name") == "10 - 19");
    CHECK(tens[0].at("summaries").at("id") == 2);
    CHECK(grouped({g("sg_cut_duration", "hundreds")})[1].at("group_value") == 100);

    auto months = grouped({g("sg_turnover_date", "month")});
    REQUIRE(months.size() == 2);
    CHECK(months[0].at("group_value") == "2023-01");
    CHECK(grouped({g("sg_turnover_date", "year")}).size() == 1);
    CHECK(grouped({g("sg_turnover_date", "day")}).size() == 3);

    auto by_seq = grouped({g("sg_sequence", "exact"), g("sg_status_list", "exact")});
    REQUIRE(by_seq.size() == 2);
    // Links group by name: SQ010 first.
    CHECK(by_seq[0].at("group_name") == "SQ010");
    CHECK(by_seq[0].at("group_value") ==
          json::object{{"type", "Sequence"}, {"id", q2}, {"name", "SQ010"}, {"valid", "valid"}});
    CHECK(by_seq[0].at("summaries").at("id") == 2);
    REQUIRE(by_seq[0].at("groups").as_array().size() == 2);
    CHECK(by_seq[0].at("groups").as_array()[0].at("group_value") == "fin");

    CHECK(fault_of([&] { grouped({g("code", "tens")}); }) == 103);
    CHECK(fault_of([&] { grouped({g("assets", "exact")}); }) == 103);
    CHECK(fault_of([&] { grouped({g("sg_nope", "exact")}); }) == 103);
}

TEST_CASE("read: a long id list (a re-read batch) matches exactly its ids") {
    fixture f;
    for (int i = 0; i < 300; ++i) f.create("Asset", {{"code", "a" + std::to_string(i)}});
    json::array wanted;
    ids_t expect;
    for (std::int64_t id = 3; id <= 300; id += 7) {
        wanted.push_back(id);
        expect.push_back(id);
    }
    wanted.push_back(999);  // not there
    CHECK(f.ids("Asset", all({cond("id", "in", wanted)})) == expect);
    auto rest = f.ids("Asset", all({cond("id", "not_in", wanted)}));
    CHECK(rest.size() == 300 - expect.size());
}

TEST_CASE("read: id filters at the integer limits") {
    fixture f;
    f.create("Asset", {{"code", "a"}});
    CHECK(f.ids("Asset", all({cond("id", "greater_than", {INT64_MAX})})).empty());
    CHECK(f.ids("Asset", all({cond("id", "less_than", {INT64_MIN})})).empty());
    CHECK(f.ids("Asset", all({cond("id", "between", {INT64_MIN, INT64_MAX})})) == ids_t{1});
    CHECK(f.ids("Asset", all({cond("id", "greater_than", {-5})})) == ids_t{1});
    CHECK(fault_of([&] { f.ids("Asset", all({cond("id", "is", {18446744073709551615ULL})})); }) == 103);
}
