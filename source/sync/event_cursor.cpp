#include "sync/event_cursor.hpp"

#include <algorithm>

namespace sgcache::sync {

void event_cursor::restore(const cursor_checkpoint& c) {
    high_ = c.high;
    gaps_.clear();
    for (const auto& g : c.gaps) {
        if (g.id < high_) gaps_[g.id] = g.first_seen_ms;
    }
}

cursor_checkpoint event_cursor::checkpoint() const {
    cursor_checkpoint c;
    c.high = high_;
    c.gaps.reserve(gaps_.size());
    for (const auto& [id, seen] : gaps_) c.gaps.push_back({id, seen});
    return c;
}

std::vector<std::int64_t> event_cursor::accept(const std::vector<std::int64_t>& ids, std::int64_t now_ms) {
    std::vector<std::int64_t> sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::vector<std::int64_t> fresh;
    for (const std::int64_t id : sorted) {
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
        for (std::int64_t missing = first_missing; missing < id; ++missing) gaps_.emplace(missing, now_ms);
        high_ = id;
        fresh.push_back(id);
    }
    while (gaps_.size() > max_gaps_) {
        gaps_.erase(gaps_.begin());
        ++dropped_;
    }
    return fresh;
}

std::vector<gap> event_cursor::expire(std::int64_t now_ms, std::int64_t timeout_ms) {
    std::vector<gap> out;
    for (auto it = gaps_.begin(); it != gaps_.end();) {
        if (now_ms - it->second >= timeout_ms) {
            out.push_back({it->first, it->second});
            it = gaps_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

std::vector<std::int64_t> event_cursor::gap_ids(std::size_t max) const {
    std::vector<std::int64_t> out;
    for (const auto& [id, seen] : gaps_) {
        if (out.size() >= max) break;
        out.push_back(id);
    }
    return out;
}

std::int64_t event_cursor::oldest_gap_ms() const noexcept {
    std::int64_t oldest = 0;
    for (const auto& [id, seen] : gaps_) {
        if (oldest == 0 || seen < oldest) oldest = seen;
    }
    return oldest;
}

}  // namespace sgcache::sync
