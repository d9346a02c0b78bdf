// The life of one entity type's generations, as one state machine without I/O.
//
// A type lives in one concrete index per generation (<prefix>entity-shot-g000003); readers
// use aliases that point at the active generation. A build fills a new generation while the
// active one keeps serving and the follower writes every change to both; when every range of
// the build is acknowledged, the aliases move in one call and the old generation is dropped.
// This class holds those facts and decides every transition; the engine performs the I/O a
// transition asks for (create an index, read the id bounds, swap aliases, delete an index)
// and reports back. What the follower and the download write to, and what readers see, are
// functions of the state here, never copies kept elsewhere.
//
// Phases:
//   waiting    start-up has not looked at the type yet
//   preparing  a build is due; its index does not exist yet (creating it is the next step)
//   loading    the build's index exists and takes every follower write; its id bounds are
//              read next (ranges_planned() false), then its ranges load
//   swapping   every range is acknowledged; the aliases are moving to the new generation
//   following  one generation, the active one, for readers and writers
//   failed     the type is gone from the site: nothing is written, readers keep the last data
//   removed    its entity config was removed by a reload: nothing is written; its
//              generations are dropped (readers' included: the type is no longer cached)
//              unless sync.keep_removed_types keeps them
//
// Invariants (each one unit-tested step by step in test/unit/test_generation_lifecycle.cpp):
//   I1  From the moment a build's id bounds are read, every follower write of the type goes
//       to both generations: plan() is accepted only in `loading`, which is entered when
//       the index exists, and in `loading` and `swapping` follower_targets() holds the
//       building generation (and the active one, if any). An entity created after the
//       bounds were read is beyond every range, so only the follower can bring it.
//   I2  Nothing is written to a generation after it is dropped, and nothing recreates it:
//       a generation leaves the targets in the same step that hands it to to_drop(), never
//       becomes a target again, and generation numbers only grow (a cancelled build's
//       number is not reused). The engine deletes a dropped index only after its writers
//       drained every write that had already chosen it (entity_writer::retire).
//   I3  Readers never see a generation before it is complete, nor an empty one:
//       reader_generation() changes only in swapped(), accepted only in `swapping`, which
//       begin_swap() enters only when every planned range is acknowledged; the reader
//       generation is never handed out to drop.
//   I4  A cancelled or crashed rebuild leaves the current generation serving and complete:
//       abandon() and restore() never change the active generation and keep it among the
//       follower targets (restore() gives it up only when its index is gone).
//
// Errors: a transition called in a phase that does not allow it throws std::logic_error
// (a bug in the engine, never a user's mistake). Requests from users (rebuild, cancel)
// answer with an enum instead.
#pragma once

#include "sync/type_state.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sgcache::sync {

enum class build_phase { waiting, preparing, loading, swapping, following, failed, removed };

/// "waiting", "preparing", ...
std::string_view to_string(build_phase p) noexcept;

class generation_lifecycle {
public:
    /// `config_hash`: the hash of the type's entity config now (what a generation must be
    /// built from to be followed).
    generation_lifecycle(std::string type, std::string config_hash);

    // ------------------------------------------------------------------ start-up

    /// What start-up found about the stored state's indices.
    struct index_facts {
        bool active_exists = false;
        bool building_exists = false;
        /// The generation the live alias points at (0: none, or not one of this type's).
        int aliased = 0;
    };
    /// What restore() decided, for the log.
    struct restore_outcome {
        bool resumed = false;          // a build of this config goes on where it stopped
        bool config_changed = false;   // the active generation was built from another config
        bool active_lost = false;      // the active generation's index is gone
        bool build_discarded = false;  // a stored build could not be resumed
        bool swap_completed = false;   // stopped after the aliases moved, before it was recorded
    };
    /// Takes the state persisted by an earlier run (an empty one on a first start) and
    /// decides: follow the active generation, resume its build, or start a new build.
    /// Accepted only in `waiting`. Generations that can no longer be used go to to_drop().
    /// When the aliases already point at the stored build (a stop between the swap and its
    /// record), the swap is completed first: readers' generation is never dropped (I3).
    restore_outcome restore(type_state stored, index_facts facts);

    /// The type is gone from the site (from any phase): nothing is written any more, a
    /// build in progress is dropped, readers keep the active generation. During `swapping`
    /// the swap completes first (swapped() then fails the type).
    void fail(std::string why);

    /// The generations of a type whose entity config was removed: every index it has.
    static std::vector<int> generations_of_removed(const type_state& stored);

    // ------------------------------------------------------------------ a reload

    /// The type's entity config changed (another hash): a generation of the new config is
    /// due. Following: a rebuild starts, readers keep the current generation. Loading: the
    /// build of the old config is dropped and a new one starts. Swapping: the swap finishes
    /// first, then the rebuild starts. Waiting, failed, removed: only the hash is kept.
    void config_changed(std::string config_hash);
    /// The type's entity config was removed: nothing is written any more; with
    /// `drop_indices`, every generation goes to to_drop() (the readers' too). Swapping: the
    /// swap finishes first.
    void remove(bool drop_indices);
    const std::string& config_hash() const noexcept { return config_hash_; }

    // ------------------------------------------------------------------ requests

    enum class rebuild_answer { started, already, failed };
    /// A rebuild asked for by a user: from `following` a new build starts (`preparing`).
    /// `already` while a build is under way; `failed` for a failed type.
    rebuild_answer request_rebuild();

    enum class cancel_answer { cancelled, not_building, first_download };
    /// Marks the running build to be abandoned (abandon() does it). A first download
    /// cannot be cancelled (readers would have nothing); a build already swapping neither.
    cancel_answer request_cancel();
    bool cancel_requested() const noexcept { return cancel_requested_; }

    // ------------------------------------------------------------------ a build

    /// The generation number the index of the coming build gets. `preparing` only.
    int generation_to_create() const;
    /// The index of generation `g` (generation_to_create()) exists: `preparing` ->
    /// `loading`, and from now on the follower writes to it (I1).
    void index_created(int g, std::int64_t now_ms);
    /// The index of generation `g` (generation_to_create() when it was asked) was created
    /// but is not wanted any more (the type failed, or its config changed meanwhile): its
    /// number counts as used and the index goes to to_drop().
    void index_not_used(int g);
    /// True once the build's id bounds are read and its ranges planned.
    bool ranges_planned() const noexcept { return planned_; }
    /// The ranges of the build, from the id bounds read just now. `loading` only (I1).
    void plan(std::vector<std::pair<std::int64_t, std::int64_t>> ranges);
    /// Every document of range `k` is acknowledged by Elasticsearch.
    void range_acknowledged(std::size_t k, std::uint64_t entities);
    /// Every planned range is acknowledged.
    bool complete() const noexcept;
    /// `loading` and complete() -> `swapping`.
    void begin_swap();
    /// The aliases point at the building generation: `swapping` -> `following`; the old
    /// active generation goes to to_drop() (I2, I3).
    void swapped();
    /// Abandons the build (cancelled, or the config it was built from is gone): `preparing`
    /// or `loading` -> `following` with the active generation untouched (I4); the building
    /// generation, if its index was created, goes to to_drop().
    void abandon();

    // ------------------------------------------------------------------ dropping

    /// Generations that are no longer written to and whose indices are to be deleted.
    const std::vector<int>& to_drop() const noexcept { return state_.dropping; }
    /// The index of `g` is deleted.
    void dropped(int g);

    // ------------------------------------------------------------------ what I/O uses

    build_phase phase() const noexcept { return phase_; }
    /// A build is due or under way (preparing, loading or swapping).
    bool building() const noexcept;
    /// Where the follower (and re-reads, and repairs) write: see I1.
    std::vector<int> follower_targets() const;
    /// Where the full download writes: the building generation while `loading`, else 0.
    int download_target() const noexcept;
    /// The generation the aliases point at (0: none yet).
    int reader_generation() const noexcept { return state_.active; }
    /// The persisted form; save it after every transition.
    const type_state& state() const noexcept { return state_; }
    const std::string& failure() const noexcept { return failure_; }
    const std::string& type() const noexcept { return state_.type; }

private:
    void require(bool ok, std::string_view what) const;
    void drop(int g);
    // Empties the build's fields.
    void clear_build();
    // The swap: the build becomes the readers' generation, the old one goes to to_drop().
    void promote_build();

    type_state state_;
    std::string config_hash_;
    build_phase phase_ = build_phase::waiting;
    bool planned_ = false;
    bool cancel_requested_ = false;
    bool rebuild_requested_ = false;  // asked for before start-up looked at the type
    // What came while the aliases were moving, done by swapped().
    enum class after_swap { nothing, fail, rebuild, remove, remove_keeping } after_swap_ = after_swap::nothing;
    std::string failure_;
};

}  // namespace sgcache::sync
