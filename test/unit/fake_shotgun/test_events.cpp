// EventLogEntry rows written for each kind of write (api3 reference, section 6), the
// all-or-nothing transactions, and the event-related faults.
#include "fixture.hpp"

#include <set>

using namespace sgcache::fake_shotgun;
using namespace sgcache::fake_shotgun::testing;

namespace {

std::vector<std::string> types_of(const json::array& events) {
    std::vector<std::string> out;
    for (const auto& e : events) {
        std::string t(e.at("event_type").as_string());
        if (!e.at("attribute_name").is_null()) t += ":" + std::string(e.at("attribute_name").as_string());
        out.push_back(t);
    }
    return out;
}

const json::object& meta(const json::value& e) { return e.at("meta").as_object(); }

}  // namespace

TEST_CASE("events: create writes New, then in_create Change rows (defaults included)") {
    fixture f;
    auto p = f.create("Project", {{"name", "P"}});
    auto before = f.last_event_id();
    auto id = f.create("Shot", {{"code", "SH010"}, {"project", link("Project", p)}, {"sg_cut_in", 1001}});
    auto ev = f.events_after(before);
    CHECK(types_of(ev) == std::vector<std::string>{"Shotgun_Shot_New", "Shotgun_Shot_Change:code",
                                                   "Shotgun_Shot_Change:project", "Shotgun_Shot_Change:sg_cut_in",
                                                   "Shotgun_Shot_Change:sg_status_list"});
    CHECK(meta(ev[0]) == json::object{{"type", "new_entity"}, {"entity_type", "Shot"}, {"entity_id", id}});
    CHECK(ev[0].at("entity") == json::object{{"type", "Shot"}, {"id", id}, {"name", "SH010"}});
    CHECK(ev[0].at("project").at("id") == p);
    CHECK(ev[0].at("user") == json::object{{"type", "ApiUser"}, {"id", 1}, {"name", "test"}});
    CHECK(ev[0].at("session_uuid").is_null());
    CHECK(ev[0].at("created_at") == "2023-11-14T22:13:20Z");
    const auto& code = meta(ev[1]);
    CHECK(code.at("type") == "attribute_change");
    CHECK(code.at("attribute_name") == "code");
    CHECK(code.at("entity_type") == "Shot");
    CHECK(code.at("entity_id") == id);
    CHECK(code.at("field_data_type") == "text");
    CHECK(code.at("old_value").is_null());
    CHECK(code.at("new_value") == "SH010");
    CHECK(code.at("in_create") == true);
    const auto& proj = meta(ev[2]);
    CHECK(proj.at("new_value") ==
          json::object{{"type", "Project"}, {"id", p}, {"name", "P"}, {"valid", "valid"}, {"status", nullptr}});
    CHECK(meta(ev[4]).at("new_value") == "wtg");  // the schema default, logged in create
    // Ids are increasing and there is nothing else.
    for (std::size_t i = 1; i < ev.size(); ++i) CHECK(ev[i].at("id").as_int64() == ev[i - 1].at("id").as_int64() + 1);
}

TEST_CASE("events: update logs only fields that changed, with old and new values") {
    fixture f;
    auto id = f.create("Shot", {{"code", "a"}, {"sg_status_list", "ip"}, {"sg_cut_in", 1}});
    auto before = f.last_event_id();
    auto r = f.update("Shot", id, {{"sg_status_list", "fin"}, {"sg_cut_in", 1}, {"description", "hello"}});
    CHECK(r.at("sg_status_list") == "fin");
    CHECK(r.at("type") == "Shot");
    auto ev = f.events_after(before);
    CHECK(types_of(ev) ==
          std::vector<std::string>{"Shotgun_Shot_Change:sg_status_list", "Shotgun_Shot_Change:description"});
    CHECK(meta(ev[0]).at("old_value") == "ip");
    CHECK(meta(ev[0]).at("new_value") == "fin");
    CHECK_FALSE(meta(ev[0]).contains("in_create"));
    CHECK(ev[0].at("description").as_string().find("changed \"Status\" from \"ip\" to \"fin\"") != std::string::npos);
    // Writing the same values again: no rows.
    before = f.last_event_id();
    f.update("Shot", id, {{"sg_status_list", "fin"}});
    CHECK(f.events_after(before).empty());
}

TEST_CASE("events: multi-entity add and remove in one update, with back-reference rows") {
    fixture f;
    auto a1 = f.create("Asset", {{"code", "a1"}});
    auto a2 = f.create("Asset", {{"code", "a2"}});
    auto a3 = f.create("Asset", {{"code", "a3"}});
    auto sh = f.create("Shot", {{"code", "s"}, {"assets", json::array{link("Asset", a1), link("Asset", a2)}}});
    auto before = f.last_event_id();
    f.update("Shot", sh, {{"assets", json::array{link("Asset", a2), link("Asset", a3)}}});
    auto ev = f.events_after(before);
    REQUIRE(ev.size() == 3);
    const auto& m = meta(ev[0]);
    CHECK(ev[0].at("event_type") == "Shotgun_Shot_Change");
    CHECK(m.at("field_data_type") == "multi_entity");
    CHECK(m.at("added").as_array().size() == 1);
    CHECK(m.at("added").as_array()[0].at("id") == a3);
    CHECK(m.at("removed").as_array()[0].at("id") == a1);
    CHECK_FALSE(m.contains("old_value"));
    // The other side: Asset.shots rows on a1 (removed) and a3 (added).
    std::set<std::int64_t> sides;
    for (std::size_t i = 1; i < 3; ++i) {
        CHECK(ev[i].at("event_type") == "Shotgun_Asset_Change");
        CHECK(ev[i].at("attribute_name") == "shots");
        const auto& b = meta(ev[i]);
        CHECK(b.at("actual_attribute_changed") == "Shot.assets");
        CHECK(b.at("original_event_log_entry_id") == ev[0].at("id"));
        CHECK(b.at("entity_type") == "Shot");
        CHECK(b.at("entity_id") == sh);
        sides.insert(ev[i].at("entity").at("id").as_int64());
    }
    CHECK(sides == std::set<std::int64_t>{a1, a3});
    // Both sides read consistently.
    CHECK(f.find("Asset", all({cond("id", "is", {a1})}), {"shots"})[0].at("shots") == json::array{});
    CHECK(f.find("Asset", all({cond("id", "is", {a3})}), {"shots"})[0].at("shots").as_array().size() == 1);

    // add and remove modes.
    before = f.last_event_id();
    f.update("Shot", sh, {{"assets", json::array{link("Asset", a1)}}}, {{"assets", "add"}});
    f.update("Shot", sh, {{"assets", json::array{link("Asset", a2)}}}, {{"assets", "remove"}});
    ev = f.events_after(before);
    REQUIRE(ev.size() == 4);
    CHECK(meta(ev[0]).at("added").as_array()[0].at("id") == a1);
    CHECK(meta(ev[2]).at("removed").as_array()[0].at("id") == a2);
    auto now = f.find("Shot", all({cond("id", "is", {sh})}), {"assets"})[0].at("assets").as_array();
    REQUIRE(now.size() == 2);
    CHECK(now[0].at("id") == a3);
    CHECK(now[1].at("id") == a1);
    // Adding what is there already changes nothing.
    before = f.last_event_id();
    f.update("Shot", sh, {{"assets", json::array{link("Asset", a1)}}}, {{"assets", "add"}});
    CHECK(f.events_after(before).empty());
}

TEST_CASE("events: moving a Task between Shots updates both Shots' task lists") {
    fixture f;
    auto s1 = f.create("Shot", {{"code", "s1"}});
    auto s2 = f.create("Shot", {{"code", "s2"}});
    auto before = f.last_event_id();
    auto t = f.create("Task", {{"content", "comp"}, {"entity", link("Shot", s1)}});
    auto ev = f.events_after(before);
    // New, content, entity + its back-reference row on the Shot, then the defaults.
    REQUIRE(ev.size() >= 4);
    CHECK(ev[3].at("event_type") == "Shotgun_Shot_Change");
    CHECK(ev[3].at("attribute_name") == "tasks");
    CHECK(meta(ev[3]).at("in_create") == true);
    CHECK(meta(ev[3]).at("actual_attribute_changed") == "Task.entity");
    CHECK(meta(ev[3]).at("field_data_type") == "entity");

    before = f.last_event_id();
    f.update("Task", t, {{"entity", link("Shot", s2)}});
    ev = f.events_after(before);
    CHECK(types_of(ev) == std::vector<std::string>{"Shotgun_Task_Change:entity", "Shotgun_Shot_Change:tasks",
                                                   "Shotgun_Shot_Change:tasks"});
    CHECK(meta(ev[0]).at("old_value").at("id") == s1);
    CHECK(meta(ev[0]).at("new_value").at("id") == s2);
    CHECK(ev[1].at("entity").at("id") == s1);
    CHECK(meta(ev[1]).at("removed").as_array()[0].at("id") == t);
    CHECK(ev[2].at("entity").at("id") == s2);
    CHECK(meta(ev[2]).at("added").as_array()[0].at("id") == t);
    CHECK(f.find("Shot", all({cond("id", "is", {s1})}), {"tasks"})[0].at("tasks") == json::array{});

    // The other direction: adding the Task to s1.tasks moves it back and empties s2.tasks.
    before = f.last_event_id();
    f.update("Shot", s1, {{"tasks", json::array{link("Task", t)}}}, {{"tasks", "add"}});
    ev = f.events_after(before);
    CHECK(types_of(ev) == std::vector<std::string>{"Shotgun_Shot_Change:tasks", "Shotgun_Task_Change:entity",
                                                   "Shotgun_Shot_Change:tasks"});
    CHECK(meta(ev[1]).at("new_value").at("id") == s1);
    CHECK(ev[2].at("entity").at("id") == s2);
    CHECK(f.find("Task", all({cond("id", "is", {t})}), {"entity"})[0].at("entity").at("id") == s1);
    CHECK(f.find("Shot", all({cond("id", "is", {s2})}), {"tasks"})[0].at("tasks") == json::array{});
}

TEST_CASE("events: delete and revive, and entity reading null while retired") {
    fixture f;
    auto id = f.create("Asset", {{"code", "gone"}});
    auto before = f.last_event_id();
    CHECK(f.call("delete", json::object{{"type", "Asset"}, {"id", id}}) == true);
    CHECK(f.call("delete", json::object{{"type", "Asset"}, {"id", id}}) == false);
    auto ev = f.events_after(before);
    CHECK(types_of(ev) == std::vector<std::string>{"Shotgun_Asset_Change:retirement_date", "Shotgun_Asset_Retirement"});
    CHECK(meta(ev[0]).at("old_value").is_null());
    CHECK(meta(ev[0]).at("new_value") == "2023-11-14 22:13:20 UTC");
    CHECK_FALSE(meta(ev[0]).contains("field_data_type"));
    CHECK(meta(ev[1]) == json::object{{"type", "entity_retirement"}, {"entity_type", "Asset"}, {"entity_id", id},
                                      {"id", id}, {"class_name", "Asset"}, {"display_name", "gone"},
                                      {"retirement_date", "2023-11-14 22:13:20 UTC"}});
    CHECK(ev[1].at("entity").is_null());
    CHECK(ev[0].at("entity").is_null());

    before = f.last_event_id();
    CHECK(f.call("revive", json::object{{"type", "Asset"}, {"id", id}}) == true);
    CHECK(f.call("revive", json::object{{"type", "Asset"}, {"id", id}}) == false);
    ev = f.events_after(before);
    CHECK(types_of(ev) == std::vector<std::string>{"Shotgun_Asset_Change:retirement_date", "Shotgun_Asset_Revival"});
    CHECK(meta(ev[0]).at("old_value") == "2023-11-14 22:13:20 UTC");
    CHECK(meta(ev[0]).at("new_value").is_null());
    CHECK(meta(ev[1]).at("type") == "entity_revival");
    CHECK(ev[1].at("entity").at("id") == id);  // alive again: the link reads again

    std::string msg;
    CHECK(fault_of([&] { f.call("delete", json::object{{"type", "Asset"}, {"id", 999}}); }, &msg) == fault_code::crud);
    CHECK(msg == "API delete() CRUD ERROR #3: Entity of type [Asset] with id=999 does not exist.");
    CHECK(fault_of([&] { f.call("revive", json::object{{"type", "Asset"}, {"id", 999}}); }) == fault_code::crud);
}

TEST_CASE("events: session_uuid and sudo_as_login are stamped") {
    fixture f;
    f.auth.as_object()["session_uuid"] = "5a1d49b0-0c69-11e0-a24c-003048d17544";
    auto before = f.last_event_id();
    f.create("Asset", {{"code", "x"}});
    auto ev = f.events_after(before);
    CHECK(ev[0].at("session_uuid") == "5a1d49b0-0c69-11e0-a24c-003048d17544");

    f.auth.as_object()["sudo_as_login"] = "jdoe";
    before = f.last_event_id();
    f.create("Asset", {{"code", "y"}});
    ev = f.events_after(before);
    CHECK(ev[0].at("user").at("type") == "HumanUser");
    CHECK(ev[0].at("user").at("name") == "jdoe");
    CHECK(meta(ev[0]).at("sudo_actual_user").at("type") == "ApiUser");
    f.auth.as_object()["sudo_as_login"] = "nobody";
    CHECK(fault_of([&] { f.create("Asset", {{"code", "z"}}); }) != 0);
}

TEST_CASE("events: scripts without events, the no-events switch, and sudo overriding it") {
    fixture f;
    f.auth = json::object{{"script_name", "quiet"}, {"script_key", "key2"}};
    auto before = f.last_event_id();
    auto id = f.create("Asset", {{"code", "silent"}});
    f.update("Asset", id, {{"code", "still silent"}});
    CHECK(f.events_after(before).empty());
    // The write did happen, and updated_at moved (what a safety scan relies on).
    auto row = f.find("Asset", all({cond("id", "is", {id})}), {"code", "updated_at", "updated_by"});
    CHECK(row[0].at("code") == "still silent");
    CHECK(row[0].at("updated_by").at("name") == "quiet");
    f.auth.as_object()["sudo_as_login"] = "jdoe";
    f.create("Asset", {{"code", "logged"}});
    CHECK_FALSE(f.events_after(before).empty());

    fixture g;
    g.site.knobs().no_events = true;
    before = g.last_event_id();
    g.create("Asset", {{"code", "a"}});
    CHECK(g.events_after(before).empty());
}

TEST_CASE("events: out-of-order commits and burned ids") {
    fixture f;
    f.site.knobs().event_delay_probability = 1.0;
    f.site.knobs().event_delay_ms = 5000;
    auto before = f.last_event_id();
    f.create("Asset", {{"code", "late"}});
    auto late_last = f.last_event_id();
    CHECK(late_last > before);
    CHECK(f.events_after(before).empty());  // allocated, not yet committed
    f.site.knobs().event_delay_probability = 0;
    f.create("Asset", {{"code", "early"}});
    auto visible = f.events_after(before);
    REQUIRE_FALSE(visible.empty());
    CHECK(visible[0].at("id").as_int64() > late_last);  // later ids are seen first
    f.now_ms += 5000;
    auto all_rows = f.events_after(before);
    CHECK(all_rows.size() > visible.size());
    CHECK(all_rows[0].at("id").as_int64() == before + 1);

    fixture g;
    g.site.knobs().event_drop_probability = 1.0;
    before = g.last_event_id();
    g.create("Asset", {{"code", "x"}});
    auto ev = g.events_after(before);
    REQUIRE_FALSE(ev.empty());
    CHECK(ev[0].at("id").as_int64() > before + 1);  // a gap that never fills
}

TEST_CASE("batch: all or nothing, results aligned with requests") {
    fixture f;
    auto keep = f.create("Asset", {{"code", "keep"}});
    auto before = f.last_event_id();
    auto ok = f.call("batch", json::array{
                                  json::object{{"request_type", "create"}, {"type", "Shot"},
                                               {"fields", json::array{json::object{{"field_name", "code"}, {"value", "n1"}}}},
                                               {"return_fields", json::array{"id", "code"}}},
                                  json::object{{"request_type", "update"}, {"type", "Asset"}, {"id", keep},
                                               {"fields", json::array{json::object{{"field_name", "code"}, {"value", "kept"}}}}},
                                  json::object{{"request_type", "delete"}, {"type", "Asset"}, {"id", keep}},
                              });
    REQUIRE(ok.as_array().size() == 3);
    CHECK(ok.as_array()[0].at("code") == "n1");
    CHECK(ok.as_array()[1].at("code") == "kept");
    CHECK(ok.as_array()[2] == true);
    CHECK_FALSE(f.events_after(before).empty());

    auto shots_before = f.ids("Shot", all({}));
    before = f.last_event_id();
    std::string msg;
    auto bad = [&] {
        f.call("batch", json::array{
                            json::object{{"request_type", "create"}, {"type", "Shot"},
                                         {"fields", json::array{json::object{{"field_name", "code"}, {"value", "n2"}}}}},
                            json::object{{"request_type", "update"}, {"type", "Shot"}, {"id", 424242},
                                         {"fields", json::array{json::object{{"field_name", "code"}, {"value", "x"}}}}},
                        });
    };
    CHECK(fault_of(bad, &msg) == fault_code::crud);
    CHECK(msg.rfind("API batch() request with index 1 failed.  All requests rolled back.\n", 0) == 0);
    CHECK(f.ids("Shot", all({})) == shots_before);
    CHECK(f.events_after(before).empty());
    // Ids of a rolled-back create are not reused (a database sequence).
    auto next = f.create("Shot", {{"code", "after"}});
    CHECK(next > shots_before.back() + 1);
    CHECK(f.call("batch", json::object{}) == json::array{});
}

TEST_CASE("writes: values are checked per data type") {
    fixture f;
    auto p = f.create("Project", {{"name", "P"}});
    std::string msg;
    auto create = [&](json::object fields) { return [&f, fields] { f.create("Shot", fields); }; };
    CHECK(fault_of(create({{"sg_cut_in", "ten"}}), &msg) == 103);
    CHECK(msg == "API create() Shot.sg_cut_in expected [Integer, NilClass] data type(s) but got String: \"ten\"");
    CHECK(fault_of(create({{"sg_cut_in", 1.5}})) == 103);
    CHECK(fault_of(create({{"sg_cut_in", 3000000000LL}})) == 104);
    CHECK(fault_of(create({{"sg_nope", 1}}), &msg) == 103);
    CHECK(msg == "API create() Shot.sg_nope doesn't exist.");
    CHECK(fault_of(create({{"id", 5}})) == 103);
    CHECK(fault_of(create({{"updated_at", "2023-01-01T00:00:00Z"}})) == 103);
    CHECK(fault_of(create({{"sg_status_list", "bogus"}})) == 104);
    CHECK(fault_of(create({{"sg_turnover_date", "2023-02-30"}})) == 103);
    CHECK(fault_of(create({{"sg_plate_received_at", "2023-01-01 00:00:00"}})) == 103);
    CHECK(fault_of(create({{"sg_is_hero", "yes"}})) == 103);
    CHECK(fault_of(create({{"project", link("Asset", 1)}})) == 103);
    CHECK(fault_of(create({{"project", link("Project", 999)}})) == 104);
    CHECK(fault_of(create({{"assets", link("Asset", 1)}})) == 103);
    CHECK(fault_of(create({{"tag_list", json::array{1}}})) == 103);
    CHECK(fault_of(create({{"image", "x.jpg"}})) == 103);
    CHECK(fault_of(create({{"sg_plate_link", "https://x"}})) == 103);
    CHECK(fault_of(create({{"sg_plate_link", json::object{}}})) == 103);
    CHECK(fault_of(create({{"sg_camera_data", 42}})) == 103);
    CHECK(fault_of([&] { f.create("Nope", {}); }) == 103);
    // Unique fields (Project.name) on create and update.
    CHECK(fault_of([&] { f.create("Project", {{"name", "P"}}); }, &msg) == 104);
    CHECK(msg.find("CRUD ERROR #61") != std::string::npos);
    auto q = f.create("Project", {{"name", "Q"}});
    CHECK(fault_of([&] { f.update("Project", q, {{"name", "P"}}); }, &msg) == 104);
    CHECK(msg.find("CRUD ERROR #51") != std::string::npos);
    // Accepted shapes.
    auto id = f.create("Shot", {{"project", link("Project", p)},
                                {"sg_plate_link", json::object{{"url", "https://x/y.mov"}, {"name", "plate"}}},
                                {"sg_camera_data", json::object{{"lens", 35}}},
                                {"tag_list", json::array{"a", "a", "b"}},
                                {"created_at", "2020-01-01T00:00:00Z"}});
    auto row = f.find("Shot", all({cond("id", "is", {id})}), {"sg_plate_link", "tag_list", "created_at", "created_by"});
    CHECK(row[0].at("sg_plate_link").at("link_type") == "web");
    CHECK(row[0].at("sg_plate_link").at("url") == "https://x/y.mov");
    CHECK(row[0].at("tag_list") == json::array{"a", "b"});
    CHECK(row[0].at("created_at") == "2020-01-01T00:00:00Z");
    CHECK(row[0].at("created_by").at("type") == "ApiUser");
    CHECK(fault_of([&] { f.update("Shot", id, {{"code", "x"}}, {{"code", "add"}}); }) == 103);
    CHECK(fault_of([&] { f.update("Shot", 999, {{"code", "x"}}); }) == 104);
    CHECK(fault_of([&] { f.update("EventLogEntry", 1, {{"description", "x"}}); }) == 103);
}

TEST_CASE("auth: scripts, users, session tokens, and fault 102 otherwise") {
    fixture f;
    std::string msg;
    auto as = [&](json::value auth) {
        return [&f, auth] { f.site.call("read", auth, json::object{{"type", "Shot"}}, f.now_ms); };
    };
    CHECK(fault_of(as(json::object{{"script_name", "test"}, {"script_key", "key"}})) == 0);
    CHECK(fault_of(as(json::object{{"script_name", "test"}, {"script_key", "nope"}}), &msg) == 102);
    CHECK(msg == "Can't authenticate script 'test'");
    CHECK(fault_of(as(json::object{{"script_name", "who"}, {"script_key", "key"}})) == 102);
    CHECK(fault_of(as(json::object{{"user_login", "jdoe"}, {"user_password", "pw"}})) == 0);
    CHECK(fault_of(as(json::object{{"user_login", "jdoe"}, {"user_password", "x"}}), &msg) == 102);
    CHECK(msg == "Can't authenticate user 'jdoe'.");
    CHECK(fault_of(as(json::object{})) == 102);
    CHECK(fault_of(as(nullptr)) == 102);
    CHECK(fault_of(as(json::object{{"session_token", "forged"}})) == 102);
    auto token = f.call("get_session_token", json::object{}).at("session_id").as_string();
    CHECK(fault_of(as(json::object{{"session_token", token}, {"reject_if_expired", true}})) == 0);
    // info needs none.
    CHECK(f.site.call("info", nullptr, nullptr, f.now_ms).at("version") == json::array{8, 30, 0});
}

TEST_CASE("envelope: handle() turns anything into a well-formed answer") {
    fixture f;
    auto handle = [&](std::string_view body) {
        auto out = f.site.handle(body, f.now_ms);
        return json::parse(out.body).as_object();
    };
    CHECK(handle(R"({"method_name": "info", "params": []})").at("results").at("api_max_entities_per_page") == 500);
    auto bad_json = handle("{\"method_name\": ");
    CHECK(bad_json.at("exception") == true);
    CHECK(bad_json.at("error_code") == 103);
    CHECK(handle("[]").at("exception") == true);
    CHECK(handle(R"({"method_name": 5})").at("exception") == true);
    CHECK(handle(R"({"method_name": "read", "params": {}})").at("exception") == true);
    auto unknown = handle(R"({"method_name": "frobnicate", "params": [{"script_name": "test", "script_key": "key"}]})");
    CHECK(unknown.at("message") == "API frobnicate() unknown method 'frobnicate'");
    auto noauth = handle(R"({"method_name": "read", "params": [{"script_name": "x", "script_key": "y"}, {"type": "Shot"}]})");
    CHECK(noauth.at("error_code") == 102);
    auto ok = handle(R"({"method_name": "read", "params": [{"script_name": "test", "script_key": "key"},
                         {"type": "Shot", "return_fields": ["code"], "filters": {"logical_operator": "and", "conditions": []},
                          "return_only": "active", "paging": {"entities_per_page": 1, "current_page": 1}}]})");
    CHECK(ok.at("results").at("entities") == json::array{});
    std::string deep(5000, '[');
    CHECK(handle(deep).at("exception") == true);
    CHECK(handle(std::string("\xff\xfe", 2)).at("exception") == true);
}

TEST_CASE("schema calls: schema_read, schema_entity_read, schema_field_read") {
    fixture f;
    auto all_types = f.call("schema_read", json::object{}).as_object();
    CHECK(all_types.size() == 13);
    CHECK(all_types.at("Shot").at("code").at("data_type").at("value") == "text");
    auto names = f.call("schema_entity_read", json::object{}).as_object();
    CHECK(names.at("HumanUser").at("name").at("value") == "Person");
    auto one = f.call("schema_field_read", json::object{{"type", "Asset"}, {"field_name", "shots"}}).as_object();
    CHECK(one.size() == 1);
    CHECK(one.at("shots").at("properties").at("valid_types").at("value") == json::array{"Shot"});
    CHECK(f.call("schema_field_read", json::object{{"type", "Asset"}}).as_object().contains("code"));
    CHECK(fault_of([&] { f.call("schema_field_read", json::object{{"type", "Nope"}}); }) == 103);
    CHECK(fault_of([&] { f.call("schema_field_read", json::object{{"type", "Asset"}, {"field_name", "x"}}); }) == 103);
}
