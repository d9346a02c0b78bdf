#include "sync/maintenance.hpp"

#include "common/log.hpp"

namespace sgcache::sync {

namespace asio = boost::asio;
using namespace std::chrono_literals;

maintenance::maintenance(sync_context& ctx, std::function<engine_status()> status)
    : ctx_(ctx), status_(std::move(status)) {}

asio::awaitable<void> maintenance::run() {
    const auto& s = ctx_.s;
    std::int64_t last_heartbeat = now_ms();
    std::int64_t last_renew = now_ms();
    for (;;) {
        co_await sleep_for(1s);
        const std::int64_t now = now_ms();
        // Each time: a reload may change the lease's time to live.
        const auto renew_every = std::max<std::int64_t>(1000, s.sync.lease_ttl.count() / 3);
        bool checking_schema = false;
        try {
            if (now - last_renew >= renew_every) {
                co_await ctx_.state.renew_lease(s.sync.lease_ttl);
                last_renew = now;
            }
            // issue() stays below the floor persisted before: versions issued while this save
            // is on its way are covered by the old floor.
            if (ctx_.clock.floor_due(version_clock::now_us())) {
                const std::int64_t next = ctx_.clock.next_floor(version_clock::now_us());
                co_await ctx_.state.save_floor(next);
                ctx_.clock.floor_persisted(next);
            }
            if (ctx_.schema_dirty) {
                // Cleared first: a schema event seen while reading is checked again.
                ctx_.schema_dirty = false;
                checking_schema = true;
                auto fields = co_await ctx_.sg.schema_read();
                auto entities = co_await ctx_.sg.schema_entity_read();
                ctx_.adopt_site_schema(shotgun::parse_schema(fields, entities));
                checking_schema = false;
                // A type that failed now may leave a build's index behind, and the builder
                // may be idle: drop it here.
                for (auto& [name, rt] : ctx_.types) {
                    if (rt.life.phase() == build_phase::failed) co_await ctx_.drop_generations(rt);
                }
            }
        } catch (const std::exception& e) {
            if (!transient(e)) throw;
            if (checking_schema) ctx_.schema_dirty = true;  // read again next time
            log::warning("engine", "could not renew the lease, save the version floor or read the schema; retrying",
                         {{"error", e.what()}});
        }
        if (now - last_heartbeat >= 30'000) {
            const auto st = status_();
            if (!st.following) continue;
            last_heartbeat = now;
            log::info("follower", "following", {{"last_event", st.last_event_id}, {"lag_s", st.lag_seconds},
                      {"events_per_s", st.events_per_second}, {"open_gaps", st.open_gaps}});
        }
    }
}

}  // namespace sgcache::sync
