// Loading etc/config.yaml: defaults, secrets, and one test per kind of mistake, each
// checking that the error names the file, the line and the key.
#include "config/reload.hpp"
#include "config/settings.hpp"
#include "config/yaml_reader.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace sgcache::config;
namespace fs = std::filesystem;

namespace {

// A config file in a fresh temporary folder, removed at the end of the test.
struct temp_config {
    fs::path dir;
    fs::path file;
    explicit temp_config(const std::string& text) {
        dir = fs::temp_directory_path() / ("sgct-config-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
        fs::create_directories(dir);
        file = dir / "config.yaml";
        std::ofstream(file) << text;
    }
    ~temp_config() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

const char* minimal = "shotgun:\n  url: https://studio.shotgrid.autodesk.com\n  script_name: sgcache\n  script_key: s3cr3t-key\n";

std::string error_of(const std::string& text) {
    temp_config c(text);
    try {
        load(c.file);
    } catch (const config_error& e) {
        std::string msg = e.what();
        // Report paths relative to the temp folder so that tests can compare exactly.
        const std::string prefix = c.file.string();
        if (msg.rfind(prefix, 0) == 0) msg = "config.yaml" + msg.substr(prefix.size());
        return msg;
    }
    return "loaded";
}

}  // namespace

TEST_CASE("config: a minimal file loads with documented defaults") {
    temp_config c(minimal);
    auto s = load(c.file);
    CHECK(s.shotgun.url == "https://studio.shotgrid.autodesk.com");
    CHECK(s.shotgun.script_key.reveal() == "s3cr3t-key");
    CHECK(s.shotgun.page_size == 500);
    CHECK(s.shotgun.max_in_flight == 8);
    CHECK(s.elasticsearch.hosts == std::vector<std::string>{"http://127.0.0.1:9200"});
    CHECK(s.elasticsearch.index_prefix == "sgcache-");
    CHECK(s.elasticsearch.replicas == 1);
    CHECK(s.control.endpoint == "tcp://127.0.0.1:7571");
    CHECK(s.sync.gap_timeout == std::chrono::minutes(30));
    CHECK(s.log.format == "text");
    CHECK(s.entity_config_dir == c.dir / "entityConfig");
    CHECK(s.generate.default_filters.count("*") == 1);
}

TEST_CASE("config: the shipped etc/config.yaml is valid and complete") {
    ::setenv("SGCACHE_SCRIPT_KEY", "from-env", 1);
    const char* root = std::getenv("SGCACHE_ROOT");
    auto s = load(fs::path(root ? root : ".") / "etc" / "config.yaml");
    ::unsetenv("SGCACHE_SCRIPT_KEY");
    CHECK(s.shotgun.script_key.reveal() == "from-env");
    CHECK(s.shotgun.script_key.source == "$SGCACHE_SCRIPT_KEY");
    CHECK(s.sync.safety_scan_interval == std::chrono::minutes(5));
    CHECK(s.generate.ignore_fields.size() == 8);
    CHECK(s.generate.default_filters.at("Project").size() == 1);
}

TEST_CASE("config error: YAML syntax") {
    CHECK(error_of("shotgun:\n  url: [unclosed\n").rfind("config.yaml:3: YAML syntax error", 0) == 0);
}

TEST_CASE("config error: empty file and missing section") {
    CHECK(error_of("") == "config.yaml:1: the configuration is empty");
    CHECK(error_of("log:\n  level: info\n").find("config.yaml:1: shotgun: is required") == 0);
}

TEST_CASE("config error: unknown top-level key, with a suggestion") {
    CHECK(error_of(std::string(minimal) + "elasticsearh:\n  hosts: [http://x:9200]\n") ==
          "config.yaml:5: unknown key 'elasticsearh' (did you mean 'elasticsearch'?)");
}

TEST_CASE("config error: unknown nested key names its line") {
    CHECK(error_of("shotgun:\n  url: https://s.example\n  script_name: a\n  script_key: b\n  page_sise: 10\n") ==
          "config.yaml:5: unknown key 'shotgun.page_sise' (did you mean 'page_size'?)");
}

TEST_CASE("config error: wrong type") {
    CHECK(error_of(std::string(minimal) + "  page_size: lots\n") ==
          "config.yaml:5: shotgun.page_size: expected an integer, got 'lots'");
    CHECK(error_of(std::string(minimal) + "stats:\n  enabled: maybe\n") ==
          "config.yaml:6: stats.enabled: expected true or false, got 'maybe'");
    CHECK(error_of(std::string(minimal) + "sync: 5\n") == "config.yaml:5: sync: expected a mapping of keys");
}

TEST_CASE("config error: impossible values") {
    CHECK(error_of(std::string(minimal) + "  page_size: 0\n") ==
          "config.yaml:5: shotgun.page_size: must be between 1 and 5000, got 0");
    CHECK(error_of(std::string(minimal) + "sync:\n  event_poll_interval_ms: 1\n") ==
          "config.yaml:6: sync.event_poll_interval_ms: must be between 50 and 3600000, got 1");
    CHECK(error_of(std::string(minimal) + "  retry:\n    initial_delay_ms: 5000\n    max_delay_ms: 100\n") ==
          "config.yaml:7: shotgun.retry.max_delay_ms: must not be smaller than initial_delay_ms");
    CHECK(error_of(std::string(minimal) + "elasticsearch:\n  index_prefix: Caps\n").find(
              "config.yaml:6: elasticsearch.index_prefix: may hold only") == 0);
    CHECK(error_of(std::string(minimal) + "elasticsearch:\n  replicas: 11\n") ==
          "config.yaml:6: elasticsearch.replicas: must be between 0 and 10, got 11");
    temp_config zero(std::string(minimal) + "elasticsearch:\n  replicas: 0\n");
    CHECK(load(zero.file).elasticsearch.replicas == 0);
}

TEST_CASE("config error: malformed URLs") {
    CHECK(error_of("shotgun:\n  url: studio.shotgrid.autodesk.com\n  script_name: a\n  script_key: b\n")
              .find("config.yaml:2: shotgun.url: malformed URL 'studio.shotgrid.autodesk.com'") == 0);
    CHECK(error_of(std::string(minimal) + "elasticsearch:\n  hosts:\n    - http://ok:9200\n    - ftp://no:21\n")
              .find("config.yaml:6: elasticsearch.hosts: malformed URL 'ftp://no:21'") == 0);
}

TEST_CASE("config error: a choice outside the list") {
    CHECK(error_of(std::string(minimal) + "log:\n  format: xml\n") ==
          "config.yaml:6: log.format: must be one of text, json, got 'xml'");
}

TEST_CASE("config error: control endpoint") {
    CHECK(error_of(std::string(minimal) + "control:\n  endpoint: 127.0.0.1:7571\n") ==
          "config.yaml:6: control.endpoint: must look like tcp://127.0.0.1:7571, got '127.0.0.1:7571'");
    CHECK(error_of(std::string(minimal) + "control:\n  endpoint: tcp://127.0.0.1:99999\n") ==
          "config.yaml:6: control.endpoint: the port must be between 1 and 65535, got '99999'");
}

TEST_CASE("config error: a secret given twice, from a missing variable or a missing file") {
    CHECK(error_of("shotgun:\n  url: https://s.example\n  script_name: a\n  script_key: b\n  script_key_env: X\n") ==
          "config.yaml:4: shotgun.script_key: give only one of script_key, script_key_env and script_key_file");
    ::unsetenv("SGCACHE_TEST_UNSET_VARIABLE");
    CHECK(error_of("shotgun:\n  url: https://s.example\n  script_name: a\n  script_key_env: SGCACHE_TEST_UNSET_VARIABLE\n") ==
          "config.yaml:4: shotgun.script_key_env: the environment variable SGCACHE_TEST_UNSET_VARIABLE is not set");
    CHECK(error_of("shotgun:\n  url: https://s.example\n  script_name: a\n  script_key_file: missing.key\n")
              .find("config.yaml:4: shotgun.script_key_file: cannot read") == 0);
    CHECK(error_of("shotgun:\n  url: https://s.example\n  script_name: a\n") ==
          "config.yaml:1: shotgun.script_key: is required (script_key, script_key_env or script_key_file)");
}

TEST_CASE("config: a key file is read relative to the config, without its trailing newline") {
    temp_config c("shotgun:\n  url: https://s.example\n  script_name: a\n  script_key_file: script.key\n");
    std::ofstream(c.dir / "script.key") << "key-from-file\n";
    auto s = load(c.file);
    CHECK(s.shotgun.script_key.reveal() == "key-from-file");
    CHECK(s.shotgun.script_key.source == (c.dir / "script.key").string());
}

TEST_CASE("config error: secrets never appear in messages") {
    const std::string msg = error_of("shotgun:\n  url: https://s.example\n  script_name: a\n  script_key: hunter2-key\n"
                                     "elasticsearch:\n  username: u\n  password: pw-hunter3\n  api_key: k-hunter4\n");
    CHECK(msg.find("give either username and password or api_key") != std::string::npos);
    CHECK(msg.find("hunter") == std::string::npos);
    std::ostringstream os;
    os << secret("hunter5");
    CHECK(os.str() == "***");
}

TEST_CASE("config error: elasticsearch auth mistakes") {
    CHECK(error_of(std::string(minimal) + "elasticsearch:\n  password: p\n") ==
          "config.yaml:6: elasticsearch.password: a password needs a username");
}

TEST_CASE("config error: malformed default filters name the type and the element") {
    CHECK(error_of(std::string(minimal) + "generate:\n  default_filters:\n    Shot:\n      - [code, iss, x]\n") ==
          "config.yaml:7: generate.default_filters.Shot: filters[0][1]: unknown relation 'iss'");
}

TEST_CASE("closest suggests only near matches") {
    CHECK(closest("elasticsearh", {"shotgun", "elasticsearch", "sync"}) == "elasticsearch");
    CHECK(closest("zzz", {"shotgun", "elasticsearch"}).empty());
    CHECK(closest("Tsk", {"Task", "Shot", "Asset"}) == "Task");
}

TEST_CASE("config reload: live keys apply, keys read once need a restart, secrets are compared not printed") {
    settings a;
    a.shotgun.url = "https://a.example.com";
    a.shotgun.script_key = secret("k1");
    settings b = a;
    auto c = compare_for_reload(a, b);
    CHECK(c.need_restart.empty());
    CHECK(c.live.empty());
    b.sync.event_poll_interval = std::chrono::milliseconds(300);
    b.log.level = "debug";
    b.shotgun.page_size = 200;
    b.metrics.ready_max_lag = std::chrono::milliseconds(1000);
    c = compare_for_reload(a, b);
    CHECK(c.need_restart.empty());
    CHECK(c.live == std::vector<std::string>{"shotgun.page_size", "sync.event_poll_interval_ms",
                                             "metrics.ready_max_lag_s", "log.level"});
    apply_live(a, b);
    CHECK(a.sync.event_poll_interval == std::chrono::milliseconds(300));
    CHECK(a.log.level == "debug");
    CHECK(a.shotgun.page_size == 200);
    CHECK(compare_for_reload(a, b).live.empty());
    b.shotgun.script_key = secret("k2");
    b.elasticsearch.hosts = {"http://other:9200"};
    b.metrics.listen = "0.0.0.0:9465";
    b.control.token = secret("t");
    c = compare_for_reload(a, b);
    CHECK(c.need_restart == std::vector<std::string>{"shotgun.script_key", "elasticsearch.hosts", "control.token",
                                                     "metrics.listen"});
    for (const auto& k : c.need_restart) CHECK(k.find("k2") == std::string::npos);
}
