#include "sync/generation_builder.hpp"

#include "sync/generation_swap.hpp"

#include "common/log.hpp"
#include "common/task_group.hpp"
#include "shotgun/filters.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <limits>
#include <deque>
#include <set>
#include <stdexcept>

namespace sgcache::sync {

namespace asio = boost::asio;
namespace json = boost::json;

generation_builder::generation_builder(sync_context& ctx, change_applier& applier) : ctx_(ctx), applier_(applier) {}

// ------------------------------------------------------------------------ requests

engine::rebuild_outcome generation_builder::request_rebuild(const std::vector<std::string>& names) {
    // Every name is checked before anything changes.
    for (const auto& n : names) {
        auto it = ctx_.types.find(n);
        if (it == ctx_.types.end() || it->second.life.phase() == build_phase::removed) {
            throw std::invalid_argument("'" + n + "' is not a cached entity type");
        }
        if (it->second.life.phase() == build_phase::failed) {
            throw std::invalid_argument("'" + n + "' cannot be rebuilt: " + it->second.life.failure());
        }
    }
    engine::rebuild_outcome out;
    for (const auto& n : names) {
        auto& rt = ctx_.types.at(n);
        if (rt.life.request_rebuild() == generation_lifecycle::rebuild_answer::started) {
            out.started.push_back(n);
            log::info("snapshot", "rebuild requested; the current generation keeps serving", {{"type", n}});
        } else {
            out.already.push_back(n);
        }
    }
    wake();
    return out;
}

engine::cancel_outcome generation_builder::request_cancel(const std::vector<std::string>& names) {
    for (const auto& n : names) {
        auto it = ctx_.types.find(n);
        if (it == ctx_.types.end() || it->second.life.phase() == build_phase::removed) {
            throw std::invalid_argument("'" + n + "' is not a cached entity type");
        }
    }
    engine::cancel_outcome out;
    for (const auto& n : names) {
        switch (ctx_.types.at(n).life.request_cancel()) {
            case generation_lifecycle::cancel_answer::cancelled: out.cancelled.push_back(n); break;
            case generation_lifecycle::cancel_answer::first_download: out.first_download.push_back(n); break;
            case generation_lifecycle::cancel_answer::not_building: out.not_building.push_back(n); break;
        }
    }
    // A build not started yet is abandoned by the next pass, which this starts.
    wake();
    return out;
}

void generation_builder::wake() {
    requested_ = true;
    if (wakeup_) wakeup_->cancel();
}

asio::awaitable<void> generation_builder::run() {
    wakeup_.emplace(ctx_.ex, asio::steady_timer::time_point::max());
    for (;;) {
        co_await build_due();
        while (!requested_) {
            boost::system::error_code ec;
            co_await wakeup_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        requested_ = false;
    }
}

build_progress generation_builder::progress(const std::string& type) const {
    build_progress p;
    auto rt = ctx_.types.find(type);
    auto run = runs_.find(type);
    if (rt == ctx_.types.end() || run == runs_.end() || !rt->second.life.building()) return p;
    const type_state& st = rt->second.life.state();
    if (run->second.generation != st.building) return p;
    // Acknowledged ranges, plus what is acknowledged so far of the others.
    std::uint64_t loaded = st.loaded;
    for (std::size_t k = 0; k < run->second.range_groups.size() && k < st.done.size(); ++k) {
        const auto& g = run->second.range_groups[k];
        if (g && !st.done[k]) loaded += g->settled;
    }
    p.loaded = loaded;
    p.total = std::max(run->second.total, loaded);
    const double secs = (now_ms() - run->second.started_ms) / 1000.0;
    p.rate = secs > 0 && loaded >= run->second.loaded_at_start ? (loaded - run->second.loaded_at_start) / secs : 0;
    return p;
}

// ------------------------------------------------------------------------ one build's steps

// Step 1: the index of the next generation. It takes follower writes from the moment it
// exists, before the id bounds are read (I1): an entity created after the bounds were read
// is beyond every range, and only the follower brings it.
asio::awaitable<void> generation_builder::prepare(type_runtime& rt) {
    if (rt.life.phase() == build_phase::preparing) {
        // Only this coroutine hands out generation numbers; meanwhile only fail() can move the
        // phase off `preparing` (a cancel is a flag, abandon() runs between passes).
        const int gen = rt.life.generation_to_create();
        const std::string index = rt.names.generation(gen);
        const std::string hash = rt.life.config_hash();
        // A leftover of a crash between creating the index and recording it.
        co_await ctx_.es.delete_index(index);
        // Its replicas started before the first document goes in: a node lost during the
        // download then leaves a copy of every shard, and the download goes on without it.
        const int replicas = ctx_.s.elasticsearch.replicas;
        co_await ctx_.es.create_index_started(index, config::index_body(*rt.cfg, 1, replicas, "-1"), replicas);
        if (rt.life.phase() == build_phase::preparing && rt.life.config_hash() != hash) {
            // A reload changed the config meanwhile: this mapping is the old one.
            rt.life.index_not_used(gen);
            co_await ctx_.drop_generations(rt);
            co_return;
        }
        if (rt.life.phase() != build_phase::preparing) {
            // The type failed meanwhile (its schema check ran): the index is not wanted. It
            // is recorded before it is deleted, so a failure of the deletion leaks nothing.
            rt.life.index_not_used(gen);
            co_await ctx_.drop_generations(rt);
            co_return;
        }
        rt.life.index_created(gen, now_ms());
        ctx_.sync_targets(rt);
        co_await ctx_.save(rt);
    } else if (rt.life.phase() == build_phase::loading && !rt.life.ranges_planned()) {
        // Restored from a stop between recording the index and planning its ranges.
        log::info("snapshot", "resuming a full download: its ranges are planned now",
                  {{"type", rt.type()}, {"index", rt.names.generation(rt.life.state().building)}});
    }
    if (rt.life.phase() != build_phase::loading) co_return;
    std::uint64_t total = 0;
    if (!rt.life.ranges_planned()) {
        total = co_await plan_ranges_of(rt);
    } else {
        // The count is not known again after a restart: what was loaded stands for it.
        total = rt.life.state().loaded;
        log::info("snapshot", "resuming a full download",
                  {{"type", rt.type()}, {"index", rt.names.generation(rt.life.state().building)},
                   {"ranges_done", rt.life.state().ranges_done()}, {"ranges", rt.life.state().ranges.size()}});
    }
    if (rt.life.phase() == build_phase::loading) start_run(rt, total);
}

// Step 2: the size and id bounds of the type (with its filters), and the ranges from them.
// Returns the size.
asio::awaitable<std::uint64_t> generation_builder::plan_ranges_of(type_runtime& rt) {
    const auto& s = ctx_.s;
    json::array summaries{json::object{{"field", "id"}, {"type", "record_count"}}};
    const json::array no_grouping;
    auto count = co_await ctx_.sg.summarize(rt.type(), summaries, rt.filters, no_grouping);
    std::uint64_t total = 0;
    if (auto su = count.if_contains("summaries"); su && su->is_object()) {
        if (auto n = su->get_object().if_contains("id"); n && n->is_number()) total = n->to_number<std::uint64_t>();
    }
    shotgun::read_request edge;
    edge.type = rt.type();
    edge.fields = {"id"};
    edge.filters = rt.filters;
    edge.page_size = 1;
    edge.sorts.push_back({"id", false});
    auto first = co_await ctx_.sg.read(edge);
    edge.sorts.back().descending = true;
    auto last = co_await ctx_.sg.read(edge);
    // Only a failure of the type moves the lifecycle during these reads (a cancel is a flag).
    if (rt.life.phase() != build_phase::loading) co_return total;
    std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
    if (!first.entities.empty() && !last.entities.empty()) {
        // Ranges of about snapshot_range_size entities each, from the density of ids:
        // small enough that several workers share even a mid-sized type.
        const std::int64_t lo = id_of(first.entities[0]), hi = id_of(last.entities[0]);
        const double span = static_cast<double>(hi - lo + 1);
        const double n = std::max<double>(1.0, static_cast<double>(total));
        const auto ids_per_range =
            static_cast<std::int64_t>(std::max(1.0, span * static_cast<double>(s.sync.snapshot_range_size) / n));
        ranges = plan_ranges(lo, hi, ids_per_range);
    }
    rt.life.plan(std::move(ranges));
    co_await ctx_.save(rt);
    log::info("snapshot", "full download started",
              {{"type", rt.type()}, {"index", rt.names.generation(rt.life.state().building)}, {"entities", total},
               {"ranges", rt.life.state().ranges.size()}});
    co_return total;
}

void generation_builder::start_run(type_runtime& rt, std::uint64_t total) {
    const type_state& st = rt.life.state();
    auto& run = runs_[rt.type()];
    run = download_run{};
    run.generation = st.building;
    run.total = total;
    run.range_groups.assign(st.ranges.size(), nullptr);
    run.range_read.assign(st.ranges.size(), false);
    run.loaded_at_start = st.loaded;
    run.started_ms = now_ms();
    run.sg_requests_at_start = ctx_.sg.stats().requests;
    run.sg_retries_at_start = ctx_.sg.stats().retries;
    run.bulk_requests_at_start = ctx_.snapshot_writer.indexer_stats().requests;
}

asio::awaitable<void> generation_builder::prepare_with_retries(type_runtime& rt) {
    for (int attempt = 1;; ++attempt) {
        std::string failure;
        try {
            co_await prepare(rt);
            co_return;
        } catch (const std::exception& e) {
            if (!transient(e)) throw;
            failure = e.what();
        }
        co_await ctx_.backoff(attempt, "preparing a full download", failure);
    }
}

// Step 3: one range by keyset paging, its documents queued to the download's generation.
asio::awaitable<void> generation_builder::load_range(type_runtime& rt, std::size_t k) {
    // `run` stays valid across the reads: runs_ entries are reset and erased only outside
    // the worker group (start_run before it, abandon and report_finished after it).
    auto& run = runs_[rt.type()];
    auto group = std::make_shared<ack_group>();
    run.range_groups[k] = group;
    auto [after, up_to] = rt.life.state().ranges[k];  // a copy: fail() clears the ranges
    const std::int64_t range_after = after;
    const bool last_range = k + 1 == rt.life.state().ranges.size();
    // Never more than the site gives per page: a short page would look like the range's last.
    const std::size_t page_size = co_await ctx_.sg.page_size(ctx_.s.shotgun.page_size);
    for (;;) {
        // Read in place and dropped whole: the page owns its buffer (see read_request).
        auto page = co_await ctx_.sg.read_after(rt.type(), rt.fields, rt.filters, after, up_to, page_size, false,
                                                /*owned_arena=*/true);
        for (const auto& e : page.entities) {
            if (e.is_object()) co_await ctx_.snapshot_writer.write(rt.type(), e.get_object(), page.version, group);
        }
        if (page.entities.size() < page_size) break;
        after = id_of(page.entities.back());
    }
    // The range's retired entities too, kept with their fields (documents.hpp): the first
    // range from id 1, the last without an upper end (ranges span the active entities' ids).
    std::int64_t retired_after = k == 0 ? 0 : range_after;
    // Shotgun ids are 32-bit integers: the last range's retired read ends at the largest.
    const std::int64_t retired_up_to = last_range ? std::numeric_limits<std::int32_t>::max() : up_to;
    for (;;) {
        auto page = co_await ctx_.sg.read_after(rt.type(), rt.fields, rt.filters, retired_after, retired_up_to, page_size,
                                                /*retired_only=*/true, /*owned_arena=*/true);
        for (const auto& e : page.entities) {
            if (e.is_object()) co_await ctx_.snapshot_writer.write(rt.type(), e.get_object(), page.version, group, true);
        }
        if (page.entities.size() < page_size) break;
        retired_after = id_of(page.entities.back());
    }
    run.range_read[k] = true;
    log::debug("snapshot", "range read", {{"type", rt.type()}, {"range", k}, {"entities", group->entities}});
}

bool generation_builder::all_ranges_read(const type_runtime& rt) const {
    const auto& run = runs_.at(rt.type());
    const type_state& st = rt.life.state();
    for (std::size_t k = 0; k < st.ranges.size(); ++k) {
        if (!st.done[k] && !run.range_read[k]) return false;
    }
    return true;
}

// Once every range of a type has been read, most of its documents are in the node's
// indexing buffer: refreshing now writes them to segments while other types still load.
// Left to the final refresh in swap(), every type's segments would be written at once at
// the end, where a small node has a single refresh thread and its other cores idle. Only a
// hint: swap()'s refresh is what makes the generation searchable.
asio::awaitable<void> generation_builder::refresh_early(type_runtime& rt) {
    const int g = rt.life.download_target();
    if (!g) co_return;
    try {
        co_await ctx_.es.refresh(rt.names.generation(g));
    } catch (const std::exception& e) {
        if (!transient(e)) throw;
    }
}

// Records the ranges whose documents are all acknowledged; persists progress when any.
asio::awaitable<void> generation_builder::record_progress(type_runtime& rt) {
    if (rt.life.phase() != build_phase::loading) co_return;  // failed meanwhile
    const auto& run = runs_.at(rt.type());
    bool changed = false;
    for (std::size_t k = 0; k < rt.life.state().ranges.size(); ++k) {
        const auto& g = run.range_groups[k];
        if (rt.life.state().done[k] || !run.range_read[k] || !g || !g->complete()) continue;
        rt.life.range_acknowledged(k, g->entities);
        changed = true;
    }
    if (changed) co_await ctx_.save(rt);
}

// A cancelled build: its index goes once nothing writes to it; the active one stays (I4).
asio::awaitable<void> generation_builder::abandon(type_runtime& rt) {
    rt.life.abandon();
    ctx_.sync_targets(rt);
    co_await ctx_.save(rt);
    co_await ctx_.drop_generations(rt);
    runs_.erase(rt.type());
    log::info("snapshot", "rebuild cancelled; the current generation stays", {{"type", rt.type()}});
}

// ------------------------------------------------------------------------ a pass over due types

// Downloads every type whose build is due: a fixed number of workers (one limit across all
// types) pull ranges from one queue; progress is persisted as ranges are acknowledged. Then
// finishes them together.
asio::awaitable<void> generation_builder::build_due() {
    // Builds cancelled before they started, and what failed types left, go first.
    for (auto& [name, rt] : ctx_.types) {
        for (int attempt = 1;; ++attempt) {
            std::string failure;
            try {
                if (rt.life.cancel_requested()) co_await abandon(rt);
                co_await ctx_.drop_generations(rt);
                break;
            } catch (const std::exception& e) {
                if (!transient(e)) throw;
                failure = e.what();
            }
            co_await ctx_.backoff(attempt, "abandoning a build", failure);
        }
    }
    std::vector<type_runtime*> building;
    for (auto& [name, rt] : ctx_.types) {
        if (rt.life.phase() == build_phase::preparing || rt.life.phase() == build_phase::loading) building.push_back(&rt);
    }
    if (building.empty()) co_return;
    // Ranges waiting for a worker. Biggest types first: their final segments are then
    // written while the small ones load (see refresh_early), and no big type is left to
    // load alone at the end.
    std::deque<std::pair<type_runtime*, std::size_t>> queue;
    auto loading = [](const type_runtime& rt) {
        return rt.life.phase() == build_phase::loading && !rt.life.cancel_requested();
    };
    auto enqueue = [&](type_runtime& rt) {
        if (!loading(rt)) return;
        auto& run = runs_[rt.type()];
        const type_state& st = rt.life.state();
        for (std::size_t k = 0; k < st.ranges.size(); ++k) {
            if (!st.done[k]) {
                run.range_read[k] = false;
                queue.emplace_back(&rt, k);
            }
        }
        std::stable_sort(queue.begin(), queue.end(), [](const auto& x, const auto& y) {
            return x.first->life.state().ranges.size() > y.first->life.state().ranges.size();
        });
    };
    // Types are prepared side by side (an index creation and three small reads each), and
    // the first pass loads each type as soon as it is prepared: creating a dozen indices
    // takes the node most of a second, which the workers would otherwise spend waiting.
    std::set<type_runtime*> prepared;
    std::size_t preparing = 0;
    asio::steady_timer prepared_one(ctx_.ex, asio::steady_timer::time_point::max());
    auto prepare_one = [&](type_runtime* rt) -> asio::awaitable<void> {
        co_await prepare_with_retries(*rt);
        prepared.insert(rt);
        enqueue(*rt);
        --preparing;
        prepared_one.cancel();  // wakes the workers waiting for ranges
    };
    for (int pass = 1;; ++pass) {
        std::size_t failed = 0;
        // Prepares, workers and early refreshes. The lambdas capture this frame by reference:
        // safe only because group.wait() returns after every task ended, failures included.
        task_group group(ctx_.ex);
        auto worker = [&]() -> asio::awaitable<void> {
            for (;;) {
                if (queue.empty()) {
                    if (!preparing) break;
                    boost::system::error_code ec;
                    co_await prepared_one.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                    // The group's cancellation (a failure elsewhere, or shutdown) also ends
                    // this wait: leave then, rather than wait again.
                    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
                        throw boost::system::system_error(asio::error::operation_aborted);
                    }
                    continue;
                }
                // Copies: prepare_one() pushes to and re-sorts the queue while a worker waits.
                auto [rt, k] = queue.front();
                queue.pop_front();
                if (!loading(*rt)) continue;  // cancelled or failed since it was queued
                try {
                    co_await load_range(*rt, k);
                    co_await record_progress(*rt);
                    // In the background, and only while other ranges still load: at the
                    // end, the final refresh does the same work with nothing to hide it.
                    auto& run = runs_.at(rt->type());
                    if (loading(*rt) && !run.early_refresh && all_ranges_read(*rt) && (!queue.empty() || preparing)) {
                        run.early_refresh = true;
                        group.spawn(refresh_early(*rt));
                    }
                } catch (const std::exception& e) {
                    if (!transient(e)) throw;
                    ++failed;
                    log::warning("snapshot", "a range failed; it will be read again",
                                 {{"type", rt->type()}, {"range", k}, {"error", e.what()}});
                }
            }
        };
        for (auto* rt : building) {
            if (prepared.count(rt)) {
                enqueue(*rt);
            } else {
                ++preparing;
                group.spawn(prepare_one(rt));
            }
        }
        for (std::size_t i = 0; i < std::max<std::size_t>(1, ctx_.s.sync.snapshot_workers); ++i) group.spawn(worker());
        co_await group.wait();
        // Everything queued must be acknowledged before the ranges count as done.
        log::debug("snapshot", "all ranges read; waiting for acknowledgements");
        try {
            co_await ctx_.snapshot_writer.flush();
            log::debug("snapshot", "everything read is acknowledged");
        } catch (const std::exception& e) {
            if (!transient(e)) throw;
            ++failed;
            log::warning("snapshot", "some documents could not be delivered; their ranges will be read again",
                         {{"error", e.what()}});
        }
        for (auto* rt : building) {
            try {
                co_await record_progress(*rt);
            } catch (const std::exception& e) {
                if (!transient(e)) throw;
            }
        }
        if (failed) co_await sleep_for(std::chrono::milliseconds(std::min(30'000, 1000 * pass)));
        bool all_done = true;
        for (auto* rt : building) all_done &= !loading(*rt) || rt->life.complete();
        if (all_done) break;
    }
    for (int attempt = 1;; ++attempt) {
        std::string failure;
        try {
            for (auto* rt : building) {
                if (rt->life.cancel_requested()) co_await abandon(*rt);
                co_await ctx_.drop_generations(*rt);  // a type that failed meanwhile
            }
            co_await applier_.relook_after_download();
            co_await finish(building);
            break;
        } catch (const std::exception& e) {
            if (!transient(e)) throw;
            failure = e.what();
        }
        co_await ctx_.backoff(attempt, "finishing a full download", failure);
    }
}

// ------------------------------------------------------------------------ step 4: the swap

// Finishes every complete build of `rts` together. Idempotent, so a failure is retried
// from the top: types swapped by an earlier attempt only have their old generation to drop.
asio::awaitable<void> generation_builder::finish(const std::vector<type_runtime*>& rts) {
    std::vector<type_runtime*> swapping;
    for (auto* rt : rts) {
        if (rt->life.phase() == build_phase::loading && rt->life.complete() && !rt->life.cancel_requested()) {
            rt->life.begin_swap();
        }
        if (rt->life.phase() == build_phase::swapping) swapping.push_back(rt);
    }
    if (!swapping.empty()) co_await swap_generations(ctx_, swapping);
    for (auto* rt : swapping) report_finished(*rt);
    for (auto* rt : rts) co_await ctx_.drop_generations(*rt);
}

void generation_builder::report_finished(type_runtime& rt) {
    const type_state& st = rt.life.state();
    const std::string index = rt.names.generation(st.active);
    const double secs = (now_ms() - st.build_started_ms) / 1000.0;
    auto run = runs_.find(rt.type());
    if (ctx_.opts.watcher && run != runs_.end()) {
        download_report r;
        r.type = rt.type();
        r.generation = st.active;
        r.entities = st.loaded;
        r.seconds = secs;
        r.shotgun_requests = ctx_.sg.stats().requests - run->second.sg_requests_at_start;
        r.shotgun_retries = ctx_.sg.stats().retries - run->second.sg_retries_at_start;
        r.bulk_requests = ctx_.snapshot_writer.indexer_stats().requests - run->second.bulk_requests_at_start;
        if (auto it = ctx_.snapshot_writer.stats().find(rt.type()); it != ctx_.snapshot_writer.stats().end()) {
            r.rejected = it->second.rejected;
        }
        ctx_.opts.watcher->download_finished(r);
    }
    log::info("snapshot", "full download complete; readers now see the new generation",
              {{"type", rt.type()}, {"index", index}, {"documents", st.loaded}, {"seconds", secs}});
    runs_.erase(rt.type());
}

}  // namespace sgcache::sync
