#include "observe/prometheus.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace sgcache::observe {

namespace {

bool name_char(char c, bool first, bool colon) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
    if (colon && c == ':') return true;
    return !first && c >= '0' && c <= '9';
}

// HELP text escapes only backslash and newline (quotes are fine there).
std::string escape_help(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string_view type_name(metric_type t) {
    switch (t) {
        case metric_type::counter: return "counter";
        case metric_type::gauge: return "gauge";
        case metric_type::histogram: return "histogram";
    }
    return "untyped";
}

void append_labels(std::string& out, const labels& l, const std::pair<std::string, std::string>* extra) {
    if (l.empty() && !extra) return;
    out += '{';
    bool first = true;
    auto add = [&](const std::string& k, const std::string& v) {
        if (!first) out += ',';
        first = false;
        out += k;
        out += "=\"";
        out += escape_label_value(v);
        out += '"';
    };
    for (const auto& [k, v] : l) add(k, v);
    if (extra) add(extra->first, extra->second);
    out += '}';
}

void append_sample(std::string& out, std::string_view name, const labels& l, double value,
                   const std::pair<std::string, std::string>* extra = nullptr) {
    out += name;
    append_labels(out, l, extra);
    out += ' ';
    out += format_value(value);
    out += '\n';
}

}  // namespace

bool valid_metric_name(std::string_view name) noexcept {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (!name_char(name[i], i == 0, true)) return false;
    }
    return true;
}

bool valid_label_name(std::string_view name) noexcept {
    if (name.empty() || name.starts_with("__")) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (!name_char(name[i], i == 0, false)) return false;
    }
    return true;
}

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    // Counters are integers far below 2^53: print them without an exponent or a fraction.
    if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
        return std::string(buf, r.ptr);
    }
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    return std::string(buf, r.ptr);
}

registry::family& registry::family_for(std::string_view name, std::string_view help, metric_type t, const labels& l) {
    if (!valid_metric_name(name)) throw std::invalid_argument("bad metric name '" + std::string(name) + "'");
    for (const auto& [k, v] : l) {
        if (!valid_label_name(k) || (t == metric_type::histogram && k == "le")) {
            throw std::invalid_argument("bad label name '" + k + "' on " + std::string(name));
        }
    }
    for (auto& f : families_) {
        if (f.name != name) continue;
        if (f.type != t) throw std::invalid_argument("metric " + std::string(name) + " added with two types");
        return f;
    }
    families_.push_back({std::string(name), std::string(help), t, {}});
    return families_.back();
}

void registry::counter(std::string_view name, std::string_view help, labels l, double value) {
    family_for(name, help, metric_type::counter, l).samples.push_back({std::move(l), value, {}});
}

void registry::gauge(std::string_view name, std::string_view help, labels l, double value) {
    family_for(name, help, metric_type::gauge, l).samples.push_back({std::move(l), value, {}});
}

void registry::histogram(std::string_view name, std::string_view help, labels l, const histogram_data& h) {
    if (h.counts.size() != h.bounds.size() + 1) {
        throw std::invalid_argument("histogram " + std::string(name) +
                                    ": counts must have one entry per bound plus one");
    }
    for (std::size_t i = 1; i < h.bounds.size(); ++i) {
        if (!(h.bounds[i - 1] < h.bounds[i])) {
            throw std::invalid_argument("histogram " + std::string(name) + ": bounds must ascend");
        }
    }
    family_for(name, help, metric_type::histogram, l).samples.push_back({std::move(l), 0, h});
}

std::string registry::render() const {
    std::string out;
    for (const auto& f : families_) {
        out += "# HELP " + f.name + " " + escape_help(f.help) + "\n";
        out += "# TYPE " + f.name + " ";
        out += type_name(f.type);
        out += '\n';
        for (const auto& s : f.samples) {
            if (f.type != metric_type::histogram) {
                append_sample(out, f.name, s.l, s.value);
                continue;
            }
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i <= s.h.bounds.size(); ++i) {
                cumulative += s.h.counts[i];
                const std::pair<std::string, std::string> le{
                    "le", i < s.h.bounds.size() ? format_value(s.h.bounds[i]) : std::string("+Inf")};
                append_sample(out, f.name + "_bucket", s.l, static_cast<double>(cumulative), &le);
            }
            append_sample(out, f.name + "_sum", s.l, s.h.sum);
            append_sample(out, f.name + "_count", s.l, static_cast<double>(cumulative));
        }
    }
    return out;
}

}  // namespace sgcache::observe
