// The swap: readers move from the active generations of some types to their completed
// builds, all at once. The builds' indices get their serving settings back (refresh every
// second, one replica) and are refreshed; then one _aliases call removes both aliases of
// each type from wherever they point and adds them to its new generation; then each
// lifecycle records the swap (swapped(): the old generation leaves the targets and goes to
// the drop list), and the states are saved.
//
// Idempotent: after a failure it is called again with the types still `swapping`; aliases
// already moved are moved again to the same place. A stop between the _aliases call and the
// saved state is completed at the next start (generation_lifecycle::restore).
//
// Errors: elastic::error, lease_error. Cancellation: at any co_await.
#pragma once

#include "sync/sync_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <vector>

namespace sgcache::sync {

/// Every type in `rts` must be `swapping` (generation_lifecycle::begin_swap()).
boost::asio::awaitable<void> swap_generations(sync_context& ctx, const std::vector<type_runtime*>& rts);

}  // namespace sgcache::sync
