#include "observe/status_history.hpp"

#include <boost/json/array.hpp>

#include <cstdio>
#include <ctime>

namespace sgcache::observe {

namespace json = boost::json;

std::int64_t parse_timestamp_ms(std::string_view iso) noexcept {
    const std::string text(iso);
    std::tm tm{};
    int ms = 0;
    const int n = std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                              &tm.tm_min, &tm.tm_sec, &ms);
    if (n < 6) return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + (n == 7 ? ms : 0);
}

status_history::status_history(std::chrono::milliseconds window, std::size_t max_problems)
    : window_(window), max_problems_(max_problems) {}

void status_history::sample(std::int64_t now_ms, double lag_s, double events_per_s, std::size_t open_gaps) {
    points_.push_back({now_ms, lag_s, events_per_s, open_gaps});
    while (!points_.empty() && points_.front().ms < now_ms - window_.count()) points_.pop_front();
}

void status_history::note_problem(std::int64_t now_ms, std::string level, std::string component,
                                  std::string message) {
    problems_.push_back({now_ms, std::move(level), std::move(component), std::move(message)});
    while (problems_.size() > max_problems_) problems_.pop_front();
}

void status_history::set_validation(std::int64_t ms, json::object summary) {
    validation_.emplace(ms, std::move(summary));
}

json::object status_history::to_json() const {
    json::object o;
    o["window_s"] = window_.count() / 1000;
    json::array points;
    for (const auto& p : points_) points.push_back(json::array{p.ms, p.lag_s, p.events_per_s, p.open_gaps});
    o["points"] = std::move(points);
    json::array problems;
    // Newest first: the page lists the latest at the top.
    for (auto it = problems_.rbegin(); it != problems_.rend(); ++it) {
        problems.push_back(json::object{{"at_ms", it->ms}, {"level", it->level}, {"component", it->component},
                                        {"message", it->message}});
    }
    o["problems"] = std::move(problems);
    if (validation_) {
        json::object v = validation_->second;
        v["at_ms"] = validation_->first;
        o["validation"] = std::move(v);
    } else {
        o["validation"] = nullptr;
    }
    return o;
}

}  // namespace sgcache::observe
