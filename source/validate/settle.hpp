// Settling: a site that keeps changing while it is measured makes findings that are only
// the cache being a few events behind. After the comparisons, the events since the
// checkpoint read before measuring are read; a finding about an entity those events name
// (or whose differing link fields name) is not reported at once: settle() waits (up to
// data_options::settle_timeout) until the running server's checkpoint has passed those
// events, then compares the entity again, up to data_options::settle_rounds times, each
// round from the events the previous one read. With no server holding the lease, it does
// not wait, but still compares again.
//
// Errors: what site_reader, cache_reader and cache_state throw. Cancellation: terminal
// cancellation stops at the next request or wait; `reports` are then incomplete and are
// to be discarded with the exception.
#pragma once

#include "sync/event_cursor.hpp"
#include "validate/cache_state.hpp"
#include "validate/context.hpp"
#include "validate/id_comparison.hpp"
#include "validate/report.hpp"
#include "validate/validator.hpp"

#include <boost/asio/awaitable.hpp>

#include <vector>

namespace sgcache::validate {

/// Settles the findings of `reports` (types of `types`, compared on o.fields) against the
/// events after `from`. A finding compared again is replaced by the new comparison's (or
/// dropped); each report's findings stay sorted by id, and `reread` counts the entities
/// compared again.
boost::asio::awaitable<void> settle(sides s, cache_state& state, const type_map& types,
                                    sync::cursor_checkpoint from, const data_options& o,
                                    std::vector<type_report>& reports);

}  // namespace sgcache::validate
