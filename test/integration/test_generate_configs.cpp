// generate-entity-configs end to end: the schema read from a fake site (the project's studio
// schema, and the real 77-type schema from ../shared/data), configs written and read back,
// and an index created in the real OpenSearch node from every generated config.
#include "config/entity_config.hpp"
#include "elastic/client.hpp"
#include "shotgun/client.hpp"
#include "shotgun/schema.hpp"
#include "support/env.hpp"
#include "support/fake_site.hpp"
#include "support/run_coro.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace sgcache;
using test::run_coro;

namespace {

const std::string real_schema = test::repo_root() + "/../shared/data/shotgun-schema.json";

shotgun::site_schema read_schema(asio::io_context& ioc, const test::fake_site& site) {
    shotgun::client_config cfg;
    cfg.url = site.url();
    cfg.auth = {"sgcache", "gen-key", ""};
    shotgun::client sg(ioc.get_executor(), cfg);
    auto fields = run_coro(ioc, sg.schema_read());
    auto entities = run_coro(ioc, sg.schema_entity_read());
    return shotgun::parse_schema(fields, entities);
}

// For every type: generate, write, load back (same hash), create the index, delete it.
// Returns the number of types whose index ES accepted.
int generate_and_index_all(asio::io_context& ioc, const shotgun::site_schema& schema) {
    const fs::path dir = fs::temp_directory_path() / test::unique_name("sgct-gen");
    fs::create_directories(dir);
    elastic::client_config es_cfg;
    es_cfg.hosts = {test::es_url()};
    elastic::client es(ioc.get_executor(), es_cfg);
    const std::string prefix = test::unique_name("sgct-gen");
    int accepted = 0;
    for (const auto& [name, type] : schema.types) {
        auto cfg = config::generate(type, config::generate_settings{});
        const fs::path file = dir / (name + ".yaml");
        std::ofstream(file) << config::to_yaml(cfg, "test");
        auto loaded = config::load_entity_config(file);
        CHECK_MESSAGE(loaded.hash() == cfg.hash(), name);
        std::string index = prefix + "-";
        for (char c : name) index += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        try {
            run_coro(ioc, es.create_index(index, config::index_body(loaded, 1, 0, "-1")));
            ++accepted;
            run_coro(ioc, es.delete_index(index));
        } catch (const std::exception& e) {
            FAIL_CHECK(name << ": " << e.what());
        }
    }
    fs::remove_all(dir);
    return accepted;
}

int run_sgcache(const std::vector<std::string>& args, std::string& output) {
    const char* build = std::getenv("SGCACHE_BUILD_DIR");
    std::string cmd = std::string(build && *build ? build : test::repo_root() + "/build") + "/source/sgcache";
    for (const auto& a : args) cmd += " '" + a + "'";
    cmd += " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    output.clear();
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) output += buf;
    const int status = ::pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("generated configs for the studio schema create valid indices") {
    test::fake_site site({"--script", "sgcache:gen-key"});
    asio::io_context ioc;
    auto schema = read_schema(ioc, site);
    REQUIRE(schema.types.size() >= 13);
    for (const char* t : {"Project", "HumanUser", "Shot", "Asset", "Task", "Version", "Note", "Playlist", "EventLogEntry"}) {
        CHECK_MESSAGE(schema.types.count(t), t);
    }
    CHECK(generate_and_index_all(ioc, schema) == static_cast<int>(schema.types.size()));
}

TEST_CASE("generated configs for every type of the real 77-type schema create valid indices") {
    REQUIRE_MESSAGE(fs::exists(real_schema), "missing " << real_schema);
    test::fake_site site({"--script", "sgcache:gen-key", "--schema", real_schema});
    asio::io_context ioc;
    auto schema = read_schema(ioc, site);
    REQUIRE(schema.types.size() == 77);
    CHECK(schema.types.at("CustomEntity01").display_name == "Disk Location");
    CHECK(generate_and_index_all(ioc, schema) == 77);

    // Pivot columns and passwords of the real schema are left out with their reason.
    auto project = config::generate(schema.types.at("Project"), config::generate_settings{});
    bool step_excluded = false;
    for (const auto& e : project.excluded) step_excluded |= e.name == "step_0";
    CHECK(step_excluded);
    auto user = config::generate(schema.types.at("HumanUser"), config::generate_settings{});
    for (const auto& f : user.fields) CHECK(f.data_type != "password");
}

TEST_CASE("sgcache generate-entity-configs: --all, refusing to overwrite, --force, unknown types") {
    test::fake_site site({"--script", "sgcache:gen-key", "--schema", real_schema});
    const fs::path dir = fs::temp_directory_path() / test::unique_name("sgct-gencli");
    fs::create_directories(dir);
    std::ofstream(dir / "config.yaml") << "shotgun:\n  url: " << site.url()
                                       << "\n  script_name: sgcache\n  script_key_file: key\nentity_config_dir: out\n";
    std::ofstream(dir / "key") << "gen-key\n";
    const std::string config = (dir / "config.yaml").string();
    std::string out;

    CHECK(run_sgcache({"generate-entity-configs", "--config", config, "--all"}, out) == 0);
    int files = 0;
    for (const auto& e : fs::directory_iterator(dir / "out")) files += e.path().extension() == ".yaml";
    CHECK(files == 77);
    CHECK(out.find("wrote ") != std::string::npos);
    CHECK(out.find("gen-key") == std::string::npos);

    // Again without --force: refused, nothing rewritten.
    const auto before = fs::last_write_time(dir / "out" / "Shot.yaml");
    CHECK(run_sgcache({"generate-entity-configs", "--config", config, "Shot", "Asset"}, out) == 1);
    CHECK(out.find("already exist") != std::string::npos);
    CHECK(out.find("nothing written (use --force to overwrite)") != std::string::npos);
    CHECK(fs::last_write_time(dir / "out" / "Shot.yaml") == before);

    CHECK(run_sgcache({"generate-entity-configs", "--config", config, "--force", "Shot"}, out) == 0);
    CHECK(out.find("Shot.yaml") != std::string::npos);

    // A typo and a display name: refused with the closest API names, nothing written.
    CHECK(run_sgcache({"generate-entity-configs", "--config", config, "--output", (dir / "x").string(), "Shott"}, out) == 2);
    CHECK(out.find("the site has no entity type 'Shott' (did you mean Shot?)") != std::string::npos);
    CHECK(run_sgcache({"generate-entity-configs", "--config", config, "--output", (dir / "x").string(), "Disk Location"},
                      out) == 2);
    CHECK(out.find("is the display name of CustomEntity01") != std::string::npos);
    CHECK(!fs::exists(dir / "x" / "Shott.yaml"));

    // Usage errors.
    CHECK(run_sgcache({"generate-entity-configs", "--config", config}, out) == 2);
    CHECK(run_sgcache({"generate-entity-configs", "--config", config, "--all", "Shot"}, out) == 2);
    CHECK(run_sgcache({"generate-entity-configs", "--config", (dir / "missing.yaml").string(), "Shot"}, out) == 1);
    CHECK(out.find("missing.yaml: cannot read the configuration file") != std::string::npos);

    // Wrong key: a clear authentication error, and the key is not printed.
    std::ofstream(dir / "key") << "wrong-key\n";
    CHECK(run_sgcache({"generate-entity-configs", "--config", config, "--force", "Shot"}, out) == 1);
    CHECK(out.find("fault 102") != std::string::npos);
    CHECK(out.find("wrong-key") == std::string::npos);
    fs::remove_all(dir);
}
