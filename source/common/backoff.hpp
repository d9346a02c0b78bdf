// Jittered exponential backoff, shared by every retry loop (Elasticsearch, Shotgun).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace sgcache {

struct retry_policy {
    /// Attempts in total, the first included; 0 means "until cancelled".
    int max_attempts = 5;
    std::chrono::milliseconds initial_delay{200};
    std::chrono::milliseconds max_delay{10'000};

    bool may_retry(int attempts_made) const noexcept {
        return max_attempts == 0 || attempts_made < max_attempts;
    }
};

/// The pause before attempt `attempt + 1` after `attempt` failed (attempt >= 1): the base
/// doubles each time from initial_delay up to max_delay, and the pause is drawn uniformly
/// from [base/2, base] ("equal jitter"), so that many clients failing together do not
/// retry together, yet none retries at once. A server's Retry-After, when given, wins.
std::chrono::milliseconds backoff_delay(const retry_policy& p, int attempt, std::mt19937_64& rng,
                                        std::optional<std::chrono::milliseconds> retry_after = {});

/// A per-thread generator seeded from std::random_device, for callers without their own.
std::mt19937_64& jitter_rng();

}  // namespace sgcache
