#include "config/settings.hpp"

#include "config/yaml_reader.hpp"
#include "http/url.hpp"
#include "shotgun/filters.hpp"

#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>

namespace sgcache::config {

namespace json = boost::json;

std::ostream& operator<<(std::ostream& os, const secret&) { return os << "***"; }

std::map<std::string, json::array> generate_settings::skip_archived_projects() {
    std::map<std::string, json::array> out;
    out["*"] = json::array{json::array{"project.Project.archived", "is_not", true}};
    out["Project"] = json::array{json::array{"archived", "is_not", true}};
    return out;
}

namespace {

// A secret may be written inline (<name>), named by an environment variable (<name>_env)
// or read from a file (<name>_file); at most one of the three.
secret read_secret(map_reader& m, const std::string& name, const std::filesystem::path& base) {
    const auto inline_value = m.text(name);
    const auto env = m.text(name + "_env");
    const auto file = m.text(name + "_file");
    const int given = int(inline_value.has_value()) + int(env.has_value()) + int(file.has_value());
    if (given > 1) m.fail(name, "give only one of " + name + ", " + name + "_env and " + name + "_file");
    if (inline_value) {
        secret s(*inline_value);
        s.source = m.where(name);
        return s;
    }
    if (env) {
        const char* v = std::getenv(env->c_str());
        if (!v || !*v) m.fail(name + "_env", "the environment variable " + *env + " is not set");
        secret s(v);
        s.source = "$" + *env;
        return s;
    }
    if (file) {
        std::filesystem::path p = *file;
        if (p.is_relative()) p = base / p;
        std::ifstream in(p);
        if (!in) m.fail(name + "_file", "cannot read " + p.string());
        std::stringstream ss;
        ss << in.rdbuf();
        std::string v = ss.str();
        // Key files usually end with a newline; it is not part of the key.
        while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) v.pop_back();
        if (v.empty()) m.fail(name + "_file", p.string() + " is empty");
        secret s(v);
        s.source = p.string();
        return s;
    }
    return {};
}

void check_url(map_reader& m, const std::string& key, const std::string& url) {
    try {
        http::parse_endpoint(url);
    } catch (const std::invalid_argument& e) {
        m.fail(key, e.what());
    }
}

std::string resolve(const std::filesystem::path& base, const std::string& p) {
    if (p.empty()) return p;
    std::filesystem::path path = p;
    return path.is_relative() ? (base / path).lexically_normal().string() : p;
}

retry_policy read_retry(map_reader m, retry_policy def) {
    if (auto v = m.integer("max_attempts", 0, 1000)) def.max_attempts = static_cast<int>(*v);
    if (auto v = m.millis("initial_delay_ms", 1, 600'000)) def.initial_delay = *v;
    if (auto v = m.millis("max_delay_ms", 1, 3'600'000)) def.max_delay = *v;
    if (def.max_delay < def.initial_delay) m.fail("max_delay_ms", "must not be smaller than initial_delay_ms");
    m.finish();
    return def;
}

void read_shotgun(map_reader m, shotgun_settings& s, const std::filesystem::path& base) {
    s.url = m.required_text("url");
    check_url(m, "url", s.url);
    s.script_name = m.required_text("script_name");
    s.script_key = read_secret(m, "script_key", base);
    if (s.script_key.empty()) m.fail("script_key", "is required (script_key, script_key_env or script_key_file)");
    if (auto v = m.text("ca_file")) s.ca_file = resolve(base, *v);
    if (auto v = m.millis("connect_timeout_ms", 100, 600'000)) s.connect_timeout = *v;
    if (auto v = m.millis("request_timeout_ms", 100, 3'600'000)) s.request_timeout = *v;
    if (auto v = m.integer("max_in_flight", 1, 64)) s.max_in_flight = static_cast<std::size_t>(*v);
    if (auto v = m.integer("page_size", 1, 5000)) s.page_size = static_cast<std::size_t>(*v);
    s.retry = read_retry(m.child("retry"), s.retry);
    m.finish();
}

void read_elastic(map_reader m, elastic_settings& s, const std::filesystem::path& base) {
    if (auto hosts = m.text_list("hosts")) {
        if (hosts->empty()) m.fail("hosts", "needs at least one URL");
        for (const auto& h : *hosts) check_url(m, "hosts", h);
        s.hosts = *hosts;
    }
    if (auto v = m.text("username")) s.username = *v;
    s.password = read_secret(m, "password", base);
    s.api_key = read_secret(m, "api_key", base);
    if (!s.api_key.empty() && (!s.username.empty() || !s.password.empty())) {
        m.fail("api_key", "give either username and password or api_key, not both");
    }
    if (!s.password.empty() && s.username.empty()) m.fail("password", "a password needs a username");
    if (auto v = m.text("ca_file")) s.ca_file = resolve(base, *v);
    if (auto v = m.boolean("verify_tls")) s.verify_tls = *v;
    if (auto v = m.millis("request_timeout_ms", 100, 3'600'000)) s.request_timeout = *v;
    if (auto v = m.text("index_prefix")) {
        for (char c : *v) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
            if (!ok) m.fail("index_prefix", "may hold only lower-case letters, digits, '-', '_' and '.'");
        }
        if (!v->empty() && (v->front() == '-' || v->front() == '_' || v->front() == '.')) {
            m.fail("index_prefix", "must not start with '-', '_' or '.'");
        }
        s.index_prefix = *v;
    }
    if (auto v = m.integer("replicas", 0, 10)) s.replicas = static_cast<int>(*v);
    auto bulk = m.child("bulk");
    if (auto v = bulk.integer("max_docs", 1, 100'000)) s.bulk_max_docs = static_cast<std::size_t>(*v);
    if (auto v = bulk.integer("max_bytes", 1024, 512ll << 20)) s.bulk_max_bytes = static_cast<std::size_t>(*v);
    if (auto v = bulk.integer("in_flight", 1, 32)) s.bulk_in_flight = static_cast<std::size_t>(*v);
    bulk.finish();
    s.retry = read_retry(m.child("retry"), s.retry);
    m.finish();
}

void read_control(map_reader m, control_settings& s, const std::filesystem::path& base) {
    if (auto v = m.text("endpoint")) {
        // tcp://HOST:PORT only: ipc and inproc endpoints behave differently under ZMQ_FD.
        const auto colon = v->rfind(':');
        if (v->rfind("tcp://", 0) != 0 || colon == std::string::npos || colon < 6) {
            m.fail("endpoint", "must look like tcp://127.0.0.1:7571, got '" + *v + "'");
        }
        const std::string port = v->substr(colon + 1);
        if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || std::stol(port) < 1 ||
            std::stol(port) > 65535) {
            m.fail("endpoint", "the port must be between 1 and 65535, got '" + port + "'");
        }
        s.endpoint = *v;
    }
    s.token = read_secret(m, "token", base);
    m.finish();
}

void read_sync(map_reader m, sync_settings& s) {
    if (auto v = m.integer("snapshot_workers", 1, 64)) s.snapshot_workers = static_cast<std::size_t>(*v);
    if (auto v = m.integer("snapshot_range_size", 1, 10'000'000)) s.snapshot_range_size = static_cast<std::size_t>(*v);
    if (auto v = m.millis("event_poll_interval_ms", 50, 3'600'000)) s.event_poll_interval = *v;
    if (auto v = m.integer("event_batch_size", 1, 50000)) s.event_batch_size = static_cast<std::size_t>(*v);
    if (auto v = m.millis("gap_timeout_s", 1, 7 * 24 * 3600)) s.gap_timeout = *v;
    if (auto v = m.millis("safety_scan_interval_s", 0, 7 * 24 * 3600)) s.safety_scan_interval = *v;
    if (auto v = m.millis("safety_scan_overlap_s", 0, 24 * 3600)) s.safety_scan_overlap = *v;
    if (auto v = m.millis("lease_ttl_s", 5, 24 * 3600)) s.lease_ttl = *v;
    if (auto v = m.boolean("keep_removed_types")) s.keep_removed_types = *v;
    if (auto v = m.millis("stop_timeout_s", 1, 3600)) s.stop_timeout = *v;
    m.finish();
}

void read_generate(map_reader m, generate_settings& s, const std::string& file) {
    if (auto v = m.text_list("ignore_fields")) s.ignore_fields = *v;
    YAML::Node filters = m.raw("default_filters");
    if (filters && !filters.IsNull()) {
        if (!filters.IsMap()) m.fail("default_filters", "expected a mapping of entity type (or \"*\") to a filter list");
        s.default_filters.clear();  // given: replaces the defaults entirely
        for (const auto& kv : filters) {
            const std::string type = kv.first.Scalar();
            const std::string at = file + ":" + std::to_string(kv.first.Mark().line + 1) +
                                   ": generate.default_filters." + type;
            json::value list = yaml_to_json(kv.second);
            try {
                shotgun::from_list_form(list);  // checks the grammar now, not at generation time
            } catch (const std::invalid_argument& e) {
                throw config_error(at + ": " + e.what());
            }
            if (!list.is_array()) throw config_error(at + ": expected a list of filters");
            s.default_filters[type] = list.get_array();
        }
    }
    m.finish();
}

}  // namespace

std::filesystem::path default_file() {
    if (const char* v = std::getenv("SGCACHE_CONFIG"); v && *v) return v;
    return "etc/config.yaml";
}

settings load(const std::filesystem::path& file) {
    settings out;
    out.file = file;
    const std::string name = file.string();
    const std::filesystem::path base = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    YAML::Node root = load_yaml_file(name);
    if (!root || root.IsNull()) throw config_error(name + ":1: the configuration is empty");
    map_reader top(root, name, "");

    if (!top.has("shotgun")) top.fail("shotgun", "is required (the site URL and script credentials)");
    read_shotgun(top.child("shotgun"), out.shotgun, base);
    read_elastic(top.child("elasticsearch"), out.elasticsearch, base);
    if (auto v = top.text("entity_config_dir")) out.entity_config_dir = *v;
    if (out.entity_config_dir.is_relative()) out.entity_config_dir = (base / out.entity_config_dir).lexically_normal();
    read_control(top.child("control"), out.control, base);
    read_sync(top.child("sync"), out.sync);

    auto stats = top.child("stats");
    if (auto v = stats.boolean("enabled")) out.stats.enabled = *v;
    if (auto v = stats.integer("retention_days", 1, 3650)) out.stats.retention_days = static_cast<int>(*v);
    if (auto v = stats.millis("heartbeat_interval_s", 1, 24 * 3600)) out.stats.heartbeat_interval = *v;
    if (auto v = stats.integer("queue_size", 1, 1'000'000)) out.stats.queue_size = static_cast<std::size_t>(*v);
    stats.finish();

    auto metrics = top.child("metrics");
    if (auto v = metrics.boolean("enabled")) out.metrics.enabled = *v;
    if (auto v = metrics.text("listen")) {
        if (v->find(':') == std::string::npos) metrics.fail("listen", "must look like 127.0.0.1:9465, got '" + *v + "'");
        out.metrics.listen = *v;
    }
    if (auto v = metrics.millis("ready_max_lag_s", 1, 7 * 24 * 3600)) out.metrics.ready_max_lag = *v;
    metrics.finish();

    auto proxy = top.child("proxy");
    if (auto v = proxy.text("listen")) {
        if (v->find(':') == std::string::npos) proxy.fail("listen", "must look like 127.0.0.1:8090, got '" + *v + "'");
        out.proxy.listen = *v;
    }
    if (auto v = proxy.text("tls_cert_file")) out.proxy.tls_cert_file = (base / *v).lexically_normal().string();
    if (auto v = proxy.text("tls_key_file")) out.proxy.tls_key_file = (base / *v).lexically_normal().string();
    if (out.proxy.tls_cert_file.empty() != out.proxy.tls_key_file.empty()) {
        proxy.fail(out.proxy.tls_cert_file.empty() ? "tls_key_file" : "tls_cert_file",
                   "needs its pair: HTTPS takes both tls_cert_file and tls_key_file");
    }
    if (auto v = proxy.millis("max_lag_s", 1, 7 * 24 * 3600)) out.proxy.max_lag = *v;
    if (auto v = proxy.millis("auth_ttl_s", 1, 24 * 3600)) out.proxy.auth_ttl = *v;
    if (auto v = proxy.millis("status_interval_ms", 50, 60'000)) out.proxy.status_interval = *v;
    if (auto v = proxy.millis("reread_timeout_s", 1, 600)) out.proxy.reread_timeout = *v;
    proxy.finish();

    auto log = top.child("log");
    if (auto v = log.choice("level", {"debug", "info", "warning", "error"})) out.log.level = *v;
    if (auto v = log.choice("format", {"text", "json"})) out.log.format = *v;
    log.finish();

    read_generate(top.child("generate"), out.generate, name);
    top.finish();
    return out;
}

}  // namespace sgcache::config
