#include "sync/reload.hpp"

#include "config/reload.hpp"
#include "shotgun/filters.hpp"
#include "sync/startup.hpp"

#include <set>
#include <stdexcept>

namespace sgcache::sync {

namespace asio = boost::asio;

asio::awaitable<engine::reload_outcome> apply_reload(sync_context& ctx, generation_builder& builder,
                                                 config::settings fresh, std::vector<config::entity_config> configs) {
    if (configs.empty()) throw std::invalid_argument("no entity configs: a reload keeps at least one type");
    engine::reload_outcome out;
    config::apply_live(ctx.opts.settings, fresh);
    std::set<std::string> wanted;
    std::vector<type_runtime*> added, to_clean;
    for (auto& cfg : configs) {
        wanted.insert(cfg.type);
        const auto& kept = ctx.reloaded_configs.emplace_back(std::move(cfg));
        auto it = ctx.types.find(kept.type);
        if (it == ctx.types.end()) {
            it = ctx.types.emplace(kept.type, type_runtime(kept, ctx.s.elasticsearch.index_prefix)).first;
            added.push_back(&it->second);
            out.added.push_back(kept.type);
            continue;
        }
        type_runtime& rt = it->second;
        if (rt.life.phase() == build_phase::waiting && rt.cfg->hash() == kept.hash()) {
            // Added by a reload whose state could not be read: read it now.
            added.push_back(&rt);
            continue;
        }
        if (rt.life.phase() == build_phase::removed || rt.life.phase() == build_phase::waiting) {
            // Back after a reload removed it: as if new (its state was deleted, or kept).
            rt = type_runtime(kept, ctx.s.elasticsearch.index_prefix);
            added.push_back(&rt);
            out.added.push_back(kept.type);
            continue;
        }
        if (kept.hash() == rt.cfg->hash()) continue;
        // The old config stays alive in reloaded_configs (or opts.types) for coroutines
        // still reading it; every new read uses this one.
        rt.cfg = &kept;
        rt.filters = shotgun::from_list_form(boost::json::value(kept.filters));
        rt.fields = kept.field_names();
        rt.life.config_changed(kept.hash());
        ctx.adopt_site_schema_for(rt);
        ctx.sync_targets(rt);
        to_clean.push_back(&rt);
        out.changed.push_back(kept.type);
    }
    for (auto& [name, rt] : ctx.types) {
        if (wanted.count(name) || rt.life.phase() == build_phase::removed) continue;
        rt.life.remove(!ctx.s.sync.keep_removed_types);
        ctx.sync_targets(rt);
        ctx.cached_types.erase(name);
        to_clean.push_back(&rt);
        out.removed.push_back(name);
    }
    // The added types: from their stored state, as at a start.
    if (!added.empty()) {
        auto stored = co_await ctx.state.load_types();
        for (auto* rt : added) {
            type_state st;
            if (auto it = stored.find(rt->type()); it != stored.end()) st = it->second;
            co_await restore_type(ctx, *rt, std::move(st));
            ctx.adopt_site_schema_for(*rt);
            ctx.cached_types.insert(rt->type());
            to_clean.push_back(rt);
        }
    }
    for (auto* rt : to_clean) {
        co_await ctx.drop_generations(*rt);
        if (rt->life.phase() == build_phase::removed && !ctx.s.sync.keep_removed_types) {
            co_await ctx.state.delete_type(rt->type());
        }
    }
    builder.wake();
    co_return out;
}

}  // namespace sgcache::sync
