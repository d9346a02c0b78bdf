#include "sync/event_cursor.hpp"

#include <algorithm>

namespace sgcache::sync {

void event_cursor::restore(const cursor_checkpoint& c) {
    high_ = c.high;
    gaps_.clear();
    for (const auto& g : c.gaps) {
        if (g.id < high_) gaps_[g.id] = {g.first_seen_ms, g.site_ms};
        site_now_ = std::max(site_now_, g.site_ms);
    }
}

cursor_checkpoint event_cursor::checkpoint() const {
    cursor_checkpoint c;
    c.high = high_;
    c.gaps.reserve(gaps_.size());
    for (const auto& [id, g] : gaps_) c.gaps.push_back({id, g.first_seen_ms, g.site_ms});
    return c;
}

std::vector<std::int64_t> event_cursor::accept(const std::vector<std::int64_t>& ids, std::int64_t now_ms) {
    std::vector<seen_event> events;
    events.reserve(ids.size());
    for (const std::int64_t id : ids) events.push_back({id, 0});
    return accept_events(events, now_ms);
}

std::vector<std::int64_t> event_cursor::accept_events(const std::vector<seen_event>& events, std::int64_t now_ms) {
    std::vector<seen_event> sorted = events;
    std::sort(sorted.begin(), sorted.end(), [](const seen_event& a, const seen_event& b) { return a.id < b.id; });
    sorted.erase(std::unique(sorted.begin(), sorted.end(), [](const seen_event& a, const seen_event& b) { return a.id == b.id; }),
                 sorted.end());
    std::vector<std::int64_t> fresh;
    for (const auto& [id, created] : sorted) {
        site_now_ = std::max(site_now_, created);
        if (id <= high_) {
            // Below the high mark: new only if it was an open gap.
            if (gaps_.erase(id)) fresh.push_back(id);
            continue;
        }
        // A jump: everything between the old high and this id is missing for now. A jump
        // wider than the cap records only its newest ids and gives the rest up.
        std::int64_t first_missing = high_ + 1;
        const auto cap = static_cast<std::int64_t>(max_gaps_);
        if (id - first_missing > cap) {
            dropped_ += static_cast<std::uint64_t>(id - cap - first_missing);
            first_missing = id - cap;
        }
        for (std::int64_t missing = first_missing; missing < id; ++missing) gaps_.emplace(missing, open_gap{now_ms, created});
        high_ = id;
        fresh.push_back(id);
    }
    while (gaps_.size() > max_gaps_) {
        gaps_.erase(gaps_.begin());
        ++dropped_;
    }
    return fresh;
}

bool event_cursor::expired(const open_gap& g, std::int64_t now_ms, std::int64_t timeout_ms) const noexcept {
    if (now_ms - g.first_seen_ms >= timeout_ms) return true;
    return g.site_ms > 0 && site_now_ - g.site_ms >= timeout_ms;
}

std::vector<gap> event_cursor::expire(std::int64_t now_ms, std::int64_t timeout_ms) {
    // Oldest first, and stop at the first gap still waited for: later ids were opened no
    // earlier on this host's clock. On the site's clock a later gap can be older (its
    // revealing event came from a longer transaction); it then waits for the gaps before
    // it, never longer than the timeout on this host's clock.
    std::vector<gap> out;
    for (auto it = gaps_.begin(); it != gaps_.end() && expired(it->second, now_ms, timeout_ms);) {
        out.push_back({it->first, it->second.first_seen_ms, it->second.site_ms});
        it = gaps_.erase(it);
    }
    return out;
}

std::vector<std::int64_t> event_cursor::gap_ids(std::size_t max) const {
    std::vector<std::int64_t> out;
    for (const auto& [id, g] : gaps_) {
        if (out.size() >= max) break;
        out.push_back(id);
    }
    return out;
}

std::int64_t event_cursor::oldest_gap_ms() const noexcept {
    // The lowest id was opened first (see expire()).
    return gaps_.empty() ? 0 : gaps_.begin()->second.first_seen_ms;
}

}  // namespace sgcache::sync
