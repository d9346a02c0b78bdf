// sgcache's log: one line per event on stderr, as text or as JSON lines, each with a level,
// a component name and optional key=value fields. Configured once at start-up. Callers
// never log secrets; messages from other components are already free of them.
#pragma once

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sgcache::log {

enum class level { debug = 0, info = 1, warning = 2, error = 3 };

/// Sets the threshold and the format ("text" or "json"). Not thread-safe: call before the
/// io_context runs.
void configure(std::string_view threshold, std::string_view format);

bool enabled(level l) noexcept;

/// One key=value of a log line; the value may be anything boost::json::value_from takes.
struct field {
    template <class T>
    field(std::string_view k, T&& v) : key(k), value(boost::json::value_from(std::forward<T>(v))) {}
    std::string_view key;
    boost::json::value value;
};

/// Writes one line: "2026-11-28T19:40:00.123Z INFO  follower: caught up (lag_s=0.4)" or
/// {"ts":"...","level":"info","component":"follower","msg":"caught up","lag_s":0.4}.
void write(level l, std::string_view component, std::string_view message, std::initializer_list<field> fields = {});

inline void debug(std::string_view c, std::string_view m, std::initializer_list<field> f = {}) { write(level::debug, c, m, f); }
inline void info(std::string_view c, std::string_view m, std::initializer_list<field> f = {}) { write(level::info, c, m, f); }
inline void warning(std::string_view c, std::string_view m, std::initializer_list<field> f = {}) { write(level::warning, c, m, f); }
inline void error(std::string_view c, std::string_view m, std::initializer_list<field> f = {}) { write(level::error, c, m, f); }

/// A hook called before each line is written (the terminal progress display clears its
/// line there) and after (it redraws).
void set_line_hooks(void (*before)(), void (*after)());

/// Called with every warning and error written (level, component, the message with its
/// fields as the text format shows them), e.g. to keep the latest ones for the status page.
/// Set it before the io_context runs; called on the thread that logs.
void set_problem_observer(std::function<void(level, std::string_view, std::string_view)> observer);

}  // namespace sgcache::log
