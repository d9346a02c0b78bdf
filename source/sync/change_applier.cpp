#include "sync/change_applier.hpp"

#include "common/log.hpp"
#include "common/task_group.hpp"
#include "shotgun/filters.hpp"

#include <algorithm>
#include <limits>

namespace sgcache::sync {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

bool is_link(const std::string& data_type) {
    return data_type == "entity" || data_type == "multi_entity" || data_type == "addressing";
}

bool nested(const config::cached_field& f) {
    const json::value* kind = f.mapping.if_contains("type");
    return kind && kind->is_string() && kind->get_string() == "nested";
}

// The types a link field of `type` may hold, as the site's schema says; empty: any type (or
// not known). A copy: a schema check may replace the schema while the caller co_awaits.
std::vector<std::string> valid_types_of(const shotgun::site_schema& schema, const std::string& type,
                                        const std::string& field) {
    const auto t = schema.types.find(type);
    if (t == schema.types.end()) return {};
    const auto f = t->second.fields.find(field);
    return f == t->second.fields.end() ? std::vector<std::string>{} : f->second.valid_types;
}

bool may_hold(const std::vector<std::string>& valid_types, const std::string& target_type) {
    return valid_types.empty() || std::find(valid_types.begin(), valid_types.end(), target_type) != valid_types.end();
}

}  // namespace

change_applier::change_applier(sync_context& ctx) : ctx_(ctx) {}

asio::awaitable<void> change_applier::reread(type_runtime& rt, const std::set<std::int64_t>& ids,
                                             const std::shared_ptr<ack_group>& group) {
    // Chunks of one page each, read side by side (the Shotgun client bounds the requests in
    // flight): a batch behind by thousands of events names thousands of entities.
    // At most one page of the site's: ids asked beyond it would not come back and would be
    // taken for entities that are gone.
    const std::size_t chunk = co_await ctx_.sg.page_size(std::min<std::size_t>(ctx_.s.shotgun.page_size, 500));
    task_group reads(ctx_.ex);
    std::vector<std::int64_t> part;
    for (const std::int64_t id : ids) {
        part.push_back(id);
        if (part.size() == chunk) reads.spawn(reread_chunk(rt, std::exchange(part, {}), group));
    }
    if (!part.empty()) reads.spawn(reread_chunk(rt, std::move(part), group));
    co_await reads.wait();
}

asio::awaitable<void> change_applier::reread_chunk(type_runtime& rt, std::vector<std::int64_t> ids,
                                                   std::shared_ptr<ack_group> group) {
    json::array id_list;
    for (const std::int64_t id : ids) id_list.push_back(id);
    shotgun::read_request req;
    req.type = rt.type();
    req.fields = rt.fields;
    req.filters = shotgun::both(rt.filters, shotgun::all_of(json::array{shotgun::condition("id", "in", std::move(id_list))}));
    req.page_size = ids.size();
    auto page = co_await ctx_.sg.read(std::move(req));
    // The writes choose their indices now, after the read: a generation that started
    // taking follower writes while the read was on its way gets them too (I1).
    std::set<std::int64_t> found;
    for (const auto& e : page.entities) {
        if (!e.is_object()) continue;
        found.insert(id_of(e));
        co_await ctx_.follower_writer.write(rt.type(), e.get_object(), page.version, group);
    }
    json::array missing;
    for (const std::int64_t id : ids) {
        if (!found.count(id)) missing.push_back(id);
    }
    if (missing.empty()) co_return;
    // Not active: retired on the site (kept with its fields, as the site returns it to a read
    // of retired entities), or deleted or filtered out (a tombstone).
    shotgun::read_request retired;
    retired.type = rt.type();
    retired.fields = rt.fields;
    retired.filters = shotgun::both(rt.filters, shotgun::all_of(json::array{shotgun::condition("id", "in", missing)}));
    retired.page_size = missing.size();
    retired.retired_only = true;
    auto gone = co_await ctx_.sg.read(std::move(retired));
    std::set<std::int64_t> kept;
    for (const auto& e : gone.entities) {
        if (!e.is_object()) continue;
        kept.insert(id_of(e));
        co_await ctx_.follower_writer.write(rt.type(), e.get_object(), gone.version, group, true);
    }
    for (const auto& v : missing) {
        const std::int64_t id = v.get_int64();
        if (!kept.count(id)) co_await ctx_.follower_writer.tombstone(rt.type(), id, gone.version, group);
    }
}

asio::awaitable<void> change_applier::reverse_lookup(const std::set<entity_ref>& targets, change_set& out) {
    const std::vector<entity_ref> list(targets.begin(), targets.end());
    // Each type's lookups side by side; `list` and `out` outlive the group (wait() returns
    // only once every task ended), and a type's runtime is never erased.
    task_group lookups(ctx_.ex);
    for (auto& [name, rt] : ctx_.types) {
        if (rt.syncing()) lookups.spawn(reverse_lookup_in(rt, list, out));
    }
    co_await lookups.wait();
}

asio::awaitable<void> change_applier::reverse_lookup_in(type_runtime& rt, const std::vector<entity_ref>& list,
                                                        change_set& out) {
    const std::string name = rt.type();
    const auto cfg = rt.cfg;  // the fields below point into it; a reload may replace rt.cfg
    // Per target, only the link fields that can hold its type (the site's valid_types; none
    // known: any type). A type none of whose fields can link to any target is not searched,
    // nor refreshed: most retirements and renames concern two or three types' fields, and
    // each refresh and clause costs the node (a catch-up found it the node's main work).
    // Per link field, the targets it can hold: one clause per field, `terms` on the link's
    // id and type. On a multi-entity field the two may match different links of one entity
    // (type of one, id of another): a false positive only costs a re-read; no linking
    // entity is ever missed, which is what matters. Many targets per search: a batch behind
    // by thousands of events renames hundreds of entities.
    struct field_targets {
        const config::cached_field* field;
        std::set<std::string> types;
        std::vector<std::int64_t> ids;
    };
    std::vector<field_targets> by_field;
    for (const auto& f : cfg->fields) {
        if (!is_link(f.data_type)) continue;
        field_targets ft{&f, {}, {}};
        const auto valid = valid_types_of(ctx_.site_schema, name, f.name);
        for (const auto& target : list) {
            if (!may_hold(valid, target.type)) continue;
            ft.types.insert(target.type);
            ft.ids.push_back(target.id);
        }
        if (!ft.ids.empty()) by_field.push_back(std::move(ft));
    }
    if (by_field.empty()) co_return;
    constexpr std::size_t ids_per_search = 5000;  // far below the node's terms limit (65,536)
    std::size_t most_ids = 0;
    for (const auto& ft : by_field) most_ids = std::max(most_ids, ft.ids.size());
    // A copy: a swap may replace the targets during these co_awaits. An index dropped
    // meanwhile is skipped below; its successor was among the targets already.
    for (const auto& index : ctx_.follower_writer.targets(name)) {
        try {
            co_await ctx_.es.refresh(index);  // see documents written a moment ago
        } catch (const elastic::error& e) {
            if (e.type() == "index_not_found_exception") continue;
            throw;
        }
        for (std::size_t b = 0; b < most_ids; b += ids_per_search) {
            json::array should;
            for (const auto& ft : by_field) {
                if (b >= ft.ids.size()) continue;
                json::array ids, types;
                for (std::size_t i = b; i < std::min(ft.ids.size(), b + ids_per_search); ++i) ids.push_back(ft.ids[i]);
                for (const auto& t : ft.types) types.push_back(json::string(t));
                json::array filter;
                filter.push_back(json::object{{"terms", json::object{{ft.field->name + ".id", std::move(ids)}}}});
                filter.push_back(json::object{{"terms", json::object{{ft.field->name + ".type", std::move(types)}}}});
                json::object match{{"bool", json::object{{"filter", std::move(filter)}}}};
                // In a nested field, id and type are matched within one link.
                if (nested(*ft.field)) {
                    should.push_back(json::object{{"nested", json::object{{"path", ft.field->name}, {"query", std::move(match)}}}});
                } else {
                    should.push_back(std::move(match));
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
                elastic::search_page page;
                try {
                    page = co_await ctx_.es.search(index, body);
                } catch (const elastic::error& e) {
                    if (e.type() == "index_not_found_exception") break;
                    throw;
                }
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

asio::awaitable<void> change_applier::linkers_of_revived(const std::set<entity_ref>& revived, change_set& out) {
    const std::vector<entity_ref> list(revived.begin(), revived.end());
    // Each type's reads side by side, as in reverse_lookup().
    task_group reads(ctx_.ex);
    for (auto& [name, rt] : ctx_.types) {
        if (rt.syncing()) reads.spawn(linkers_of_revived_in(rt, list, out));
    }
    co_await reads.wait();
}

asio::awaitable<void> change_applier::linkers_of_revived_in(type_runtime& rt, const std::vector<entity_ref>& list,
                                                            change_set& out) {
    const std::string name = rt.type();
    // Copied before the first read: a schema check may replace the site schema and the
    // fields read while these reads are on their way.
    struct link_field {
        std::string name;
        std::vector<std::string> valid_types;  // empty: any type
    };
    std::vector<link_field> link_fields;
    for (const auto& f : rt.cfg->fields) {
        if (!is_link(f.data_type)) continue;
        if (std::find(rt.fields.begin(), rt.fields.end(), f.name) == rt.fields.end()) continue;  // gone
        link_fields.push_back({f.name, valid_types_of(ctx_.site_schema, name, f.name)});
    }
    const json::object type_filters = rt.filters;
    // One read per type for up to 100 revived entities: every link field read whose
    // valid types allow theirs, with `in` (for multi-entity fields: "contains any").
    for (std::size_t b = 0; b < list.size(); b += 100) {
        json::array conditions;
        for (const auto& f : link_fields) {
            json::array links;
            for (std::size_t i = b; i < std::min(list.size(), b + 100); ++i) {
                if (may_hold(f.valid_types, list[i].type)) {
                    links.push_back(json::object{{"type", list[i].type}, {"id", list[i].id}});
                }
            }
            if (!links.empty()) conditions.push_back(shotgun::condition(f.name, "in", std::move(links)));
        }
        if (conditions.empty()) continue;
        const json::object filters = shotgun::both(type_filters, shotgun::any_of(std::move(conditions)));
        const std::vector<std::string> id_only{"id"};
        // Pages of the site's size at most (a short page is the last), and retired linkers
        // too: the cache keeps their fields as the site shows them, links included.
        const std::size_t page_size = co_await ctx_.sg.page_size(500);
        for (const bool retired : {false, true}) {
            std::int64_t after = 0;
            for (;;) {
                auto page = co_await ctx_.sg.read_after(name, id_only, filters, after,
                                                        std::numeric_limits<std::int32_t>::max(), page_size, retired);
                for (const auto& e : page.entities) out[name].insert(id_of(e));
                if (page.entities.size() < page_size) break;
                after = id_of(page.entities.back());
            }
        }
    }
}

asio::awaitable<void> change_applier::apply(const change_set& changes, const link_effects& effects) {
    change_set all = changes;
    if (!effects.appearance_changed.empty()) {
        // Registered before looking, so that a download finishing meanwhile either takes
        // them for its own second look, or finished writing before this look started.
        if (ctx_.building_now()) {
            lookups_during_build_.insert(effects.appearance_changed.begin(), effects.appearance_changed.end());
        }
        co_await reverse_lookup(effects.appearance_changed, all);
    }
    // No build running: no download document can be written after a look any more.
    if (!ctx_.building_now()) lookups_during_build_.clear();
    if (!effects.revived.empty()) co_await linkers_of_revived(effects.revived, all);
    // The proof that these documents landed is their group, not flush() returning: the
    // writer is shared (follower, safety scan, re-read requests, the builder's second look),
    // and the failure of an undeliverable batch is thrown to whichever caller comes first.
    auto group = std::make_shared<ack_group>();
    task_group rereads(ctx_.ex);  // `all` outlives it: wait() returns after every task ended
    for (const auto& [type, ids] : all) {
        auto it = ctx_.types.find(type);
        if (it == ctx_.types.end() || !it->second.syncing() || ids.empty()) continue;
        // Empty only before a first download's index exists: its id bounds are read later,
        // so the download brings these changes.
        if (ctx_.follower_writer.targets(type).empty()) continue;
        rereads.spawn(reread(it->second, ids, group));
    }
    co_await rereads.wait();
    co_await ctx_.follower_writer.flush();
    if (!group->complete()) {
        throw elastic::error(elastic::error::kind::unreachable, 0, "", "",
                             std::to_string(group->added - group->settled) +
                                 " documents were not delivered to Elasticsearch; the changes are applied again");
    }
}

asio::awaitable<void> change_applier::relook_after_download() {
    if (lookups_during_build_.empty()) co_return;
    std::set<entity_ref> batch = std::exchange(lookups_during_build_, {});
    try {
        co_await ctx_.snapshot_writer.flush();
        change_set again;
        co_await reverse_lookup(batch, again);
        const link_effects no_effects;
        co_await apply(again, no_effects);
    } catch (...) {
        // Looked for again on the next attempt.
        lookups_during_build_.insert(batch.begin(), batch.end());
        throw;
    }
}

}  // namespace sgcache::sync
