// The studio schema, loading a real site's 77-type schema, back-reference wiring, fault
// settings, the generator, and the date helpers.
#include "faults.hpp"
#include "fixture.hpp"
#include "generator.hpp"
#include "values.hpp"

#include <cstdlib>
#include <fstream>
#include <set>

using namespace sgcache::fake_shotgun;
using namespace sgcache::fake_shotgun::testing;

namespace {

// ../shared/data relative to the checkout (the harness sets SGCACHE_ROOT; a plain run from
// the build directory finds it one level further up).
std::string shared_data(const std::string& name) {
    std::vector<std::string> roots;
    if (const char* r = std::getenv("SGCACHE_ROOT"); r && *r) roots.emplace_back(r);
    roots.insert(roots.end(), {".", "..", "../.."});
    for (const auto& root : roots) {
        std::string p = root + "/../shared/data/" + name;
        if (std::ifstream(p)) return p;
    }
    FAIL("cannot find ../shared/data/" << name << " (set SGCACHE_ROOT to the checkout)");
    return {};
}

}  // namespace

TEST_CASE("studio schema: the required types and every common data type") {
    schema s(studio_schema_read(), studio_schema_entity_read());
    for (auto t : {"Project", "HumanUser", "ApiUser", "Step", "Sequence", "Shot", "Asset", "Task", "Version",
                   "PublishedFile", "Note", "Playlist", "EventLogEntry"}) {
        CHECK_MESSAGE(s.find(t) != nullptr, t);
    }
    std::set<std::string> seen;
    for (const auto& t : s.types()) {
        for (const auto& f : t->fields) seen.insert(std::string(to_string(f.type)));
    }
    for (auto dt : {"text", "number", "float", "checkbox", "date", "date_time", "list", "status_list", "entity",
                    "multi_entity", "tag_list", "url", "serializable", "image", "duration", "percent", "color",
                    "uuid", "entity_type", "password"}) {
        CHECK_MESSAGE(seen.count(dt) == 1, dt);
    }
    // The EventLogEntry fields sgcache reads.
    const auto* ev = s.find("EventLogEntry");
    for (auto f : {"id", "event_type", "attribute_name", "entity", "meta", "project", "user", "session_uuid",
                   "created_at", "description"}) {
        CHECK_MESSAGE(ev->find(f) != nullptr, f);
    }
    CHECK(s.find("Task")->name_field == s.find("Task")->find("content")->index);
    CHECK(s.find("Note")->name_field == s.find("Note")->find("subject")->index);
    // schema_read shape: every property wrapped in {value, editable}.
    const auto* code = s.field_json("Shot", "code");
    REQUIRE(code);
    CHECK(code->at("data_type").at("value") == "text");
    CHECK(code->at("properties").at("default_value").at("editable") == false);
}

TEST_CASE("studio schema: back-reference pairs are wired both ways") {
    schema s(studio_schema_read(), studio_schema_entity_read());
    auto reverse = [&](std::string_view type, std::string_view field) {
        std::set<std::string> out;
        for (const auto& r : s.find(type)->find(field)->reverse) out.insert(r.type + "." + r.field);
        return out;
    };
    // Project has no tasks field in the studio schema, so Task.entity -> Project has no mirror.
    CHECK(reverse("Task", "entity") == std::set<std::string>{"Asset.tasks", "Sequence.tasks", "Shot.tasks"});
    CHECK(reverse("Shot", "tasks") == std::set<std::string>{"Task.entity"});
    CHECK(reverse("Asset", "tasks") == std::set<std::string>{"Task.entity"});
    CHECK(reverse("Shot", "assets") == std::set<std::string>{"Asset.shots"});
    CHECK(reverse("Asset", "shots") == std::set<std::string>{"Shot.assets"});
    CHECK(reverse("Version", "entity") == std::set<std::string>{"Asset.versions", "Shot.versions"});
    CHECK(reverse("Playlist", "versions") == std::set<std::string>{"Version.playlists"});
    CHECK(reverse("Version", "playlists") == std::set<std::string>{"Playlist.versions"});
    CHECK(reverse("Shot", "sg_sequence") == std::set<std::string>{"Sequence.shots"});
    CHECK(reverse("Task", "upstream_tasks") == std::set<std::string>{"Task.downstream_tasks"});
    CHECK(reverse("Shot", "code").empty());
}

TEST_CASE("schema: the real 77-type schema loads, with its entity names") {
    auto s = schema::load(shared_data("shotgun-schema.json"));
    CHECK(s.types().size() == 77);
    std::size_t fields = 0;
    for (const auto& t : s.types()) fields += t->fields.size();
    CHECK(fields == 1035);
    CHECK(s.find("CustomEntity01")->display_name == "Disk Location");
    CHECK(s.find("Task")->find("entity")->valid_types.size() == 6);
    // Pairs that exist on that site are wired; ones whose fields are missing are not.
    bool task_shot = false;
    for (const auto& r : s.find("Task")->find("entity")->reverse) task_shot |= r.type == "Shot" && r.field == "tasks";
    CHECK(task_shot);
    CHECK(s.find("Version")->find("entity")->reverse.empty());  // no Shot.versions there

    // A site on that schema works end to end.
    store db(s);
    sgcache::fake_shotgun::site site(db, {{"test", "key", true}}, {}, 1);
    json::value auth = json::object{{"script_name", "test"}, {"script_key", "key"}};
    auto shot = site.call("create", auth, json::object{{"type", "Shot"},
                                                 {"fields", json::array{json::object{{"field_name", "code"}, {"value", "s1"}}}}},
                          fixed_now_ms);
    auto task = site.call("create", auth, json::object{{"type", "Task"},
                                                 {"fields", json::array{json::object{{"field_name", "content"}, {"value", "t"}},
                                                                        json::object{{"field_name", "entity"},
                                                                                     {"value", shot}}}}},
                          fixed_now_ms);
    auto read = site.call("read", auth, json::object{{"type", "Shot"}, {"return_fields", json::array{"tasks"}}}, fixed_now_ms);
    (void)task;
    CHECK(read.at("entities").as_array()[0].at("tasks").as_array().size() == 1);
    CHECK(site.call("schema_read", auth, nullptr, fixed_now_ms).as_object().size() == 77);
}

TEST_CASE("schema: malformed schema documents are refused with a message") {
    CHECK_THROWS_AS(schema(json::array{}, nullptr), std::invalid_argument);
    CHECK_THROWS_AS(schema(json::object{{"Shot", 5}}, nullptr), std::invalid_argument);
    CHECK_THROWS_AS(schema(json::object{{"Shot", json::object{{"code", json::object{}}}}}, nullptr),
                    std::invalid_argument);
    CHECK_THROWS_AS(schema::load("/nonexistent/schema.json"), std::runtime_error);
    // Bare (unwrapped) properties are accepted, and id is added when missing.
    schema s(json::object{{"Thing", json::object{{"code", json::object{{"data_type", "text"}}}}}}, nullptr);
    CHECK(s.find("Thing")->find("id") != nullptr);
    CHECK(s.find("Thing")->display_name == "Thing");
}

TEST_CASE("faults: settings from JSON and the command line, all or nothing") {
    fault_config c;
    apply_json(c, json::object{{"http_502", 0.5}, {"latency_ms", 20}, {"fail_next", json::array{502, "reset"}}});
    CHECK(c.http_502 == 0.5);
    CHECK(c.latency_ms == 20);
    CHECK(c.fail_next == std::vector<std::string>{"502", "reset"});
    CHECK_THROWS_AS(apply_json(c, json::object{{"http_502", 2}}), std::invalid_argument);
    CHECK_THROWS_AS(apply_json(c, json::object{{"latency_ms", 5}, {"nope", 1}}), std::invalid_argument);
    CHECK(c.latency_ms == 20);  // unchanged by the failed update
    CHECK_THROWS_AS(apply_json(c, json::object{{"fail_next", json::array{"418"}}}), std::invalid_argument);
    CHECK_THROWS_AS(apply_json(c, json::object{{"max_entities_per_page", 0}}), std::invalid_argument);
    apply_setting(c, "no_events=true");
    apply_setting(c, "methods=read,create");
    apply_setting(c, "max_entities_per_page=50");
    CHECK(c.knobs.no_events);
    CHECK(c.methods == std::vector<std::string>{"read", "create"});
    CHECK(c.knobs.max_entities_per_page == 50);
    CHECK_THROWS_AS(apply_setting(c, "latency_ms"), std::invalid_argument);
    auto j = to_json(c);
    fault_config d;
    apply_json(d, j);
    CHECK(to_json(d) == j);
}

TEST_CASE("faults: decisions follow fail_next, method filters and probabilities") {
    fault_config c;
    std::mt19937_64 rng(1);
    apply_json(c, json::object{{"fail_next", json::array{"503", "stall"}}, {"methods", json::array{"read"}}});
    CHECK(decide(c, rng, "create").status == 0);  // not a listed method: untouched, not consumed
    CHECK(decide(c, rng, "read").status == 503);
    CHECK(decide(c, rng, "read").stall);
    CHECK(decide(c, rng, "read").status == 0);
    fault_config p;
    apply_json(p, json::object{{"http_502", 1.0}, {"latency_ms", 10}, {"jitter_ms", 5}});
    auto d = decide(p, rng, "read");
    CHECK(d.status == 502);
    CHECK(d.delay.count() >= 10);
    CHECK(d.delay.count() <= 15);
    fault_config half;
    apply_json(half, json::object{{"reset", 0.5}});
    int resets = 0;
    for (int i = 0; i < 1000; ++i) resets += decide(half, rng, "read").reset;
    CHECK(resets > 400);
    CHECK(resets < 600);
}

TEST_CASE("generator: deterministic, proportioned, both sides of every link") {
    auto build = [](std::uint64_t seed) {
        auto s = std::make_unique<schema>(studio_schema_read(), studio_schema_entity_read());
        auto db = std::make_unique<store>(*s);
        generate_options o;
        o.entities = 5000;
        o.seed = seed;
        o.now_s = fixed_now_ms / 1000;
        auto res = generate_studio(*db, o);
        return std::make_tuple(std::move(s), std::move(db), res);
    };
    auto dump = [](const store& db) {
        std::string out;
        for (const auto& t : db.schema().types()) {
            for (const auto& r : db.find_table(t->name)->rows()) {
                for (const auto& v : r.values) out += json::serialize(v);
            }
        }
        return out;
    };
    auto [s1, db1, r1] = build(42);
    auto [s2, db2, r2] = build(42);
    auto [s3, db3, r3] = build(43);
    CHECK(dump(*db1) == dump(*db2));
    CHECK(dump(*db1) != dump(*db3));
    CHECK(r1.total > 4500);
    CHECK(r1.total < 5500);
    CHECK(r1.counts["Task"] > r1.counts["Shot"] * 3);
    CHECK(r1.counts["Version"] > r1.counts["Shot"]);
    CHECK(r1.counts["Shot"] > r1.counts["Asset"]);
    CHECK(r1.counts["Playlist"] >= 1);
    CHECK(r1.counts["Note"] >= 1);
    // Every Task.entity link is mirrored in the linked entity's tasks list, and back.
    const auto& st = *s1;
    const auto* task_entity = st.find("Task")->find("entity");
    std::size_t linked = 0;
    for (const auto& t : db1->find_table("Task")->rows()) {
        std::string_view type;
        std::int64_t id = 0;
        if (!read_link(t.values[task_entity->index], type, id)) continue;
        const auto* target = db1->find(type, id);
        REQUIRE(target != nullptr);
        const auto& list = target->values[st.find(type)->find("tasks")->index].as_array();
        bool found = false;
        for (const auto& l : list) found |= same_link(l, make_link("Task", t.id));
        CHECK(found);
        ++linked;
    }
    CHECK(linked == static_cast<std::size_t>(r1.counts["Task"]));
    // Events start late, with a few historic rows.
    const auto* ev = db1->find_table("EventLogEntry");
    REQUIRE_FALSE(ev->rows().empty());
    CHECK(ev->rows().front().id > 1000);
    // Shots read back through the site with plausible values.
    sgcache::fake_shotgun::site site(*db1, {{"t", "k", true}}, {}, 1);
    auto shots = site.call("read",
                           json::object{{"script_name", "t"}, {"script_key", "k"}},
                           json::object{{"type", "Shot"},
                                        {"return_fields", json::array{"code", "sg_sequence", "project", "tasks"}},
                                        {"paging", json::object{{"entities_per_page", 1}, {"current_page", 1}}}},
                           fixed_now_ms);
    const auto& e = shots.at("entities").as_array()[0];
    CHECK(e.at("code").as_string().starts_with("SQ"));
    CHECK(e.at("sg_sequence").at("type") == "Sequence");
    CHECK(e.at("tasks").as_array().size() == 4);
    CHECK_THROWS_AS(parse_generate_spec("studio"), std::invalid_argument);
    CHECK(parse_generate_spec("studio:100k") == 100000);
    CHECK(parse_generate_spec("studio:2m") == 2000000);
    CHECK_THROWS_AS(parse_generate_spec("studio:-1"), std::invalid_argument);
}

TEST_CASE("values: wire formats of dates and times") {
    CHECK(format_date_time(0) == "1970-01-01T00:00:00Z");
    CHECK(format_date_time(1'700'000'000) == "2023-11-14T22:13:20Z");
    CHECK(format_date(1'700'000'000) == "2023-11-14");
    CHECK(format_event_time(1'700'000'000) == "2023-11-14 22:13:20 UTC");
    CHECK(parse_date_time("2023-11-14T22:13:20Z") == 1'700'000'000);
    CHECK(parse_date("2024-02-29") == days_from_civil(2024, 2, 29) * 86400);
    CHECK_FALSE(parse_date("2023-02-29"));
    CHECK_FALSE(parse_date_time("2023-11-14T24:00:00Z"));
    CHECK_FALSE(parse_date_time("2023-11-14 22:13:20"));
    CHECK_FALSE(parse_date("23-11-14"));
    int y;
    unsigned m, d;
    civil_from_days(days_from_civil(1999, 12, 31) + 1, y, m, d);
    CHECK(y == 2000);
    CHECK(m == 1);
    CHECK(d == 1);
}
