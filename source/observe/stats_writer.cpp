#include "observe/stats_writer.hpp"

#include "common/log.hpp"
#include "elastic/client.hpp"
#include "http/url.hpp"
#include "sgcache_version.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <algorithm>
#include <exception>

namespace sgcache::observe {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::steady_clock;

doc_context make_context(const config::settings& s) {
    doc_context ctx;
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    ctx.host = host;
    ctx.pid = static_cast<int>(::getpid());
    try {
        ctx.site = http::parse_endpoint(s.shotgun.url).origin();
    } catch (const std::exception&) {
        ctx.site = http::redact_url(s.shotgun.url);  // checked at load time; never a secret
    }
    ctx.version = SGCACHE_VERSION;
    return ctx;
}

stats_writer_options writer_options(const config::settings& s) {
    stats_writer_options o;
    o.prefix = s.elasticsearch.index_prefix;
    o.retention_days = s.stats.retention_days;
    o.heartbeat_interval = s.stats.heartbeat_interval;
    o.queue_size = s.stats.queue_size;
    o.context = make_context(s);
    return o;
}

asio::awaitable<void> put_stats_template(elastic::client& es, std::string prefix) {
    const std::string path = "/_index_template/" + stats_alias(prefix);
    std::string body = json::serialize(index_template(prefix));
    std::string content_type = "application/json";
    const auto res = co_await es.request(http::verb::put, path, std::move(body), std::move(content_type));
    if (res.status < 200 || res.status >= 300) {
        auto [type, reason] = elastic::parse_error_body(res.body);
        throw elastic::error(elastic::error::kind::status, res.status, type, reason,
                             "elasticsearch: PUT " + path + ": HTTP " + std::to_string(res.status) + " " + type + ": " +
                                 reason);
    }
}

asio::awaitable<void> write_validation_stats(elastic::client& es, const config::settings& s, json::object result) {
    if (!s.stats.enabled) co_return;
    const std::string prefix = s.elasticsearch.index_prefix;
    co_await put_stats_template(es, prefix);
    const auto now = clock::now();
    const doc_context ctx = make_context(s);
    const json::object doc = validation_document(result, ctx, now);
    const std::string index = daily_index(prefix, now);
    const std::string id = "validation-" + ctx.host + "-" + std::to_string(ctx.pid) + "-" +
                           std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                              now.time_since_epoch()).count());
    const std::optional<elastic::cas> no_condition;
    const bool create_only = false;
    const bool refresh = true;
    co_await es.put(index, id, doc, no_condition, create_only, refresh);
}

stats_writer::stats_writer(elastic::client& es, stats_writer_options opts) : es_(es), opts_(std::move(opts)) {
    // Ids of our own make a retried _bulk harmless (the same document is written again, not
    // twice), and host-pid-start makes them unique across servers and restarts.
    const auto start = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now().time_since_epoch()).count();
    id_prefix_ = opts_.context.host + "-" + std::to_string(opts_.context.pid) + "-" + std::to_string(start) + "-";
    opts_.queue_size = std::max<std::size_t>(opts_.queue_size, 1);
    opts_.batch_size = std::max<std::size_t>(opts_.batch_size, 1);
}

void stats_writer::reconfigure(int retention_days, std::chrono::milliseconds heartbeat_interval,
                               std::size_t queue_size) {
    opts_.retention_days = retention_days;
    opts_.heartbeat_interval = heartbeat_interval;
    opts_.queue_size = std::max<std::size_t>(queue_size, 1);
}

void stats_writer::set_heartbeat_source(heartbeat_source source) { source_ = std::move(source); }

void stats_writer::download_finished(const sync::download_report& r) {
    enqueue(download_document(r, opts_.context, clock::now()));
}

void stats_writer::event_batch_applied(const sync::event_batch_report& r) {
    enqueue(event_batch_document(r, opts_.context, clock::now()));
}

bool stats_writer::enqueue(const json::object& doc) {
    if (stopping_ || queue_.size() >= opts_.queue_size) {
        ++counters_.dropped;
        if (!dropping_) {
            dropping_ = true;
            log::warning("stats", "stats queue full: dropping documents until Elasticsearch catches up",
                         {{"queue_size", opts_.queue_size}});
        }
        return false;
    }
    dropping_ = false;
    // The day of the document's own timestamp picks the index, so a batch written just after
    // midnight still lands in the day it describes.
    std::string index;
    if (auto ts = doc.if_contains("@timestamp"); ts && ts->is_string() && ts->get_string().size() >= 10) {
        std::string day(ts->get_string().subview(0, 10));
        std::replace(day.begin(), day.end(), '-', '.');
        index = stats_alias(opts_.prefix) + "-" + day;
    } else {
        index = daily_index(opts_.prefix, clock::now());
    }
    queue_.push_back({std::move(index), id_prefix_ + std::to_string(++sequence_), json::serialize(doc)});
    ++counters_.queued;
    wake();
    return true;
}

void stats_writer::wake() {
    if (wakeup_) wakeup_->cancel();
}

void stats_writer::stop() {
    if (stopping_) return;
    stopping_ = true;
    wake();
}

stats_counters stats_writer::counters() const {
    stats_counters c = counters_;
    c.queue_length = queue_.size();
    return c;
}

void stats_writer::note_failure(std::uint64_t documents, const std::string& why) {
    counters_.failed += documents;
    counters_.last_failure = why;
    if (!failing_) {
        failing_ = true;
        log::warning("stats", "stats documents not written (syncing is not affected)",
                     {{"documents", documents}, {"error", why}});
    } else {
        log::debug("stats", "stats documents not written", {{"documents", documents}, {"error", why}});
    }
}

asio::awaitable<bool> stats_writer::ensure_template() {
    std::string failure;
    try {
        co_await put_stats_template(es_, opts_.prefix);
    } catch (const elastic::error& e) {
        if (e.what_kind() == elastic::error::kind::cancelled) throw;
        failure = e.what();
    }
    if (!failure.empty()) {
        if (!failing_) {
            failing_ = true;
            log::warning("stats", "cannot put the stats index template in place; will retry", {{"error", failure}});
        }
        counters_.last_failure = failure;
        co_return false;
    }
    counters_.template_ready = true;
    failing_ = false;
    log::debug("stats", "index template in place", {{"template", stats_alias(opts_.prefix)}});
    co_return true;
}

asio::awaitable<void> stats_writer::apply_retention() {
    std::string failure;
    try {
        // A read with a wildcard is fine; deletes below go by exact name only.
        const std::string path = "/_cat/indices/" + stats_alias(opts_.prefix) + "-*?h=index&format=json";
        const auto res = co_await es_.request(http::verb::get, path);
        std::vector<std::string> names;
        if (res.status == 200) {
            boost::system::error_code ec;
            const json::value v = json::parse(res.body, ec);
            if (!ec && v.is_array()) {
                for (const auto& row : v.get_array()) {
                    const json::object* o = row.if_object();
                    const json::value* name = o ? o->if_contains("index") : nullptr;
                    if (name && name->is_string()) names.emplace_back(name->get_string());
                }
            }
        }
        const auto today = std::chrono::floor<std::chrono::days>(clock::now());
        for (const auto& index : expired_indices(opts_.prefix, names, today, opts_.retention_days)) {
            if (co_await es_.delete_index(index)) {
                ++counters_.indices_deleted;
                log::info("stats", "deleted an expired stats index",
                          {{"index", index}, {"retention_days", opts_.retention_days}});
            }
        }
    } catch (const elastic::error& e) {
        if (e.what_kind() == elastic::error::kind::cancelled) throw;
        failure = e.what();
    }
    if (!failure.empty()) log::warning("stats", "cannot apply stats retention; will retry", {{"error", failure}});
}

asio::awaitable<bool> stats_writer::write_batch() {
    const std::size_t n = std::min(queue_.size(), opts_.batch_size);
    std::vector<elastic::bulk_op> ops;
    ops.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        elastic::bulk_op op;
        op.type = elastic::op_type::index;
        op.index = std::move(queue_.front().index);
        op.id = std::move(queue_.front().id);
        op.source = std::move(queue_.front().source);
        queue_.pop_front();
        ops.push_back(std::move(op));
    }
    std::string failure;
    std::vector<elastic::item_result> results;
    try {
        results = co_await es_.bulk(ops);
    } catch (const elastic::error& e) {
        if (e.what_kind() == elastic::error::kind::cancelled) throw;
        failure = e.what();
    }
    if (!failure.empty()) {
        // The documents are given up, not put back: stats are a sample of history, and a
        // long outage must not turn into a burst of stale documents.
        note_failure(n, failure);
        co_return false;
    }
    std::uint64_t refused = 0;
    std::string why;
    for (const auto& r : results) {
        if (r.status == elastic::item_status::written) {
            ++counters_.written;
            continue;
        }
        ++refused;
        why = "HTTP " + std::to_string(r.http_status) + " " + r.error_type + ": " + r.reason;
    }
    if (refused) {
        note_failure(refused, why);
        co_return false;
    }
    failing_ = false;
    co_return true;
}

asio::awaitable<void> stats_writer::run() {
    wakeup_.emplace(co_await asio::this_coro::executor);
    auto next_heartbeat = steady_clock::now() + opts_.heartbeat_interval;
    auto next_retention = steady_clock::now();
    auto not_before = steady_clock::now();  // the pause after a failure
    for (;;) {
        auto now = steady_clock::now();
        if (!stopping_ && source_ && now >= next_heartbeat) {
            heartbeat h = source_();
            h.stats_dropped = counters_.dropped;
            h.stats_failed = counters_.failed;
            enqueue(heartbeat_document(h, opts_.context, clock::now()));
            next_heartbeat = now + opts_.heartbeat_interval;
        }
        if (stopping_ || now >= not_before) {
            // No co_await inside || (g++ 12 pitfalls, README): a plain if instead.
            bool ok = counters_.template_ready;
            if (!ok) ok = co_await ensure_template();
            if (ok && !stopping_ && now >= next_retention) {
                co_await apply_retention();
                next_retention = steady_clock::now() + opts_.retention_interval;
            }
            if (ok && !queue_.empty()) ok = co_await write_batch();
            if (!ok) {
                not_before = steady_clock::now() + opts_.retry_delay;
                if (stopping_) break;  // one last attempt only
            } else if (!queue_.empty()) {
                continue;  // more to write at once
            }
        }
        if (stopping_) break;

        auto until = next_heartbeat;
        if (!source_) until = steady_clock::now() + std::chrono::hours(24);
        if (counters_.template_ready) until = std::min(until, next_retention);
        if (not_before > steady_clock::now() || !counters_.template_ready) until = std::min(until, not_before);
        wakeup_->expires_at(until);
        boost::system::error_code ec;
        co_await wakeup_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        // operation_aborted is also how enqueue() and stop() wake us: only a real
        // cancellation of this coroutine ends it here.
        auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none) co_return;
    }
    if (!queue_.empty()) {
        note_failure(queue_.size(), "stopped before they could be written");
        queue_.clear();
    }
}

}  // namespace sgcache::observe
