#include "common/backoff.hpp"

#include <algorithm>

namespace sgcache {

std::chrono::milliseconds backoff_delay(const retry_policy& p, int attempt, std::mt19937_64& rng,
                                        std::optional<std::chrono::milliseconds> retry_after) {
    if (retry_after) return *retry_after;
    const std::int64_t cap = std::max<std::int64_t>(p.max_delay.count(), 1);
    std::int64_t base = std::max<std::int64_t>(p.initial_delay.count(), 1);
    // Doubling stops at the cap; the loop bound also keeps the shift from overflowing.
    for (int i = 1; i < attempt && base < cap; ++i) base *= 2;
    base = std::min(base, cap);
    std::uniform_int_distribution<std::int64_t> half(base / 2, base);
    return std::chrono::milliseconds(half(rng));
}

std::mt19937_64& jitter_rng() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return rng;
}

}  // namespace sgcache
