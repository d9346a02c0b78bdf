// The version clock: every read of an entity from Shotgun is stamped, right before its
// request is sent, with a version that orders reads by send time. Elasticsearch keeps the
// highest version of each document (version_type=external), so of two reads of the same
// entity the one sent later wins, whatever order their replies arrive in.
//
// Versions are microseconds since the epoch, and strictly increasing even when the wall
// clock steps back. To survive restarts (and a clock that steps back while sgcache is
// stopped), versions stay below a persisted floor: the engine persists a floor ahead of
// use, and on start the clock resumes above the floor it finds. A clock that catches up
// with its unpersisted floor refuses to issue versions until a new floor is persisted, so
// a crash can never leave documents with versions the next run would undercut.
//
// Pure logic, no I/O: the engine persists floors and retries.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace sgcache::sync {

class version_clock {
public:
    /// `window` is how far ahead of use each persisted floor reaches.
    explicit version_clock(std::chrono::microseconds window = std::chrono::hours(1)) : window_(window) {}

    /// Resumes after a restart: versions continue strictly above `persisted_floor`.
    void resume_above(std::int64_t persisted_floor) noexcept;

    /// The floor to persist now (ahead of anything issued so far plus the window). After it
    /// is persisted, call floor_persisted() with the same value.
    std::int64_t next_floor(std::int64_t now_us) const noexcept;
    void floor_persisted(std::int64_t floor) noexcept;

    /// True when the persisted floor is within half a window of use: persist a new one.
    bool floor_due(std::int64_t now_us) const noexcept;

    /// The version for a read sent now, or nothing when no floor covers it yet.
    std::optional<std::int64_t> issue(std::int64_t now_us) noexcept;

    std::int64_t last_issued() const noexcept { return last_; }
    std::int64_t persisted_floor() const noexcept { return floor_; }

    static std::int64_t now_us() noexcept {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

private:
    std::chrono::microseconds window_;
    std::int64_t last_ = 0;   // last version issued (or the resumed floor)
    std::int64_t floor_ = 0;  // persisted: every version issued is below it
};

}  // namespace sgcache::sync
