#include "sync/generation_lifecycle.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace sgcache::sync {

std::string_view to_string(build_phase p) noexcept {
    switch (p) {
        case build_phase::waiting: return "waiting";
        case build_phase::preparing: return "preparing";
        case build_phase::loading: return "loading";
        case build_phase::swapping: return "swapping";
        case build_phase::following: return "following";
        case build_phase::failed: return "failed";
        case build_phase::removed: return "removed";
    }
    return "unknown";
}

std::size_t type_state::ranges_done() const { return static_cast<std::size_t>(std::count(done.begin(), done.end(), true)); }

generation_lifecycle::generation_lifecycle(std::string type, std::string config_hash)
    : config_hash_(std::move(config_hash)) {
    state_.type = std::move(type);
}

void generation_lifecycle::require(bool ok, std::string_view what) const {
    if (!ok) {
        throw std::logic_error("generation lifecycle of " + state_.type + ": " + std::string(what) + " in phase " +
                               std::string(to_string(phase_)));
    }
}

void generation_lifecycle::drop(int g) {
    if (!g) return;
    require(g != state_.active, "the reader generation cannot be dropped");
    if (std::find(state_.dropping.begin(), state_.dropping.end(), g) == state_.dropping.end()) {
        state_.dropping.push_back(g);
    }
}

void generation_lifecycle::clear_build() {
    // Its number stays counted in last_generation.
    state_.building = 0;
    state_.building_hash.clear();
    state_.ranges.clear();
    state_.done.clear();
    planned_ = false;
}

void generation_lifecycle::promote_build() {
    const int old = state_.active;
    state_.active = state_.building;
    state_.active_hash = state_.building_hash;
    clear_build();  // `loaded` stays: the finished build's report reads it
    drop(old);
}

generation_lifecycle::restore_outcome generation_lifecycle::restore(type_state stored, index_facts facts) {
    require(phase_ == build_phase::waiting, "restore");
    restore_outcome out;
    const std::string type = state_.type;
    state_ = std::move(stored);
    state_.type = type;
    // Numbers in use count as handed out, also in states written before last_generation.
    for (int g : state_.dropping) state_.last_generation = std::max(state_.last_generation, g);
    state_.last_generation = std::max({state_.last_generation, state_.active, state_.building});
    if (state_.building && facts.aliased == state_.building) {
        // Stopped after the aliases moved and before the swap was recorded: it happened.
        out.swap_completed = true;
        promote_build();
        facts.active_exists = true;
    }
    if (state_.active && !facts.active_exists) {
        // Nothing left to serve from: the aliases went with the index.
        out.active_lost = true;
        state_.active = 0;
        state_.active_hash.clear();
    }
    bool build_wanted = rebuild_requested_;
    if (state_.building) {
        // A build resumes into its own index, for the config of today; otherwise it starts
        // again under a new number (a build of another config is not wanted any more: the
        // decision below is then the usual one). One stopped before its ranges were planned
        // plans them now, into the same index: the follower writes to it from this start,
        // before the bounds are read, as I1 asks.
        const bool same_config = state_.building_hash == config_hash_;
        const bool usable = same_config && facts.building_exists;
        build_wanted = build_wanted || same_config;
        if (!usable) {
            out.build_discarded = true;
            drop(state_.building);
            clear_build();
            state_.loaded = 0;
        }
    }
    state_.done.resize(state_.ranges.size(), false);
    if (state_.building) {
        phase_ = build_phase::loading;
        // Persisted ranges mean planned. None: never planned, or a type without entities,
        // whose bounds are cheap to read again.
        planned_ = !state_.ranges.empty();
        out.resumed = true;
    } else if (state_.active && state_.active_hash == config_hash_ && !build_wanted) {
        phase_ = build_phase::following;
    } else {
        out.config_changed = state_.active && state_.active_hash != config_hash_;
        phase_ = build_phase::preparing;
    }
    rebuild_requested_ = false;
    return out;
}

void generation_lifecycle::fail(std::string why) {
    failure_ = std::move(why);
    if (phase_ == build_phase::swapping) {
        // The aliases are moving already: swapped() finishes the move, then fails the type.
        after_swap_ = after_swap::fail;
        return;
    }
    if (phase_ == build_phase::removed) return;
    if (phase_ == build_phase::loading) drop(state_.building);
    if (phase_ == build_phase::loading || phase_ == build_phase::preparing) clear_build();
    cancel_requested_ = false;
    phase_ = build_phase::failed;
}

std::vector<int> generation_lifecycle::generations_of_removed(const type_state& stored) {
    std::vector<int> out = stored.dropping;
    for (int g : {stored.active, stored.building}) {
        if (g && std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
    }
    return out;
}

void generation_lifecycle::config_changed(std::string config_hash) {
    if (config_hash == config_hash_) return;
    config_hash_ = std::move(config_hash);
    switch (phase_) {
        case build_phase::following:
            // As restore() decides for a changed config: readers keep the current generation.
            phase_ = build_phase::preparing;
            planned_ = false;
            cancel_requested_ = false;
            break;
        case build_phase::loading:
            // A build of the old config is of no use: its index goes, a new build starts.
            drop(state_.building);
            clear_build();
            state_.loaded = 0;
            cancel_requested_ = false;
            phase_ = build_phase::preparing;
            break;
        case build_phase::swapping: after_swap_ = after_swap::rebuild; break;
        case build_phase::preparing:  // its index, not created yet, gets the new hash
        case build_phase::waiting:
        case build_phase::failed:
        case build_phase::removed: break;
    }
}

void generation_lifecycle::remove(bool drop_indices) {
    if (phase_ == build_phase::swapping) {
        after_swap_ = drop_indices ? after_swap::remove : after_swap::remove_keeping;
        return;
    }
    if (drop_indices) {
        // The readers' generation too: the type is no longer cached (as at a start without
        // its entity config).
        const int active = std::exchange(state_.active, 0);
        state_.active_hash.clear();
        drop(active);
        drop(state_.building);
    }
    clear_build();
    state_.loaded = 0;
    cancel_requested_ = false;
    phase_ = build_phase::removed;
}

generation_lifecycle::rebuild_answer generation_lifecycle::request_rebuild() {
    switch (phase_) {
        case build_phase::waiting:
            rebuild_requested_ = true;  // restore() starts a build whatever it finds
            return rebuild_answer::started;
        case build_phase::following:
            phase_ = build_phase::preparing;
            planned_ = false;
            cancel_requested_ = false;
            return rebuild_answer::started;
        case build_phase::preparing:
        case build_phase::loading:
        case build_phase::swapping: return rebuild_answer::already;
        case build_phase::failed:
        case build_phase::removed: return rebuild_answer::failed;
    }
    return rebuild_answer::failed;
}

generation_lifecycle::cancel_answer generation_lifecycle::request_cancel() {
    if ((phase_ != build_phase::preparing && phase_ != build_phase::loading) || cancel_requested_) {
        return cancel_answer::not_building;
    }
    if (!state_.active) return cancel_answer::first_download;
    cancel_requested_ = true;
    return cancel_answer::cancelled;
}

int generation_lifecycle::generation_to_create() const {
    require(phase_ == build_phase::preparing, "generation_to_create");
    return state_.last_generation + 1;
}

void generation_lifecycle::index_created(int g, std::int64_t now_ms) {
    require(phase_ == build_phase::preparing && g == state_.last_generation + 1, "index_created");
    state_.building = g;
    state_.building_hash = config_hash_;
    state_.last_generation = g;
    state_.ranges.clear();
    state_.done.clear();
    state_.loaded = 0;
    state_.build_started_ms = now_ms;
    planned_ = false;
    phase_ = build_phase::loading;
}

void generation_lifecycle::index_not_used(int g) {
    // Preparing too: the config changed while the index was created (its mapping is old).
    require(g == state_.last_generation + 1, "index_not_used");
    state_.last_generation = g;
    drop(g);
}

void generation_lifecycle::plan(std::vector<std::pair<std::int64_t, std::int64_t>> ranges) {
    require(phase_ == build_phase::loading && !planned_, "plan");
    state_.ranges = std::move(ranges);
    state_.done.assign(state_.ranges.size(), false);
    planned_ = true;
}

void generation_lifecycle::range_acknowledged(std::size_t k, std::uint64_t entities) {
    require(phase_ == build_phase::loading && planned_ && k < state_.ranges.size(), "range_acknowledged");
    if (state_.done[k]) return;
    state_.done[k] = true;
    state_.loaded += entities;
}

bool generation_lifecycle::complete() const noexcept {
    return planned_ && std::find(state_.done.begin(), state_.done.end(), false) == state_.done.end();
}

void generation_lifecycle::begin_swap() {
    require(phase_ == build_phase::loading && complete() && !cancel_requested_, "begin_swap");
    phase_ = build_phase::swapping;
}

void generation_lifecycle::swapped() {
    require(phase_ == build_phase::swapping, "swapped");
    promote_build();
    phase_ = build_phase::following;
    const auto next = std::exchange(after_swap_, after_swap::nothing);
    switch (next) {
        case after_swap::nothing: break;
        case after_swap::fail: phase_ = build_phase::failed; break;
        case after_swap::rebuild: phase_ = build_phase::preparing; break;
        case after_swap::remove: remove(true); break;
        case after_swap::remove_keeping: remove(false); break;
    }
}

void generation_lifecycle::abandon() {
    require((phase_ == build_phase::preparing || phase_ == build_phase::loading) && state_.active != 0, "abandon");
    drop(state_.building);
    clear_build();
    state_.loaded = 0;
    cancel_requested_ = false;
    phase_ = build_phase::following;
}

void generation_lifecycle::dropped(int g) {
    state_.dropping.erase(std::remove(state_.dropping.begin(), state_.dropping.end(), g), state_.dropping.end());
}

bool generation_lifecycle::building() const noexcept {
    return phase_ == build_phase::preparing || phase_ == build_phase::loading || phase_ == build_phase::swapping;
}

std::vector<int> generation_lifecycle::follower_targets() const {
    std::vector<int> out;
    if (phase_ == build_phase::waiting || phase_ == build_phase::failed || phase_ == build_phase::removed) return out;
    if (state_.active) out.push_back(state_.active);
    if ((phase_ == build_phase::loading || phase_ == build_phase::swapping) && state_.building) {
        out.push_back(state_.building);
    }
    return out;
}

int generation_lifecycle::download_target() const noexcept {
    return phase_ == build_phase::loading ? state_.building : 0;
}

}  // namespace sgcache::sync
