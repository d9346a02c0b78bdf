#include "sync/sync_context.hpp"

#include "common/backoff.hpp"
#include "common/log.hpp"
#include "config/clients.hpp"
#include "shotgun/filters.hpp"
#include "sync/schema_drift.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace sgcache::sync {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string holder_id(const engine_options& o) {
    std::mt19937_64 r{std::random_device{}()};
    char buf[24];
    std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(r() & 0xffffffffull));
    return o.host + ":" + std::to_string(o.pid) + ":" + buf;
}

elastic::indexer_options indexer_options(const config::settings& s) {
    elastic::indexer_options io;
    io.max_batch_docs = s.elasticsearch.bulk_max_docs;
    io.max_batch_bytes = s.elasticsearch.bulk_max_bytes;
    io.max_in_flight = s.elasticsearch.bulk_in_flight;
    io.item_retry = {0, 200ms, 10s};  // items ES is too busy for are retried until taken
    // A moment of 429s is routine; items still refused after about 6 s of retries (a shard
    // with no started copy: its nodes are gone) are said, and again every tenth attempt
    // (about every 100 s), so that a stalled download or follower is never silent.
    io.on_retry = [](const elastic::item_result& r, std::size_t items, int attempt) {
        if (attempt != 5 && attempt % 10 != 0) return;
        log::warning("elasticsearch", "documents refused by the cluster for now; retrying until they are taken",
                     {{"documents", items}, {"attempt", attempt}, {"status", r.http_status},
                      {"error", r.error_type}, {"reason", r.reason.substr(0, 200)}});
    };
    return io;
}

elastic::client_config es_config(const config::settings& s) {
    elastic::client_config c = config::elastic_client(s);
    // Compressing _bulk replies costs the cluster CPU that ingest needs; replies are not
    // worth it on a studio network.
    c.http.accept_gzip = false;
    return c;
}

}  // namespace

type_runtime::type_runtime(const config::entity_config& c, const std::string& index_prefix)
    : cfg(&c),
      names(names_for(index_prefix, c.type)),
      filters(shotgun::from_list_form(json::value(c.filters))),
      fields(c.field_names()),
      life(c.type, c.hash()) {}

sync_context::sync_context(asio::any_io_executor e, engine_options o)
    : ex(std::move(e)),
      opts(std::move(o)),
      s(opts.settings),
      es(ex, es_config(s)),
      sg(ex, config::shotgun_client(s)),
      state(ex, es, state_index(s.elasticsearch.index_prefix), holder_id(opts), opts.host, opts.pid),
      clock(std::chrono::hours(1)),
      snapshot_writer(es, indexer_options(s)),
      follower_writer(es, indexer_options(s)) {
    for (const auto& cfg : opts.types) {
        types.emplace(cfg.type, type_runtime(cfg, s.elasticsearch.index_prefix));
        cached_types.insert(cfg.type);
    }
}

void sync_context::sync_targets(type_runtime& rt) {
    std::vector<std::string> follower;
    for (int g : rt.life.follower_targets()) follower.push_back(rt.names.generation(g));
    follower_writer.set_targets(rt.type(), std::move(follower));
    std::vector<std::string> download;
    if (const int g = rt.life.download_target()) download.push_back(rt.names.generation(g));
    snapshot_writer.set_targets(rt.type(), std::move(download));
}

// save_type() serializes the state before its first suspension, and state writes go one at
// a time in call order: of two saves racing, the later one, with the newer state, lands last.
// A removed type persists nothing: its state document is deleted (or kept as it was).
asio::awaitable<void> sync_context::save(type_runtime& rt) {
    if (rt.life.phase() == build_phase::removed) co_return;
    co_await state.save_type(rt.life.state());
}

asio::awaitable<void> sync_context::drop_generations(type_runtime& rt) {
    if (rt.life.to_drop().empty()) co_return;
    sync_targets(rt);  // already out of the targets; said again, for callers that forgot
    co_await save(rt);  // the dropping list survives a crash before the deletions
    // A copy: dropped() erases from to_drop(), and fail() or a swap may add to it during the
    // co_awaits below (new entries wait for the next call).
    for (const int g : std::vector<int>(rt.life.to_drop())) {
        const std::string index = rt.names.generation(g);
        // `g` left the targets in the step that dropped it and never comes back (I2): once
        // the writes that chose it before are queued and answered, nothing writes to it.
        co_await follower_writer.retire(index);
        co_await snapshot_writer.retire(index);
        // Never the index readers use, whatever the state said (a last line of defence),
        // unless the type itself is removed: its aliases go with its indices.
        // (No co_await inside a ?: operator: g++ 12 destroys its temporary twice.)
        std::vector<std::string> readers;
        if (rt.life.phase() != build_phase::removed) readers = co_await es.indices_of_alias(rt.names.live_alias);
        if (std::find(readers.begin(), readers.end(), index) != readers.end()) {
            log::error("engine", "refusing to delete a generation the live alias points at",
                       {{"type", rt.type()}, {"index", index}});
        } else if (co_await es.delete_index(index)) {
            log::info("engine", "dropped a generation no longer used", {{"type", rt.type()}, {"index", index}});
        }
        rt.life.dropped(g);
    }
    co_await save(rt);
}

void sync_context::adopt_site_schema(shotgun::site_schema schema) {
    site_schema = std::move(schema);
    for (auto& [name, rt] : types) adopt_site_schema_for(rt);
}

void sync_context::adopt_site_schema_for(type_runtime& rt) {
    if (rt.life.phase() == build_phase::failed || rt.life.phase() == build_phase::removed) return;
    auto drift = compare_with_site(*rt.cfg, site_schema);
    if (drift.type_gone) {
        log::error("engine", drift.failure);
        rt.life.fail(drift.failure);
        sync_targets(rt);
        return;
    }
    rt.fields = std::move(drift.fields);
    rt.warnings = std::move(drift.warnings);
    for (const auto& w : rt.warnings) log::warning("engine", w);
}

bool sync_context::building_now() const {
    for (const auto& [name, rt] : types) {
        if (rt.life.building()) return true;
    }
    return false;
}

asio::awaitable<void> sync_context::backoff(int attempt, std::string what, std::string error) {
    const retry_policy p{0, 1s, 30s};
    const auto d = backoff_delay(p, attempt, rng);
    log::warning("engine", what + " failed; retrying", {{"error", error}, {"retry_in_s", d.count() / 1000.0}});
    co_await sleep_for(d);
}

bool transient(const std::exception& e) {
    if (dynamic_cast<const shotgun::auth_error*>(&e)) return false;
    if (dynamic_cast<const lease_error*>(&e)) return false;
    if (auto* se = dynamic_cast<const shotgun::error*>(&e)) return se->what_kind() != shotgun::error::kind::tls;
    if (auto* ee = dynamic_cast<const elastic::error*>(&e)) return ee->what_kind() != elastic::error::kind::tls;
    return false;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t parse_api3_time(const json::value* v) {
    if (!v || !v->is_string()) return 0;
    std::tm tm{};
    const std::string s(v->get_string());
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                    &tm.tm_sec) != 6) {
        return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::string api3_time(std::int64_t ms) {
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::int64_t id_of(const json::value& entity) {
    const json::object* o = entity.if_object();
    const json::value* id = o ? o->if_contains("id") : nullptr;
    return id && id->is_number() ? id->to_number<std::int64_t>() : 0;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(d);
    co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace sgcache::sync
