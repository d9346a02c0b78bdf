// Start-up of the sync engine, in order: connect to Elasticsearch (waiting while it is
// away), take the lease, resume the version clock above the persisted floor, read the
// site's info and schema, restore each type's generation lifecycle from the state index
// (dropping what removed entity configs and abandoned builds left behind), check the cached
// fields against the site's schema, and place the follower's cursor.
//
// Errors: throws what needs a human (lease_error: another server holds the lease;
// auth_error: a wrong script key; TLS failures); the site or the cluster being away is
// waited out with backoff. Cancellation: at any co_await; nothing is left half-written
// that the next start would not redo.
#pragma once

#include "sync/sync_context.hpp"

#include <boost/asio/awaitable.hpp>

namespace sgcache::sync {

boost::asio::awaitable<void> start_up(sync_context& ctx);

/// Restores one type's lifecycle (in `waiting`) from its stored state and what exists of its
/// indices and aliases, logs what it decided, and points its writers. Also used by a reload
/// for the types it adds. Throws elastic::error.
boost::asio::awaitable<void> restore_type(sync_context& ctx, type_runtime& rt, type_state stored);

}  // namespace sgcache::sync
