#include "validate/validator.hpp"

#include "shotgun/filters.hpp"
#include "sync/documents.hpp"
#include "sync/state_store.hpp"
#include "validate/buckets.hpp"
#include "validate/options.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

namespace sgcache::validate {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Shotgun ids are 32-bit database integers: the upper end of a whole-type range.
constexpr std::int64_t max_site_id = 2'147'483'646;
// ES pages: hits per search_after page, documents per integrity-scan page.
constexpr std::size_t cache_page = 1000;
constexpr std::size_t scan_page = 10000;
// Events read at most while settling or counting; beyond, every entity counts as touched.
constexpr std::size_t max_events = 100'000;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<std::int64_t> parse_id(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n;
}

std::optional<std::int64_t> id_of(const json::value& e) {
    const json::object* o = e.if_object();
    const json::value* id = o ? o->if_contains("id") : nullptr;
    if (!id || !(id->is_int64() || id->is_uint64())) return std::nullopt;
    return id->to_number<std::int64_t>();
}

struct type_ctx {
    const config::entity_config* cfg = nullptr;
    sync::type_names names;
    json::object filters;          // the type's filters, wire form
    std::vector<field_spec> fields;  // every cached field
    bool caches_updated_at = false;
};

// The compared fields: all of the type's, or the --fields subset (checked by check()).
struct field_choice {
    std::vector<field_spec> specs;
    std::vector<std::string> names;
};

field_choice choose_fields(const type_ctx& t, const std::vector<std::string>& only) {
    field_choice c;
    for (const auto& f : t.fields) {
        if (!only.empty() && std::find(only.begin(), only.end(), f.name) == only.end()) continue;
        c.specs.push_back(f);
        c.names.push_back(f.name);
    }
    return c;
}

// The ES field that sorts like the api3 sort on `field`, or nothing when the cache cannot
// reproduce that order (a multi-entity field, a field without doc values).
std::optional<std::string> sort_path(const type_ctx& t, const std::string& field) {
    if (field == "id") return std::string("id");
    for (const auto& f : t.cfg->fields) {
        if (f.name != field) continue;
        const json::value* type = f.mapping.if_contains("type");
        const std::string kind = type && type->is_string() ? std::string(type->get_string()) : "";
        if (kind == "long" || kind == "integer" || kind == "double" || kind == "float" || kind == "date" ||
            kind == "keyword" || kind == "boolean") {
            return f.name;
        }
        const json::value* sub = f.mapping.if_contains("fields");
        if (kind == "text" && sub && sub->is_object() && sub->get_object().contains("keyword")) return f.name + ".keyword";
        const json::value* props = f.mapping.if_contains("properties");
        if ((kind.empty() || kind == "object") && props && props->is_object() && props->get_object().contains("name")) {
            return f.name + ".name";  // api3 sorts links by name
        }
        return std::nullopt;
    }
    if (field == "updated_at") return std::string(config::meta_field) + ".updated_at";
    return std::nullopt;
}

struct event_batch {
    std::vector<json::object> rows;
    std::int64_t last_id = 0;  // the highest event id read (or the start)
    bool overflow = false;
};

}  // namespace

struct validator::impl {
    shotgun::client& sg;
    elastic::client& es;
    std::string prefix;
    std::size_t page_size;
    std::vector<config::entity_config> configs;
    std::map<std::string, type_ctx> types;

    impl(shotgun::client& s, elastic::client& e, std::string p, std::size_t ps, std::vector<config::entity_config> c)
        : sg(s), es(e), prefix(std::move(p)), page_size(std::clamp<std::size_t>(ps, 1, 500)), configs(std::move(c)) {
        for (const auto& cfg : configs) {
            type_ctx t;
            t.cfg = &cfg;
            t.names = sync::names_for(prefix, cfg.type);
            t.filters = shotgun::from_list_form(json::value(cfg.filters));
            for (const auto& f : cfg.fields) {
                t.fields.push_back({f.name, f.data_type});
                if (f.name == "updated_at") t.caches_updated_at = true;
            }
            types.emplace(cfg.type, std::move(t));
        }
    }

    run_info start_run() const {
        run_info r;
        r.started_ms = now_ms();
        r.shotgun_requests = sg.stats().requests;
        r.elastic_requests = es.stats().requests;
        r.prefix = prefix;
        r.site = sg.origin();
        return r;
    }

    void finish_run(run_info& r) const {
        r.seconds = static_cast<double>(now_ms() - r.started_ms) / 1000.0;
        r.shotgun_requests = sg.stats().requests - r.shotgun_requests;
        r.elastic_requests = es.stats().requests - r.elastic_requests;
    }

    // ------------------------------------------------------------ the cache's state

    asio::awaitable<sync::cursor_checkpoint> checkpoint() {
        const std::string index = sync::state_index(prefix);
        auto doc = co_await es.get(index, "follower");
        if (!doc) {
            throw std::runtime_error("the cache has no follower state in " + index +
                                     " (has sgcache serve run with this configuration and index prefix?)");
        }
        co_return sync::follower_state_from_json(doc->source).cursor;
    }

    // True when a server holds an unexpired lease: only then is it worth waiting for the
    // cache to catch up.
    asio::awaitable<bool> server_alive() {
        auto doc = co_await es.get(sync::state_index(prefix), "lease");
        if (!doc) co_return false;
        const json::value* holder = doc->source.if_contains("holder");
        const json::value* expires = doc->source.if_contains("expires_ms");
        const bool held = holder && holder->is_string() && !holder->get_string().empty();
        co_return held && expires && expires->is_number() && expires->to_number<std::int64_t>() > now_ms();
    }

    // Waits until the server's persisted checkpoint has passed `event_id`, or `limit`.
    asio::awaitable<bool> wait_for_cache(std::int64_t event_id, std::chrono::milliseconds limit) {
        const bool alive = co_await server_alive();
        if (!alive) co_return false;
        const auto deadline = std::chrono::steady_clock::now() + limit;
        asio::steady_timer timer(co_await asio::this_coro::executor);
        for (;;) {
            const auto c = co_await checkpoint();
            if (c.high >= event_id) co_return true;
            if (std::chrono::steady_clock::now() >= deadline) co_return false;
            timer.expires_after(std::chrono::milliseconds(200));
            co_await timer.async_wait(asio::use_awaitable);
        }
    }

    // ------------------------------------------------------------ reading the site

    // Events after the checkpoint (ids above its high mark, and its open gaps), with
    // `extra` conditions when not empty; at most max_events.
    asio::awaitable<event_batch> events_since(const sync::cursor_checkpoint& from, json::object extra) {
        event_batch out;
        out.last_id = from.high;
        const std::vector<std::string> fields{"id", "event_type", "attribute_name", "entity", "meta"};
        std::int64_t after = from.high;
        for (;;) {
            json::array above;
            above.push_back(shotgun::condition("id", "greater_than", json::array{after}));
            shotgun::read_request req;
            req.type = "EventLogEntry";
            req.fields = fields;
            req.filters = shotgun::both(shotgun::all_of(std::move(above)), extra);
            req.sorts.push_back({"id", false});
            req.page_size = page_size;
            auto page = co_await sg.read(std::move(req));
            for (auto& e : page.entities) {
                const auto id = id_of(e);
                if (!id || !e.is_object()) continue;
                after = std::max(after, *id);
                out.rows.push_back(std::move(e.get_object()));
            }
            if (page.entities.size() < page_size) break;
            if (out.rows.size() >= max_events) {
                out.overflow = true;
                break;
            }
        }
        out.last_id = std::max(out.last_id, after);
        for (std::size_t b = 0; b < from.gaps.size(); b += page_size) {
            json::array ids;
            for (std::size_t i = b; i < std::min(from.gaps.size(), b + page_size); ++i) ids.push_back(from.gaps[i].id);
            json::array in;
            in.push_back(shotgun::condition("id", "in", std::move(ids)));
            shotgun::read_request req;
            req.type = "EventLogEntry";
            req.fields = fields;
            req.filters = shotgun::both(shotgun::all_of(std::move(in)), extra);
            req.page_size = page_size;
            auto page = co_await sg.read(std::move(req));
            for (auto& e : page.entities) {
                if (e.is_object()) out.rows.push_back(std::move(e.get_object()));
            }
        }
        co_return out;
    }

    // The entities of these ids the site returns under the type's filters (only).
    asio::awaitable<std::map<std::int64_t, json::object>> site_by_ids(const type_ctx& t, std::vector<std::string> fields,
                                                                       std::vector<std::int64_t> ids) {
        std::map<std::int64_t, json::object> out;
        for (std::size_t b = 0; b < ids.size(); b += page_size) {
            json::array list;
            for (std::size_t i = b; i < std::min(ids.size(), b + page_size); ++i) list.push_back(ids[i]);
            const std::size_t asked = list.size();
            json::array in;
            in.push_back(shotgun::condition("id", "in", std::move(list)));
            shotgun::read_request req;
            req.type = t.cfg->type;
            req.fields = fields;
            req.filters = shotgun::both(t.filters, shotgun::all_of(std::move(in)));
            req.page_size = asked;
            auto page = co_await sg.read(std::move(req));
            for (auto& e : page.entities) {
                if (auto id = id_of(e)) out[*id] = std::move(e.get_object());
            }
        }
        co_return out;
    }

    // ------------------------------------------------------------ reading the cache

    static void add_hits(std::vector<elastic::search_hit>& hits, std::map<std::int64_t, json::object>& out) {
        for (auto& h : hits) {
            if (auto id = parse_id(h.id)) out[*id] = std::move(h.source);
        }
    }

    // Documents (tombstones included) of these ids, by _id (the Shotgun id).
    asio::awaitable<std::map<std::int64_t, json::object>> cache_by_ids(const type_ctx& t, std::vector<std::int64_t> ids) {
        std::map<std::int64_t, json::object> out;
        for (std::size_t b = 0; b < ids.size(); b += cache_page) {
            json::array values;
            for (std::size_t i = b; i < std::min(ids.size(), b + cache_page); ++i) values.push_back(json::string(std::to_string(ids[i])));
            json::object body;
            body["size"] = values.size();
            body["query"] = json::object{{"ids", json::object{{"values", std::move(values)}}}};
            auto page = co_await es.search(t.names.all_alias, body);
            add_hits(page.hits, out);
        }
        co_return out;
    }

    // Documents (tombstones included) with after < id <= upper.
    asio::awaitable<std::map<std::int64_t, json::object>> cache_in_range(const type_ctx& t, std::int64_t after,
                                                                         std::int64_t upper) {
        std::map<std::int64_t, json::object> out;
        json::array search_after;
        for (;;) {
            json::object body;
            body["size"] = cache_page;
            body["sort"] = json::array{json::object{{"id", "asc"}}};
            body["query"] = json::object{{"range", json::object{{"id", json::object{{"gt", after}, {"lte", upper}}}}}};
            if (!search_after.empty()) body["search_after"] = search_after;
            auto page = co_await es.search(t.names.all_alias, body);
            const std::size_t n = page.hits.size();
            if (n) search_after = page.hits.back().sort;
            add_hits(page.hits, out);
            if (n < cache_page) break;
        }
        co_return out;
    }

    // ------------------------------------------------------------ comparing

    static void add_findings(type_report& out, std::vector<finding> found, const std::map<std::int64_t, json::object>& site,
                             const std::map<std::int64_t, json::object>& cache) {
        std::set<std::int64_t> ids;
        for (const auto& [id, e] : site) ids.insert(id);
        for (const auto& [id, d] : cache) ids.insert(id);
        out.compared += ids.size();
        for (auto& f : found) out.findings.push_back(std::move(f));
    }

    // Reads these entities on both sides now and compares them.
    asio::awaitable<void> compare_ids(const type_ctx& t, const field_choice& fields, std::vector<std::int64_t> ids,
                                      type_report& out) {
        if (ids.empty()) co_return;
        auto site = co_await site_by_ids(t, fields.names, ids);
        co_await es.refresh(t.names.all_alias);
        auto cache = co_await cache_by_ids(t, ids);
        add_findings(out, compare_sets(site, cache, fields.specs), site, cache);
    }

    // Every entity of the range (after, up_to] on both sides, one site page at a time.
    asio::awaitable<void> compare_range(const type_ctx& t, const field_choice& fields, id_range r, type_report& out) {
        std::int64_t after = r.after;
        for (;;) {
            auto page = co_await sg.read_after(t.cfg->type, fields.names, t.filters, after, r.up_to, page_size, false);
            const bool full = page.entities.size() >= page_size;
            std::map<std::int64_t, json::object> site;
            std::int64_t last = after;
            for (auto& e : page.entities) {
                if (auto id = id_of(e)) {
                    last = std::max(last, *id);
                    site[*id] = std::move(e.get_object());
                }
            }
            // A full page ends the chunk at its last id; the cache side covers the same ids.
            const std::int64_t upper = full ? last : r.up_to;
            auto cache = co_await cache_in_range(t, after, upper);
            add_findings(out, compare_sets(site, cache, fields.specs), site, cache);
            if (!full || upper >= r.up_to) break;
            after = upper;
        }
    }

    asio::awaitable<void> sample(const type_ctx& t, const data_options& o, const field_choice& fields, type_report& out) {
        std::vector<shotgun::sort> sorts = o.order;
        bool by_default = sorts.empty();
        if (by_default) sorts.push_back({"updated_at", true});
        bool has_id = false;
        for (const auto& s : sorts) has_id = has_id || s.field == "id";
        // A deterministic order for paging: ties broken by id.
        if (!has_id) sorts.push_back({"id", by_default});
        const json::object filters = shotgun::both(t.filters, o.filters);
        const std::size_t first = (o.page - 1) * o.limit;
        const page_span span = pages_for(first, o.limit, page_size);

        std::vector<json::value> got;
        for (std::size_t p = span.first_page; p <= span.last_page; ++p) {
            shotgun::read_request req;
            req.type = t.cfg->type;
            req.fields = fields.names;
            req.filters = filters;
            req.sorts = sorts;
            req.page_size = page_size;
            req.page = p;
            auto page = co_await sg.read(std::move(req));
            const std::size_t n = page.entities.size();
            for (auto& e : page.entities) got.push_back(std::move(e));
            if (n < page_size) break;
        }
        std::map<std::int64_t, json::object> site;
        for (std::size_t i = span.skip; i < got.size() && i < span.skip + o.limit; ++i) {
            if (auto id = id_of(got[i])) site[*id] = std::move(got[i].get_object());
        }

        // Strays: the cache's documents in the same window, when the cache can reproduce it.
        // Its order may differ slightly (text collation, ties): documents outside the site's
        // window are asked of the site by id, so a border difference is never a finding.
        std::vector<std::int64_t> window;
        json::array es_sort;
        bool sortable = true;
        for (const auto& s : sorts) {
            const auto path = sort_path(t, s.field);
            if (!path) {
                sortable = false;
                out.notes.push_back("strays not looked for: the cache cannot sort by " + s.field);
                break;
            }
            es_sort.push_back(json::object{
                {*path, json::object{{"order", s.descending ? "desc" : "asc"}, {"missing", s.descending ? "_first" : "_last"}}}});
        }
        co_await es.refresh(t.names.all_alias);
        if (!o.filters.empty()) {
            out.notes.push_back("strays not looked for: --filters cannot be evaluated in the cache");
        } else if (sortable && first + o.limit > 10000) {
            out.notes.push_back("strays not looked for: the cache pages only through the first 10,000 documents");
        } else if (sortable) {
            json::object body;
            body["from"] = first;
            body["size"] = o.limit;
            body["sort"] = std::move(es_sort);
            body["_source"] = false;
            body["track_total_hits"] = false;
            auto page = co_await es.search(t.names.live_alias, body);
            for (const auto& h : page.hits) {
                if (auto id = parse_id(h.id)) window.push_back(*id);
            }
        }
        std::vector<std::int64_t> extras;
        for (const auto id : window) {
            if (!site.count(id)) extras.push_back(id);
        }
        if (!extras.empty()) {
            auto more = co_await site_by_ids(t, fields.names, extras);
            for (auto& [id, e] : more) site[id] = std::move(e);
        }
        std::vector<std::int64_t> ids;
        for (const auto& [id, e] : site) ids.push_back(id);
        for (const auto id : extras) {
            if (!site.count(id)) ids.push_back(id);
        }
        auto cache = co_await cache_by_ids(t, ids);
        add_findings(out, compare_sets(site, cache, fields.specs), site, cache);
    }

    asio::awaitable<void> whole(const type_ctx& t, const data_options& o, const field_choice& fields, type_report& out) {
        co_await es.refresh(t.names.all_alias);
        // Documents sgcache did not write: every write of sgcache's stores the read version
        // as the document's external version; anything else writing bumps the version
        // (or writes none), so the two differ. Catches edits that leave the fingerprints alone.
        // Doc values only (no stored fields, not even _id): four times faster than fetching.
        std::vector<std::int64_t> rewritten;
        std::int64_t max_id = 0;
        json::array search_after;
        const std::string read_version = std::string(config::meta_field) + ".read_version";
        for (;;) {
            json::object body;
            body["size"] = scan_page;
            body["version"] = true;
            body["stored_fields"] = "_none_";
            body["docvalue_fields"] = json::array{json::string(read_version), json::string("id")};
            body["sort"] = json::array{json::object{{"id", "asc"}}};
            body["track_total_hits"] = false;
            if (!search_after.empty()) body["search_after"] = search_after;
            auto reply = co_await es.search_raw(t.names.all_alias, body);
            const json::value* hits_v = reply.if_contains("hits");
            const json::value* list = hits_v && hits_v->is_object() ? hits_v->get_object().if_contains("hits") : nullptr;
            if (!list || !list->is_array()) throw std::runtime_error("the integrity scan of " + t.names.all_alias + " got no hits");
            const auto& hits = list->get_array();
            for (const auto& hv : hits) {
                const json::object& h = hv.as_object();
                const json::value* f = h.if_contains("fields");
                const json::object* fields_o = f ? f->if_object() : nullptr;
                const auto first = [&](const std::string& name) -> std::optional<std::int64_t> {
                    const json::value* v = fields_o ? fields_o->if_contains(name) : nullptr;
                    if (!v || !v->is_array() || v->get_array().empty() || !v->get_array()[0].is_number()) return std::nullopt;
                    return v->get_array()[0].to_number<std::int64_t>();
                };
                const auto id = first("id");
                if (!id) continue;  // no id field: found by the query below
                max_id = std::max(max_id, *id);
                const json::value* version = h.if_contains("_version");
                const auto rv = first(read_version);
                if (!version || !version->is_number() || !rv || *rv != version->to_number<std::int64_t>()) {
                    rewritten.push_back(*id);
                }
            }
            if (hits.size() < scan_page) break;
            const json::value* sort = hits.back().as_object().if_contains("sort");
            if (!sort || !sort->is_array()) break;
            search_after = sort->get_array();
        }
        // Documents without an id field are in no bucket and no id range; sgcache never
        // writes one. They are compared by _id whatever the buckets say.
        std::vector<std::int64_t> without_id;
        {
            json::object body;
            body["size"] = cache_page;
            body["_source"] = false;
            body["query"] = json::object{
                {"bool", json::object{{"must_not", json::object{{"exists", json::object{{"field", "id"}}}}}}}};
            auto page = co_await es.search(t.names.all_alias, body);
            for (const auto& h : page.hits) {
                if (auto id = parse_id(h.id)) without_id.push_back(*id);
            }
        }

        bucket_stats stats;
        stats.size = o.bucket_size ? o.bucket_size : choose_bucket_size(max_id);
        stats.rewritten = rewritten.size() + without_id.size();
        fingerprint_kind kind;
        kind.updated = t.caches_updated_at;
        // The site first: if it cannot sum ids, the cache's buckets are aggregated without.
        json::object reply;
        bool refused = false;
        try {
            json::array summaries = site_summaries(kind);
            json::array grouping = site_grouping(stats.size);
            json::object filters = t.filters;
            reply = co_await sg.summarize(t.cfg->type, std::move(summaries), std::move(filters), std::move(grouping));
        } catch (const shotgun::auth_error&) {
            throw;
        } catch (const shotgun::fault&) {
            refused = true;  // a site that cannot sum ids: fingerprints without the sum
        }
        if (refused) {
            kind.id_sum = false;
            json::array summaries = site_summaries(kind);
            json::array grouping = site_grouping(stats.size);
            json::object filters = t.filters;
            reply = co_await sg.summarize(t.cfg->type, std::move(summaries), std::move(filters), std::move(grouping));
        }
        const bucket_map site = parse_site_buckets(reply, stats.size, kind);
        bucket_map cache;
        json::object after_key;
        for (;;) {
            const json::object* after = after_key.empty() ? nullptr : &after_key;
            const json::object body = cache_aggregation(stats.size, after, kind);
            auto page = co_await es.search_raw(t.names.live_alias, body);
            after_key = add_cache_buckets(page, stats.size, kind, cache);
            if (after_key.empty()) break;
        }
        for (const auto& [start, fp] : site) stats.site_records += fp.count;
        stats.site_buckets = site.size();
        stats.cache_buckets = cache.size();
        const auto differ = differing_buckets(site, cache);
        stats.differing = differ.size();
        out.buckets = stats;
        const auto ranges = merge_ranges(differ, stats.size);
        for (const auto& r : ranges) co_await compare_range(t, fields, r, out);
        // Rewritten documents in a differing range were compared with it; the others now.
        std::set<std::int64_t> rest(without_id.begin(), without_id.end());
        for (const auto id : rewritten) {
            if (!in_ranges(ranges, id)) rest.insert(id);
        }
        for (const auto& f : out.findings) rest.erase(f.id);  // found by a range already (each once)
        const std::vector<std::int64_t> others(rest.begin(), rest.end());
        co_await compare_ids(t, fields, others, out);
    }

    // ------------------------------------------------------------ settling

    // Findings about entities that events since `from` name are compared again once the
    // cache has applied those events; repeated while new events keep naming them.
    asio::awaitable<void> settle(sync::cursor_checkpoint from, const data_options& o, std::vector<type_report>& reports) {
        for (int round = 0; round < o.settle_rounds; ++round) {
            bool any = false;
            for (const auto& r : reports) any = any || !r.findings.empty();
            if (!any) co_return;
            json::object no_extra;
            auto batch = co_await events_since(from, std::move(no_extra));
            touched_entities touched;
            for (const auto& row : batch.rows) touched.add_event(row);
            if (batch.overflow) touched.set_everything();
            id_sets unsettled;
            for (const auto& r : reports) {
                for (const auto& f : r.findings) {
                    bool hit = touched.contains(r.type, f.id);
                    for (const auto& [type, id] : linked_entities(f)) hit = hit || touched.contains(type, id);
                    if (hit) unsettled[r.type].insert(f.id);
                }
            }
            if (unsettled.empty()) co_return;
            co_await wait_for_cache(batch.last_id, o.settle_timeout);
            for (auto& r : reports) {
                auto it = unsettled.find(r.type);
                if (it == unsettled.end()) continue;
                const type_ctx& t = types.at(r.type);
                const field_choice fields = choose_fields(t, o.fields);
                std::vector<finding> kept;
                for (auto& f : r.findings) {
                    if (!it->second.count(f.id)) kept.push_back(std::move(f));
                }
                type_report again;
                std::vector<std::int64_t> ids(it->second.begin(), it->second.end());
                co_await compare_ids(t, fields, ids, again);
                for (auto& f : again.findings) kept.push_back(std::move(f));
                std::sort(kept.begin(), kept.end(), [](const finding& a, const finding& b) { return a.id < b.id; });
                r.findings = std::move(kept);
                r.reread += ids.size();
            }
            from = sync::cursor_checkpoint{batch.last_id, {}};
        }
    }
};

validator::validator(shotgun::client& sg, elastic::client& es, std::string prefix, std::size_t page_size,
                     std::vector<config::entity_config> configs) {
    if (configs.empty()) throw std::invalid_argument("no entity types are configured");
    impl_ = std::make_unique<impl>(sg, es, std::move(prefix), page_size, std::move(configs));
}

validator::~validator() = default;

std::vector<std::string> validator::check_types(const std::vector<std::string>& names) const {
    std::vector<std::string> out;
    if (names.empty()) {
        for (const auto& [name, t] : impl_->types) out.push_back(name);
        return out;
    }
    for (const auto& n : names) {
        if (!impl_->types.count(n)) {
            std::string list;
            for (const auto& [name, t] : impl_->types) list += (list.empty() ? "" : ", ") + name;
            throw std::invalid_argument("'" + n + "' is not a configured entity type (configured: " + list + ")");
        }
        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
    return out;
}

void validator::check(const data_options& o) const {
    const auto names = check_types(o.types);
    for (const auto& name : names) {
        const type_ctx& t = impl_->types.at(name);
        for (const auto& f : o.fields) {
            bool cached = false;
            for (const auto& c : t.fields) cached = cached || c.name == f;
            if (!cached) throw std::invalid_argument("--fields: '" + f + "' is not a cached field of " + name);
        }
    }
    if (o.bucket_size) (void)grouping_type(o.bucket_size);
    if (o.limit == 0 || o.page == 0) throw std::invalid_argument("--limit and --page start at 1");
}

asio::awaitable<counts_result> validator::counts(std::vector<std::string> names) {
    impl& m = *impl_;
    counts_result out;
    out.run = m.start_run();
    const auto list = check_types(names);
    // The checkpoint first: every event the cache may not have applied when it is counted
    // is after it. The cache is counted before the site, so that an entity created in
    // between is on the site only (a pending creation), never in the cache only.
    const sync::cursor_checkpoint from = co_await m.checkpoint();
    for (const auto& name : list) {
        count_row row;
        row.type = name;
        const type_ctx& t = m.types.at(name);
        try {
            co_await m.es.refresh(t.names.live_alias);
            row.cache = co_await m.es.count(t.names.live_alias);
        } catch (const elastic::error& e) {
            if (e.status() != 404) throw;
            row.error = "not in the cache (no alias " + t.names.live_alias + ")";
        }
        out.rows.push_back(std::move(row));
    }
    for (auto& row : out.rows) {
        if (!row.error.empty()) continue;
        const type_ctx& t = m.types.at(row.type);
        json::array summaries;
        summaries.push_back(json::object{{"field", "id"}, {"type", "record_count"}});
        json::object filters = t.filters;
        json::array no_grouping;
        auto reply = co_await m.sg.summarize(row.type, std::move(summaries), std::move(filters), std::move(no_grouping));
        const json::value* s = reply.if_contains("summaries");
        const json::value* n = s && s->is_object() ? s->get_object().if_contains("id") : nullptr;
        if (!n || !n->is_number()) throw std::runtime_error("the summarize reply for " + row.type + " has no record count");
        row.site = n->to_number<std::uint64_t>();
    }
    std::vector<std::pair<std::string, filter_dependencies>> deps;
    for (const auto& row : out.rows) deps.emplace_back(row.type, filter_dependencies_of(m.types.at(row.type).cfg->filters));
    json::object extra = count_events_filter(deps);
    const auto batch = co_await m.events_since(from, std::move(extra));
    out.events_read = batch.rows.size();
    out.run.server_running = co_await m.server_alive();
    for (std::size_t i = 0; i < out.rows.size(); ++i) {
        auto& row = out.rows[i];
        for (const auto& e : batch.rows) add_pending(row.type, deps[i].second, e, row.pending);
        if (batch.overflow) row.pending.uncertain = true;
        row.status = row.error.empty() ? judge_count(row.site, row.cache, row.pending) : count_status::mismatch;
    }
    m.finish_run(out.run);
    co_return out;
}

asio::awaitable<data_result> validator::data(data_options o) {
    impl& m = *impl_;
    check(o);
    data_result out;
    out.run = m.start_run();
    out.mode = o.scope == data_scope::all ? "all" : o.scope == data_scope::full ? "full" : "sample";
    const auto names = check_types(o.types);
    const sync::cursor_checkpoint from = co_await m.checkpoint();
    for (const auto& name : names) {
        type_report rep;
        rep.type = name;
        const type_ctx& t = m.types.at(name);
        const field_choice fields = choose_fields(t, o.fields);
        try {
            if (o.scope == data_scope::sample) {
                co_await m.sample(t, o, fields, rep);
            } else if (o.scope == data_scope::all) {
                co_await m.whole(t, o, fields, rep);
            } else {
                const id_range everything{0, max_site_id};
                co_await m.compare_range(t, fields, everything, rep);
            }
        } catch (const shotgun::auth_error&) {
            throw;  // the credentials: no type can be validated
        } catch (const shotgun::fault& e) {
            // A fault is the site refusing this type's request (a bad --filters path, say).
            rep.error = "the site refused: " + e.server_message();
        } catch (const elastic::error& e) {
            if (e.status() != 404) throw;
            rep.error = "not in the cache (no alias " + t.names.all_alias + ")";
        }
        if (!rep.error.empty()) rep.findings.clear();
        out.types.push_back(std::move(rep));
    }
    co_await m.settle(from, o, out.types);
    out.run.server_running = co_await m.server_alive();
    m.finish_run(out.run);
    co_return out;
}

asio::awaitable<std::vector<std::pair<std::string, std::vector<finding>>>> validator::recheck(
    id_sets ids, std::vector<std::string> only) {
    impl& m = *impl_;
    std::vector<std::pair<std::string, std::vector<finding>>> out;
    for (const auto& [name, set] : ids) {
        const auto it = m.types.find(name);
        if (it == m.types.end() || set.empty()) continue;
        const field_choice fields = choose_fields(it->second, only);
        type_report rep;
        std::vector<std::int64_t> list(set.begin(), set.end());
        co_await m.compare_ids(it->second, fields, list, rep);
        if (!rep.findings.empty()) out.emplace_back(name, std::move(rep.findings));
    }
    co_return out;
}

}  // namespace sgcache::validate
