// The generation lifecycle, step by step and without sockets: every transition, and each
// invariant of source/sync/generation_lifecycle.hpp, first on hand-written sequences, then
// on thousands of random ones (requests, crashes, cancels and failures at any point).
#include "sync/generation_lifecycle.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <stdexcept>

using namespace sgcache::sync;
using phase = build_phase;

namespace {

const std::vector<std::pair<std::int64_t, std::int64_t>> two_ranges{{0, 100}, {100, 200}};

bool has(const std::vector<int>& v, int g) { return std::find(v.begin(), v.end(), g) != v.end(); }

// A type restored from nothing (a first start) and taken through a whole first download.
generation_lifecycle followed(const std::string& hash = "h1") {
    generation_lifecycle l("Shot", hash);
    l.restore(type_state{}, {});
    l.index_created(l.generation_to_create(), 1);
    l.plan(two_ranges);
    l.range_acknowledged(0, 10);
    l.range_acknowledged(1, 10);
    l.begin_swap();
    l.swapped();
    return l;
}

// What a crash leaves: the persisted state and which of its indices exist.
generation_lifecycle after_crash(const generation_lifecycle& before, const std::string& hash,
                                 generation_lifecycle::index_facts facts) {
    generation_lifecycle l(before.type(), hash);
    l.restore(before.state(), facts);
    return l;
}

}  // namespace

TEST_CASE("lifecycle: a first start builds generation 1; readers see it only after the swap") {
    generation_lifecycle l("Shot", "h1");
    CHECK(l.phase() == phase::waiting);
    CHECK(l.follower_targets().empty());
    auto out = l.restore(type_state{}, {});
    CHECK_FALSE(out.resumed);
    CHECK(l.phase() == phase::preparing);
    CHECK(l.follower_targets().empty());  // nothing to write into yet
    CHECK(l.generation_to_create() == 1);
    l.index_created(1, 42);
    CHECK(l.phase() == phase::loading);
    CHECK(l.follower_targets() == std::vector<int>{1});
    CHECK(l.download_target() == 1);
    CHECK(l.reader_generation() == 0);
    CHECK(l.state().build_started_ms == 42);
    l.plan(two_ranges);
    l.range_acknowledged(0, 7);
    CHECK_FALSE(l.complete());
    CHECK_THROWS_AS(l.begin_swap(), std::logic_error);
    l.range_acknowledged(1, 5);
    l.range_acknowledged(1, 5);  // an acknowledgement counted once
    CHECK(l.state().loaded == 12);
    CHECK(l.complete());
    l.begin_swap();
    CHECK(l.phase() == phase::swapping);
    CHECK(l.reader_generation() == 0);
    CHECK(l.download_target() == 0);
    l.swapped();
    CHECK(l.phase() == phase::following);
    CHECK(l.reader_generation() == 1);
    CHECK(l.follower_targets() == std::vector<int>{1});
    CHECK(l.to_drop().empty());
}

TEST_CASE("lifecycle: a type without entities plans no ranges and is complete at once") {
    generation_lifecycle l("Shot", "h1");
    l.restore(type_state{}, {});
    l.index_created(1, 0);
    CHECK_FALSE(l.complete());  // bounds not read yet
    l.plan({});
    CHECK(l.complete());
    l.begin_swap();
    l.swapped();
    CHECK(l.reader_generation() == 1);
}

TEST_CASE("lifecycle I1: from the moment the id bounds are read, follower writes go to both generations") {
    auto l = followed();
    REQUIRE(l.request_rebuild() == generation_lifecycle::rebuild_answer::started);
    CHECK(l.phase() == phase::preparing);
    CHECK(l.follower_targets() == std::vector<int>{1});
    // The bounds cannot be read before the new index takes follower writes.
    CHECK_THROWS_AS(l.plan(two_ranges), std::logic_error);
    l.index_created(l.generation_to_create(), 0);
    CHECK(l.follower_targets() == std::vector<int>{1, 2});
    l.plan(two_ranges);  // the bounds are read now...
    CHECK(l.follower_targets() == std::vector<int>{1, 2});  // ...and both take every write
    CHECK(l.download_target() == 2);                        // the download writes the new one only
    l.range_acknowledged(0, 1);
    l.range_acknowledged(1, 1);
    l.begin_swap();
    CHECK(l.follower_targets() == std::vector<int>{1, 2});  // until the aliases have moved
    l.swapped();
    CHECK(l.follower_targets() == std::vector<int>{2});
    // Planning twice is a bug.
    REQUIRE(l.request_rebuild() == generation_lifecycle::rebuild_answer::started);
    l.index_created(l.generation_to_create(), 0);
    l.plan(two_ranges);
    CHECK_THROWS_AS(l.plan(two_ranges), std::logic_error);
}

TEST_CASE("lifecycle I2: a dropped generation is never a target again and its number never comes back") {
    auto l = followed();
    l.request_rebuild();
    l.index_created(2, 0);
    l.plan(two_ranges);
    l.range_acknowledged(0, 1);
    l.range_acknowledged(1, 1);
    l.begin_swap();
    l.swapped();
    CHECK(l.to_drop() == std::vector<int>{1});
    CHECK_FALSE(has(l.follower_targets(), 1));
    CHECK(l.download_target() != 1);
    l.dropped(1);
    CHECK(l.to_drop().empty());
    // A cancelled build's number is not handed out again.
    l.request_rebuild();
    CHECK(l.generation_to_create() == 3);
    l.index_created(3, 0);
    REQUIRE(l.request_cancel() == generation_lifecycle::cancel_answer::cancelled);
    l.abandon();
    CHECK(l.to_drop() == std::vector<int>{3});
    CHECK(l.follower_targets() == std::vector<int>{2});
    l.request_rebuild();
    CHECK(l.generation_to_create() == 4);
    // Only the numbers it hands out are accepted.
    CHECK_THROWS_AS(l.index_created(3, 0), std::logic_error);
    // The dropping list survives a crash, and a state written before last_generation existed
    // still never reuses a number that is being dropped.
    type_state old;
    old.active = 2;
    old.active_hash = "h1";
    old.dropping = {5};
    generation_lifecycle r("Shot", "h1");
    r.restore(old, {true, false});
    CHECK(r.to_drop() == std::vector<int>{5});
    r.request_rebuild();
    CHECK(r.generation_to_create() == 6);
}

TEST_CASE("lifecycle I3: readers see a generation only when every range is acknowledged") {
    auto l = followed();
    l.request_rebuild();
    CHECK_THROWS_AS(l.begin_swap(), std::logic_error);  // preparing
    l.index_created(2, 0);
    CHECK_THROWS_AS(l.begin_swap(), std::logic_error);  // not planned
    l.plan(two_ranges);
    l.range_acknowledged(0, 1);
    CHECK_THROWS_AS(l.begin_swap(), std::logic_error);  // one range left
    CHECK_THROWS_AS(l.swapped(), std::logic_error);
    CHECK(l.reader_generation() == 1);
    l.range_acknowledged(1, 1);
    l.begin_swap();
    CHECK(l.reader_generation() == 1);
    l.swapped();
    CHECK(l.reader_generation() == 2);
    CHECK_FALSE(has(l.to_drop(), l.reader_generation()));
}

TEST_CASE("lifecycle I4: a cancelled rebuild leaves the current generation serving and written") {
    auto l = followed();
    l.request_rebuild();
    // Cancelled before its index exists.
    REQUIRE(l.request_cancel() == generation_lifecycle::cancel_answer::cancelled);
    CHECK(l.request_cancel() == generation_lifecycle::cancel_answer::not_building);  // once
    l.abandon();
    CHECK(l.phase() == phase::following);
    CHECK(l.reader_generation() == 1);
    CHECK(l.follower_targets() == std::vector<int>{1});
    CHECK(l.to_drop().empty());  // nothing was created
    // Cancelled while loading.
    l.request_rebuild();
    l.index_created(l.generation_to_create(), 0);
    l.plan(two_ranges);
    l.range_acknowledged(0, 1);
    REQUIRE(l.request_cancel() == generation_lifecycle::cancel_answer::cancelled);
    CHECK_THROWS_AS(l.begin_swap(), std::logic_error);
    l.abandon();
    CHECK(l.reader_generation() == 1);
    CHECK(l.follower_targets() == std::vector<int>{1});
    CHECK(l.to_drop() == std::vector<int>{2});
    CHECK(l.state().building == 0);
    // A build that is swapping cannot be cancelled any more; a first download never.
    l.request_rebuild();
    l.index_created(l.generation_to_create(), 0);
    l.plan({});
    l.begin_swap();
    CHECK(l.request_cancel() == generation_lifecycle::cancel_answer::not_building);
    generation_lifecycle first("Shot", "h1");
    first.restore(type_state{}, {});
    CHECK(first.request_cancel() == generation_lifecycle::cancel_answer::first_download);
    CHECK(followed().request_cancel() == generation_lifecycle::cancel_answer::not_building);
}

TEST_CASE("lifecycle I4: a crashed rebuild resumes into its own index with the current generation serving") {
    auto l = followed();
    l.request_rebuild();
    l.index_created(2, 5);
    l.plan(two_ranges);
    l.range_acknowledged(0, 3);
    // The process dies; the next one finds the persisted state and both indices.
    auto r = after_crash(l, "h1", {true, true});
    CHECK(r.phase() == phase::loading);
    CHECK(r.ranges_planned());
    CHECK(r.reader_generation() == 1);
    CHECK(r.follower_targets() == std::vector<int>{1, 2});
    CHECK(r.state().done == std::vector<bool>{true, false});
    CHECK(r.state().loaded == 3);
    r.range_acknowledged(1, 2);
    r.begin_swap();
    r.swapped();
    CHECK(r.reader_generation() == 2);

    // Crashed after creating the index, before the ranges were planned: the build resumes
    // into its index and plans its ranges now, the follower writing to both first (I1).
    auto m = followed();
    m.request_rebuild();
    m.index_created(2, 0);
    auto r2 = after_crash(m, "h1", {true, true});
    CHECK(r2.phase() == phase::loading);
    CHECK_FALSE(r2.ranges_planned());
    CHECK(r2.to_drop().empty());
    CHECK(r2.follower_targets() == std::vector<int>{1, 2});
    r2.plan(two_ranges);
    CHECK(r2.state().building == 2);

    // The building index vanished: started again under a new number.
    auto r3 = after_crash(l, "h1", {true, false});
    CHECK(r3.phase() == phase::preparing);
    CHECK(r3.reader_generation() == 1);
    CHECK(r3.generation_to_create() == 3);

    // A crash in the middle of the swap: the aliases may or may not have moved; the build
    // resumes complete, and swapping again is idempotent.
    auto s = followed();
    s.request_rebuild();
    s.index_created(2, 0);
    s.plan(two_ranges);
    s.range_acknowledged(0, 1);
    s.range_acknowledged(1, 1);
    s.begin_swap();
    auto r4 = after_crash(s, "h1", {true, true});
    CHECK(r4.phase() == phase::loading);
    CHECK(r4.complete());
    r4.begin_swap();
    r4.swapped();
    CHECK(r4.reader_generation() == 2);
    CHECK(r4.to_drop() == std::vector<int>{1});
}

TEST_CASE("lifecycle I3: a stop between the alias swap and its record completes the swap at restore") {
    auto l = followed();
    l.request_rebuild();
    l.index_created(2, 0);
    l.plan({});  // an empty type
    l.begin_swap();
    // The aliases moved to 2; the process stopped before recording it.
    generation_lifecycle::index_facts facts{true, true, 2};
    generation_lifecycle r("Shot", "h2");  // and the config was edited meanwhile
    auto out = r.restore(l.state(), facts);
    CHECK(out.swap_completed);
    CHECK(r.reader_generation() == 2);
    CHECK(r.to_drop() == std::vector<int>{1});  // the old one, never the readers'
    CHECK(r.phase() == phase::preparing);       // h2: a new build, readers stay on 2
    CHECK(r.generation_to_create() == 3);
    // The aliases still on the old generation: the build resumes as usual.
    generation_lifecycle same("Shot", "h1");
    CHECK_FALSE(same.restore(l.state(), {true, true, 1}).swap_completed);
    CHECK(same.reader_generation() == 1);
}

TEST_CASE("lifecycle: an index created while the type failed is recorded, then dropped") {
    auto l = followed();
    l.request_rebuild();
    const int g = l.generation_to_create();
    CHECK_THROWS_AS(l.index_not_used(g + 1), std::logic_error);  // only the number handed out
    l.fail("gone");
    l.index_not_used(g);
    CHECK(l.to_drop() == std::vector<int>{g});
    CHECK(l.state().last_generation == g);
    CHECK(l.follower_targets().empty());
}

TEST_CASE("lifecycle: restore follows, rebuilds for a changed config, and notices a lost index") {
    auto l = followed("h1");
    auto same = after_crash(l, "h1", {true, false});
    CHECK(same.phase() == phase::following);
    CHECK(same.follower_targets() == std::vector<int>{1});

    auto changed = after_crash(l, "h2", {true, false});
    CHECK(changed.phase() == phase::preparing);
    CHECK(changed.reader_generation() == 1);  // readers keep the old config's data meanwhile
    CHECK(changed.follower_targets() == std::vector<int>{1});
    changed.index_created(changed.generation_to_create(), 0);
    CHECK(changed.state().building_hash == "h2");

    auto lost = after_crash(l, "h1", {false, false});
    CHECK(lost.phase() == phase::preparing);
    CHECK(lost.reader_generation() == 0);

    // A build of an older config is not resumed.
    l.request_rebuild();
    l.index_created(2, 0);
    l.plan(two_ranges);
    auto other = after_crash(l, "h3", {true, true});
    CHECK(other.phase() == phase::preparing);
    CHECK(other.to_drop() == std::vector<int>{2});
    CHECK(other.generation_to_create() == 3);

    // A rebuild asked for before start-up looked at the type is not forgotten.
    generation_lifecycle early("Shot", "h1");
    CHECK(early.request_rebuild() == generation_lifecycle::rebuild_answer::started);
    early.restore(followed("h1").state(), {true, false});
    CHECK(early.phase() == phase::preparing);

    // Removed configs: every index the type has.
    type_state removed;
    removed.active = 4;
    removed.building = 5;
    removed.dropping = {3};
    auto gens = generation_lifecycle::generations_of_removed(removed);
    std::sort(gens.begin(), gens.end());
    CHECK(gens == std::vector<int>{3, 4, 5});
}

TEST_CASE("lifecycle: requests answer for every phase; a failed type writes nothing") {
    generation_lifecycle l("Shot", "h1");
    l.restore(type_state{}, {});
    CHECK(l.request_rebuild() == generation_lifecycle::rebuild_answer::already);  // first download due
    l.index_created(1, 0);
    CHECK(l.request_rebuild() == generation_lifecycle::rebuild_answer::already);
    l.fail("the site has no entity type Shot any more");
    CHECK(l.phase() == phase::failed);
    CHECK(l.follower_targets().empty());
    CHECK(l.download_target() == 0);
    CHECK(l.to_drop() == std::vector<int>{1});
    CHECK(l.request_rebuild() == generation_lifecycle::rebuild_answer::failed);
    CHECK(l.request_cancel() == generation_lifecycle::cancel_answer::not_building);
    CHECK(l.failure().find("no entity type") != std::string::npos);

    // Failing in the middle of a swap lets the swap finish first.
    auto s = followed();
    s.request_rebuild();
    s.index_created(2, 0);
    s.plan({});
    s.begin_swap();
    s.fail("gone");
    CHECK(s.phase() == phase::swapping);
    s.swapped();
    CHECK(s.phase() == phase::failed);
    CHECK(s.reader_generation() == 2);
    CHECK(s.follower_targets().empty());
}

TEST_CASE("lifecycle: a reload that changes the config rebuilds; one that removes it drops every generation") {
    // Following: a rebuild of the new config, readers stay on the current generation.
    auto l = followed("h1");
    l.config_changed("h1");  // the same hash: nothing
    CHECK(l.phase() == phase::following);
    l.config_changed("h2");
    CHECK(l.phase() == phase::preparing);
    CHECK(l.reader_generation() == 1);
    l.index_created(l.generation_to_create(), 0);
    CHECK(l.state().building_hash == "h2");
    // Loading: that build is of an old config now; it goes and a new one starts.
    l.plan(two_ranges);
    l.config_changed("h3");
    CHECK(l.phase() == phase::preparing);
    CHECK(l.to_drop() == std::vector<int>{2});
    CHECK(l.follower_targets() == std::vector<int>{1});  // I2: it left the targets at once
    CHECK(l.generation_to_create() == 3);
    l.index_created(3, 0);
    CHECK(l.state().building_hash == "h3");
    // Swapping: the swap completes, then the rebuild starts.
    l.plan({});
    l.begin_swap();
    l.config_changed("h4");
    CHECK(l.phase() == phase::swapping);
    l.swapped();
    CHECK(l.reader_generation() == 3);
    CHECK(l.phase() == phase::preparing);
    CHECK(l.generation_to_create() == 4);

    // Removed: nothing is written; every generation goes, the readers' included.
    auto r = followed("h1");
    r.request_rebuild();
    r.index_created(2, 0);
    r.remove(true);
    CHECK(r.phase() == phase::removed);
    CHECK(r.follower_targets().empty());
    CHECK(r.download_target() == 0);
    auto gone = r.to_drop();
    std::sort(gone.begin(), gone.end());
    CHECK(gone == std::vector<int>{1, 2});
    CHECK(r.reader_generation() == 0);
    CHECK(r.request_rebuild() == generation_lifecycle::rebuild_answer::failed);
    // Kept (sync.keep_removed_types): nothing written, nothing dropped.
    auto k = followed("h1");
    k.remove(false);
    CHECK(k.phase() == phase::removed);
    CHECK(k.to_drop().empty());
    CHECK(k.follower_targets().empty());
    // Removed while swapping: after the swap.
    auto s = followed("h1");
    s.request_rebuild();
    s.index_created(2, 0);
    s.plan({});
    s.begin_swap();
    s.remove(true);
    CHECK(s.phase() == phase::swapping);
    s.swapped();
    CHECK(s.phase() == phase::removed);
    gone = s.to_drop();
    std::sort(gone.begin(), gone.end());
    CHECK(gone == std::vector<int>{1, 2});
}

TEST_CASE("lifecycle: random walks of requests, progress, cancels, failures and crashes keep every invariant") {
    std::mt19937 rng(20261207);
    for (int walk = 0; walk < 3000; ++walk) {
        generation_lifecycle l("Shot", "h1");
        std::string hash = "h1";
        l.restore(type_state{}, {});
        std::set<int> handed_out_to_drop;  // every generation ever given up
        std::set<int> indices;             // indices that exist
        int readers = 0;                   // what the aliases point at
        bool complete_generation_of_readers = true;
        for (int step = 0; step < 40; ++step) {
            const phase before = l.phase();
            const int readers_before = l.reader_generation();
            const bool complete_before = l.complete();
            switch (rng() % 11) {
                case 0: l.request_rebuild(); break;
                case 1:
                    if (l.request_cancel() == generation_lifecycle::cancel_answer::cancelled) l.abandon();
                    break;
                case 2:
                    if (l.phase() == phase::preparing) {
                        const int g = l.generation_to_create();
                        CHECK_FALSE(handed_out_to_drop.count(g));  // I2: no number comes back
                        indices.insert(g);
                        l.index_created(g, step);
                    }
                    break;
                case 3:
                    if (l.phase() == phase::loading && !l.ranges_planned()) {
                        // I1: the bounds are read only while the follower writes to both.
                        CHECK(std::find(l.follower_targets().begin(), l.follower_targets().end(), l.state().building) !=
                              l.follower_targets().end());
                        l.plan(rng() % 3 ? two_ranges : std::vector<std::pair<std::int64_t, std::int64_t>>{});
                    }
                    break;
                case 4:
                    if (l.phase() == phase::loading && l.ranges_planned() && !l.state().ranges.empty()) {
                        l.range_acknowledged(rng() % l.state().ranges.size(), 1);
                    }
                    break;
                case 5:
                    if (l.phase() == phase::loading && l.complete() && !l.cancel_requested()) l.begin_swap();
                    break;
                case 9:
                    if (l.phase() == phase::swapping) l.swapped();
                    break;
                case 10:  // a reload with an edited config
                    hash = hash == "h1" ? "h2" : "h1";
                    l.config_changed(hash);
                    break;
                case 6: {  // a crash, sometimes with an edited config
                    if (rng() % 4 == 0) hash = hash == "h1" ? "h2" : "h1";
                    generation_lifecycle r(l.type(), hash);
                    // The aliases point at the readers' generation, or already at the build when
                    // the crash came between the alias swap and its record.
                    const int aliased = l.phase() == phase::swapping && rng() % 2 ? l.state().building : readers_before;
                    r.restore(l.state(), {indices.count(l.state().active) > 0, indices.count(l.state().building) > 0, aliased});
                    // I4: the generation readers see survives a crash as long as its index does
                    // (it is the build's when the aliases had moved to it).
                    CHECK(r.reader_generation() == aliased);
                    l = r;
                    break;
                }
                case 7:
                    for (int g : std::vector<int>(l.to_drop())) {
                        indices.erase(g);
                        l.dropped(g);
                    }
                    break;
                case 8:
                    if (rng() % 10 == 0) l.fail("gone");
                    break;
            }
            for (int g : l.to_drop()) handed_out_to_drop.insert(g);
            const auto targets = l.follower_targets();
            // I1
            if ((l.phase() == phase::loading || l.phase() == phase::swapping) && l.state().building) {
                CHECK(std::find(targets.begin(), targets.end(), l.state().building) != targets.end());
            }
            // I2: nothing given up is written to or read from again.
            for (int g : targets) CHECK_FALSE(handed_out_to_drop.count(g));
            CHECK_FALSE(handed_out_to_drop.count(l.download_target()));
            CHECK_FALSE(handed_out_to_drop.count(l.reader_generation()));
            // I3: the readers' generation changes only through a complete swap.
            if (l.reader_generation() != readers_before) {
                CHECK(before == phase::swapping);
                CHECK(complete_before);
                readers = l.reader_generation();
                complete_generation_of_readers = complete_before;
            }
            CHECK(complete_generation_of_readers);
            // I4: the readers' generation is written to while the type is not failed.
            if (l.reader_generation() && l.phase() != phase::failed) {
                CHECK(std::find(targets.begin(), targets.end(), l.reader_generation()) != targets.end());
            }
            if (l.phase() == phase::failed) break;
        }
        (void)readers;
    }
}
