#include "sync/engine.hpp"

#include "common/backoff.hpp"
#include "common/log.hpp"
#include "common/task_group.hpp"
#include "elastic/client.hpp"
#include "shotgun/client.hpp"
#include "shotgun/filters.hpp"
#include "shotgun/schema.hpp"
#include "sync/changes.hpp"
#include "sync/documents.hpp"
#include "sync/event_cursor.hpp"
#include "sync/state_store.hpp"
#include "sync/version_clock.hpp"
#include "sync/writer.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <random>

namespace sgcache::sync {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// "2026-11-28T19:40:00Z" (api3 date_time) -> epoch ms; 0 when it does not parse.
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

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(d);
    co_await timer.async_wait(asio::use_awaitable);
}

std::int64_t id_of(const json::value& entity) {
    const json::object* o = entity.if_object();
    const json::value* id = o ? o->if_contains("id") : nullptr;
    return id && id->is_number() ? id->to_number<std::int64_t>() : 0;
}

// A failure worth retrying later (the site or the cluster is away), as opposed to one that
// needs a human.
bool transient(const std::exception& e) {
    if (dynamic_cast<const shotgun::auth_error*>(&e)) return false;
    if (dynamic_cast<const lease_error*>(&e)) return false;
    if (auto* se = dynamic_cast<const shotgun::error*>(&e)) return se->what_kind() != shotgun::error::kind::tls;
    if (auto* ee = dynamic_cast<const elastic::error*>(&e)) return ee->what_kind() != elastic::error::kind::tls;
    return false;
}

}  // namespace

struct engine::impl {
    enum class phase { waiting, building, following, failed };

    struct type_runtime {
        const config::entity_config* cfg = nullptr;
        type_names names;
        json::object filters;             // the type's filters in wire form
        std::vector<std::string> fields;  // what is read (cached fields still on the site)
        type_state st;
        phase ph = phase::waiting;
        std::string failure;
        std::vector<std::string> warnings;
        // The running build.
        std::uint64_t build_total = 0;
        std::vector<std::shared_ptr<ack_group>> range_groups;  // per range, this run
        std::vector<bool> range_read;                          // per range: every page queued
        bool early_refresh = false;                            // see refresh_early()
        std::uint64_t build_loaded_at_start = 0;
        std::int64_t build_run_started_ms = 0;
        bool prepared = false;          // the running build has its index and ranges
        std::uint64_t sg_requests_at_start = 0, sg_retries_at_start = 0, bulk_requests_at_start = 0;
        bool cancel_requested = false;  // abandon the running rebuild
        int replaced = 0;               // generation a finished build replaced, to drop
        bool finish_pending = false;    // swapped, state not yet saved (see finish_builds)
    };

    // One poll's worth of changes, kept until it is applied and its checkpoint persisted.
    struct pending_batch {
        change_set changes;
        link_effects effects;
        cursor_checkpoint after;
        std::size_t events = 0;
        std::int64_t newest_created_ms = 0;
        std::vector<std::int64_t> created_ms;  // per applied event, for the delay stats
        std::int64_t first_event = 0, last_event = 0;
        bool full = false;
    };

    asio::any_io_executor ex;
    engine_options opts;
    const config::settings& s;
    elastic::client es;
    shotgun::client sg;
    state_store state;
    version_clock clock;
    entity_writer snapshot_writer;
    entity_writer follower_writer;
    event_cursor cursor;
    follower_state persisted;  // what the state index holds
    std::map<std::string, type_runtime> types;
    std::set<std::string> cached_types;
    std::set<entity_ref> lookups_during_build;  // retired or renamed while a download ran
    // Rebuild requests wake the build loop; a timer that never expires is the condition.
    bool rebuild_pending = false;
    bool schema_dirty = false;  // a schema event was seen: compare the cached fields again
    shotgun::site_schema site_schema;  // the site's, as last read
    std::optional<asio::steady_timer> rebuild_wakeup;
    // Re-read requests (validate --repair): merged, applied by the follower, then answered.
    change_set reread_queue;
    std::optional<change_set> reread_running;
    std::uint64_t reread_requested = 0, reread_taken = 0, reread_done = 0;
    std::optional<asio::steady_timer> reread_wakeup;
    std::mt19937_64 rng{std::random_device{}()};

    // Status.
    std::int64_t started_ms = now_ms();
    bool following = false;
    double lag_seconds = 0;
    std::uint64_t events_applied = 0;
    std::uint64_t gaps_expired = 0;
    std::uint64_t safety_scans = 0;
    std::deque<std::pair<std::int64_t, std::size_t>> recent_events;  // (ms, events) for the rate

    static std::string holder_id(const engine_options& o) {
        std::mt19937_64 r{std::random_device{}()};
        char buf[24];
        std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(r() & 0xffffffffull));
        return o.host + ":" + std::to_string(o.pid) + ":" + buf;
    }

    static elastic::indexer_options indexer_options(const config::settings& s) {
        elastic::indexer_options io;
        io.max_batch_docs = s.elasticsearch.bulk_max_docs;
        io.max_batch_bytes = s.elasticsearch.bulk_max_bytes;
        io.max_in_flight = s.elasticsearch.bulk_in_flight;
        io.item_retry = {0, 200ms, 10s};  // items ES is too busy for are retried until taken
        return io;
    }

    static elastic::client_config es_config(const config::settings& s) {
        elastic::client_config c;
        c.hosts = s.elasticsearch.hosts;
        c.username = s.elasticsearch.username;
        c.password = s.elasticsearch.password.reveal();
        c.api_key = s.elasticsearch.api_key.reveal();
        c.http.ca_file = s.elasticsearch.ca_file;
        c.http.verify_peer = s.elasticsearch.verify_tls;
        c.http.request_timeout = s.elasticsearch.request_timeout;
        c.http.user_agent = "sgcache";
        // Compressing _bulk replies costs the cluster CPU that ingest needs; replies are not
        // worth it on a studio network.
        c.http.accept_gzip = false;
        c.retry = s.elasticsearch.retry;
        return c;
    }

    static shotgun::client_config sg_config(const config::settings& s) {
        shotgun::client_config c;
        c.url = s.shotgun.url;
        c.auth.script_name = s.shotgun.script_name;
        c.auth.script_key = s.shotgun.script_key.reveal();
        c.http.ca_file = s.shotgun.ca_file;
        c.http.connect_timeout = s.shotgun.connect_timeout;
        c.http.request_timeout = s.shotgun.request_timeout;
        c.http.user_agent = "sgcache";
        c.retry = s.shotgun.retry;
        c.max_in_flight = s.shotgun.max_in_flight;
        return c;
    }

    impl(asio::any_io_executor e, engine_options o)
        : ex(std::move(e)),
          opts(std::move(o)),
          s(opts.settings),
          es(ex, es_config(s)),
          sg(ex, sg_config(s)),
          state(ex, es, state_index(s.elasticsearch.index_prefix), holder_id(opts), opts.host, opts.pid),
          clock(std::chrono::hours(1)),
          snapshot_writer(es, indexer_options(s)),
          follower_writer(es, indexer_options(s)) {
        for (const auto& cfg : opts.types) {
            type_runtime rt;
            rt.cfg = &cfg;
            rt.names = names_for(s.elasticsearch.index_prefix, cfg.type);
            rt.filters = shotgun::from_list_form(json::value(cfg.filters));
            rt.fields = cfg.field_names();
            types.emplace(cfg.type, std::move(rt));
            cached_types.insert(cfg.type);
        }
    }

    // ---------------------------------------------------------------- helpers

    // co_await is not allowed in a catch handler: callers keep the message and call this
    // after the handler.
    asio::awaitable<void> backoff(int attempt, std::string what, std::string error) {
        const retry_policy p{0, 1s, 30s};
        const auto d = backoff_delay(p, attempt, rng);
        log::warning("engine", what + " failed; retrying", {{"error", error}, {"retry_in_s", d.count() / 1000.0}});
        co_await sleep_for(d);
    }

    void set_targets(type_runtime& rt) {
        std::vector<std::string> targets;
        if (rt.st.active) targets.push_back(rt.names.generation(rt.st.active));
        if (rt.st.building) targets.push_back(rt.names.generation(rt.st.building));
        snapshot_writer.set_targets(rt.cfg->type, targets);
        follower_writer.set_targets(rt.cfg->type, targets);
    }

    // ---------------------------------------------------------------- start-up

    asio::awaitable<void> connect_elasticsearch() {
        std::string failure;
        for (int attempt = 1;; ++attempt) {
            try {
                auto info = co_await es.info();
                log::info("engine", "connected to the search cluster",
                          {{"distribution", info.distribution}, {"version", info.version}});
                co_await state.ensure_index();
                co_return;
            } catch (const std::exception& e) {
                if (!transient(e)) throw;
                failure = e.what();
            }
            co_await backoff(attempt, "connecting to Elasticsearch", failure);
        }
    }

    asio::awaitable<void> start_clock() {
        auto floor = co_await state.load_floor();
        if (floor) clock.resume_above(*floor);
        const std::int64_t next = clock.next_floor(version_clock::now_us());
        co_await state.save_floor(next);
        clock.floor_persisted(next);
        sg.set_version_source([this]() { return clock.issue(version_clock::now_us()); });
    }

    // Compares the cached fields with the site's schema: fields gone are no longer read,
    // retyped ones are reported; both say which entity config to regenerate.
    void check_schema(type_runtime& rt, const shotgun::site_schema& schema) {
        const std::string& t = rt.cfg->type;
        auto it = schema.types.find(t);
        if (it == schema.types.end()) {
            rt.ph = phase::failed;
            rt.failure = "the site has no entity type " + t + " any more; remove " + rt.cfg->file.string();
            log::error("engine", rt.failure);
            return;
        }
        rt.fields.clear();
        rt.warnings.clear();
        for (const auto& f : rt.cfg->fields) {
            auto fit = it->second.fields.find(f.name);
            if (fit == it->second.fields.end()) {
                rt.warnings.push_back(t + "." + f.name + " no longer exists on the site: regenerate " +
                                      rt.cfg->file.string());
                continue;
            }
            if (fit->second.data_type != f.data_type) {
                rt.warnings.push_back(t + "." + f.name + " is '" + fit->second.data_type + "' on the site but '" +
                                      f.data_type + "' in the entity config: regenerate " + rt.cfg->file.string());
            }
            rt.fields.push_back(f.name);
        }
        for (const auto& w : rt.warnings) log::warning("engine", w);
    }

    asio::awaitable<void> check_site() {
        std::string failure;
        for (int attempt = 1;; ++attempt) {
            try {
                auto info = co_await sg.info();
                std::string version;
                for (int v : info.version) version += (version.empty() ? "" : ".") + std::to_string(v);
                log::info("engine", "connected to the Shotgun site", {{"url", s.shotgun.url}, {"version", version}});
                auto fields = co_await sg.schema_read();
                auto entities = co_await sg.schema_entity_read();
                site_schema = shotgun::parse_schema(fields, entities);
                for (auto& [name, rt] : types) check_schema(rt, site_schema);
                co_return;
            } catch (const std::exception& e) {
                if (!transient(e)) throw;
                failure = e.what();
            }
            co_await backoff(attempt, "reading the site's schema", failure);
        }
    }

    // Drops what a removed entity config left behind (unless the config keeps it).
    asio::awaitable<void> drop_removed(const std::map<std::string, type_state>& stored) {
        for (const auto& [name, st] : stored) {
            if (types.count(name)) continue;
            if (s.sync.keep_removed_types) {
                log::info("engine", "keeping the indices of a type whose entity config was removed", {{"type", name}});
                continue;
            }
            const auto n = names_for(s.elasticsearch.index_prefix, name);
            const std::array<int, 2> generations{st.active, st.building};
            for (int g : generations) {
                if (g && co_await es.delete_index(n.generation(g))) {
                    log::info("engine", "dropped the index of a removed entity config",
                              {{"type", name}, {"index", n.generation(g)}});
                }
            }
            co_await state.delete_type(name);
        }
    }

    // Decides, per type, whether to follow its active generation or build a new one.
    asio::awaitable<void> plan_types() {
        auto stored = co_await state.load_types();
        co_await drop_removed(stored);
        for (auto& [name, rt] : types) {
            if (auto it = stored.find(name); it != stored.end()) rt.st = it->second;
            rt.st.type = name;
            if (rt.ph == phase::failed) continue;
            const std::string hash = rt.cfg->hash();
            if (rt.st.active && !co_await es.exists(rt.names.generation(rt.st.active))) {
                log::warning("engine", "the active index of a type is gone; rebuilding it",
                             {{"type", name}, {"index", rt.names.generation(rt.st.active)}});
                rt.st.active = 0;
            }
            if (rt.st.building && rt.st.building_hash != hash) {
                // A build of an older config: its index is useless now.
                co_await es.delete_index(rt.names.generation(rt.st.building));
                rt.st.building = 0;
                rt.st.ranges.clear();
                rt.st.done.clear();
            }
            if (rt.st.active && rt.st.active_hash == hash && !rt.st.building) {
                rt.ph = phase::following;
            } else {
                if (rt.st.active && rt.st.active_hash != hash) {
                    log::info("engine", "the entity config changed: rebuilding the type while readers keep the old generation",
                              {{"type", name}});
                }
                rt.ph = phase::building;
            }
            set_targets(rt);
        }
    }

    // The follower's starting point: the persisted checkpoint, or on a first start the
    // newest event created at least one gap timeout ago (events of transactions still open
    // now may get ids below ids already visible, and must still be seen).
    asio::awaitable<void> start_cursor() {
        if (auto f = co_await state.load_follower()) {
            persisted = *f;
            cursor.restore(f->cursor);
            log::info("engine", "resuming the event follower",
                      {{"after_event", f->cursor.high}, {"open_gaps", f->cursor.gaps.size()}});
            co_return;
        }
        shotgun::read_request req;
        req.type = "EventLogEntry";
        req.fields = {"id", "created_at"};
        const std::int64_t before = now_ms() - s.sync.gap_timeout.count();
        req.filters = shotgun::all_of(json::array{shotgun::condition("created_at", "less_than", json::array{api3_time(before)})});
        req.sorts.push_back({"id", true});
        req.page_size = 1;
        auto page = co_await sg.read(req);
        persisted.cursor.high = page.entities.empty() ? 0 : id_of(page.entities[0]);
        persisted.safety_scan_ms = now_ms();
        cursor.restore(persisted.cursor);
        co_await state.save_follower(persisted);
        log::info("engine", "starting the event follower one gap timeout back",
                  {{"after_event", persisted.cursor.high}, {"gap_timeout_s", s.sync.gap_timeout.count() / 1000}});
    }

    asio::awaitable<void> startup() {
        co_await connect_elasticsearch();
        co_await state.acquire_lease(s.sync.lease_ttl);
        log::info("engine", "holding the lease", {{"state_index", state.index()}});
        co_await start_clock();
        co_await check_site();
        co_await plan_types();
        co_await start_cursor();
    }

    // ---------------------------------------------------------------- re-reads

    // Reads the given entities of one type again (with the type's filters) and writes what
    // came back; entities that did not come back become tombstones. The links held by the
    // entities in `revived` are added to `forward` (links to a revived entity reappear in
    // the entities it links to).
    asio::awaitable<void> reread(type_runtime& rt, const std::set<std::int64_t>& ids, entity_writer& writer,
                                 const std::set<std::int64_t>& revived, change_set& forward) {
        std::vector<std::int64_t> all(ids.begin(), ids.end());
        const std::size_t chunk = std::max<std::size_t>(1, std::min<std::size_t>(s.shotgun.page_size, 500));
        for (std::size_t b = 0; b < all.size(); b += chunk) {
            json::array id_list;
            for (std::size_t i = b; i < std::min(all.size(), b + chunk); ++i) id_list.push_back(all[i]);
            const std::size_t asked = id_list.size();
            shotgun::read_request req;
            req.type = rt.cfg->type;
            req.fields = rt.fields;
            req.filters = shotgun::both(rt.filters, shotgun::all_of(json::array{shotgun::condition("id", "in", std::move(id_list))}));
            req.page_size = asked;
            auto page = co_await sg.read(std::move(req));
            std::set<std::int64_t> found;
            for (const auto& e : page.entities) {
                if (!e.is_object()) continue;
                const std::int64_t id = id_of(e);
                found.insert(id);
                if (revived.count(id)) collect_links(e.get_object(), cached_types, forward);
                co_await writer.write(rt.cfg->type, e.get_object(), page.version, nullptr);
            }
            for (std::size_t i = b; i < std::min(all.size(), b + chunk); ++i) {
                if (!found.count(all[i])) co_await writer.tombstone(rt.cfg->type, all[i], page.version, nullptr);
            }
        }
    }

    // Finds, in the cache, the entities whose link fields hold one of `targets`, and adds
    // them to `out`: retiring or renaming an entity changes those links on the site without
    // an event on the linking entities.
    asio::awaitable<void> reverse_lookup(const std::set<entity_ref>& targets, change_set& out) {
        std::vector<entity_ref> list(targets.begin(), targets.end());
        for (auto& [name, rt] : types) {
            if (rt.ph == phase::failed) continue;
            std::vector<const config::cached_field*> links;
            for (const auto& f : rt.cfg->fields) {
                if (f.data_type == "entity" || f.data_type == "multi_entity" || f.data_type == "addressing") links.push_back(&f);
            }
            if (links.empty()) continue;
            // targets() is a copy: a rebuild may replace the list during these co_awaits.
            for (const auto& index : follower_writer.targets(name)) {
                co_await es.refresh(index);  // see documents written a moment ago
                for (std::size_t b = 0; b < list.size(); b += 20) {
                    json::array should;
                    for (std::size_t i = b; i < std::min(list.size(), b + 20); ++i) {
                        for (const auto* f : links) {
                            json::array filter;
                            filter.push_back(json::object{{"term", json::object{{f->name + ".type", list[i].type}}}});
                            filter.push_back(json::object{{"term", json::object{{f->name + ".id", list[i].id}}}});
                            json::object match{{"bool", json::object{{"filter", std::move(filter)}}}};
                            const json::value* kind = f->mapping.if_contains("type");
                            if (kind && kind->is_string() && kind->get_string() == "nested") {
                                should.push_back(json::object{{"nested", json::object{{"path", f->name}, {"query", std::move(match)}}}});
                            } else {
                                should.push_back(std::move(match));
                            }
                        }
                    }
                    json::array after;
                    for (;;) {
                        json::object body;
                        body["size"] = 1000;
                        body["_source"] = false;
                        body["sort"] = json::array{json::object{{"id", "asc"}}};
                        body["query"] = json::object{{"bool", json::object{{"should", should}, {"minimum_should_match", 1}}}};
                        if (!after.empty()) body["search_after"] = after;
                        auto page = co_await es.search(index, body);
                        for (const auto& h : page.hits) {
                            try {
                                out[name].insert(std::stoll(h.id));
                            } catch (const std::exception&) {
                            }
                        }
                        if (page.hits.size() < 1000) break;
                        after = page.hits.back().sort;
                    }
                }
            }
        }
    }

    asio::awaitable<void> apply(const change_set& changes, const link_effects& effects, entity_writer& writer) {
        change_set all = changes;
        if (!effects.appearance_changed.empty()) {
            co_await reverse_lookup(effects.appearance_changed, all);
            // A full download may still write documents read before the change; look again
            // in its index when it finishes.
            if (building_now()) lookups_during_build.insert(effects.appearance_changed.begin(), effects.appearance_changed.end());
        }
        change_set forward;
        // A revived entity of a type that is not cached: read just its link fields, to find
        // the cached entities in which links to it reappear.
        co_await links_of_revived(effects, forward);
        for (const auto& [type, ids] : all) {
            auto it = types.find(type);
            if (it == types.end() || it->second.ph == phase::failed || ids.empty()) continue;
            if (writer.targets(type).empty()) continue;  // nothing to write into yet
            std::set<std::int64_t> revived;
            for (const auto& r : effects.revived) {
                if (r.type == type) revived.insert(r.id);
            }
            co_await reread(it->second, ids, writer, revived, forward);
        }
        const std::set<std::int64_t> none;
        change_set unused;
        for (const auto& [type, ids] : forward) {
            auto it = types.find(type);
            if (it == types.end() || it->second.ph == phase::failed || writer.targets(type).empty()) continue;
            std::set<std::int64_t> fresh;
            for (auto id : ids) {
                if (!all[type].count(id)) fresh.insert(id);
            }
            if (!fresh.empty()) co_await reread(it->second, fresh, writer, none, unused);
        }
        co_await writer.flush();
    }

    asio::awaitable<void> links_of_revived(const link_effects& effects, change_set& forward) {
        std::map<std::string, json::array> by_type;
        for (const auto& r : effects.revived) {
            if (!cached_types.count(r.type)) by_type[r.type].push_back(r.id);
        }
        for (auto& [type, ids] : by_type) {
            auto st = site_schema.types.find(type);
            if (st == site_schema.types.end()) continue;
            std::vector<std::string> link_fields;
            for (const auto& [name, f] : st->second.fields) {
                if (f.data_type == "entity" || f.data_type == "multi_entity") link_fields.push_back(name);
            }
            if (link_fields.empty()) continue;
            shotgun::read_request req;
            req.type = type;
            req.fields = std::move(link_fields);
            req.page_size = ids.size();
            req.filters = shotgun::all_of(json::array{shotgun::condition("id", "in", std::move(ids))});
            auto page = co_await sg.read(std::move(req));
            for (const auto& e : page.entities) {
                if (e.is_object()) collect_links(e.get_object(), cached_types, forward);
            }
        }
    }

    bool building_now() const {
        for (const auto& [name, rt] : types) {
            if (rt.ph == phase::building) return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- follower

    asio::awaitable<pending_batch> poll() {
        pending_batch batch;
        std::vector<json::value> rows;
        shotgun::read_request req;
        req.type = "EventLogEntry";
        req.fields = {"id", "event_type", "attribute_name", "entity", "meta", "created_at"};
        req.filters = shotgun::all_of(json::array{shotgun::condition("id", "greater_than", json::array{cursor.high()})});
        req.sorts.push_back({"id", false});
        req.page_size = s.sync.event_batch_size;
        auto page = co_await sg.read(req);
        batch.full = page.entities.size() >= s.sync.event_batch_size;
        for (auto& e : page.entities) rows.push_back(std::move(e));
        const auto gap_list = cursor.gap_ids(100);
        if (!gap_list.empty()) {
            json::array ids;
            for (auto id : gap_list) ids.push_back(id);
            req.filters = shotgun::all_of(json::array{shotgun::condition("id", "in", std::move(ids))});
            req.page_size = gap_list.size();
            auto gaps = co_await sg.read(req);
            for (auto& e : gaps.entities) rows.push_back(std::move(e));
        }
        std::vector<std::int64_t> ids;
        std::map<std::int64_t, const json::object*> by_id;
        for (const auto& r : rows) {
            if (!r.is_object()) continue;
            const std::int64_t id = id_of(r);
            ids.push_back(id);
            by_id[id] = &r.get_object();
        }
        const std::int64_t now = now_ms();
        const auto fresh = cursor.accept(ids, now);
        for (const auto& g : cursor.expire(now, s.sync.gap_timeout.count())) {
            ++gaps_expired;
            log::warning("follower", "gave up waiting for an event id", {{"event_id", g.id},
                         {"missing_for_s", (now - g.first_seen_ms) / 1000}});
        }
        for (const std::int64_t id : fresh) {
            const json::object& row = *by_id.at(id);
            if (is_schema_event(row)) {
                log::warning("follower", "the site's schema changed; checking the cached fields again", {{"event_id", id}});
                schema_dirty = true;
            }
            collect_changes(row, cached_types, batch.changes);
            collect_link_effects(row, batch.effects);
            const std::int64_t created = parse_api3_time(row.if_contains("created_at"));
            batch.newest_created_ms = std::max(batch.newest_created_ms, created);
            if (created) batch.created_ms.push_back(created);
            if (!batch.first_event) batch.first_event = id;
            batch.last_event = id;
        }
        batch.events = fresh.size();
        batch.after = cursor.checkpoint();
        co_return batch;
    }

    void note_events(std::size_t n) {
        const std::int64_t now = now_ms();
        recent_events.emplace_back(now, n);
        while (!recent_events.empty() && recent_events.front().first < now - 60'000) recent_events.pop_front();
    }

    asio::awaitable<void> follower_loop() {
        std::optional<pending_batch> pending;
        int failures = 0;
        std::string failure;
        for (;;) {
            bool full = false;
            try {
                co_await apply_rereads();
                if (!pending) pending = co_await poll();
                full = pending->full;
                co_await apply(pending->changes, pending->effects, follower_writer);
                persisted.cursor = pending->after;
                co_await state.save_follower(persisted);
                if (opts.watcher && pending->events) {
                    event_batch_report r;
                    r.events = pending->events;
                    r.entities = total(pending->changes);
                    r.first_event_id = pending->first_event;
                    r.last_event_id = pending->last_event;
                    const std::int64_t acked = now_ms();
                    for (const auto c : pending->created_ms) r.delays.push_back((acked - c) / 1000.0);
                    opts.watcher->event_batch_applied(r);
                }
                events_applied += pending->events;
                note_events(pending->events);
                lag_seconds = full && pending->newest_created_ms ? (now_ms() - pending->newest_created_ms) / 1000.0 : 0.0;
                if (pending->events) {
                    log::debug("follower", "applied events", {{"events", pending->events},
                               {"entities", total(pending->changes)}, {"after_event", persisted.cursor.high}});
                }
                pending.reset();
                following = true;
                failures = 0;
            } catch (const std::exception& e) {
                if (!transient(e)) throw;
                failure = e.what();
            }
            if (!failure.empty()) {
                co_await backoff(++failures, "following events", failure);
                failure.clear();
                continue;
            }
            if (!full) co_await sleep_for(s.sync.event_poll_interval);
        }
    }

    // ---------------------------------------------------------------- safety scan

    // Re-reads what changed by updated_at since the last scan (with overlap): writers that
    // generate no events are caught here. Ids are collected without the type's filters, then
    // re-read with them, so an entity that stopped matching becomes a tombstone too.
    asio::awaitable<void> safety_scan() {
        const std::int64_t scan_start = now_ms();
        const std::int64_t since = persisted.safety_scan_ms - s.sync.safety_scan_overlap.count();
        change_set changes;
        for (auto& [name, rt] : types) {
            if (rt.ph == phase::failed || rt.ph == phase::waiting) continue;
            std::int64_t after = 0;
            for (;;) {
                const std::vector<std::string> id_only{"id"};
                const json::object changed = shotgun::all_of(
                    json::array{shotgun::condition("updated_at", "greater_than", json::array{api3_time(since)})});
                auto page = co_await sg.read_after(name, id_only, changed, after, std::numeric_limits<std::int32_t>::max(),
                                                   500, false);
                for (const auto& e : page.entities) changes[name].insert(id_of(e));
                if (page.entities.size() < 500) break;
                after = id_of(page.entities.back());
            }
        }
        if (total(changes)) log::info("safety-scan", "re-reading entities changed since the last scan", {{"entities", total(changes)}});
        const link_effects no_effects;
        co_await apply(changes, no_effects, follower_writer);
        persisted.safety_scan_ms = scan_start;
        co_await state.save_follower(persisted);
        ++safety_scans;
    }

    asio::awaitable<void> safety_loop() {
        if (s.sync.safety_scan_interval.count() == 0) co_return;
        int failures = 0;
        for (;;) {
            const std::int64_t due = persisted.safety_scan_ms + s.sync.safety_scan_interval.count();
            if (now_ms() < due) {
                co_await sleep_for(std::chrono::milliseconds(std::min<std::int64_t>(due - now_ms(), 1000)));
                continue;
            }
            std::string failure;
            try {
                co_await safety_scan();
                failures = 0;
            } catch (const std::exception& e) {
                if (!transient(e)) throw;
                failure = e.what();
            }
            if (!failure.empty()) co_await backoff(++failures, "the safety scan", failure);
        }
    }

    // ---------------------------------------------------------------- full download

    // Creates (or reuses) the generation index of a build and plans its ranges.
    asio::awaitable<void> prepare_build(type_runtime& rt) {
        const std::string hash = rt.cfg->hash();
        const bool resume = rt.st.building && rt.st.building_hash == hash && !rt.st.ranges.empty() &&
                            co_await es.exists(rt.names.generation(rt.st.building));
        if (!resume) {
            const int gen = std::max(rt.st.active, rt.st.building) + 1;
            const std::string index = rt.names.generation(gen);
            // A leftover of a crash between creating the index and recording it.
            co_await es.delete_index(index);
            co_await es.create_index(index, config::index_body(*rt.cfg, 1, 0, "-1"));
            // Bounds and size of the id space, with the type's filters.
            json::array summaries{json::object{{"field", "id"}, {"type", "record_count"}}};
            const json::array no_grouping;
            auto count = co_await sg.summarize(rt.cfg->type, summaries, rt.filters, no_grouping);
            rt.build_total = 0;
            if (auto su = count.if_contains("summaries"); su && su->is_object()) {
                if (auto n = su->get_object().if_contains("id"); n && n->is_number()) {
                    rt.build_total = n->to_number<std::uint64_t>();
                }
            }
            shotgun::read_request edge;
            edge.type = rt.cfg->type;
            edge.fields = {"id"};
            edge.filters = rt.filters;
            edge.page_size = 1;
            edge.sorts.push_back({"id", false});
            auto first = co_await sg.read(edge);
            edge.sorts.back().descending = true;
            auto last = co_await sg.read(edge);
            rt.st.building = gen;
            rt.st.building_hash = hash;
            rt.st.ranges.clear();
            if (!first.entities.empty() && !last.entities.empty()) {
                // Ranges of about snapshot_range_size entities each, from the density of ids:
                // small enough that several workers share even a mid-sized type.
                const std::int64_t lo = id_of(first.entities[0]), hi = id_of(last.entities[0]);
                const double span = static_cast<double>(hi - lo + 1);
                const double count = std::max<double>(1.0, static_cast<double>(rt.build_total));
                const auto ids_per_range = static_cast<std::int64_t>(
                    std::max(1.0, span * static_cast<double>(s.sync.snapshot_range_size) / count));
                rt.st.ranges = plan_ranges(lo, hi, ids_per_range);
            }
            rt.st.done.assign(rt.st.ranges.size(), false);
            rt.st.loaded = 0;
            rt.st.build_started_ms = now_ms();
            co_await state.save_type(rt.st);
            log::info("snapshot", "full download started",
                      {{"type", rt.cfg->type}, {"index", index}, {"entities", rt.build_total},
                       {"ranges", rt.st.ranges.size()}});
        } else {
            log::info("snapshot", "resuming a full download",
                      {{"type", rt.cfg->type}, {"index", rt.names.generation(rt.st.building)},
                       {"ranges_done", rt.st.ranges_done()}, {"ranges", rt.st.ranges.size()}});
            if (!rt.build_total) rt.build_total = rt.st.loaded;
        }
        set_targets(rt);
        rt.prepared = true;
        rt.range_groups.assign(rt.st.ranges.size(), nullptr);
        rt.range_read.assign(rt.st.ranges.size(), false);
        rt.early_refresh = false;
        rt.build_loaded_at_start = rt.st.loaded;
        rt.build_run_started_ms = now_ms();
        rt.sg_requests_at_start = sg.stats().requests;
        rt.sg_retries_at_start = sg.stats().retries;
        rt.bulk_requests_at_start = snapshot_writer.indexer_stats().requests;
    }

    // Reads one range by keyset paging and queues its documents.
    asio::awaitable<void> load_range(type_runtime& rt, std::size_t k) {
        auto group = std::make_shared<ack_group>();
        rt.range_groups[k] = group;
        auto [after, up_to] = rt.st.ranges[k];
        const std::size_t page_size = s.shotgun.page_size;
        for (;;) {
            // Read in place and dropped whole: the page owns its buffer (see read_request).
            auto page = co_await sg.read_after(rt.cfg->type, rt.fields, rt.filters, after, up_to, page_size, false,
                                               /*owned_arena=*/true);
            for (const auto& e : page.entities) {
                if (e.is_object()) co_await snapshot_writer.write(rt.cfg->type, e.get_object(), page.version, group);
            }
            if (page.entities.size() < page_size) break;
            after = id_of(page.entities.back());
        }
        rt.range_read[k] = true;
        log::debug("snapshot", "range read", {{"type", rt.cfg->type}, {"range", k}, {"entities", group->entities}});
    }

    bool all_ranges_read(const type_runtime& rt) const {
        for (std::size_t k = 0; k < rt.st.ranges.size(); ++k) {
            if (!rt.st.done[k] && !rt.range_read[k]) return false;
        }
        return true;
    }

    // Once every range of a type has been read, most of its documents are in the node's
    // indexing buffer: refreshing now writes them to segments while other types still load.
    // Left to the final refresh in finish_builds, every type's segments would be written at
    // once at the end, where a small node has a single refresh thread and its other cores
    // idle. Only a hint: finish_builds' refresh is what makes the generation searchable.
    asio::awaitable<void> refresh_early(type_runtime& rt) {
        try {
            co_await es.refresh(rt.names.generation(rt.st.building));
        } catch (const std::exception& e) {
            if (!transient(e)) throw;
        }
    }

    // Records ranges whose documents are all acknowledged; persists progress when any.
    asio::awaitable<void> record_progress(type_runtime& rt) {
        bool changed = false;
        for (std::size_t k = 0; k < rt.st.ranges.size(); ++k) {
            const auto& g = rt.range_groups[k];
            if (rt.st.done[k] || !rt.range_read[k] || !g || !g->complete()) continue;
            rt.st.done[k] = true;
            rt.st.loaded += g->entities;
            changed = true;
        }
        if (changed) co_await state.save_type(rt.st);
    }

    // Restores the index settings, swaps both aliases in one call, drops the old generation.
    // Documents read before a retirement or rename and written after the follower looked
    // for them: find them now that the downloads are in their indices, before the swap.
    asio::awaitable<void> lookup_after_builds() {
        if (lookups_during_build.empty()) co_return;
        co_await snapshot_writer.flush();
        change_set again;
        co_await reverse_lookup(lookups_during_build, again);
        const link_effects no_effects;
        co_await apply(again, no_effects, follower_writer);
    }

    // Finishes every download in `rts` together: restores the index settings, refreshes,
    // and swaps all their aliases in one atomic call, then drops the old generations.
    // Settings and aliases are cluster-state updates, which the master applies one at a
    // time: one call for all types costs one update where a call per type cost one each
    // (11 types on a 2-core machine: the end of a download went from about 0.7 s to 0.4 s).
    // Idempotent, so a failure is retried from the top.
    asio::awaitable<void> finish_builds(const std::vector<type_runtime*>& rts) {
        // A retry after a failure past the swap finds those types swapped already
        // (finish_pending): only their bookkeeping is left.
        std::vector<type_runtime*> swapping;
        for (auto* rt : rts) {
            if (!rt->finish_pending) swapping.push_back(rt);
        }
        if (!swapping.empty()) co_await swap_generations(swapping);
        // Writes queued for the old generations drain before they go away, so that no
        // write can re-create one.
        co_await follower_writer.flush();
        co_await snapshot_writer.flush();
        for (auto* rt : rts) {
            co_await state.save_type(rt->st);
            if (rt->replaced && rt->replaced != rt->st.active) co_await es.delete_index(rt->names.generation(rt->replaced));
            rt->replaced = 0;
            rt->finish_pending = false;
            report_finished(*rt);
        }
    }

    // The ES side of finish_builds, then the types' targets move to the new generations.
    asio::awaitable<void> swap_generations(const std::vector<type_runtime*>& rts) {
        std::vector<std::string> indices;
        for (auto* rt : rts) indices.push_back(rt->names.generation(rt->st.building));
        json::object settings = json::parse(R"({"index":{"refresh_interval":"1s"}})").as_object();
        settings["index"].as_object()["number_of_replicas"] = 1;
        co_await es.update_settings(indices, settings);
        co_await es.refresh(indices);
        log::debug("snapshot", "settings restored and refreshed", {{"indices", indices.size()}});
        // Whatever the aliases point to now (a crash may have swapped some already) moves
        // to the new generations.
        std::vector<std::vector<std::string>> live_now(rts.size()), all_now(rts.size());
        {
            task_group reads(ex);
            for (std::size_t i = 0; i < rts.size(); ++i) {
                reads.spawn(read_alias(rts[i]->names.live_alias, live_now[i]));
                reads.spawn(read_alias(rts[i]->names.all_alias, all_now[i]));
            }
            co_await reads.wait();
        }
        std::vector<elastic::alias_action> actions;
        for (std::size_t i = 0; i < rts.size(); ++i) {
            const auto& names = rts[i]->names;
            for (const auto& old : live_now[i]) {
                if (old != indices[i]) actions.push_back({elastic::alias_verb::remove, old, names.live_alias, std::nullopt});
            }
            for (const auto& old : all_now[i]) {
                if (old != indices[i]) actions.push_back({elastic::alias_verb::remove, old, names.all_alias, std::nullopt});
            }
            actions.push_back({elastic::alias_verb::add, indices[i], names.live_alias, live_filter()});
            actions.push_back({elastic::alias_verb::add, indices[i], names.all_alias, std::nullopt});
        }
        co_await es.update_aliases(actions);
        log::debug("snapshot", "aliases swapped", {{"actions", actions.size()}});
        for (auto* rt : rts) {
            rt->replaced = rt->st.active;
            rt->st.active = rt->st.building;
            rt->st.active_hash = rt->st.building_hash;
            rt->st.building = 0;
            rt->st.building_hash.clear();
            rt->st.ranges.clear();
            rt->st.done.clear();
            set_targets(*rt);
            // Readers see the new generation from here on: status and readiness say so for
            // every type at once.
            rt->ph = phase::following;
            rt->finish_pending = true;
        }
    }

    asio::awaitable<void> read_alias(const std::string& alias, std::vector<std::string>& out) {
        out = co_await es.indices_of_alias(alias);
    }

    void report_finished(type_runtime& rt) {
        const std::string index = rt.names.generation(rt.st.active);
        const double secs = (now_ms() - rt.st.build_started_ms) / 1000.0;
        if (opts.watcher) {
            download_report r;
            r.type = rt.cfg->type;
            r.generation = rt.st.active;
            r.entities = rt.st.loaded;
            r.seconds = secs;
            r.shotgun_requests = sg.stats().requests - rt.sg_requests_at_start;
            r.shotgun_retries = sg.stats().retries - rt.sg_retries_at_start;
            r.bulk_requests = snapshot_writer.indexer_stats().requests - rt.bulk_requests_at_start;
            if (auto it = snapshot_writer.stats().find(rt.cfg->type); it != snapshot_writer.stats().end()) {
                r.rejected = it->second.rejected;
            }
            opts.watcher->download_finished(r);
        }
        log::info("snapshot", "full download complete; readers now see the new generation",
                  {{"type", rt.cfg->type}, {"index", index}, {"documents", rt.st.loaded}, {"seconds", secs}});
    }

    // Downloads every type that needs it: a fixed number of workers (one limit across all
    // types) pull ranges from one queue; progress is persisted as ranges are acknowledged.
    asio::awaitable<void> build_all() {
        std::vector<type_runtime*> building;
        for (auto& [name, rt] : types) {
            if (rt.ph == phase::building) building.push_back(&rt);
        }
        if (building.empty()) co_return;
        // Ranges waiting for a worker. Biggest types first: their final segments are then
        // written while the small ones load (see refresh_early), and no big type is
        // left to load alone at the end.
        std::deque<std::pair<type_runtime*, std::size_t>> queue;
        auto enqueue = [&](type_runtime& rt) {
            if (rt.cancel_requested) return;
            for (std::size_t k = 0; k < rt.st.ranges.size(); ++k) {
                if (!rt.st.done[k]) {
                    rt.range_read[k] = false;
                    queue.emplace_back(&rt, k);
                }
            }
            std::stable_sort(queue.begin(), queue.end(), [](const auto& x, const auto& y) {
                return x.first->st.ranges.size() > y.first->st.ranges.size();
            });
        };
        // Types are prepared side by side (an index creation and three small reads each),
        // and the first pass loads each type as soon as it is prepared: creating a dozen
        // indices takes the node most of a second, which the workers would otherwise
        // spend waiting for the last one.
        std::size_t preparing = 0;
        asio::steady_timer prepared_one(ex, asio::steady_timer::time_point::max());
        auto prepare = [&](type_runtime* rt) -> asio::awaitable<void> {
            for (int attempt = 1;; ++attempt) {
                std::string failure;
                try {
                    co_await prepare_build(*rt);
                    break;
                } catch (const std::exception& e) {
                    if (!transient(e)) throw;
                    failure = e.what();
                }
                co_await backoff(attempt, "preparing a full download", failure);
            }
            enqueue(*rt);
            --preparing;
            prepared_one.cancel();  // wakes the workers waiting for ranges
        };
        for (int pass = 1;; ++pass) {
            std::size_t failed = 0;
            task_group group(ex);  // prepares, workers and early refreshes
            auto worker = [&]() -> asio::awaitable<void> {
                for (;;) {
                    if (queue.empty()) {
                        if (!preparing) break;
                        boost::system::error_code ec;
                        co_await prepared_one.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                        // The group's cancellation (a failure elsewhere, or shutdown) also
                        // ends this wait: leave then, rather than wait again.
                        if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
                            throw boost::system::system_error(asio::error::operation_aborted);
                        }
                        continue;
                    }
                    auto [rt, k] = queue.front();
                    queue.pop_front();
                    if (rt->cancel_requested) continue;
                    try {
                        co_await load_range(*rt, k);
                        co_await record_progress(*rt);
                        // In the background, and only while other ranges still load: at the
                        // end, the final refresh does the same work with nothing to hide it
                        // behind.
                        if (!rt->early_refresh && all_ranges_read(*rt) && (!queue.empty() || preparing)) {
                            rt->early_refresh = true;
                            group.spawn(refresh_early(*rt));
                        }
                    } catch (const std::exception& e) {
                        if (!transient(e)) throw;
                        ++failed;
                        log::warning("snapshot", "a range failed; it will be read again",
                                     {{"type", rt->cfg->type}, {"range", k}, {"error", e.what()}});
                    }
                }
            };
            for (auto* rt : building) {
                if (rt->prepared) {
                    enqueue(*rt);
                } else {
                    ++preparing;
                    group.spawn(prepare(rt));
                }
            }
            for (std::size_t i = 0; i < std::max<std::size_t>(1, s.sync.snapshot_workers); ++i) group.spawn(worker());
            co_await group.wait();
            // Everything queued must be acknowledged before the ranges count as done.
            log::debug("snapshot", "all ranges read; waiting for acknowledgements");
            try {
                co_await snapshot_writer.flush();
                log::debug("snapshot", "everything read is acknowledged");
            } catch (const std::exception& e) {
                if (!transient(e)) throw;
                ++failed;
                log::warning("snapshot", "some documents could not be delivered; their ranges will be read again",
                             {{"error", e.what()}});
            }
            for (auto* rt : building) {
                try {
                    co_await record_progress(*rt);
                } catch (const std::exception& e) {
                    if (!transient(e)) throw;
                }
            }
            if (failed) co_await sleep_for(std::chrono::milliseconds(std::min(30'000, 1000 * pass)));
            bool all_done = true;
            for (auto* rt : building) all_done &= rt->cancel_requested || rt->st.ranges_done() == rt->st.ranges.size();
            if (all_done) break;
        }
        for (auto* rt : building) {
            if (rt->cancel_requested) co_await abandon_build(*rt);
        }
        for (int attempt = 1;; ++attempt) {
            std::string failure;
            try {
                co_await lookup_after_builds();
                std::vector<type_runtime*> finishing;
                for (auto* rt : building) {
                    if (rt->ph == phase::building || rt->finish_pending) finishing.push_back(rt);
                }
                co_await finish_builds(finishing);
                if (!building_now()) lookups_during_build.clear();
                break;
            } catch (const std::exception& e) {
                if (!transient(e)) throw;
                failure = e.what();
            }
            co_await backoff(attempt, "finishing a full download", failure);
        }
    }

    // ---------------------------------------------------------------- maintenance

    asio::awaitable<void> maintenance_loop() {
        std::int64_t last_heartbeat = now_ms();
        const auto renew_every = std::max<std::int64_t>(1000, s.sync.lease_ttl.count() / 3);
        std::int64_t last_renew = now_ms();
        for (;;) {
            co_await sleep_for(1s);
            const std::int64_t now = now_ms();
            try {
                if (now - last_renew >= renew_every) {
                    co_await state.renew_lease(s.sync.lease_ttl);
                    last_renew = now;
                }
                if (clock.floor_due(version_clock::now_us())) {
                    const std::int64_t next = clock.next_floor(version_clock::now_us());
                    co_await state.save_floor(next);
                    clock.floor_persisted(next);
                }
                if (schema_dirty) {
                    // A field removed or retyped on the site: stop reading what is gone and say
                    // which entity config to regenerate; the other fields and types go on.
                    schema_dirty = false;
                    auto fields = co_await sg.schema_read();
                    auto entities = co_await sg.schema_entity_read();
                    site_schema = shotgun::parse_schema(fields, entities);
                    for (auto& [name, rt] : types) {
                        if (rt.ph != phase::failed) check_schema(rt, site_schema);
                    }
                }
            } catch (const std::exception& e) {
                if (!transient(e)) throw;
                log::warning("engine", "could not renew the lease or the version floor; retrying", {{"error", e.what()}});
            }
            if (now - last_heartbeat >= 30'000 && following) {
                last_heartbeat = now;
                const auto st = status_snapshot();
                log::info("follower", "following", {{"last_event", st.last_event_id}, {"lag_s", st.lag_seconds},
                          {"events_per_s", st.events_per_second}, {"open_gaps", st.open_gaps}});
            }
        }
    }

    // ---------------------------------------------------------------- status

    engine_status status_snapshot() const {
        engine_status out;
        out.last_event_id = persisted.cursor.high;
        out.lag_seconds = lag_seconds;
        std::size_t recent = 0;
        for (const auto& [t, n] : recent_events) recent += n;
        const double window = recent_events.empty() ? 60.0 : std::max(1.0, (now_ms() - recent_events.front().first) / 1000.0);
        out.events_per_second = recent / window;
        out.open_gaps = cursor.open_gaps();
        out.events_applied = events_applied;
        out.gaps_expired = gaps_expired;
        out.safety_scans = safety_scans;
        out.started_ms = started_ms;
        out.following = following;
        out.ready = !types.empty();
        for (const auto& [name, rt] : types) {
            type_status t;
            t.type = name;
            switch (rt.ph) {
                case phase::waiting: t.phase = "waiting"; break;
                case phase::building: t.phase = "building"; break;
                case phase::following: t.phase = "following"; break;
                case phase::failed: t.phase = "failed"; break;
            }
            t.active_generation = rt.st.active;
            t.building_generation = rt.st.building;
            t.failure = rt.failure;
            t.warnings = rt.warnings;
            if (rt.ph == phase::building) {
                t.build_total = std::max<std::uint64_t>(rt.build_total, rt.st.loaded);
                std::uint64_t loaded = rt.build_loaded_at_start;
                const std::size_t per_entity = std::max<std::size_t>(1, snapshot_writer.targets(name).size());
                for (std::size_t k = 0; k < rt.range_groups.size(); ++k) {
                    const auto& g = rt.range_groups[k];
                    if (g && !(k < rt.st.done.size() && rt.st.done[k] && rt.build_loaded_at_start)) loaded += g->settled / per_entity;
                }
                t.build_loaded = std::min(loaded, std::max(loaded, t.build_total));
                const double secs = (now_ms() - rt.build_run_started_ms) / 1000.0;
                t.build_rate = secs > 0 ? (loaded - rt.build_loaded_at_start) / secs : 0;
            }
            for (const auto* w : {&snapshot_writer, &follower_writer}) {
                if (auto it = w->stats().find(name); it != w->stats().end()) {
                    t.written += it->second.written;
                    t.stale += it->second.stale;
                    t.rejected += it->second.rejected;
                    t.tombstones += it->second.tombstones;
                    if (!it->second.last_rejection.empty()) t.last_rejection = it->second.last_rejection;
                }
            }
            out.ready = out.ready && rt.st.active != 0;
            out.types.push_back(std::move(t));
        }
        return out;
    }

    // Drops a rebuild's new generation; the active one goes on serving.
    asio::awaitable<void> abandon_build(type_runtime& rt) {
        const int gen = rt.st.building;
        rt.st.building = 0;
        rt.st.building_hash.clear();
        rt.st.ranges.clear();
        rt.st.done.clear();
        rt.prepared = false;
        rt.cancel_requested = false;
        set_targets(rt);
        co_await follower_writer.flush();
        co_await snapshot_writer.flush();
        co_await state.save_type(rt.st);
        if (gen) co_await es.delete_index(rt.names.generation(gen));
        rt.ph = phase::following;
        log::info("snapshot", "rebuild cancelled; the current generation stays", {{"type", rt.cfg->type}});
    }

    // Runs the downloads due at start, then waits for rebuild requests.
    asio::awaitable<void> build_loop() {
        rebuild_wakeup.emplace(ex, asio::steady_timer::time_point::max());
        for (;;) {
            co_await build_all();
            while (!rebuild_pending) {
                boost::system::error_code ec;
                co_await rebuild_wakeup->async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            rebuild_pending = false;
        }
    }

    engine::rebuild_outcome request_rebuild(const std::vector<std::string>& names) {
        for (const auto& n : names) {
            if (!types.count(n)) throw std::invalid_argument("'" + n + "' is not a cached entity type");
        }
        engine::rebuild_outcome out;
        for (const auto& n : names) {
            auto& rt = types.at(n);
            if (rt.ph == phase::building) {
                out.already.push_back(n);
                continue;
            }
            if (rt.st.building) {
                // A build of an older request that was cancelled or failed: start afresh.
                rt.st.building = 0;
            }
            rt.ph = phase::building;
            rt.failure.clear();
            rt.prepared = false;
            rt.cancel_requested = false;
            out.started.push_back(n);
            log::info("snapshot", "rebuild requested; the current generation keeps serving", {{"type", n}});
        }
        rebuild_pending = true;
        if (rebuild_wakeup) rebuild_wakeup->cancel();
        return out;
    }

    engine::cancel_outcome request_cancel(const std::vector<std::string>& names) {
        for (const auto& n : names) {
            if (!types.count(n)) throw std::invalid_argument("'" + n + "' is not a cached entity type");
        }
        engine::cancel_outcome out;
        for (const auto& n : names) {
            auto& rt = types.at(n);
            if (rt.ph != phase::building || rt.cancel_requested) {
                out.not_building.push_back(n);
            } else if (!rt.st.active) {
                out.first_download.push_back(n);
            } else {
                rt.cancel_requested = true;
                out.cancelled.push_back(n);
            }
        }
        return out;
    }

    asio::awaitable<std::size_t> request_reread(std::map<std::string, std::vector<std::int64_t>> entities,
                                                std::chrono::seconds limit) {
        std::size_t n = 0;
        for (const auto& [type, ids] : entities) {
            if (!types.count(type)) throw std::invalid_argument("'" + type + "' is not a cached entity type");
            n += ids.size();
        }
        for (const auto& [type, ids] : entities) reread_queue[type].insert(ids.begin(), ids.end());
        const std::uint64_t ticket = ++reread_requested;
        if (!reread_wakeup) reread_wakeup.emplace(ex, asio::steady_timer::time_point::max());
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (reread_done < ticket) {
            if (std::chrono::steady_clock::now() >= deadline) {
                throw std::runtime_error("the re-read did not complete within " + std::to_string(limit.count()) + " s");
            }
            asio::steady_timer tick(ex);
            tick.expires_after(std::chrono::milliseconds(50));
            co_await tick.async_wait(asio::use_awaitable);
        }
        co_return n;
    }

    // Called by the follower between polls: applies queued re-read requests.
    asio::awaitable<void> apply_rereads() {
        if (!reread_running) {
            if (reread_queue.empty()) co_return;
            reread_running = std::move(reread_queue);
            reread_queue.clear();
            reread_taken = reread_requested;
        }
        const link_effects no_effects;
        co_await apply(*reread_running, no_effects, follower_writer);
        reread_running.reset();
        reread_done = reread_taken;
    }

    asio::awaitable<engine_status> status_with_counts() {
        auto st = status_snapshot();
        for (auto& t : st.types) {
            const auto& rt = types.at(t.type);
            if (!rt.st.active) continue;
            try {
                t.live_documents = co_await es.count(rt.names.live_alias);
            } catch (const std::exception&) {
                // The count is informative; a busy cluster must not fail the status.
            }
        }
        co_return st;
    }

    asio::awaitable<void> run() {
        co_await startup();
        // The follower runs from the start: every change made during a full download is read
        // again after it. Builds, the safety scan and the lease heartbeat run beside it; the
        // first that fails for good stops the others.
        task_group loops(ex);
        loops.spawn(follower_loop());
        loops.spawn(build_loop());
        loops.spawn(safety_loop());
        loops.spawn(maintenance_loop());
        co_await loops.wait();
    }
};

engine::engine(asio::any_io_executor ex, engine_options opts) : impl_(std::make_unique<impl>(std::move(ex), std::move(opts))) {}
engine::~engine() = default;

asio::awaitable<void> engine::run() { co_await impl_->run(); }

asio::awaitable<void> engine::release() {
    try {
        co_await impl_->state.release_lease();
        log::info("engine", "lease released");
    } catch (const std::exception& e) {
        log::warning("engine", "could not release the lease (it will expire)", {{"error", e.what()}});
    }
}

engine_status engine::status() const { return impl_->status_snapshot(); }

asio::awaitable<engine_status> engine::status_with_counts() { co_return co_await impl_->status_with_counts(); }

engine::rebuild_outcome engine::rebuild(const std::vector<std::string>& types) { return impl_->request_rebuild(types); }

engine::cancel_outcome engine::cancel_rebuild(const std::vector<std::string>& types) {
    return impl_->request_cancel(types);
}

asio::awaitable<std::size_t> engine::reread(std::map<std::string, std::vector<std::int64_t>> entities,
                                            std::chrono::seconds limit) {
    co_return co_await impl_->request_reread(std::move(entities), limit);
}

engine_counters engine::counters() const {
    engine_counters c;
    c.shotgun = impl_->sg.stats();
    c.snapshot_writes = impl_->snapshot_writer.indexer_stats();
    c.follower_writes = impl_->follower_writer.indexer_stats();
    return c;
}

std::vector<std::string> engine::types() const {
    std::vector<std::string> out;
    for (const auto& [name, rt] : impl_->types) out.push_back(name);
    return out;
}

}  // namespace sgcache::sync
