// The engine only orchestrates: start-up, then the follower, the generation builder, the
// safety scan and the maintenance loop side by side (the first that fails for good stops
// the others), and the status assembled from each. What each part does is in its header.
#include "sync/engine.hpp"

#include "common/log.hpp"
#include "common/task_group.hpp"
#include "sync/change_applier.hpp"
#include "sync/follower.hpp"
#include "sync/generation_builder.hpp"
#include "sync/maintenance.hpp"
#include "sync/reload.hpp"
#include "sync/safety_scan.hpp"
#include "sync/startup.hpp"
#include "sync/sync_context.hpp"


namespace sgcache::sync {

namespace asio = boost::asio;

struct engine::impl {
    sync_context ctx;
    change_applier applier{ctx};
    follower events{ctx, applier};
    generation_builder builder{ctx, applier};
    safety_scan scan{ctx, applier};
    maintenance housekeeping{ctx, [this] { return status(); }};
    std::int64_t started_ms = now_ms();

    impl(asio::any_io_executor ex, engine_options opts) : ctx(std::move(ex), std::move(opts)) {}

    asio::awaitable<void> run() {
        co_await start_up(ctx);
        // The follower runs from the start: every change made during a full download is
        // read again after it.
        task_group loops(ctx.ex);
        loops.spawn(events.run());
        loops.spawn(builder.run());
        loops.spawn(scan.run());
        loops.spawn(housekeeping.run());
        try {
            co_await loops.wait();
        } catch (...) {
            // Stopped or failed: _bulk requests still on their way to a stalled cluster must
            // not hold up the exit. What they carried was never acknowledged, so nothing
            // persisted covers it: the next start reads it again.
            ctx.snapshot_writer.cancel_in_flight();
            ctx.follower_writer.cancel_in_flight();
            throw;
        }
    }

    engine_status status() const {
        engine_status out;
        const auto f = events.status();
        out.last_event_id = ctx.persisted.cursor.high;
        out.lag_seconds = f.lag_seconds;
        out.events_per_second = f.events_per_second;
        out.open_gaps = f.open_gaps;
        out.events_applied = f.events_applied;
        out.gaps_expired = f.gaps_expired;
        out.safety_scans = scan.scans();
        out.started_ms = started_ms;
        out.following = f.following;
        out.ready = !ctx.types.empty();
        for (const auto& [name, rt] : ctx.types) {
            if (rt.life.phase() == build_phase::removed) continue;  // no longer cached
            type_status t;
            t.type = name;
            // The control protocol's states: the three steps of a build read as "building".
            switch (rt.life.phase()) {
                case build_phase::waiting: t.phase = "waiting"; break;
                case build_phase::preparing:
                case build_phase::loading:
                case build_phase::swapping: t.phase = "building"; break;
                case build_phase::following: t.phase = "following"; break;
                case build_phase::failed: t.phase = "failed"; break;
                case build_phase::removed: break;
            }
            t.build_step = rt.life.building() ? std::string(to_string(rt.life.phase())) : std::string();
            const type_state& st = rt.life.state();
            t.active_generation = st.active;
            t.building_generation = st.building;
            t.failure = rt.life.failure();
            t.warnings = rt.warnings;
            if (rt.life.building()) {
                const auto p = builder.progress(name);
                t.build_total = p.total;
                t.build_loaded = p.loaded;
                t.build_rate = p.rate;
            }
            for (const auto* w : {&ctx.snapshot_writer, &ctx.follower_writer}) {
                if (auto it = w->stats().find(name); it != w->stats().end()) {
                    t.written += it->second.written;
                    t.stale += it->second.stale;
                    t.rejected += it->second.rejected;
                    t.tombstones += it->second.tombstones;
                    if (!it->second.last_rejection.empty()) t.last_rejection = it->second.last_rejection;
                }
            }
            out.ready = out.ready && st.active != 0;
            out.types.push_back(std::move(t));
        }
        return out;
    }

    asio::awaitable<engine_status> status_with_counts() {
        auto st = status();
        for (auto& t : st.types) {
            const auto& rt = ctx.types.at(t.type);
            if (!rt.life.reader_generation()) continue;
            try {
                t.live_documents = co_await ctx.es.count(rt.names.live_alias);
            } catch (const std::exception&) {
                // The count is informative; a busy cluster must not fail the status.
            }
        }
        co_return st;
    }
};

engine::engine(asio::any_io_executor ex, engine_options opts) : impl_(std::make_unique<impl>(std::move(ex), std::move(opts))) {}
engine::~engine() = default;

asio::awaitable<void> engine::run() { co_await impl_->run(); }

asio::awaitable<void> engine::release() {
    try {
        co_await impl_->ctx.state.release_lease();
        log::info("engine", "lease released");
    } catch (const std::exception& e) {
        log::warning("engine", "could not release the lease (it will expire)", {{"error", e.what()}});
    }
}

engine_status engine::status() const { return impl_->status(); }

asio::awaitable<engine_status> engine::status_with_counts() { co_return co_await impl_->status_with_counts(); }

engine::rebuild_outcome engine::rebuild(const std::vector<std::string>& types) {
    return impl_->builder.request_rebuild(types);
}

engine::cancel_outcome engine::cancel_rebuild(const std::vector<std::string>& types) {
    return impl_->builder.request_cancel(types);
}

asio::awaitable<std::size_t> engine::reread(std::map<std::string, std::vector<std::int64_t>> entities,
                                            std::chrono::seconds limit) {
    co_return co_await impl_->events.reread(std::move(entities), limit);
}

engine_counters engine::counters() const {
    engine_counters c;
    c.shotgun = impl_->ctx.sg.stats();
    c.snapshot_writes = impl_->ctx.snapshot_writer.indexer_stats();
    c.follower_writes = impl_->ctx.follower_writer.indexer_stats();
    return c;
}

std::vector<std::string> engine::types() const {
    std::vector<std::string> out;
    for (const auto& [name, rt] : impl_->ctx.types) {
        if (rt.life.phase() != build_phase::removed) out.push_back(name);
    }
    return out;
}

asio::awaitable<engine::reload_outcome> engine::reconfigure(config::settings settings,
                                                            std::vector<config::entity_config> types) {
    co_return co_await apply_reload(impl_->ctx, impl_->builder, std::move(settings), std::move(types));
}

}  // namespace sgcache::sync
