#include "sync/version_clock.hpp"

#include <algorithm>

namespace sgcache::sync {

void version_clock::resume_above(std::int64_t persisted_floor) noexcept {
    // Every version of the previous run was below its persisted floor.
    last_ = std::max(last_, persisted_floor);
    floor_ = std::max(floor_, persisted_floor);
}

std::int64_t version_clock::next_floor(std::int64_t now_us) const noexcept {
    return std::max(now_us, last_) + window_.count();
}

void version_clock::floor_persisted(std::int64_t floor) noexcept { floor_ = std::max(floor_, floor); }

bool version_clock::floor_due(std::int64_t now_us) const noexcept {
    return std::max(now_us, last_) + window_.count() / 2 >= floor_;
}

std::optional<std::int64_t> version_clock::issue(std::int64_t now_us) noexcept {
    const std::int64_t v = std::max(now_us, last_ + 1);
    if (v >= floor_) return std::nullopt;
    last_ = v;
    return v;
}

}  // namespace sgcache::sync
