// One sync scenario for integration tests: a fake Shotgun site with a generated studio, a
// prefix of its own in the OpenSearch node, entity configs generated from the site's schema,
// a configuration file, and helpers to run `sgcache serve`, the workload driver and the
// convergence check. It removes its indices and files at the end.
#pragma once

#include "config/entity_config.hpp"
#include "elastic/client.hpp"
#include "shotgun/client.hpp"
#include "support/child_process.hpp"
#include "support/convergence.hpp"
#include "support/fake_site.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sgcache::test {

extern const char* reader_key;
extern const char* writer_key;
extern const char* silent_key;

struct sync_env {
    std::filesystem::path dir;
    std::string prefix;
    std::string es_url;
    std::unique_ptr<fake_site> site;
    boost::asio::io_context ioc;
    std::unique_ptr<shotgun::client> sg;      // the sgcache script: reads
    std::unique_ptr<shotgun::client> writer;  // the writer script: test writes make events
    std::unique_ptr<elastic::client> es;
    std::vector<config::entity_config> configs;
    std::filesystem::path config_file;
    int serve_runs = 0;
    int control_port = 0;  // when the environment chose one

    /// `sync_yaml` is appended under `sync:`; `extra_yaml` at the top level of the config.
    /// `es`: the cluster's URL (default: the suite's node), or several, "URL, URL, ...".
    sync_env(std::vector<std::string> site_args, const std::vector<std::string>& types, const std::string& sync_yaml,
             std::string es = "", const std::string& extra_yaml = "");
    ~sync_env();

    void reload_configs();
    /// Writes entityConfig/<type>.yaml generated from the site's schema (as the constructor
    /// does for its types); call reload_configs() to check against it.
    void write_entity_config(const std::string& type);
    std::unique_ptr<child_process> serve();
    /// `sgcache serve` with a copy of the configuration whose Elasticsearch host is `es`
    /// (a proxy in front of the node, say).
    std::unique_ptr<child_process> serve_through(const std::string& es, const std::string& name);
    std::unique_ptr<child_process> driver(double rate, int seed, double seconds, const char* script = "writer",
                                          const char* key = nullptr, const std::string& mix = "");
    /// REQUIREs convergence within `limit` (prints the serve log tail when it fails).
    void converge(std::chrono::seconds limit, const child_process* serve = nullptr);
    std::string active_index(const std::string& type);
    boost::json::object state_doc(const std::string& id);
    /// An api3 call as the writer script ("create", "update", "delete", "revive"); its result.
    boost::json::value site_call(const std::string& method, boost::json::object payload);
    /// `create` of one entity with the given field values; its id.
    std::int64_t create(const std::string& type, const boost::json::object& fields);
    /// `update` of one entity's fields.
    void update(const std::string& type, std::int64_t id, const boost::json::object& fields);
    /// The lowest id of a type on the site (REQUIREs one).
    std::int64_t first_id(const std::string& type);
    /// GET /_admin/stats of the fake site.
    boost::json::object site_stats();
    /// POST /_admin/release: the answers the `hold` fault held back go out.
    void release_held();
    /// POST /_admin/faults on the fake site.
    void set_faults(const std::string& json);
    /// Back to a site without faults (POST /_admin/faults/reset).
    void reset_faults();
    static std::string tail(const std::string& s, std::size_t n);

private:
    static void admin_post(const fake_site& site, boost::asio::io_context& ioc, const std::string& path,
                           const std::string& body);
};

/// A loopback TCP port that was free a moment ago (for a server a test is about to start),
/// from below the kernel's ephemeral range, so that no bind to port 0 or outgoing connection
/// can take it in the meantime; a new one on every call.
int free_port();

/// Waits until `pred` holds, polling every 100 ms; false when `limit` passes first.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit);

}  // namespace sgcache::test
