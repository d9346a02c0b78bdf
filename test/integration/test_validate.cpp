// sgcache validate end to end: the real sgcache executable against a fake Shotgun site, the
// real OpenSearch node and a running sgcache serve. A synced cache is damaged directly in
// Elasticsearch, each damage must be found exactly once by `validate data` and by
// `validate data --all`, and `--repair` must fix them through the server; a clean cache
// under a steady workload must give no false alarm; changes made while validation measures
// are settled instead of reported; and every malformed option is refused in one line.
#include "support/child_process.hpp"
#include "observe/stats_writer.hpp"
#include "support/env.hpp"
#include "support/run_coro.hpp"
#include "support/sync_env.hpp"
#include "sync/documents.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <tuple>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace sgcache;
using namespace std::chrono_literals;
using test::eventually;
using test::free_port;
using test::run_coro;
using test::sync_env;

namespace {

struct cli_result {
    int status = -1;
    std::string out;  // stdout
    std::string err;  // stderr
    json::object json() const {
        boost::system::error_code ec;
        auto v = json::parse(out, ec);
        REQUIRE_MESSAGE((!ec && v.is_object()), "not a JSON object: " << out << err);
        return v.as_object();
    }
};

// Runs the real sgcache executable; stdout and stderr apart.
cli_result run_cli(const std::vector<std::string>& args) {
    const std::string err_file = "/tmp/" + test::unique_name("sgct-validate-err");
    std::string cmd = test::sgcache_binary();
    for (const auto& a : args) {
        std::string quoted;
        for (char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
        cmd += " '" + quoted + "'";
    }
    cmd += " 2>" + err_file;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    cli_result r;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) r.out += buf;
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::ifstream in(err_file);
    std::stringstream ss;
    ss << in.rdbuf();
    r.err = ss.str();
    std::remove(err_file.c_str());
    return r;
}

// One api3 call as the writer script (with events), e.g. update, delete, create.
json::value site_call(sync_env& env, const std::string& method, json::object payload) {
    http::client c(env.ioc.get_executor(), http::parse_endpoint(env.site->url()));
    json::array params;
    params.push_back(json::object{{"script_name", "writer"}, {"script_key", test::writer_key}});
    params.push_back(std::move(payload));
    http::request req;
    req.method = http::verb::post;
    req.target = "/api3/json";
    req.body = json::serialize(json::object{{"method_name", method}, {"params", std::move(params)}});
    req.content_type = "application/json";
    auto res = run_coro(env.ioc, c.send(req));
    REQUIRE(res.has_value());
    REQUIRE(res->status == 200);
    auto v = json::parse(res->body).as_object();
    REQUIRE_MESSAGE(!v.contains("exception"), res->body);
    return v.at("results");
}

// api3's field list for create and update: [{"field_name": F, "value": V}, ...].
json::array field_list(std::initializer_list<std::pair<const char*, json::value>> fields) {
    json::array out;
    for (const auto& [name, value] : fields) out.push_back(json::object{{"field_name", name}, {"value", value}});
    return out;
}

// A raw request to the node; REQUIREs a 2xx answer.
void es_call(sync_env& env, http::verb verb, const std::string& path, const std::string& body) {
    auto r = run_coro(env.ioc, env.es->request(verb, path, body, "application/json"));
    REQUIRE_MESSAGE((r.status >= 200 && r.status < 300), path << ": " << r.status << " " << r.body);
}

json::object cached(sync_env& env, const std::string& type, std::int64_t id) {
    auto doc = run_coro(env.ioc, env.es->get(sync::names_for(env.prefix, type).all_alias, std::to_string(id)));
    return doc ? doc->source : json::object{};
}

bool retired(const json::object& doc) {
    if (!doc.contains("_sgcache")) return false;
    const auto& m = doc.at("_sgcache").as_object();
    return m.at("retired").as_bool();
}

// Every live document of a type, by id.
std::map<std::int64_t, json::object> live_docs(sync_env& env, const std::string& type) {
    const auto alias = sync::names_for(env.prefix, type).live_alias;
    run_coro(env.ioc, env.es->refresh(alias));
    auto page = run_coro(env.ioc, env.es->search(alias, json::parse(R"({"size":5000,"sort":[{"id":"asc"}]})").as_object()));
    std::map<std::int64_t, json::object> out;
    for (auto& h : page.hits) out[std::stoll(h.id)] = std::move(h.source);
    return out;
}

using finding_key = std::tuple<std::string, std::int64_t, std::string>;  // type, id, kind

// The findings of a `validate data --json` result, with the fields of the different ones.
std::multiset<finding_key> findings_of(const json::object& result, std::map<finding_key, std::set<std::string>>& fields) {
    std::multiset<finding_key> out;
    for (const auto& tv : result.at("types").as_array()) {
        const auto& t = tv.as_object();
        for (const auto& fv : t.at("findings").as_array()) {
            const auto& f = fv.as_object();
            finding_key k{std::string(t.at("type").as_string()), f.at("id").to_number<std::int64_t>(),
                          std::string(f.at("kind").as_string())};
            out.insert(k);
            if (auto list = f.if_contains("fields")) {
                for (const auto& d : list->as_array()) fields[k].insert(std::string(d.at("field").as_string()));
            }
        }
    }
    return out;
}

std::string status_of(const json::object& counts, const std::string& type) {
    for (const auto& t : counts.at("types").as_array()) {
        if (t.at("type").as_string() == type) return std::string(t.at("status").as_string());
    }
    return "(type not listed)";
}

void wait_for_control(sync_env& env) {
    // The control socket answers once the server is up; `status` is the cheapest probe.
    REQUIRE(eventually(
        [&] {
            return run_cli({"status", "--config", env.config_file.string(), "--timeout", "1"}).status == 0;
        },
        30s));
}

}  // namespace

TEST_CASE("validate: each damage is found once by data and by --all, then fixed by --repair") {
    sync_env env({"--generate", "studio:2000", "--seed", "41"}, {"Shot", "Asset", "Task"}, "");
    auto serve = env.serve();
    env.converge(90s, serve.get());
    wait_for_control(env);
    const std::string cfg = env.config_file.string();

    // A clean cache first: every command agrees.
    auto counts = run_cli({"validate", "counts", "--config", cfg});
    CHECK_MESSAGE(counts.status == 0, counts.out << counts.err);
    CHECK(counts.out.find("all 3 types match") != std::string::npos);
    auto clean = run_cli({"validate", "data", "--config", cfg, "--limit", "5000"});
    CHECK_MESSAGE(clean.status == 0, clean.out << clean.err);
    CHECK(clean.out.find("the cache matches the site") != std::string::npos);
    clean = run_cli({"validate", "data", "--config", cfg, "--all"});
    CHECK_MESSAGE(clean.status == 0, clean.out << clean.err);

    // The damage targets, from the cache itself.
    auto shots = live_docs(env, "Shot");
    REQUIRE(shots.size() > 20);
    std::vector<std::int64_t> shot_ids;
    for (const auto& [id, d] : shots) shot_ids.push_back(id);
    const std::int64_t retired_id = shot_ids[4];
    const std::int64_t deleted_id = shot_ids[9];  // the same id bucket as retired_id
    REQUIRE(deleted_id / 100 == retired_id / 100);
    std::int64_t unlinked_id = 0;
    for (const auto& [id, d] : shots) {
        if (id != retired_id && id != deleted_id && d.at("assets").as_array().size() >= 2) {
            unlinked_id = id;
            break;
        }
    }
    REQUIRE(unlinked_id);
    const auto tasks = live_docs(env, "Task");
    REQUIRE(!tasks.empty());
    const std::int64_t changed_id = tasks.rbegin()->first;
    const std::int64_t stray_id = 900'000;
    const std::int64_t bare_id = 900'001;  // a stray without even an id field

    // A retirement on the site, so that the cache holds a tombstone to un-retire.
    site_call(env, "delete", json::object{{"type", "Shot"}, {"id", retired_id}});
    REQUIRE(eventually([&] { return retired(cached(env, "Shot", retired_id)); }, 30s));

    const auto shot_index = env.active_index("Shot");
    const auto task_index = env.active_index("Task");
    const auto asset_index = env.active_index("Asset");
    es_call(env, http::verb::delete_, "/" + shot_index + "/_doc/" + std::to_string(deleted_id) + "?refresh=true", "");
    es_call(env, http::verb::post, "/" + task_index + "/_update/" + std::to_string(changed_id) + "?refresh=true",
            R"({"doc":{"sg_status_list":"bogus"}})");
    es_call(env, http::verb::put, "/" + asset_index + "/_doc/" + std::to_string(stray_id) + "?refresh=true",
            R"({"type":"Asset","id":900000,"code":"stray","_sgcache":{"retired":false,"read_version":1,"updated_at":"2020-01-01T00:00:00Z"}})");
    es_call(env, http::verb::put, "/" + asset_index + "/_doc/" + std::to_string(bare_id) + "?refresh=true",
            R"({"code":"hand-made"})");
    es_call(env, http::verb::post, "/" + shot_index + "/_update/" + std::to_string(retired_id) + "?refresh=true",
            R"({"doc":{"_sgcache":{"retired":false}}})");
    json::array fewer = shots.at(unlinked_id).at("assets").as_array();
    fewer.erase(fewer.begin());
    es_call(env, http::verb::post, "/" + shot_index + "/_update/" + std::to_string(unlinked_id) + "?refresh=true",
            json::serialize(json::object{{"doc", json::object{{"assets", fewer}}}}));

    const std::multiset<finding_key> expected{{"Shot", retired_id, "stray"},
                                              {"Shot", deleted_id, "missing"},
                                              {"Shot", unlinked_id, "different"},
                                              {"Task", changed_id, "different"},
                                              {"Asset", stray_id, "stray"},
                                              {"Asset", bare_id, "stray"}};
    for (const std::vector<std::string>& mode : {std::vector<std::string>{"--limit", "5000"}, std::vector<std::string>{"--all"}}) {
        std::vector<std::string> args{"validate", "data", "--config", cfg, "--json"};
        args.insert(args.end(), mode.begin(), mode.end());
        const auto r = run_cli(args);
        CAPTURE(mode.front());
        CHECK_MESSAGE(r.status == 1, r.out << r.err);
        const auto result = r.json();
        CHECK(result.at("ok") == false);
        std::map<finding_key, std::set<std::string>> fields;
        CHECK(findings_of(result, fields) == expected);
        CHECK(fields[{"Shot", unlinked_id, "different"}] == std::set<std::string>{"assets"});
        CHECK(fields[{"Task", changed_id, "different"}] == std::set<std::string>{"sg_status_list"});
        if (mode.front() == "--all") {
            // Reading every entity takes about one request per 500 entities per type; the
            // fingerprints need one summarize per type plus the narrowing.
            const auto requests = result.at("shotgun_requests").to_number<std::int64_t>();
            std::int64_t records = 0;
            for (const auto& t : result.at("types").as_array()) {
                records += t.at("buckets").at("site_records").to_number<std::int64_t>();
                CHECK(t.at("buckets").at("size") == 100);
            }
            MESSAGE("--all used " << requests << " Shotgun requests for " << records << " records");
            CHECK(requests <= 3 + 6);
        }
    }
    // The text output names them too.
    const auto text = run_cli({"validate", "data", "--config", cfg, "--all", "Task"});
    CHECK(text.status == 1);
    CHECK(text.out.find("Task " + std::to_string(changed_id) + " different: sg_status_list: site \"") != std::string::npos);
    CHECK(text.out.find("cache \"bogus\"") != std::string::npos);

    // Counts see the stray Asset; Shot's deletion and un-retirement cancel out in its count.
    counts = run_cli({"validate", "counts", "--config", cfg, "--json"});
    CHECK(counts.status == 1);
    CHECK(status_of(counts.json(), "Asset") == "MISMATCH");
    CHECK(status_of(counts.json(), "Shot") == "ok");

    // --repair needs the server: none answering is a clear error.
    const auto nobody = run_cli({"validate", "data", "--config", cfg, "Task", "--all", "--repair", "--endpoint",
                                 "tcp://127.0.0.1:" + std::to_string(free_port())});
    CHECK(nobody.status == 1);
    CHECK_MESSAGE(nobody.err.find("--repair: no answer from tcp://127.0.0.1:") != std::string::npos, nobody.err);
    CHECK(nobody.out.find("repair failed: no answer") != std::string::npos);
    CHECK(cached(env, "Task", changed_id).at("sg_status_list") == "bogus");  // validate itself never writes

    // The repair: every finding read again by the server, then verified.
    const auto repaired = run_cli({"validate", "data", "--config", cfg, "--all", "--repair", "--json"});
    CHECK_MESSAGE(repaired.status == 0, repaired.out << repaired.err);
    const auto rep = repaired.json().at("repair").as_object();
    CHECK(rep.at("requested") == 6);
    CHECK(rep.at("reread") == 6);
    CHECK(rep.at("remaining").as_array().empty());
    CHECK(retired(cached(env, "Shot", retired_id)));
    CHECK(retired(cached(env, "Asset", stray_id)));
    CHECK(retired(cached(env, "Asset", bare_id)));
    CHECK(!retired(cached(env, "Shot", deleted_id)));
    CHECK(cached(env, "Task", changed_id).at("sg_status_list") != "bogus");
    // Written through the normal path: external versions from the server's clock.
    const auto doc = run_coro(env.ioc, env.es->get(shot_index, std::to_string(unlinked_id)));
    REQUIRE(doc);
    CHECK(doc->version == doc->source.at("_sgcache").at("read_version").to_number<std::int64_t>());

    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"validate", "data", "--config", cfg, "--all"},
          std::vector<std::string>{"validate", "data", "--config", cfg, "--limit", "5000"},
          std::vector<std::string>{"validate", "data", "--config", cfg, "--full"},
          std::vector<std::string>{"validate", "counts", "--config", cfg}}) {
        const auto r = run_cli(args);
        CHECK_MESSAGE(r.status == 0, args[1] << " " << args.back() << ": " << r.out << r.err);
    }
    // Every validation run left a stats document for Kibana, the last one a passing counts.
    const std::string stats = observe::stats_alias(env.prefix);
    run_coro(env.ioc, env.es->refresh(stats));
    auto validations = run_coro(env.ioc, env.es->search(stats, json::parse(
        R"({"size":100,"sort":[{"@timestamp":"asc"}],"query":{"term":{"kind":"validation"}}})").as_object()));
    CHECK(validations.hits.size() >= 4);
    if (!validations.hits.empty()) {
        CHECK(json::serialize(validations.hits.back().source).find("\"counts\"") != std::string::npos);
    }
    env.converge(30s, serve.get());
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("validate: a clean cache under a steady workload gives no false mismatch") {
    sync_env env({"--generate", "studio:3000", "--seed", "42"}, {"Shot", "Asset", "Task", "Version", "Note"}, "");
    auto serve = env.serve();
    env.converge(90s, serve.get());
    const std::string cfg = env.config_file.string();
    auto driver = env.driver(25, 43, 32);
    int runs = 0;
    std::int64_t reread = 0, pending_events = 0;
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < until) {
        for (const std::vector<std::string>& args :
             {std::vector<std::string>{"validate", "counts", "--config", cfg, "--json"},
              std::vector<std::string>{"validate", "data", "--config", cfg, "--json"},
              std::vector<std::string>{"validate", "data", "--config", cfg, "--json", "--all"}}) {
            const auto r = run_cli(args);
            ++runs;
            CHECK_MESSAGE(r.status == 0, args[1] << " " << args.back() << ":\n" << r.out << r.err);
            if (r.status != 0) continue;
            const auto result = r.json();
            if (auto e = result.if_contains("events_read")) pending_events += e->to_number<std::int64_t>();
            for (const auto& t : result.at("types").as_array()) {
                if (auto n = t.as_object().if_contains("reread")) reread += n->to_number<std::int64_t>();
            }
        }
    }
    MESSAGE(runs << " validations under the workload; " << pending_events << " pending events counted, " << reread
                 << " entities read again after changing during a check");
    CHECK(runs >= 6);
    const auto driven = driver->wait(60s);
    REQUIRE(driven);
    CHECK_MESSAGE(*driven == 0, driver->log());
    env.converge(60s, serve.get());
    serve->stop(SIGTERM, 10s);
}

TEST_CASE("validate: changes made while measuring are pending or read again, not reported") {
    sync_env env({"--generate", "studio:1500", "--seed", "44"}, {"Shot", "Asset"}, "");
    auto serve = env.serve();
    env.converge(60s, serve.get());
    const std::string cfg = env.config_file.string();
    auto shots = live_docs(env, "Shot");
    REQUIRE(shots.size() > 3);
    const auto& [changed_id, changed] = *shots.begin();
    const auto& [retire_id, unused] = *std::next(shots.begin());
    std::string new_status;
    for (const auto& [id, d] : shots) {
        if (d.at("sg_status_list") != changed.at("sg_status_list") && d.at("sg_status_list").is_string()) {
            new_status = std::string(d.at("sg_status_list").as_string());
            break;
        }
    }
    REQUIRE(!new_status.empty());

    // The server is frozen: the site moves on, the cache cannot follow yet.
    REQUIRE(::kill(serve->pid(), SIGSTOP) == 0);
    site_call(env, "update", json::object{{"type", "Shot"}, {"id", changed_id},
                                          {"fields", field_list({{"sg_status_list", json::value(new_status)}})}});
    auto created = site_call(env, "create", json::object{{"type", "Shot"},
                                                         {"fields", field_list({{"code", json::value("validate_new")},
                                                                                {"project", changed.at("project")}})}});
    const std::int64_t new_id = created.at("id").to_number<std::int64_t>();
    site_call(env, "create", json::object{{"type", "Shot"},
                                          {"fields", field_list({{"code", json::value("validate_new2")},
                                                                 {"project", changed.at("project")}})}});
    site_call(env, "delete", json::object{{"type", "Shot"}, {"id", retire_id}});

    // Counts: two creations and a retirement not in the cache yet are pending.
    const auto counts = run_cli({"validate", "counts", "--config", cfg, "--json", "Shot"});
    CHECK_MESSAGE(counts.status == 0, counts.out << counts.err);
    const auto row = counts.json().at("types").at(0).as_object();
    CHECK(row.at("status") == "pending");
    CHECK(row.at("difference") == 1);
    CHECK(row.at("pending").at("up").to_number<int>() >= 2);
    CHECK(row.at("pending").at("down").to_number<int>() >= 1);
    const auto table = run_cli({"validate", "counts", "--config", cfg, "Shot"});
    CHECK(table.status == 0);
    CHECK(table.out.find("pending") != std::string::npos);

    // Data: the three entities differ now; the check waits for the server, which resumes
    // meanwhile, and reads them again instead of reporting them.
    const std::string filters = "[[\"id\", \"in\", [" + std::to_string(changed_id) + ", " + std::to_string(new_id) + ", " +
                                std::to_string(retire_id) + "]]]";
    const std::string log = (env.dir / "validate-settle.log").string();
    test::child_process check({test::sgcache_binary(), "validate", "data", "--config", cfg, "--json", "Shot", "--filters",
                               filters, "--order", R"([{"field_name": "id", "direction": "asc"}])"},
                              log);
    std::this_thread::sleep_for(2s);
    REQUIRE(::kill(serve->pid(), SIGCONT) == 0);
    const auto status = check.wait(60s);
    REQUIRE(status);
    const std::string out = check.log();
    CHECK_MESSAGE(*status == 0, out);
    const auto json_line = out.substr(out.find('{'));
    const auto result = json::parse(json_line).as_object();
    const auto& type = result.at("types").at(0).as_object();
    CHECK(type.at("findings").as_array().empty());
    CHECK(type.at("reread").to_number<int>() >= 2);  // the changed and the created Shot
    // The retired one is not among the filtered entities on the site any more; a sample
    // with --filters does not look for strays (the cache cannot evaluate api3 filters).
    CHECK(json::serialize(type.at("notes")).find("--filters cannot be evaluated") != std::string::npos);

    // Without a server to catch up, a change is a real difference and is reported.
    REQUIRE(serve->stop(SIGTERM, 10s));
    site_call(env, "update", json::object{{"type", "Shot"}, {"id", changed_id},
                                          {"fields", field_list({{"sg_status_list", changed.at("sg_status_list")}})}});
    const auto stale = run_cli({"validate", "data", "--config", cfg, "--json", "Shot", "--fields", "sg_status_list,code"});
    CHECK(stale.status == 1);
    CHECK(stale.json().at("server_running") == false);
    std::map<finding_key, std::set<std::string>> fields;
    const auto found = findings_of(stale.json(), fields);
    CHECK(found == std::multiset<finding_key>{{"Shot", changed_id, "different"}});
    CHECK(fields[{"Shot", changed_id, "different"}] == std::set<std::string>{"sg_status_list"});
}

TEST_CASE("validate: help, malformed options and unusable caches give one clear line") {
    sync_env env({"--generate", "studio:300", "--seed", "45"}, {"Shot", "Asset"}, "");
    const std::string cfg = env.config_file.string();

    auto r = run_cli({"validate", "--help"});
    CHECK(r.status == 0);
    CHECK(r.out.find("sgcache validate counts") != std::string::npos);
    r = run_cli({"validate", "counts", "--help"});
    CHECK(r.status == 0);
    CHECK(r.out.find("PENDING") != std::string::npos);
    r = run_cli({"validate", "data", "--help"});
    CHECK(r.status == 0);
    CHECK(r.out.find("--filters JSON") != std::string::npos);
    CHECK(r.out.find("--repair") != std::string::npos);
    r = run_cli({"--help"});
    CHECK(r.out.find("validate") != std::string::npos);
    r = run_cli({"validate"});
    CHECK(r.status == 2);
    r = run_cli({"validate", "sizes"});
    CHECK(r.status == 2);
    CHECK(r.err == "sgcache validate: unknown check 'sizes' (counts or data; see --help)\n");

    const std::vector<std::pair<std::vector<std::string>, std::string>> bad{
        {{"--filters", "[[\"code\", \"is\""}, "sgcache validate data: --filters: not valid JSON"},
        {{"--filters", "[[\"code\", \"iss\", \"x\"]]"}, "sgcache validate data: --filters[0][1]: unknown relation 'iss'"},
        {{"--filters", "{\"code\": 1}"}, "sgcache validate data: --filters: expected a list of conditions"},
        {{"--order", "[{\"field_name\": \"id\", \"direction\": \"up\"}]"},
         "sgcache validate data: --order[0].direction: expected \"asc\" or \"desc\", got \"up\""},
        {{"--order", "id"}, "sgcache validate data: --order: not valid JSON"},
        {{"--fields", "code,,sg_status_list"}, "sgcache validate data: --fields: empty field name"},
        {{"--fields", "code,sg_nope"}, "sgcache validate data: --fields: 'sg_nope' is not a cached field of Asset"},
        {{"--limit", "0"}, "sgcache validate data: --limit: expected a whole number from 1 to 1000000, got '0'"},
        {{"--limit", "ten"}, "sgcache validate data: --limit: expected a whole number"},
        {{"--page", "-2"}, "sgcache validate data: --page: expected a whole number"},
        {{"--all", "--filters", "[]"}, "sgcache validate data: --filters selects a sample; --all and --full validate whole types"},
        {{"--all", "--full"}, "sgcache validate data: --all and --full exclude each other"},
        {{"--all", "--bucket", "50"}, "sgcache validate data: --bucket: bucket size 50 is not one of"},
        {{"--endpoint", "tcp://127.0.0.1:1"}, "sgcache validate data: --endpoint goes with --repair"},
        {{"Bogus"}, "sgcache validate data: 'Bogus' is not a configured entity type (configured: Asset, Shot)"},
        {{"--colour"}, "sgcache validate data: unknown option"},
    };
    for (const auto& [args, message] : bad) {
        std::vector<std::string> argv{"validate", "data", "--config", cfg};
        argv.insert(argv.end(), args.begin(), args.end());
        r = run_cli(argv);
        CAPTURE(args.front());
        CHECK(r.status == 2);
        CHECK_MESSAGE(r.err.rfind(message, 0) == 0, r.err);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one line
        CHECK(r.out.empty());
    }
    r = run_cli({"validate", "counts", "--config", cfg, "Bogus"});
    CHECK(r.status == 2);
    CHECK(r.err.find("'Bogus' is not a configured entity type") != std::string::npos);

    // sgcache serve never ran with this prefix: nothing to validate, said so.
    r = run_cli({"validate", "counts", "--config", cfg});
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.err.find("has sgcache serve run with this configuration") != std::string::npos, r.err);
    r = run_cli({"validate", "data", "--config", cfg});
    CHECK(r.status == 1);

    // A filter path the site does not know: the site's own message, for that type.
    auto serve = env.serve();
    env.converge(60s, serve.get());
    r = run_cli({"validate", "data", "--config", cfg, "Shot", "--filters", "[[\"sg_nope\", \"is\", 1]]"});
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.out.find("error: the site refused: API read() Shot.sg_nope doesn't exist.") != std::string::npos, r.out);
    // --fields, --order, --limit and --page select what they say.
    r = run_cli({"validate", "data", "--config", cfg, "--json", "Shot", "--fields", "code", "--order",
                 "[{\"field_name\": \"id\", \"direction\": \"asc\"}]", "--limit", "7", "--page", "2"});
    CHECK_MESSAGE(r.status == 0, r.out << r.err);
    CHECK(r.json().at("types").at(0).at("compared") == 7);
    serve->stop(SIGTERM, 10s);
}
