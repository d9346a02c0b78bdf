#include "app/cli.hpp"

#include "config/yaml_reader.hpp"

namespace sgcache::app {

parsed_args parse_args(const std::vector<std::string>& args, const std::vector<option_spec>& specs) {
    parsed_args out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            out.flags.insert("--help");
            continue;
        }
        if (a == "--") {
            for (++i; i < args.size(); ++i) out.positional.push_back(args[i]);
            break;
        }
        if (a.size() < 2 || a[0] != '-') {
            out.positional.push_back(a);
            continue;
        }
        std::string name = a, value;
        bool inline_value = false;
        if (auto eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
            name = a.substr(0, eq);
            value = a.substr(eq + 1);
            inline_value = true;
        }
        const option_spec* spec = nullptr;
        for (const auto& s : specs) {
            if (s.name == name) spec = &s;
        }
        if (!spec) {
            std::vector<std::string> names;
            for (const auto& s : specs) names.push_back(s.name);
            std::string msg = "unknown option '" + name + "'";
            const std::string guess = config::closest(name, names);
            if (!guess.empty()) msg += " (did you mean " + guess + "?)";
            throw usage_error(msg);
        }
        if (!spec->takes_value) {
            if (inline_value) throw usage_error("option " + name + " takes no value");
            out.flags.insert(name);
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= args.size()) throw usage_error("option " + name + " needs a value");
            value = args[++i];
        }
        out.values[name] = value;
    }
    return out;
}

}  // namespace sgcache::app
