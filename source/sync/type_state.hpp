// What the state index remembers of one entity type between runs: its generations (the
// one readers see, the one being built, the ones whose indices are still to be deleted)
// and the progress of the running full download. Plain data; generation_lifecycle decides
// how it changes, state_store persists it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sgcache::sync {

struct type_state {
    std::string type;
    int active = 0;  // generation readers see; 0 = none yet
    std::string active_hash;
    int building = 0;  // generation being filled; 0 = none
    std::string building_hash;
    std::vector<std::pair<std::int64_t, std::int64_t>> ranges;  // (after, up_to] of the build
    std::vector<bool> done;                                     // per range, acknowledged by ES
    std::uint64_t loaded = 0;                                   // documents written by the build
    std::int64_t build_started_ms = 0;
    /// The highest generation number ever handed out for the type: numbers only grow, so a
    /// dropped generation's name never comes back. 0 in states written before it existed
    /// (then the highest of active, building and dropping counts).
    int last_generation = 0;
    /// Generations no longer written to, whose indices are still to be deleted (a crash
    /// between the swap and the deletion leaves them here for the next start).
    std::vector<int> dropping;

    std::size_t ranges_done() const;
};

}  // namespace sgcache::sync
