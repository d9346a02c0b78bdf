// A reload on a running engine (sgcache reload, SIGHUP): the live keys of the configuration
// (config/reload.hpp) and the entity configs read again, applied as a restart would apply
// them: added types are restored from their stored state (a download, or following),
// changed ones rebuild (their lifecycle's config_changed: readers keep the current
// generation), removed ones stop (lifecycle remove) and lose their indices and state unless
// sync.keep_removed_types. The decisions are taken in memory first, in one step with no
// co_await, so that no loop sees half of them; then comes the I/O they ask for.
//
// Errors: std::invalid_argument, changing nothing, for an empty list of types;
// elastic::error when the state index cannot be read or written (the decisions stand; a
// type added but not restored stays waiting, and the next reload restores it).
#pragma once

#include "config/entity_config.hpp"
#include "config/settings.hpp"
#include "sync/engine.hpp"
#include "sync/generation_builder.hpp"
#include "sync/sync_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <vector>

namespace sgcache::sync {

boost::asio::awaitable<engine::reload_outcome> apply_reload(sync_context& ctx, generation_builder& builder,
                                                            config::settings fresh,
                                                            std::vector<config::entity_config> configs);

}  // namespace sgcache::sync
