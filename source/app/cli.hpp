// A small command-line parser for sgcache's commands: --name VALUE, --name=VALUE, flags,
// and positional arguments. Errors are one line naming the command and the culprit.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace sgcache::app {

/// A usage error: print it with the command's name and exit with status 2.
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct option_spec {
    std::string name;      // "--config"
    bool takes_value = false;
};

struct parsed_args {
    std::map<std::string, std::string> values;  // options with values (last one wins)
    std::set<std::string> flags;                // flags given
    std::vector<std::string> positional;

    bool flag(const std::string& name) const { return flags.count(name) > 0; }
    std::optional<std::string> value(const std::string& name) const {
        auto it = values.find(name);
        if (it == values.end()) return std::nullopt;
        return it->second;
    }
};

/// Parses args (without the program and command names). "--help"/"-h" set the "--help"
/// flag. Throws usage_error for an unknown option or a missing value.
parsed_args parse_args(const std::vector<std::string>& args, const std::vector<option_spec>& specs);

}  // namespace sgcache::app
