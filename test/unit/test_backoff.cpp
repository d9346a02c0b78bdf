#include "common/backoff.hpp"

#include <doctest/doctest.h>

using namespace sgcache;
using std::chrono::milliseconds;

TEST_CASE("backoff doubles from the initial delay up to the cap, with equal jitter") {
    retry_policy p{6, milliseconds(100), milliseconds(1000)};
    std::mt19937_64 rng(42);
    const long bases[] = {100, 200, 400, 800, 1000, 1000, 1000};
    for (int attempt = 1; attempt <= 7; ++attempt) {
        for (int k = 0; k < 200; ++k) {
            auto d = backoff_delay(p, attempt, rng).count();
            CHECK(d >= bases[attempt - 1] / 2);
            CHECK(d <= bases[attempt - 1]);
        }
    }
}

TEST_CASE("backoff jitter spreads retries") {
    retry_policy p{0, milliseconds(1000), milliseconds(1000)};
    std::mt19937_64 rng(7);
    long lo = 1000, hi = 0;
    for (int k = 0; k < 500; ++k) {
        auto d = backoff_delay(p, 1, rng).count();
        lo = std::min(lo, d);
        hi = std::max(hi, d);
    }
    CHECK(lo < 600);
    CHECK(hi > 900);
}

TEST_CASE("Retry-After wins over the computed backoff; huge attempt numbers do not overflow") {
    retry_policy p{5, milliseconds(100), milliseconds(30000)};
    std::mt19937_64 rng(1);
    CHECK(backoff_delay(p, 1, rng, milliseconds(2500)) == milliseconds(2500));
    auto d = backoff_delay(p, 1000000, rng);
    CHECK(d <= milliseconds(30000));
    CHECK(d >= milliseconds(15000));
}

TEST_CASE("attempt limits; zero means unlimited") {
    retry_policy three{3, milliseconds(1), milliseconds(1)};
    CHECK(three.may_retry(1));
    CHECK(three.may_retry(2));
    CHECK_FALSE(three.may_retry(3));
    retry_policy forever{0, milliseconds(1), milliseconds(1)};
    CHECK(forever.may_retry(1000000));
}
