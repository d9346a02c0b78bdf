// The safety scan: every few minutes, re-reads what changed on the site by updated_at since
// the last complete scan (with an overlap), for writers that generate no events ("Generate
// Events" off). Ids are collected without the types' filters, then re-read with them, so an
// entity that stopped matching becomes a tombstone too. The start of the last complete scan
// is persisted in the follower document.
//
// Errors: run() throws only what needs a human; failures of the site or the cluster are
// retried with backoff. Cancellation: at any co_await.
#pragma once

#include "sync/change_applier.hpp"
#include "sync/sync_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>

namespace sgcache::sync {

class safety_scan {
public:
    safety_scan(sync_context& ctx, change_applier& applier);

    /// Scans when due, for ever (returns at once when the interval is 0: scans are off).
    boost::asio::awaitable<void> run();

    std::uint64_t scans() const noexcept { return scans_; }

private:
    boost::asio::awaitable<void> scan();

    sync_context& ctx_;
    change_applier& applier_;
    std::uint64_t scans_ = 0;
};

}  // namespace sgcache::sync
