// Filter evaluation of the fake site, relation by relation and data type by data type
// (api3 reference, section 8), plus the faults a bad filter gets.
#include "fixture.hpp"

#include <algorithm>

using namespace sgcache::fake_shotgun;
using namespace sgcache::fake_shotgun::testing;
using ids_t = std::vector<std::int64_t>;

namespace {

// A small studio every case below filters.
struct studio : fixture {
    std::int64_t proj, seq, s1, s2, s3, a1, a2, t1, t2, t3;
    studio() {
        proj = create("Project", {{"name", "Nightfall"}});
        seq = create("Sequence", {{"code", "SQ010"}, {"project", link("Project", proj)}});
        a1 = create("Asset", {{"code", "chr_fox"}, {"sg_asset_type", "Character"}, {"project", link("Project", proj)}});
        a2 = create("Asset", {{"code", "prp_lamp"}, {"sg_asset_type", "Prop"}});
        s1 = create("Shot", {{"code", "SH010"},
                             {"project", link("Project", proj)},
                             {"sg_sequence", link("Sequence", seq)},
                             {"sg_status_list", "ip"},
                             {"sg_cut_in", 1001},
                             {"sg_frame_rate", 24.0},
                             {"sg_is_hero", true},
                             {"tag_list", json::array{"hero", "cg"}},
                             {"sg_turnover_date", "2023-11-10"},
                             {"sg_plate_received_at", "2023-11-14T10:00:00Z"},
                             {"assets", json::array{link("Asset", a1)}},
                             {"image", nullptr},
                             {"description", "Opening shot"}});
        s2 = create("Shot", {{"code", "sh020"},
                             {"sg_status_list", "fin"},
                             {"sg_cut_in", 0},
                             {"sg_frame_rate", 25.0},
                             {"sg_turnover_date", "2023-10-01"},
                             {"sg_plate_received_at", "2023-09-01T00:00:00Z"},
                             {"assets", json::array{link("Asset", a1), link("Asset", a2)}}});
        s3 = create("Shot", {{"code", "Other"}});
        t1 = create("Task", {{"content", "Anim"}, {"entity", link("Shot", s1)}});
        t2 = create("Task", {{"content", "Model"}, {"entity", link("Asset", a1)}});
        t3 = create("Task", {{"content", "Loose"}});
        // A thumbnail for s2 only (images are read-only through the API).
        auto* r = db.find("Shot", s2);
        r->values[s.find("Shot")->find("image")->index] = "https://example.invalid/t.jpg";
    }

    ids_t shots(json::array conditions) { return ids("Shot", all(std::move(conditions))); }
    ids_t shots_where(std::string_view path, std::string_view rel, json::array values) {
        return shots(json::array{cond(path, rel, std::move(values))});
    }
};

}  // namespace

TEST_CASE("filter: text relations are case-insensitive") {
    studio st;
    CHECK(st.shots_where("code", "is", {"sh010"}) == ids_t{st.s1});
    CHECK(st.shots_where("code", "is_not", {"SH010"}) == ids_t{st.s2, st.s3});
    CHECK(st.shots_where("code", "contains", {"H0"}) == ids_t{st.s1, st.s2});
    CHECK(st.shots_where("code", "not_contains", {"h0"}) == ids_t{st.s3});
    CHECK(st.shots_where("code", "starts_with", {"SH"}) == ids_t{st.s1, st.s2});
    CHECK(st.shots_where("code", "ends_with", {"20"}) == ids_t{st.s2});
    CHECK(st.shots_where("code", "in", {"other", "SH020"}) == ids_t{st.s2, st.s3});
    CHECK(st.shots_where("code", "not_in", {"other", "SH020"}) == ids_t{st.s1});
    // null: "is null" finds the unset ones; is_not and not_contains include them.
    CHECK(st.shots_where("description", "is", {nullptr}) == ids_t{st.s2, st.s3});
    CHECK(st.shots_where("description", "is_not", {nullptr}) == ids_t{st.s1});
    CHECK(st.shots_where("description", "not_contains", {"open"}) == ids_t{st.s2, st.s3});
}

TEST_CASE("filter: number relations, and 0 is not null") {
    studio st;
    CHECK(st.shots_where("sg_cut_in", "is", {0}) == ids_t{st.s2});
    CHECK(st.shots_where("sg_cut_in", "is_not", {nullptr}) == ids_t{st.s1, st.s2});
    CHECK(st.shots_where("sg_cut_in", "is", {nullptr}) == ids_t{st.s3});
    CHECK(st.shots_where("sg_cut_in", "greater_than", {0}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_cut_in", "less_than", {1001}) == ids_t{st.s2});
    CHECK(st.shots_where("sg_cut_in", "between", {0, 1001}) == ids_t{st.s1, st.s2});
    CHECK(st.shots_where("sg_cut_in", "between", {1, nullptr}) == ids_t{st.s1});
    // A range relation never matches a missing value, negated or not.
    CHECK(st.shots_where("sg_cut_in", "not_between", {1, 2000}) == ids_t{st.s2});
    CHECK(st.shots_where("sg_cut_in", "in", {1001, 5}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_cut_in", "not_in", {1001}) == ids_t{st.s2, st.s3});
    CHECK(st.shots_where("id", "in", {st.s3, st.s1, 999}) == ids_t{st.s1, st.s3});
}

TEST_CASE("filter: float, checkbox and list types") {
    studio st;
    CHECK(st.shots_where("sg_frame_rate", "greater_than", {24.5}) == ids_t{st.s2});
    CHECK(st.shots_where("sg_frame_rate", "in", {24, 30}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_is_hero", "is", {true}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_is_hero", "is", {false}) == ids_t{st.s2, st.s3});
    CHECK(st.shots_where("sg_is_hero", "is_not", {true}) == ids_t{st.s2, st.s3});
    CHECK(st.shots_where("sg_status_list", "is", {"ip"}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_status_list", "in", {"fin", "wtg"}) == ids_t{st.s2, st.s3});
    CHECK(st.shots_where("sg_status_list", "not_in", {"fin", "wtg"}) == ids_t{st.s1});
    CHECK(st.ids("Asset", all({cond("sg_asset_type", "is_not", {"Prop"})})) == ids_t{st.a1});
}

TEST_CASE("filter: date and date_time relations, relative to the site clock") {
    studio st;  // now = 2023-11-14T22:13:20Z (Tuesday)
    CHECK(st.shots_where("sg_turnover_date", "greater_than", {"2023-11-01"}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_turnover_date", "between", {"2023-10-01", "2023-10-31"}) == ids_t{st.s2});
    CHECK(st.shots_where("sg_turnover_date", "in_last", {7, "DAY"}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_turnover_date", "not_in_last", {7, "DAY"}) == ids_t{st.s2});
    CHECK(st.shots_where("sg_turnover_date", "in_last", {2, "MONTH"}) == ids_t{st.s1, st.s2});
    CHECK(st.shots_where("sg_turnover_date", "in_calendar_month", {0}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_turnover_date", "in_calendar_month", {-1}) == ids_t{st.s2});
    CHECK(st.shots_where("sg_turnover_date", "in_calendar_week", {0}).empty());
    CHECK(st.shots_where("sg_turnover_date", "in_calendar_week", {-1}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_turnover_date", "in_calendar_year", {0}) == ids_t{st.s1, st.s2});
    CHECK(st.shots_where("sg_plate_received_at", "in_last", {13, "HOUR"}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_plate_received_at", "in_calendar_day", {0}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_plate_received_at", "is", {"2023-09-01T00:00:00Z"}) == ids_t{st.s2});
    // A date alone compares as its midnight.
    CHECK(st.shots_where("sg_plate_received_at", "less_than", {"2023-11-14"}) == ids_t{st.s2});
    CHECK(st.shots_where("created_at", "in_last", {1, "HOUR"}).size() == 3);
    CHECK(st.shots_where("created_at", "in_next", {1, "DAY"}).size() == 3);  // created "now"
}

TEST_CASE("filter: entity relations") {
    studio st;
    CHECK(st.shots_where("sg_sequence", "is", {link("Sequence", st.seq)}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_sequence", "is", {nullptr}) == ids_t{st.s2, st.s3});
    CHECK(st.shots_where("sg_sequence", "is_not", {link("Sequence", st.seq)}) == ids_t{st.s2, st.s3});
    CHECK(st.shots_where("project", "in", {link("Project", st.proj), link("Project", 99)}) == ids_t{st.s1});
    CHECK(st.shots_where("project", "not_in", {link("Project", st.proj)}) == ids_t{st.s2, st.s3});
    auto tasks = [&](std::string_view rel, json::array v) {
        return st.ids("Task", all({cond("entity", rel, std::move(v))}));
    };
    CHECK(tasks("type_is", {"Shot"}) == ids_t{st.t1});
    CHECK(tasks("type_is_not", {"Shot"}) == ids_t{st.t2, st.t3});
    CHECK(tasks("type_is", {nullptr}) == ids_t{st.t3});
    CHECK(tasks("name_contains", {"FOX"}) == ids_t{st.t2});
    CHECK(tasks("name_not_contains", {"fox"}) == ids_t{st.t1, st.t3});
    CHECK(tasks("name_is", {"sh010"}) == ids_t{st.t1});
    // Extra keys in the link (name, url, ...) do not matter; type and id do.
    CHECK(tasks("is", {json::object{{"type", "Asset"}, {"id", st.a1}, {"name", "whatever"}}}) == ids_t{st.t2});
    CHECK(tasks("is", {link("Shot", 99)}).empty());
}

TEST_CASE("filter: multi-entity and tag list relations mean 'contains'") {
    studio st;
    CHECK(st.shots_where("assets", "is", {link("Asset", st.a2)}) == ids_t{st.s2});
    CHECK(st.shots_where("assets", "is_not", {link("Asset", st.a2)}) == ids_t{st.s1, st.s3});
    CHECK(st.shots_where("assets", "is", {nullptr}) == ids_t{st.s3});
    CHECK(st.shots_where("assets", "is_not", {nullptr}) == ids_t{st.s1, st.s2});
    CHECK(st.shots_where("assets", "in", {link("Asset", st.a2), link("Asset", 77)}) == ids_t{st.s2});
    CHECK(st.shots_where("assets", "not_in", {link("Asset", st.a1)}) == ids_t{st.s3});
    CHECK(st.shots_where("assets", "type_is", {"Asset"}) == ids_t{st.s1, st.s2});
    CHECK(st.shots_where("assets", "name_contains", {"lamp"}) == ids_t{st.s2});
    CHECK(st.shots_where("assets", "name_not_contains", {"lamp"}) == ids_t{st.s1, st.s3});
    CHECK(st.shots_where("tag_list", "is", {"hero"}) == ids_t{st.s1});
    CHECK(st.shots_where("tag_list", "is_not", {"hero"}) == ids_t{st.s2, st.s3});
    CHECK(st.shots_where("tag_list", "name_contains", {"C"}) == ids_t{st.s1});
    CHECK(st.shots_where("tag_list", "is", {nullptr}) == ids_t{st.s2, st.s3});
}

TEST_CASE("filter: image fields compare with null only") {
    studio st;
    CHECK(st.shots_where("image", "is_not", {nullptr}) == ids_t{st.s2});
    CHECK(st.shots_where("image", "is", {nullptr}) == ids_t{st.s1, st.s3});
    CHECK(fault_of([&] { st.shots_where("image", "is", {"x.jpg"}); }) == fault_code::bad_request);
}

TEST_CASE("filter: dotted deep links, through single and multi-entity links") {
    studio st;
    CHECK(st.shots_where("sg_sequence.Sequence.code", "is", {"SQ010"}) == ids_t{st.s1});
    CHECK(st.shots_where("sg_sequence.Sequence.code", "is", {nullptr}) == ids_t{st.s2, st.s3});
    CHECK(st.shots_where("sg_sequence.Sequence.project.Project.name", "starts_with", {"night"}) == ids_t{st.s1});
    CHECK(st.ids("Task", all({cond("entity.Shot.code", "starts_with", {"SH"})})) == ids_t{st.t1});
    CHECK(st.ids("Task", all({cond("entity.Asset.sg_asset_type", "is", {"Character"})})) == ids_t{st.t2});
    // Through a multi-entity link: any linked entity may satisfy it.
    CHECK(st.shots_where("assets.Asset.code", "is", {"prp_lamp"}) == ids_t{st.s2});
    CHECK(st.shots_where("assets.Asset.sg_asset_type", "is", {"Character"}) == ids_t{st.s1, st.s2});
    CHECK(st.shots_where("assets.Asset.code", "is_not", {"prp_lamp"}) == ids_t{st.s1, st.s3});
}

TEST_CASE("filter: nested logical groups") {
    studio st;
    auto f = all({any({cond("code", "is", {"SH010"}), cond("code", "is", {"other"})}),
                  any({cond("sg_status_list", "is", {"ip"}), all({cond("sg_cut_in", "is", {nullptr})})})});
    CHECK(st.ids("Shot", f) == ids_t{st.s1, st.s3});
    auto deep = all({any({all({any({cond("sg_status_list", "is", {"fin"})})})})});
    CHECK(st.ids("Shot", deep) == ids_t{st.s2});
    CHECK(st.ids("Shot", all({})).size() == 3);  // no conditions: everything
    CHECK(st.ids("Shot", any({})).size() == 3);
    CHECK(st.ids("Shot", nullptr).size() == 3);
}

TEST_CASE("filter: links to retired entities read as null") {
    studio st;
    st.call("delete", json::object{{"type", "Sequence"}, {"id", st.seq}});
    CHECK(st.shots_where("sg_sequence", "is", {nullptr}) == ids_t{st.s1, st.s2, st.s3});
    st.call("delete", json::object{{"type", "Asset"}, {"id", st.a2}});
    CHECK(st.shots_where("assets", "is", {link("Asset", st.a2)}).empty());
    st.call("revive", json::object{{"type", "Asset"}, {"id", st.a2}});
    CHECK(st.shots_where("assets", "is", {link("Asset", st.a2)}) == ids_t{st.s2});
}

TEST_CASE("filter: bad filters get fault 103 with a message naming the problem") {
    studio st;
    std::string msg;
    auto shots = [&](json::array conds) { return [&st, conds] { st.ids("Shot", all(conds)); }; };
    CHECK(fault_of(shots({cond("sg_nope", "is", {1})}), &msg) == fault_code::bad_request);
    CHECK(msg == "API read() Shot.sg_nope doesn't exist.");
    CHECK(fault_of(shots({cond("sg_sequence.Sequence.nope", "is", {1})}), &msg) == 103);
    CHECK(msg == "API read() Shot.sg_sequence.Sequence.nope doesn't exist.");
    CHECK(fault_of(shots({cond("code.Sequence.code", "is", {1})}), &msg) == 103);  // hop through text
    CHECK(fault_of(shots({cond("sg_sequence.Asset.code", "is", {"x"})}), &msg) == 103);  // wrong type
    CHECK(fault_of(shots({cond("sg_camera_data", "is", {nullptr})}), &msg) == 103);
    CHECK(msg == "API read() Shot.sg_camera_data's 'serializable' data type cannot be used in a filter.");
    CHECK(fault_of(shots({cond("sg_plate_link", "is", {nullptr})}), &msg) == 103);
    CHECK(fault_of(shots({cond("code", "greater_than", {"a"})}), &msg) == 103);
    CHECK(msg.find("Valid relations: is, is_not, contains") != std::string::npos);
    CHECK(fault_of(shots({cond("code", "bogus_relation", {"a"})}), &msg) == 103);
    CHECK(fault_of(shots({cond("sg_cut_in", "is", {"ten"})}), &msg) == 103);
    CHECK(msg.find("expected [Integer, NilClass] data type(s) but got String") != std::string::npos);
    CHECK(fault_of(shots({cond("sg_cut_in", "between", {1})}), &msg) == 103);
    CHECK(fault_of(shots({cond("sg_is_hero", "is", {nullptr})})) == 103);
    CHECK(fault_of(shots({cond("sg_turnover_date", "is", {"yesterday"})})) == 103);
    CHECK(fault_of(shots({cond("sg_plate_received_at", "is", {"2023-13-01T00:00:00Z"})})) == 103);
    CHECK(fault_of(shots({cond("project", "is", {"Nightfall"})})) == 103);
    CHECK(fault_of(shots({cond("project", "is", {link("Nope", 1)})})) == 103);
    CHECK(fault_of(shots({cond("project", "type_is", {"Nope"})})) == 103);
    CHECK(fault_of(shots({cond("created_at", "in_last", {7, "FORTNIGHT"})})) == 103);
    CHECK(fault_of(shots({json::object{{"path", "code"}}})) == 103);
    CHECK(fault_of([&] { st.ids("Shot", json::object{{"logical_operator", "xor"}, {"conditions", json::array{}}}); }) == 103);
    CHECK(fault_of([&] { st.ids("Shot", json::array{}); }) == 103);
    CHECK(fault_of([&] { st.ids("Shot", all({42})); }) == 103);
    // Nesting is bounded, not a stack overflow.
    json::value deep = all({cond("code", "is", {"x"})});
    for (int i = 0; i < 200; ++i) deep = all({deep});
    CHECK(fault_of([&] { st.ids("Shot", deep); }) == 103);
}
