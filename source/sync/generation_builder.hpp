// Builds generations: the full download of every type whose lifecycle says a build is due
// (at start, after a config change, on a rebuild request), then the swap that shows it to
// readers, then the drop of the generation it replaced. It drives each type's
// generation_lifecycle; the lifecycle says what the follower and the download write to.
//
// A build, per type:
//   1. creates the index of the next generation, which from then on takes every follower
//      write (I1), and records it;
//   2. reads the id bounds and the count (with the type's filters), plans ranges of about
//      snapshot_range_size entities, records them;
//   3. loads the ranges by keyset paging with a fixed number of workers shared by all types
//      (biggest types first); a range counts as done, and is recorded, only when every
//      document read in it is acknowledged, so a crash resumes the download where it was;
//   4. when every type of the pass is loaded: looks again for links retired or renamed
//      meanwhile (change_applier::relook_after_download), swaps all finished types at once
//      (sync/generation_swap.hpp), and drops the old generations once nothing writes to
//      them any more (I2).
// A cancelled build is abandoned at the next step boundary: its index is dropped, the active
// generation stays (I4).
//
// Errors: run() throws what needs a human; failures of the site or the cluster are retried
// (a failed range is read again, a failed finish is redone: every step is idempotent).
// Cancellation: at any co_await; the persisted state stays consistent.
#pragma once

#include "sync/change_applier.hpp"
#include "sync/engine.hpp"
#include "sync/sync_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sgcache::sync {

struct build_progress {
    std::uint64_t total = 0;   // estimated entities
    std::uint64_t loaded = 0;  // acknowledged documents
    double rate = 0;           // documents per second in this run
};

class generation_builder {
public:
    generation_builder(sync_context& ctx, change_applier& applier);

    /// Runs the builds due at start, then waits for requests, for ever.
    boost::asio::awaitable<void> run();

    /// Starts a build of each type while its current generation keeps serving. Throws
    /// std::invalid_argument, changing nothing, for a type that is not cached or failed.
    engine::rebuild_outcome request_rebuild(const std::vector<std::string>& types);
    /// Abandons running builds. Throws std::invalid_argument, changing nothing, for a type
    /// that is not cached.
    engine::cancel_outcome request_cancel(const std::vector<std::string>& types);

    /// The running build of `type` (zeros when none).
    build_progress progress(const std::string& type) const;

    /// Looks for due builds and generations to drop now (after a reload changed types).
    void wake();

private:
    // This process's run of a type's build: what is read, what is acknowledged, figures.
    struct download_run {
        int generation = 0;  // the build this run belongs to (a new build resets it)
        std::uint64_t total = 0;
        std::vector<std::shared_ptr<ack_group>> range_groups;  // per range, this run
        std::vector<bool> range_read;                          // per range: every page queued
        bool early_refresh = false;                            // see refresh_early()
        std::uint64_t loaded_at_start = 0;
        std::int64_t started_ms = 0;
        std::uint64_t sg_requests_at_start = 0, sg_retries_at_start = 0, bulk_requests_at_start = 0;
    };

    boost::asio::awaitable<void> build_due();
    boost::asio::awaitable<void> prepare(type_runtime& rt);
    boost::asio::awaitable<void> prepare_with_retries(type_runtime& rt);
    boost::asio::awaitable<std::uint64_t> plan_ranges_of(type_runtime& rt);
    void start_run(type_runtime& rt, std::uint64_t total);
    boost::asio::awaitable<void> load_range(type_runtime& rt, std::size_t k);
    bool all_ranges_read(const type_runtime& rt) const;
    boost::asio::awaitable<void> refresh_early(type_runtime& rt);
    boost::asio::awaitable<void> record_progress(type_runtime& rt);
    boost::asio::awaitable<void> abandon(type_runtime& rt);
    boost::asio::awaitable<void> finish(const std::vector<type_runtime*>& rts);
    void report_finished(type_runtime& rt);

    sync_context& ctx_;
    change_applier& applier_;
    std::map<std::string, download_run> runs_;
    // Requests wake run(); a timer that never expires is the condition.
    bool requested_ = false;
    std::optional<boost::asio::steady_timer> wakeup_;
};

}  // namespace sgcache::sync
