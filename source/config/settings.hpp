// sgcache's service configuration (etc/config.yaml): a plain struct of strings, numbers and
// durations, loaded and checked once at start-up, before the io_context runs.
//
// Every key, its meaning and its default are documented in etc/config.yaml itself.
#pragma once

#include "common/backoff.hpp"

#include <boost/json/array.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sgcache::config {

/// A secret (script key, password, API key, token): printing it shows "***", so a secret
/// that ends up in a message by mistake still does not leak.
class secret {
public:
    secret() = default;
    explicit secret(std::string v) : value_(std::move(v)) {}
    const std::string& reveal() const noexcept { return value_; }
    bool empty() const noexcept { return value_.empty(); }
    /// Where the value came from, for messages: "config.yaml", "$SGCACHE_SCRIPT_KEY", a file.
    std::string source;

private:
    std::string value_;
};

std::ostream& operator<<(std::ostream& os, const secret& s);

struct shotgun_settings {
    std::string url;
    std::string script_name;
    secret script_key;
    std::string ca_file;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds request_timeout{60'000};
    std::size_t max_in_flight = 8;
    std::size_t page_size = 500;
    retry_policy retry{6, std::chrono::milliseconds(500), std::chrono::milliseconds(30'000)};
};

struct elastic_settings {
    std::vector<std::string> hosts{"http://127.0.0.1:9200"};
    std::string username;
    secret password;
    secret api_key;
    std::string ca_file;
    bool verify_tls = true;
    std::chrono::milliseconds request_timeout{60'000};
    std::string index_prefix = "sgcache-";
    std::size_t bulk_max_docs = 1000;
    std::size_t bulk_max_bytes = 8u << 20;
    std::size_t bulk_in_flight = 3;
    /// Replicas of every index sgcache creates, from its creation on: a full download goes
    /// on when a node of a cluster is lost. One node: they stay unassigned and cost nothing.
    int replicas = 1;
    retry_policy retry{8, std::chrono::milliseconds(200), std::chrono::milliseconds(10'000)};
};

struct control_settings {
    std::string endpoint = "tcp://127.0.0.1:7571";
    secret token;
};

struct sync_settings {
    std::size_t snapshot_workers = 6;
    std::size_t snapshot_range_size = 2500;  // entities per range, about
    std::chrono::milliseconds event_poll_interval{1000};
    std::size_t event_batch_size = 5000;
    std::chrono::milliseconds gap_timeout{30 * 60 * 1000};
    std::chrono::milliseconds safety_scan_interval{5 * 60 * 1000};
    std::chrono::milliseconds safety_scan_overlap{60 * 1000};
    std::chrono::milliseconds lease_ttl{60 * 1000};
    bool keep_removed_types = false;
    /// How long SIGTERM/SIGINT may take: past it, serve exits without waiting for requests
    /// still in flight (what was acknowledged is persisted; the rest is read again).
    std::chrono::milliseconds stop_timeout{5 * 1000};
};

struct stats_settings {
    bool enabled = true;
    int retention_days = 30;
    std::chrono::milliseconds heartbeat_interval{60'000};
    std::size_t queue_size = 1000;  // documents waiting to be written; more are dropped and counted
};

struct metrics_settings {
    bool enabled = true;
    std::string listen = "127.0.0.1:9465";
    /// /readyz answers 503 while the follower lags more than this behind the site.
    std::chrono::milliseconds ready_max_lag{300'000};
};

struct proxy_settings {
    /// Where `sgcache proxy` listens for api3 clients.
    std::string listen = "127.0.0.1:8090";
    /// PEM certificate chain and key: both set, the proxy speaks HTTPS.
    std::string tls_cert_file;
    std::string tls_key_file;
    /// Reads of a type are forwarded while the cache lags more than this behind the site.
    std::chrono::milliseconds max_lag{30'000};
    /// How long a caller's verified credentials are trusted before the site is asked again.
    std::chrono::milliseconds auth_ttl{300'000};
    /// How often the proxy asks `sgcache serve` (its control socket) for each type's state.
    std::chrono::milliseconds status_interval{1'000};
    /// How long a forwarded write waits for the server to re-read what it wrote.
    std::chrono::milliseconds reread_timeout{10'000};
};

struct log_settings {
    std::string level = "info";   // debug, info, warning, error
    std::string format = "text";  // text or json
};

struct generate_settings {
    /// Field names (shell patterns with '*') left out of generated entity configs.
    std::vector<std::string> ignore_fields{"cached_display_name", "billboard", "pinned", "visible",
                                           "sg_uploaded_movie*", "image_source_entity", "image_blur_hash",
                                           "filmstrip_image"};
    /// Filters (list form) written into generated configs. Key "*": every type that has a
    /// `project` field; otherwise an entity type name. Default: skip archived projects.
    std::map<std::string, boost::json::array> default_filters = skip_archived_projects();

    static std::map<std::string, boost::json::array> skip_archived_projects();
};

struct settings {
    std::filesystem::path file;  // the file these came from
    shotgun_settings shotgun;
    elastic_settings elasticsearch;
    std::filesystem::path entity_config_dir = "entityConfig";  // resolved against the file's folder
    control_settings control;
    sync_settings sync;
    stats_settings stats;
    metrics_settings metrics;
    proxy_settings proxy;
    log_settings log;
    generate_settings generate;
};

/// Loads and checks a configuration file. Throws config_error with one line naming the
/// file, the line and the key for: YAML syntax errors, unknown keys, wrong types,
/// impossible values, malformed URLs, secrets given twice or read from a missing file or an
/// unset environment variable. Secret values never appear in messages.
settings load(const std::filesystem::path& file);

/// The default configuration file: $SGCACHE_CONFIG, else ./etc/config.yaml.
std::filesystem::path default_file();

}  // namespace sgcache::config
