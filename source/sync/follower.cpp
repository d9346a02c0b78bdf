#include "sync/follower.hpp"

#include "common/log.hpp"
#include "shotgun/filters.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>

namespace sgcache::sync {

namespace asio = boost::asio;
namespace json = boost::json;

follower::follower(sync_context& ctx, change_applier& applier) : ctx_(ctx), applier_(applier) {}

asio::awaitable<follower::pending_batch> follower::poll() {
    const auto& s = ctx_.s;
    pending_batch batch;
    std::vector<json::value> rows;
    shotgun::read_request req;
    req.type = "EventLogEntry";
    req.fields = {"id", "event_type", "attribute_name", "entity", "meta", "created_at"};
    req.sorts.push_back({"id", false});
    // A batch is up to event_batch_size events, read in pages of the site's size: behind
    // (after an outage, a burst), one batch applies thousands of events with the fixed cost
    // of one (a re-read per type, a flush, a state save), and an entity named by many of
    // them is read once. Caught up, a batch is the few events of one poll interval.
    const std::size_t page_size = co_await ctx_.sg.page_size(std::min(s.sync.event_batch_size, s.shotgun.page_size));
    req.page_size = page_size;
    std::int64_t after = cursor_.high();
    for (;;) {
        req.filters = shotgun::all_of(json::array{shotgun::condition("id", "greater_than", json::array{after})});
        auto page = co_await ctx_.sg.read(req);
        const bool more = page.entities.size() >= page_size || page.has_next_page;
        for (auto& e : page.entities) rows.push_back(std::move(e));
        if (!more || page.entities.empty()) break;
        if (rows.size() >= s.sync.event_batch_size) {
            batch.full = true;  // more to read: no pause before the next batch
            break;
        }
        after = id_of(rows.back());
    }
    // One page of the site's at most: gap ids beyond it would not come back this poll.
    const auto gap_list = cursor_.gap_ids(co_await ctx_.sg.page_size(100));
    if (!gap_list.empty()) {
        json::array ids;
        for (auto id : gap_list) ids.push_back(id);
        req.filters = shotgun::all_of(json::array{shotgun::condition("id", "in", std::move(ids))});
        req.page_size = gap_list.size();
        auto gaps = co_await ctx_.sg.read(req);
        for (auto& e : gaps.entities) rows.push_back(std::move(e));
    }
    std::vector<seen_event> seen;
    std::map<std::int64_t, const json::object*> by_id;
    for (const auto& r : rows) {
        if (!r.is_object()) continue;
        const std::int64_t id = id_of(r);
        seen.push_back({id, parse_api3_time(r.get_object().if_contains("created_at"))});
        by_id[id] = &r.get_object();
    }
    // The cursor moves here, before the batch is applied: a failure later retries this
    // same batch (kept by run()), never a new poll from the moved cursor.
    const std::int64_t now = now_ms();
    const auto fresh = cursor_.accept_events(seen, now);
    for (const auto& g : cursor_.expire(now, s.sync.gap_timeout.count())) {
        ++gaps_expired_;
        // One line per gap while following; a catch-up gives up thousands (their events
        // above are older than the timeout): those are counted, and summed up below.
        if (!batch.full) {
            log::warning("follower", "gave up waiting for an event id",
                         {{"event_id", g.id}, {"missing_for_s", (now - g.first_seen_ms) / 1000}});
        } else {
            ++backlog_gaps_expired_;
        }
    }
    if (backlog_gaps_expired_ && !batch.full) {
        log::warning("follower", "gave up event ids missing from the backlog read (ids below events older than the gap timeout)",
                     {{"event_ids", backlog_gaps_expired_}});
        backlog_gaps_expired_ = 0;
    }
    for (const std::int64_t id : fresh) {
        const json::object& row = *by_id.at(id);
        if (is_schema_event(row)) {
            log::warning("follower", "the site's schema changed; checking the cached fields again", {{"event_id", id}});
            ctx_.schema_dirty = true;
        }
        collect_changes(row, ctx_.cached_types, batch.changes);
        collect_link_effects(row, batch.effects);
        const std::int64_t created = parse_api3_time(row.if_contains("created_at"));
        batch.newest_created_ms = std::max(batch.newest_created_ms, created);
        if (created) batch.created_ms.push_back(created);
        if (!batch.first_event) batch.first_event = id;
        batch.last_event = id;
    }
    batch.events = fresh.size();
    batch.after = cursor_.checkpoint();
    co_return batch;
}

void follower::applied(const pending_batch& b) {
    if (ctx_.opts.watcher && b.events) {
        event_batch_report r;
        r.events = b.events;
        r.entities = total(b.changes);
        r.first_event_id = b.first_event;
        r.last_event_id = b.last_event;
        const std::int64_t acked = now_ms();
        for (const auto c : b.created_ms) r.delays.push_back((acked - c) / 1000.0);
        ctx_.opts.watcher->event_batch_applied(r);
    }
    events_applied_ += b.events;
    const std::int64_t now = now_ms();
    recent_events_.emplace_back(now, b.events);
    while (!recent_events_.empty() && recent_events_.front().first < now - 60'000) recent_events_.pop_front();
    lag_seconds_ = b.full && b.newest_created_ms ? (now - b.newest_created_ms) / 1000.0 : 0.0;
    if (b.events) {
        log::debug("follower", "applied events",
                   {{"events", b.events}, {"entities", total(b.changes)}, {"after_event", ctx_.persisted.cursor.high}});
    }
    following_ = true;
}

asio::awaitable<void> follower::run() {
    cursor_.restore(ctx_.persisted.cursor);
    std::optional<pending_batch> pending;
    int failures = 0;
    std::string failure;
    for (;;) {
        bool full = false;
        try {
            co_await apply_rereads();
            if (!pending) pending = co_await poll();
            full = pending->full;
            co_await applier_.apply(pending->changes, pending->effects);
            // Only now, with every document of the batch acknowledged. If this save fails, a
            // safety-scan save may persist the cursor first: fine, the batch is acknowledged.
            ctx_.persisted.cursor = pending->after;
            co_await ctx_.state.save_follower(ctx_.persisted);
            applied(*pending);
            pending.reset();
            failures = 0;
        } catch (const std::exception& e) {
            if (!transient(e)) throw;
            failure = e.what();
        }
        if (!failure.empty()) {
            co_await ctx_.backoff(++failures, "following events", failure);
            failure.clear();
            continue;
        }
        if (!full) co_await sleep_for(ctx_.s.sync.event_poll_interval);
    }
}

asio::awaitable<std::size_t> follower::reread(std::map<std::string, std::vector<std::int64_t>> entities,
                                              std::chrono::seconds limit) {
    std::size_t n = 0;
    for (const auto& [type, ids] : entities) {
        auto it = ctx_.types.find(type);
        if (it == ctx_.types.end() || it->second.life.phase() == build_phase::removed) {
            throw std::invalid_argument("'" + type + "' is not a cached entity type");
        }
        n += ids.size();
    }
    for (const auto& [type, ids] : entities) reread_queue_[type].insert(ids.begin(), ids.end());
    const std::uint64_t ticket = ++reread_requested_;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (reread_done_ < ticket) {
        if (std::chrono::steady_clock::now() >= deadline) {
            throw std::runtime_error("the re-read did not complete within " + std::to_string(limit.count()) + " s");
        }
        co_await sleep_for(std::chrono::milliseconds(50));
    }
    co_return n;
}

asio::awaitable<void> follower::apply_rereads() {
    // Requests that arrive while a set is applied wait for the next one: a ticket is done
    // only when a set taken after it was queued has been applied.
    if (!reread_running_) {
        if (reread_queue_.empty()) co_return;
        reread_running_ = std::exchange(reread_queue_, {});
        reread_taken_ = reread_requested_;
    }
    const link_effects no_effects;
    co_await applier_.apply(*reread_running_, no_effects);
    reread_running_.reset();
    reread_done_ = reread_taken_;
}

follower_status follower::status() const {
    follower_status out;
    out.following = following_;
    out.lag_seconds = lag_seconds_;
    std::size_t recent = 0;
    for (const auto& [t, n] : recent_events_) recent += n;
    const double window =
        recent_events_.empty() ? 60.0 : std::max(1.0, (now_ms() - recent_events_.front().first) / 1000.0);
    out.events_per_second = recent / window;
    out.open_gaps = cursor_.open_gaps();
    out.events_applied = events_applied_;
    out.gaps_expired = gaps_expired_;
    return out;
}

}  // namespace sgcache::sync
