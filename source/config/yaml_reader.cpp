#include "config/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>

namespace sgcache::config {

YAML::Node load_yaml_file(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw config_error(file + ": cannot read the configuration file");
    try {
        return YAML::Load(in);
    } catch (const YAML::ParserException& e) {
        throw config_error(file + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
    }
}

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
    // Levenshtein distance; a suggestion is offered when at most a third of the word differs.
    const auto distance = [](const std::string& a, const std::string& b) {
        std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            cur[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j) {
                const std::size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
                cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
            }
            std::swap(prev, cur);
        }
        return prev[b.size()];
    };
    std::string best;
    std::size_t best_d = std::max<std::size_t>(word.size() / 3, 2) + 1;
    for (const auto& c : candidates) {
        const std::size_t d = distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

map_reader::map_reader(const YAML::Node& node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) {
        throw config_error(file_ + ":" + std::to_string(node_.Mark().line + 1) + ": " +
                           (path_.empty() ? std::string("the top level") : path_) + ": expected a mapping of keys");
    }
}

std::string map_reader::where(const std::string& key) const {
    return file_ + ":" + std::to_string(line_of(key)) + ": " + (path_.empty() ? key : path_ + "." + key);
}

void map_reader::fail(const std::string& key, const std::string& what) const {
    throw config_error(where(key) + ": " + what);
}

int map_reader::line_of(const std::string& key) const {
    const YAML::Node& n = node_;
    if (n && n.IsMap()) {
        for (const auto& kv : n) {
            if (kv.first.Scalar() == key) return kv.first.Mark().line + 1;
        }
    }
    // An absent key: point at this mapping's own key in its parent ("shotgun:").
    if (own_line_ > 0) return own_line_;
    return n && n.IsMap() ? n.Mark().line + 1 : 1;
}

bool map_reader::take(const std::string& key) {
    // A key written with no value ("script_key:") is known and read, and counts as absent.
    known_.push_back(key);
    read_.insert(key);
    return has(key);
}

bool map_reader::has(const std::string& key) const {
    const YAML::Node& n = node_;
    return n && n.IsMap() && n[key] && !n[key].IsNull();
}

YAML::Node map_reader::scalar(const std::string& key) const {
    const YAML::Node& n = node_;
    YAML::Node v = n[key];
    if (v.IsMap() || v.IsSequence()) fail(key, "expected a single value, got a " + std::string(v.IsMap() ? "mapping" : "list"));
    return v;
}

std::optional<std::string> map_reader::text(const std::string& key) {
    if (!take(key)) return std::nullopt;
    return scalar(key).Scalar();
}

std::string map_reader::required_text(const std::string& key) {
    auto v = text(key);
    if (!v || v->empty()) fail(key, "is required");
    return *v;
}

std::optional<std::int64_t> map_reader::integer(const std::string& key, std::int64_t min, std::int64_t max) {
    if (!take(key)) return std::nullopt;
    const std::string s = scalar(key).Scalar();
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) fail(key, "expected an integer, got '" + s + "'");
    if (v < min || v > max) {
        fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + s);
    }
    return v;
}

std::optional<bool> map_reader::boolean(const std::string& key) {
    if (!take(key)) return std::nullopt;
    const std::string s = scalar(key).Scalar();
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
    fail(key, "expected true or false, got '" + s + "'");
}

std::optional<std::vector<std::string>> map_reader::text_list(const std::string& key) {
    if (!take(key)) return std::nullopt;
    const YAML::Node& n = node_;
    YAML::Node v = n[key];
    std::vector<std::string> out;
    if (v.IsScalar()) {
        out.push_back(v.Scalar());  // a single value is a list of one
        return out;
    }
    if (!v.IsSequence()) fail(key, "expected a list");
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (!v[i].IsScalar()) fail(key, "item " + std::to_string(i + 1) + " must be a single value");
        out.push_back(v[i].Scalar());
    }
    return out;
}

std::optional<std::chrono::milliseconds> map_reader::millis(const std::string& key, std::int64_t min, std::int64_t max) {
    auto v = integer(key, min, max);
    if (!v) return std::nullopt;
    const bool seconds = key.size() > 2 && key.compare(key.size() - 2, 2, "_s") == 0;
    return std::chrono::milliseconds(seconds ? *v * 1000 : *v);
}

std::optional<std::string> map_reader::choice(const std::string& key, const std::vector<std::string>& choices) {
    auto v = text(key);
    if (!v) return std::nullopt;
    if (std::find(choices.begin(), choices.end(), *v) == choices.end()) {
        std::string list;
        for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
        fail(key, "must be one of " + list + ", got '" + *v + "'");
    }
    return v;
}

map_reader map_reader::child(const std::string& key) {
    known_.push_back(key);
    read_.insert(key);
    const YAML::Node& n = node_;
    YAML::Node v = (n && n.IsMap()) ? n[key] : YAML::Node();
    map_reader child(v, file_, path_.empty() ? key : path_ + "." + key);
    child.own_line_ = line_of(key);
    return child;
}

YAML::Node map_reader::raw(const std::string& key) {
    known_.push_back(key);
    read_.insert(key);
    const YAML::Node& n = node_;
    return (n && n.IsMap()) ? YAML::Node(n[key]) : YAML::Node();
}

void map_reader::finish() const {
    const YAML::Node& n = node_;
    if (!n || !n.IsMap()) return;
    for (const auto& kv : n) {
        const std::string key = kv.first.Scalar();
        if (read_.count(key)) continue;
        std::string msg = file_ + ":" + std::to_string(kv.first.Mark().line + 1) + ": unknown key '" +
                          (path_.empty() ? key : path_ + "." + key) + "'";
        const std::string guess = closest(key, known_);
        if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
        throw config_error(msg);
    }
}

}  // namespace sgcache::config

namespace sgcache::config {

boost::json::value yaml_to_json(const YAML::Node& node) {
    namespace json = boost::json;
    if (!node || node.IsNull()) return nullptr;
    if (node.IsMap()) {
        json::object o;
        for (const auto& kv : node) o[kv.first.Scalar()] = yaml_to_json(kv.second);
        return o;
    }
    if (node.IsSequence()) {
        json::array a;
        for (const auto& item : node) a.push_back(yaml_to_json(item));
        return a;
    }
    const std::string& s = node.Scalar();
    if (node.Tag() == "!") return json::string(s);  // quoted: always a string
    if (s == "null" || s == "~" || s.empty()) return nullptr;
    if (s == "true") return true;
    if (s == "false") return false;
    std::int64_t i = 0;
    if (auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i); ec == std::errc{} && end == s.data() + s.size()) {
        return i;
    }
    double d = 0;
    if (auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d); ec == std::errc{} && end == s.data() + s.size()) {
        return d;
    }
    return json::string(s);
}

}  // namespace sgcache::config
