#include "sync/safety_scan.hpp"

#include "common/log.hpp"
#include "shotgun/filters.hpp"

#include <limits>

namespace sgcache::sync {

namespace asio = boost::asio;
namespace json = boost::json;

safety_scan::safety_scan(sync_context& ctx, change_applier& applier) : ctx_(ctx), applier_(applier) {}

asio::awaitable<void> safety_scan::scan() {
    const std::int64_t scan_start = now_ms();
    const std::int64_t since = ctx_.persisted.safety_scan_ms - ctx_.s.sync.safety_scan_overlap.count();
    change_set changes;
    // Pages of the site's size at most: a short page is taken for the last.
    const std::size_t page_size = co_await ctx_.sg.page_size(500);
    for (auto& [name, rt] : ctx_.types) {
        if (!rt.syncing()) continue;
        std::int64_t after = 0;
        for (;;) {
            const std::vector<std::string> id_only{"id"};
            const json::object changed = shotgun::all_of(
                json::array{shotgun::condition("updated_at", "greater_than", json::array{api3_time(since)})});
            auto page = co_await ctx_.sg.read_after(name, id_only, changed, after,
                                                    std::numeric_limits<std::int32_t>::max(), page_size, false);
            for (const auto& e : page.entities) changes[name].insert(id_of(e));
            if (page.entities.size() < page_size) break;
            after = id_of(page.entities.back());
        }
    }
    if (total(changes)) {
        log::info("safety-scan", "re-reading entities changed since the last scan", {{"entities", total(changes)}});
    }
    const link_effects no_effects;
    co_await applier_.apply(changes, no_effects);
    // What changed after scan_start is found by the next scan (with the overlap).
    ctx_.persisted.safety_scan_ms = scan_start;
    co_await ctx_.state.save_follower(ctx_.persisted);
    ++scans_;
}

asio::awaitable<void> safety_scan::run() {
    if (ctx_.s.sync.safety_scan_interval.count() == 0) co_return;
    int failures = 0;
    for (;;) {
        const std::int64_t due = ctx_.persisted.safety_scan_ms + ctx_.s.sync.safety_scan_interval.count();
        if (now_ms() < due) {
            co_await sleep_for(std::chrono::milliseconds(std::min<std::int64_t>(due - now_ms(), 1000)));
            continue;
        }
        std::string failure;
        try {
            co_await scan();
            failures = 0;
        } catch (const std::exception& e) {
            if (!transient(e)) throw;
            failure = e.what();
        }
        if (!failure.empty()) co_await ctx_.backoff(++failures, "the safety scan", failure);
    }
}

}  // namespace sgcache::sync
