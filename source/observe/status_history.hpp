// What the status page shows beyond the engine's status of the moment, kept in memory: the
// follower's lag, events per second and open gaps sampled every few seconds over the last
// hour (the charts), the latest warnings and failures of the log, and the latest validation
// result found in the stats index. Pure logic, bounded memory: serve feeds it (a sampling
// loop, a log observer, a stats-index reader) and the metrics listener reads it.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace sgcache::observe {

struct history_point {
    std::int64_t ms = 0;  // epoch milliseconds
    double lag_s = 0;
    double events_per_s = 0;
    std::size_t open_gaps = 0;
};

struct logged_problem {
    std::int64_t ms = 0;
    std::string level;  // "warning" or "error"
    std::string component;
    std::string message;
};

/// "2026-12-07T03:15:42.162Z" (the stats documents' @timestamp) -> epoch milliseconds; 0
/// when it does not parse.
std::int64_t parse_timestamp_ms(std::string_view iso) noexcept;

class status_history {
public:
    /// Keeps the samples of the last `window` and the last `max_problems` problems.
    explicit status_history(std::chrono::milliseconds window = std::chrono::hours(1), std::size_t max_problems = 20);

    /// One sample; samples older than the window (from `now_ms`) are forgotten.
    void sample(std::int64_t now_ms, double lag_s, double events_per_s, std::size_t open_gaps);
    /// A warning or error of the log (messages carry no secrets: the log never does).
    void note_problem(std::int64_t now_ms, std::string level, std::string component, std::string message);
    /// The latest validation: its time and summary (ok, command, mode, findings, failed types).
    void set_validation(std::int64_t ms, boost::json::object summary);

    const std::deque<history_point>& points() const noexcept { return points_; }
    const std::deque<logged_problem>& problems() const noexcept { return problems_; }

    /// {"window_s", "points": [[ms, lag_s, events_per_s, open_gaps], ...], "problems": [...],
    ///  "validation": {"at_ms", ...} or null}.
    boost::json::object to_json() const;

private:
    std::chrono::milliseconds window_;
    std::size_t max_problems_;
    std::deque<history_point> points_;
    std::deque<logged_problem> problems_;
    std::optional<std::pair<std::int64_t, boost::json::object>> validation_;
};

}  // namespace sgcache::observe
