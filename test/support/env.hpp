// What the test harness (scripts/test) tells the integration tests: where the OpenSearch
// node is and where the checkout is. Missing settings are test failures, never skips.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace sgcache::test {

inline std::string required_env(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) throw std::runtime_error(std::string(name) + " is not set: run the integration tests through ./scripts/test");
    return v;
}

/// The node scripts/test started: "http://127.0.0.1:PORT".
inline std::string es_url() { return required_env("SGCACHE_TEST_ES_URL"); }


inline std::string repo_root() {
    const char* v = std::getenv("SGCACHE_ROOT");
    return v && *v ? v : ".";
}

/// The engine of that node, "opensearch" (default) or "elasticsearch" (SGCACHE_TEST_ENGINE):
/// tests that start nodes of their own start the same engine.
inline std::string engine() {
    const char* v = std::getenv("SGCACHE_TEST_ENGINE");
    return v && *v ? v : "opensearch";
}

/// scripts/search-node and the options that pick the engine (and version, from
/// SGCACHE_TEST_ENGINE_VERSION when set) of this run: " start ..." follows.
inline std::string search_node_script() { return repo_root() + "/scripts/search-node"; }
inline std::string search_node_engine_options() {
    const char* v = std::getenv("SGCACHE_TEST_ENGINE_VERSION");
    return " --engine " + engine() + (v && *v ? std::string(" --version ") + v : std::string());
}

/// A name no other test (or earlier run) uses: "<prefix>-<pid>-<counter>-<time>".
inline std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    const auto t = std::chrono::system_clock::now().time_since_epoch() / std::chrono::milliseconds(1);
    return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" + std::to_string(t % 100000000);
}

}  // namespace sgcache::test
