#include "common/log.hpp"

#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace sgcache::log {

namespace json = boost::json;

namespace {

level threshold_ = level::info;
bool json_ = false;
void (*before_)() = nullptr;
void (*after_)() = nullptr;
std::function<void(level, std::string_view, std::string_view)> problems_;

std::string_view name(level l) {
    switch (l) {
        case level::debug: return "debug";
        case level::info: return "info";
        case level::warning: return "warning";
        case level::error: return "error";
    }
    return "info";
}

std::string timestamp() {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ms % 1000));
    return buf;
}

}  // namespace

void configure(std::string_view threshold, std::string_view format) {
    if (threshold == "debug") threshold_ = level::debug;
    else if (threshold == "warning") threshold_ = level::warning;
    else if (threshold == "error") threshold_ = level::error;
    else threshold_ = level::info;
    json_ = format == "json";
}

bool enabled(level l) noexcept { return static_cast<int>(l) >= static_cast<int>(threshold_); }

// " (key=value, ...)" as the text format shows fields; "" without fields.
static std::string text_fields(std::initializer_list<field> fields) {
    if (fields.size() == 0) return {};
    std::string out = " (";
    bool first = true;
    for (const auto& f : fields) {
        if (!first) out += ", ";
        first = false;
        std::string v;
        if (f.value.is_string()) {
            v = f.value.get_string();
        } else if (f.value.is_double()) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.2f", f.value.get_double());
            v = buf;
        } else {
            v = json::serialize(f.value);
        }
        out += std::string(f.key) + "=" + v;
    }
    return out + ")";
}

void set_problem_observer(std::function<void(level, std::string_view, std::string_view)> observer) {
    problems_ = std::move(observer);
}

void set_line_hooks(void (*before)(), void (*after)()) {
    before_ = before;
    after_ = after;
}

void write(level l, std::string_view component, std::string_view message, std::initializer_list<field> fields) {
    if (!enabled(l)) return;
    std::string line;
    if (json_) {
        json::object o;
        o["ts"] = timestamp();
        o["level"] = name(l);
        o["component"] = component;
        o["msg"] = message;
        for (const auto& f : fields) o[f.key] = f.value;
        line = json::serialize(o);
    } else {
        static constexpr const char* labels[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
        line = timestamp() + " " + labels[static_cast<int>(l)] + " " + std::string(component) + ": " +
               std::string(message) + text_fields(fields);
    }
    if (problems_ && l >= level::warning) problems_(l, component, std::string(message) + text_fields(fields));
    line += '\n';
    if (before_) before_();
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
    if (after_) after_();
}

}  // namespace sgcache::log
