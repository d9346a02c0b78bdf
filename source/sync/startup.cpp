#include "sync/startup.hpp"

#include "common/log.hpp"
#include "shotgun/filters.hpp"

#include <algorithm>

namespace sgcache::sync {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

asio::awaitable<void> connect_elasticsearch(sync_context& ctx) {
    std::string failure;
    for (int attempt = 1;; ++attempt) {
        try {
            auto info = co_await ctx.es.info();
            log::info("engine", "connected to the search cluster",
                      {{"distribution", info.distribution}, {"version", info.version}});
            co_await ctx.state.ensure_index(ctx.s.elasticsearch.replicas);
            co_return;
        } catch (const std::exception& e) {
            if (!transient(e)) throw;
            failure = e.what();
        }
        co_await ctx.backoff(attempt, "connecting to Elasticsearch", failure);
    }
}

asio::awaitable<void> start_clock(sync_context& ctx) {
    auto floor = co_await ctx.state.load_floor();
    if (floor) ctx.clock.resume_above(*floor);
    const std::int64_t next = ctx.clock.next_floor(version_clock::now_us());
    co_await ctx.state.save_floor(next);
    ctx.clock.floor_persisted(next);
    ctx.sg.set_version_source([&ctx]() { return ctx.clock.issue(version_clock::now_us()); });
}

asio::awaitable<shotgun::site_schema> read_site(sync_context& ctx) {
    std::string failure;
    for (int attempt = 1;; ++attempt) {
        try {
            auto info = co_await ctx.sg.info();
            std::string version;
            for (int v : info.version) version += (version.empty() ? "" : ".") + std::to_string(v);
            log::info("engine", "connected to the Shotgun site", {{"url", ctx.s.shotgun.url}, {"version", version}});
            auto fields = co_await ctx.sg.schema_read();
            auto entities = co_await ctx.sg.schema_entity_read();
            co_return shotgun::parse_schema(fields, entities);
        } catch (const std::exception& e) {
            if (!transient(e)) throw;
            failure = e.what();
        }
        co_await ctx.backoff(attempt, "reading the site's schema", failure);
    }
}

// Drops what a removed entity config left behind (unless the config keeps it).
asio::awaitable<void> drop_removed(sync_context& ctx, const std::map<std::string, type_state>& stored) {
    for (const auto& [name, st] : stored) {
        if (ctx.types.count(name)) continue;
        if (ctx.s.sync.keep_removed_types) {
            log::info("engine", "keeping the indices of a type whose entity config was removed", {{"type", name}});
            continue;
        }
        const auto n = names_for(ctx.s.elasticsearch.index_prefix, name);
        for (int g : generation_lifecycle::generations_of_removed(st)) {
            if (co_await ctx.es.delete_index(n.generation(g))) {
                log::info("engine", "dropped the index of a removed entity config", {{"type", name}, {"index", n.generation(g)}});
            }
        }
        co_await ctx.state.delete_type(name);
    }
}

// Restores each type's lifecycle: follow its active generation, resume its build, or
// build a new generation (readers keep the old one meanwhile).
asio::awaitable<void> restore_types(sync_context& ctx) {
    auto stored = co_await ctx.state.load_types();
    co_await drop_removed(ctx, stored);
    for (auto& [name, rt] : ctx.types) {
        type_state st;
        if (auto it = stored.find(name); it != stored.end()) st = it->second;
        co_await restore_type(ctx, rt, std::move(st));
    }
}

// The follower's starting point: the persisted checkpoint, or on a first start the newest
// event created at least one gap timeout ago (events of transactions still open now may
// get ids below ids already visible, and must still be seen).
asio::awaitable<void> start_cursor(sync_context& ctx) {
    if (auto f = co_await ctx.state.load_follower()) {
        ctx.persisted = *f;
        log::info("engine", "resuming the event follower",
                  {{"after_event", f->cursor.high}, {"open_gaps", f->cursor.gaps.size()}});
        co_return;
    }
    shotgun::read_request req;
    req.type = "EventLogEntry";
    req.fields = {"id", "created_at"};
    const std::int64_t before = now_ms() - ctx.s.sync.gap_timeout.count();
    req.filters =
        shotgun::all_of(json::array{shotgun::condition("created_at", "less_than", json::array{api3_time(before)})});
    req.sorts.push_back({"id", true});
    req.page_size = 1;
    auto page = co_await ctx.sg.read(req);
    ctx.persisted.cursor.high = page.entities.empty() ? 0 : id_of(page.entities[0]);
    ctx.persisted.safety_scan_ms = now_ms();
    co_await ctx.state.save_follower(ctx.persisted);
    log::info("engine", "starting the event follower one gap timeout back",
              {{"after_event", ctx.persisted.cursor.high}, {"gap_timeout_s", ctx.s.sync.gap_timeout.count() / 1000}});
}

}  // namespace

asio::awaitable<void> restore_type(sync_context& ctx, type_runtime& rt, type_state stored) {
    const std::string& name = rt.type();
    generation_lifecycle::index_facts facts;
    facts.active_exists = stored.active && co_await ctx.es.exists(rt.names.generation(stored.active));
    facts.building_exists = stored.building && co_await ctx.es.exists(rt.names.generation(stored.building));
    // Where readers are: a stop between the swap and its record left them on the build.
    const auto aliased = co_await ctx.es.indices_of_alias(rt.names.live_alias);
    if (aliased.size() == 1) facts.aliased = std::max(0, rt.names.generation_of(aliased.front()));
    const auto out = rt.life.restore(std::move(stored), facts);
    if (out.swap_completed) {
        log::info("engine", "a swap to a new generation was under way when the server stopped; it is complete",
                  {{"type", name}, {"index", rt.names.generation(rt.life.reader_generation())}});
    }
    if (out.active_lost) log::warning("engine", "the active index of a type is gone; rebuilding it", {{"type", name}});
    if (out.config_changed) {
        log::info("engine", "the entity config changed: rebuilding the type while readers keep the old generation",
                  {{"type", name}});
    }
    ctx.sync_targets(rt);
}

asio::awaitable<void> start_up(sync_context& ctx) {
    co_await connect_elasticsearch(ctx);
    co_await ctx.state.acquire_lease(ctx.s.sync.lease_ttl);
    log::info("engine", "holding the lease", {{"state_index", ctx.state.index()}});
    co_await start_clock(ctx);
    auto schema = co_await read_site(ctx);
    co_await restore_types(ctx);
    ctx.adopt_site_schema(std::move(schema));
    for (auto& [name, rt] : ctx.types) {
        ctx.sync_targets(rt);
        co_await ctx.drop_generations(rt);
    }
    co_await start_cursor(ctx);
}

}  // namespace sgcache::sync
