// The pure pieces that decide correctness of the sync engine: the version clock, the event
// cursor with its gaps, the changes an event implies, documents, names and ranges.
#include "config/entity_config.hpp"
#include "sync/changes.hpp"
#include "sync/documents.hpp"
#include "sync/event_cursor.hpp"
#include "sync/state_store.hpp"
#include "sync/version_clock.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

namespace json = boost::json;
using namespace sgcache::sync;

TEST_CASE("version clock: strictly increasing, even when the wall clock steps back") {
    version_clock c(std::chrono::microseconds(1'000'000));
    CHECK_FALSE(c.issue(100));  // no floor persisted yet: no versions
    c.floor_persisted(c.next_floor(100));
    CHECK(c.issue(100) == 100);
    CHECK(c.issue(100) == 101);  // same microsecond: still later
    CHECK(c.issue(50) == 102);   // the clock stepped back: still later
    CHECK(c.issue(5000) == 5000);
    CHECK(c.last_issued() == 5000);
}

TEST_CASE("version clock: never issues at or beyond the persisted floor") {
    version_clock c(std::chrono::microseconds(1000));
    c.floor_persisted(c.next_floor(0));  // floor 1000
    CHECK(c.persisted_floor() == 1000);
    CHECK(c.issue(998) == 998);
    CHECK(c.issue(999) == 999);
    CHECK_FALSE(c.issue(999));   // 1000 would reach the floor
    CHECK_FALSE(c.issue(2000));
    CHECK(c.floor_due(999));
    c.floor_persisted(c.next_floor(2000));  // 3000
    CHECK(c.issue(2000) == 2000);
    CHECK_FALSE(c.floor_due(2000));
}

TEST_CASE("version clock: a restart resumes above the persisted floor, whatever the wall clock says") {
    version_clock before(std::chrono::microseconds(1'000'000));
    before.floor_persisted(before.next_floor(10'000'000));
    const auto floor = before.persisted_floor();
    for (int i = 0; i < 100; ++i) REQUIRE(before.issue(10'000'000 + i));
    // Restart with a clock that went back an hour.
    version_clock after(std::chrono::microseconds(1'000'000));
    after.resume_above(floor);
    const auto next_floor = after.next_floor(10'000'000 - 3'600'000'000ll);
    CHECK(next_floor > floor);
    after.floor_persisted(next_floor);
    const auto v = after.issue(10'000'000 - 3'600'000'000ll);
    REQUIRE(v);
    CHECK(*v > before.last_issued());
    CHECK(*v > floor);
}

TEST_CASE("event cursor: in-order ids, no gaps") {
    event_cursor c;
    c.restore({100, {}});
    CHECK(c.accept({101, 102, 103}, 0) == std::vector<std::int64_t>{101, 102, 103});
    CHECK(c.high() == 103);
    CHECK(c.open_gaps() == 0);
    CHECK(c.accept({103, 102}, 0).empty());  // already seen
}

TEST_CASE("event cursor: a jump opens gaps that close when the ids appear late") {
    event_cursor c;
    c.restore({10, {}});
    CHECK(c.accept({11, 14, 15}, 1000) == std::vector<std::int64_t>{11, 14, 15});
    CHECK(c.open_gaps() == 2);
    CHECK(c.gap_ids(10) == std::vector<std::int64_t>{12, 13});
    // 13 commits late and is processed once; 12 is still missing.
    CHECK(c.accept({13, 16}, 2000) == std::vector<std::int64_t>{13, 16});
    CHECK(c.gap_ids(10) == std::vector<std::int64_t>{12});
    CHECK(c.accept({13}, 2500).empty());
    auto cp = c.checkpoint();
    CHECK(cp.high == 16);
    REQUIRE(cp.gaps.size() == 1);
    CHECK(cp.gaps[0] == gap{12, 1000});
}

TEST_CASE("event cursor: gaps expire after the timeout, not before") {
    event_cursor c;
    c.restore({0, {}});
    c.accept({1, 5}, 1000);  // gaps 2, 3, 4 first seen at 1000
    c.accept({8}, 5000);     // gaps 6, 7 first seen at 5000
    CHECK(c.expire(10'000, 10'000).empty());
    auto expired = c.expire(11'000, 10'000);
    CHECK(expired.size() == 3);
    CHECK(c.gap_ids(10) == std::vector<std::int64_t>{6, 7});
    CHECK(c.oldest_gap_ms() == 5000);
}

TEST_CASE("event cursor: the checkpoint round-trips, and gaps at or above high are dropped on restore") {
    event_cursor a;
    a.restore({0, {}});
    a.accept({3, 7}, 42);
    auto cp = a.checkpoint();
    event_cursor b;
    b.restore(cp);
    CHECK(b.checkpoint().gaps == cp.gaps);
    CHECK(b.high() == 7);
    event_cursor c;
    c.restore({5, {{3, 1}, {5, 1}, {9, 1}}});
    CHECK(c.gap_ids(10) == std::vector<std::int64_t>{3});
}

TEST_CASE("event cursor: a huge jump keeps only the newest ids as gaps") {
    event_cursor c(100);
    c.restore({0, {}});
    c.accept({1'000'000}, 0);
    CHECK(c.open_gaps() == 100);
    CHECK(c.gap_ids(1).front() == 1'000'000 - 100);
    CHECK(c.dropped() == 1'000'000 - 1 - 100);
}

TEST_CASE("event cursor: on the site's clock, a gap below an event older than the timeout is given up at once") {
    event_cursor c;
    c.restore({0, {}});
    // A backlog: events created an hour ago, read now (this host's clock at 10'000'000).
    const std::int64_t hour_ago = 1'000'000;
    c.accept_events({{1, hour_ago}, {3, hour_ago + 10}}, 10'000'000);  // 2 missing, revealed at hour_ago + 10
    CHECK(c.open_gaps() == 1);
    // Still waited for: the site's newest event is not yet a timeout after the revealing one.
    CHECK(c.expire(10'000'000, 60'000).empty());
    c.accept_events({{4, hour_ago + 59'999}}, 10'000'001);
    CHECK(c.expire(10'000'001, 60'000).empty());
    // The follower reads an event created a timeout later: 2 has been open that long.
    c.accept_events({{5, hour_ago + 60'010}}, 10'000'002);
    const auto given_up = c.expire(10'000'002, 60'000);
    REQUIRE(given_up.size() == 1);
    CHECK(given_up[0] == gap{2, 10'000'000, hour_ago + 10});
    // The site's clock is kept with the gap, across a restart.
    c.accept_events({{7, hour_ago + 60'020}}, 10'000'003);
    event_cursor d;
    d.restore(c.checkpoint());
    CHECK(d.checkpoint().gaps == std::vector<gap>{{6, 10'000'003, hour_ago + 60'020}});
    CHECK(d.site_now_ms() == hour_ago + 60'020);
}

TEST_CASE("event cursor: a late commit within the timeout on both clocks is still taken") {
    event_cursor c;
    c.restore({10, {}});
    c.accept_events({{11, 5'000}, {13, 5'100}}, 5'200);
    c.accept_events({{14, 20'000}}, 20'100);
    CHECK(c.expire(20'100, 30'000).empty());
    CHECK(c.accept_events({{12, 5'050}}, 21'000) == std::vector<std::int64_t>{12});
    CHECK(c.open_gaps() == 0);
}

TEST_CASE("event cursor: a million events with a tenth of the ids never committing stay bounded") {
    // The site writes 1,000 events a second; the follower reads them in batches of 5,000,
    // first a backlog of 600,000 (read at 5,000 per 100 ms of this host's clock), then live
    // (a batch every 5 s). A tenth of the ids never commit. Open gaps must stay within what
    // one timeout of the site's events holds, whatever the backlog, and each poll's cost
    // (gap ids asked, gaps given up) stays bounded.
    const std::int64_t timeout_ms = 60'000;  // 60,000 events of the site's clock
    struct outcome {
        std::size_t most_open = 0, most_given_up_in_a_poll = 0;
        bool accounted = false;
        std::uint64_t dropped = 0;
    };
    auto run = [&](bool site_clock) {
        event_cursor c;
        c.restore({0, {}});
        std::uint64_t rng = 42;
        auto next = [&] {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            return rng >> 33;
        };
        outcome o;
        std::size_t given_up = 0;
        std::vector<std::int64_t> missing;
        std::int64_t host_ms = 10'000'000;
        for (std::int64_t first = 1; first <= 1'000'000; first += 5'000) {
            std::vector<seen_event> batch;
            for (std::int64_t id = first; id < first + 5'000; ++id) {
                if (next() % 10 == 0) {
                    missing.push_back(id);
                } else {
                    batch.push_back({id, site_clock ? id : 0});  // created_at: 1 ms per event
                }
            }
            host_ms += first <= 600'000 ? 100 : 5'000;
            c.accept_events(batch, host_ms);
            const auto out = c.expire(host_ms, timeout_ms);
            given_up += out.size();
            o.most_given_up_in_a_poll = std::max(o.most_given_up_in_a_poll, out.size());
            o.most_open = std::max(o.most_open, c.open_gaps());
            CHECK(c.gap_ids(100).size() <= 100);
        }
        const auto below_high = std::count_if(missing.begin(), missing.end(), [&](std::int64_t id) { return id < c.high(); });
        o.accounted = given_up + c.open_gaps() == static_cast<std::size_t>(below_high);
        o.dropped = c.dropped();
        return o;
    };
    const auto with = run(true);
    // Within a timeout of events (60,000) plus a batch, a tenth of them: about 6,500.
    CHECK(with.most_open <= 7'000);
    CHECK(with.most_open >= 5'000);  // gaps were really tracked, not dropped
    CHECK(with.dropped == 0);
    CHECK(with.accounted);
    CHECK(with.most_given_up_in_a_poll <= 1'000);  // a batch's worth (about 500) plus slack
    // Without the site's clock (created_at unknown) the backlog's gaps pile up for the whole
    // timeout on this host's clock: 600 batches at 100 ms.
    const auto without = run(false);
    CHECK(without.most_open >= 50'000);
    CHECK(without.accounted);
    MESSAGE("most gaps open: ", with.most_open, " with the site's clock, ", without.most_open, " without");
}

TEST_CASE("event types parse; only entity actions count") {
    auto p = parse_event_type("Shotgun_CustomEntity03_Revival");
    CHECK(p.entity_type == "CustomEntity03");
    CHECK(p.action == "Revival");
    CHECK(p.is_entity_event);
    CHECK_FALSE(parse_event_type("Shotgun_User_Login").is_entity_event);
    CHECK_FALSE(parse_event_type("Shotgun_Reading_Change").is_entity_event);
    CHECK_FALSE(parse_event_type("Toolkit_App_Startup").is_entity_event);
    CHECK_FALSE(parse_event_type("Shotgun_Shot").is_entity_event);
}

namespace {
change_set changes_of(const char* event, std::set<std::string> cached = {"Shot", "Task", "Asset", "Version", "Playlist"}) {
    change_set out;
    collect_changes(json::parse(event).as_object(), cached, out);
    return out;
}
}  // namespace

TEST_CASE("changes: a field change re-reads the entity; entity links in old and new values too") {
    auto c = changes_of(R"({"event_type":"Shotgun_Task_Change","attribute_name":"entity",
        "entity":{"type":"Task","id":67,"name":"fx"},
        "meta":{"type":"attribute_change","attribute_name":"entity","entity_type":"Task","entity_id":67,
                "old_value":{"type":"Shot","id":1,"name":"a"},"new_value":{"type":"Shot","id":2,"name":"b"}}})");
    CHECK(c["Task"] == std::set<std::int64_t>{67});
    CHECK(c["Shot"] == std::set<std::int64_t>{1, 2});  // a Task moved between Shots changes both
}

TEST_CASE("changes: a back-reference row names both the other entity and the one really changed") {
    auto c = changes_of(R"({"event_type":"Shotgun_Shot_Change","attribute_name":"tasks",
        "entity":{"type":"Shot","id":7080},
        "meta":{"type":"attribute_change","attribute_name":"tasks","actual_attribute_changed":"Task.entity",
                "entity_type":"Task","entity_id":67380,"field_data_type":"entity",
                "added":[{"type":"Task","id":67380,"name":"t"}],"removed":[]}})");
    CHECK(c["Shot"] == std::set<std::int64_t>{7080});
    CHECK(c["Task"] == std::set<std::int64_t>{67380});  // and never "Shot 67380"
    CHECK(c.size() == 2);
}

TEST_CASE("changes: multi-entity added and removed in one update") {
    auto c = changes_of(R"({"event_type":"Shotgun_Shot_Change","attribute_name":"assets","entity":{"type":"Shot","id":5},
        "meta":{"entity_type":"Shot","entity_id":5,"added":[{"type":"Asset","id":1}],"removed":[{"type":"Asset","id":2},{"type":"Asset","id":3}]}})");
    CHECK(c["Shot"] == std::set<std::int64_t>{5});
    CHECK(c["Asset"] == std::set<std::int64_t>{1, 2, 3});
}

TEST_CASE("changes: a retired entity reads null in `entity`; meta still names it") {
    auto c = changes_of(R"({"event_type":"Shotgun_Shot_Retirement","entity":null,
        "meta":{"type":"entity_retirement","entity_type":"Shot","entity_id":1274,"id":1274,"class_name":"Shot"}})");
    CHECK(c["Shot"] == std::set<std::int64_t>{1274});
}

TEST_CASE("changes: uncached types and non-entity events add nothing") {
    CHECK(changes_of(R"({"event_type":"Shotgun_Step_Change","entity":{"type":"Step","id":1},"meta":{"entity_type":"Step","entity_id":1}})").empty());
    change_set out;
    CHECK_FALSE(collect_changes(json::parse(R"({"event_type":"Shotgun_User_Login"})").as_object(), {"Shot"}, out));
    CHECK_FALSE(collect_changes(json::parse(R"({"id":5})").as_object(), {"Shot"}, out));
}

TEST_CASE("link effects: retirements and renames change how others' links look; revivals bring links back") {
    link_effects fx;
    collect_link_effects(json::parse(R"({"event_type":"Shotgun_Task_Retirement","entity":null,"meta":{"entity_type":"Task","entity_id":9,"id":9}})").as_object(), fx);
    collect_link_effects(json::parse(R"({"event_type":"Shotgun_Shot_Change","attribute_name":"code","entity":{"type":"Shot","id":4},"meta":{"entity_type":"Shot","entity_id":4}})").as_object(), fx);
    collect_link_effects(json::parse(R"({"event_type":"Shotgun_Shot_Change","attribute_name":"sg_cut_in","entity":{"type":"Shot","id":5},"meta":{"entity_type":"Shot","entity_id":5}})").as_object(), fx);
    collect_link_effects(json::parse(R"({"event_type":"Shotgun_HumanUser_Revival","entity":{"type":"HumanUser","id":3},"meta":{"entity_type":"HumanUser","entity_id":3}})").as_object(), fx);
    // A back-reference row is not a rename of the Shot.
    collect_link_effects(json::parse(R"({"event_type":"Shotgun_Shot_Change","attribute_name":"tasks","entity":{"type":"Shot","id":6},"meta":{"entity_type":"Task","entity_id":60}})").as_object(), fx);
    CHECK(fx.appearance_changed == std::set<entity_ref>{{"Shot", 4}, {"Task", 9}});
    CHECK(fx.revived == std::set<entity_ref>{{"HumanUser", 3}});
    CHECK(is_name_field("content"));
    CHECK_FALSE(is_name_field("sg_status_list"));
}

TEST_CASE("collect_links: every link held by an entity's fields") {
    change_set out;
    collect_links(json::parse(R"({"type":"Task","id":1,"entity":{"type":"Shot","id":2},
        "task_assignees":[{"type":"HumanUser","id":3},{"type":"Group","id":4}],"content":"x","sg_data":{"a":1}})").as_object(),
                  {"Shot", "HumanUser"}, out);
    CHECK(out["Shot"] == std::set<std::int64_t>{2});
    CHECK(out["HumanUser"] == std::set<std::int64_t>{3});
    CHECK(out.count("Group") == 0);
}

TEST_CASE("documents: the entity's fields plus the reserved metadata; tombstones") {
    auto doc = json::parse(entity_document(json::parse(R"({"type":"Shot","id":7,"code":"sh010","updated_at":"2026-01-02T03:04:05Z"})").as_object(),
                                           1'700'000'000'123'456))
                   .as_object();
    CHECK(doc.at("code").as_string() == "sh010");
    const auto& meta = doc.at(sgcache::config::meta_field).as_object();
    CHECK(meta.at("retired").as_bool() == false);
    CHECK(meta.at("read_version").as_int64() == 1'700'000'000'123'456);
    CHECK(meta.at("read_at").as_string() == "2023-11-14T22:13:20.123456Z");
    CHECK(meta.at("updated_at").as_string() == "2026-01-02T03:04:05Z");
    CHECK(doc.size() == 5);  // type, id, code, updated_at and the metadata, nothing twice

    // An entity that already carries the reserved key (no api3 field can be named so) keeps
    // one key: sgcache's metadata, never a duplicate key ES would refuse.
    const std::string odd = entity_document(json::parse(R"({"type":"Shot","id":8,"_sgcache":{"x":1}})").as_object(), 9);
    auto odd_doc = json::parse(odd).as_object();
    CHECK(odd_doc.size() == 3);
    CHECK(odd_doc.at(sgcache::config::meta_field).at("read_version").as_int64() == 9);
    CHECK(odd.find("_sgcache") == odd.rfind("_sgcache"));
    // An empty object still makes valid JSON.
    CHECK(json::parse(entity_document(json::object{}, 1)).as_object().size() == 1);

    // The metadata written as text is what serializing the object would give; a quote in
    // updated_at stays escaped, a non-string one is null; read_at follows each version
    // (it is made once per version, the entities of a page sharing theirs).
    CHECK(entity_document(json::parse(R"({"id":1,"updated_at":"a\"b"})").as_object(), 1'000'000) ==
          R"({"id":1,"updated_at":"a\"b","_sgcache":{"retired":false,"read_version":1000000,)"
          R"("read_at":"1970-01-01T00:00:01.000000Z","updated_at":"a\"b"}})");
    CHECK(entity_document(json::parse(R"({"id":1,"updated_at":5})").as_object(), 2'000'001) ==
          R"({"id":1,"updated_at":5,"_sgcache":{"retired":false,"read_version":2000001,)"
          R"("read_at":"1970-01-01T00:00:02.000001Z","updated_at":null}})");
    CHECK(json::parse(entity_document(json::parse(R"({"id":2})").as_object(), 1'000'000))
              .at(sgcache::config::meta_field).at("read_at").as_string() == "1970-01-01T00:00:01.000000Z");
    // An entity the site returned as retired keeps its fields, hidden from the live alias;
    // the text form and the object form agree.
    const std::string kept = entity_document(json::parse(R"({"id":3,"code":"x"})").as_object(), 1'000'000, true);
    CHECK(kept == R"({"id":3,"code":"x","_sgcache":{"retired":true,"read_version":1000000,)"
                  R"("read_at":"1970-01-01T00:00:01.000000Z","updated_at":null,"site_retired":true}})");
    CHECK(json::parse(entity_document(json::parse(R"({"id":3,"_sgcache":1})").as_object(), 1'000'000, true))
              .at(sgcache::config::meta_field) == json::parse(kept).at(sgcache::config::meta_field));

    auto tomb = json::parse(tombstone_document("Shot", 7, 5)).as_object();
    CHECK(tomb.at("id").as_int64() == 7);
    CHECK(tomb.at(sgcache::config::meta_field).at("retired").as_bool());
    CHECK_FALSE(tomb.contains("code"));
}

TEST_CASE("names: generations and aliases per type") {
    auto n = names_for("sgcache-", "CustomEntity01");
    CHECK(n.live_alias == "sgcache-entity-customentity01");
    CHECK(n.all_alias == "sgcache-entity-customentity01-all");
    CHECK(n.generation(3) == "sgcache-entity-customentity01-g000003");
    CHECK(n.generation_of("sgcache-entity-customentity01-g000003") == 3);
    CHECK(n.generation_of("sgcache-entity-customentity01-all") == -1);
    CHECK(n.generation_of("sgcache-entity-customentity011-g000003") == -1);
    CHECK(state_index("sgcache-") == "sgcache-state");
    CHECK(json::serialize(live_filter()) == R"({"bool":{"must_not":{"term":{"_sgcache.retired":true}}}})");
}

TEST_CASE("ranges: (after, up_to] spans covering the id space once") {
    auto r = plan_ranges(1, 10, 4);
    REQUIRE(r.size() == 3);
    CHECK(r[0] == std::pair<std::int64_t, std::int64_t>{0, 4});
    CHECK(r[1] == std::pair<std::int64_t, std::int64_t>{4, 8});
    CHECK(r[2] == std::pair<std::int64_t, std::int64_t>{8, 10});
    CHECK(plan_ranges(5, 5, 100).size() == 1);
    CHECK(plan_ranges(6, 5, 100).empty());
    CHECK(plan_ranges(1, 10, 0).empty());
}

TEST_CASE("state encodings round-trip") {
    type_state t;
    t.type = "Shot";
    t.active = 2;
    t.active_hash = "abc";
    t.building = 3;
    t.building_hash = "def";
    t.ranges = {{0, 10}, {10, 20}};
    t.done = {true, false};
    t.loaded = 42;
    auto back = type_state_from_json(to_json(t));
    CHECK(back.type == "Shot");
    CHECK(back.active == 2);
    CHECK(back.building_hash == "def");
    CHECK(back.ranges == t.ranges);
    CHECK(back.done == t.done);
    CHECK(back.loaded == 42);
    CHECK(back.ranges_done() == 1);
    follower_state f;
    f.cursor = {99, {{5, 1000}, {7, 2000}}};
    f.safety_scan_ms = 1234;
    auto fb = follower_state_from_json(to_json(f));
    CHECK(fb.cursor.high == 99);
    CHECK(fb.cursor.gaps == f.cursor.gaps);
    CHECK(fb.safety_scan_ms == 1234);
}
