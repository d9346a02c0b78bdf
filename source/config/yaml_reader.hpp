// Reading YAML configuration with errors a person can act on: every error names the file,
// the line and the dotted key ("etc/config.yaml:12: shotgun.page_size: must be between 1
// and 5000, got 0"), unknown keys are refused with the closest known key, and values are
// never echoed for keys that hold secrets.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace sgcache::config {

/// Every configuration problem; what() is one line starting with "file:line:".
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Parses a YAML file; a syntax error becomes config_error with its line.
YAML::Node load_yaml_file(const std::string& file);

/// The closest of `candidates` to `word` (edit distance), or "" when none is close.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

/// A view of one YAML mapping that records which keys were read; finish() refuses the rest.
/// Reads go through a const node: operator[] on a non-const yaml-cpp node inserts keys.
class map_reader {
public:
    /// `path` is the dotted name of this mapping ("" at the top). Throws config_error when
    /// the node exists and is not a mapping.
    map_reader(const YAML::Node& node, std::string file, std::string path);

    bool has(const std::string& key) const;
    std::optional<std::string> text(const std::string& key);
    /// A string that must be present and not empty.
    std::string required_text(const std::string& key);
    std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max);
    std::optional<bool> boolean(const std::string& key);
    std::optional<std::vector<std::string>> text_list(const std::string& key);
    /// A duration given as an integer number of milliseconds ("..._ms" keys) or seconds.
    std::optional<std::chrono::milliseconds> millis(const std::string& key, std::int64_t min, std::int64_t max);
    /// One of `choices`.
    std::optional<std::string> choice(const std::string& key, const std::vector<std::string>& choices);
    /// A nested mapping (absent: an empty reader that reads nothing).
    map_reader child(const std::string& key);
    /// The raw node (for values with their own structure, such as filters); marks it read.
    YAML::Node raw(const std::string& key);

    /// Throws config_error for the first key that was never read.
    void finish() const;

    /// "file:line: path.key: what"
    [[noreturn]] void fail(const std::string& key, const std::string& what) const;
    std::string where(const std::string& key) const;

private:
    bool take(const std::string& key);
    YAML::Node scalar(const std::string& key) const;
    int line_of(const std::string& key) const;

    YAML::Node node_;
    std::string file_;
    std::string path_;
    int own_line_ = 0;  // the line of this mapping's key in its parent, when known
    std::set<std::string> read_;
    std::vector<std::string> known_;
};

}  // namespace sgcache::config

#include <boost/json/value.hpp>

namespace sgcache::config {

/// Converts YAML to JSON: mappings to objects, sequences to arrays, plain scalars to
/// null/bool/integer/number when they read as one (YAML 1.2 core schema), quoted scalars
/// to strings.
boost::json::value yaml_to_json(const YAML::Node& node);

}  // namespace sgcache::config
