#include "validate/events.hpp"

#include "shotgun/filters.hpp"
#include "sync/changes.hpp"
#include "validate/values.hpp"

namespace sgcache::validate {

namespace json = boost::json;

namespace {

std::string text_of(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

void add_path(std::string_view path, filter_dependencies& out) {
    // "entity.Shot.sg_sequence.Sequence.code": own field "entity", then the (type, field)
    // pairs (Shot, sg_sequence) and (Sequence, code) of the linked entities.
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto dot = path.find('.', start);
        parts.emplace_back(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    out.own_fields.insert(parts.front());
    for (std::size_t i = 1; i + 1 < parts.size(); i += 2) out.linked_fields.emplace(parts[i], parts[i + 1]);
}

void walk(const json::value& item, filter_dependencies& out) {
    if (const json::array* cond = item.if_array()) {
        if (!cond->empty() && (*cond)[0].is_string()) {
            add_path((*cond)[0].get_string(), out);
        } else {
            for (const auto& x : *cond) walk(x, out);
        }
        return;
    }
    if (const json::object* group = item.if_object()) {
        if (const json::value* f = group->if_contains("filters")) walk(*f, out);
        if (const json::value* c = group->if_contains("conditions"); c && c->is_array()) {
            for (const auto& x : c->get_array()) walk(x, out);
        }
        if (const json::value* p = group->if_contains("path"); p && p->is_string()) add_path(p->get_string(), out);
    }
}

}  // namespace

void touched_entities::add_event(const json::object& row) {
    std::vector<std::pair<std::string, std::int64_t>> links;
    if (const json::value* e = row.if_contains("entity")) links_in(*e, links);
    const json::value* meta_v = row.if_contains("meta");
    const json::object* meta = meta_v ? meta_v->if_object() : nullptr;
    const auto parsed = sync::parse_event_type(text_of(row, "event_type"));
    if (meta) {
        links_in(*meta_v, links);
        const json::value* id = meta->if_contains("entity_id");
        if (id && (id->is_int64() || id->is_uint64())) {
            const std::int64_t n = id->to_number<std::int64_t>();
            if (!parsed.entity_type.empty()) links.emplace_back(parsed.entity_type, n);
            const std::string meta_type = text_of(*meta, "entity_type");
            if (!meta_type.empty()) links.emplace_back(meta_type, n);
        }
    }
    for (auto& l : links) entities_.insert(std::move(l));
}

bool touched_entities::contains(const std::string& type, std::int64_t id) const {
    return everything_ || entities_.count({type, id}) > 0;
}

filter_dependencies filter_dependencies_of(const json::array& list_form) {
    filter_dependencies out;
    for (const auto& item : list_form) walk(item, out);
    return out;
}

void add_pending(const std::string& type, const filter_dependencies& deps, const json::object& row, pending_counts& out) {
    const auto parsed = sync::parse_event_type(text_of(row, "event_type"));
    if (!parsed.is_entity_event) return;
    if (parsed.entity_type == type) {
        if (parsed.action == "New" || parsed.action == "Revival") {
            ++out.up;
            return;
        }
        if (parsed.action == "Retirement") {
            ++out.down;
            return;
        }
    }
    if (parsed.action != "Change") return;
    const std::string attribute = text_of(row, "attribute_name");
    if (parsed.entity_type == type && deps.own_fields.count(attribute)) {
        // The entity may have started or stopped matching the filters.
        ++out.up;
        ++out.down;
    }
    if (deps.linked_fields.count({parsed.entity_type, attribute})) out.uncertain = true;
}

const char* to_string(count_status s) noexcept {
    switch (s) {
        case count_status::ok: return "ok";
        case count_status::pending: return "pending";
        case count_status::uncertain: return "uncertain";
        case count_status::mismatch: return "MISMATCH";
    }
    return "?";
}

count_status judge_count(std::uint64_t site, std::uint64_t cache, const pending_counts& p) noexcept {
    if (site == cache) return count_status::ok;
    if (site > cache && site - cache <= p.up) return count_status::pending;
    if (cache > site && cache - site <= p.down) return count_status::pending;
    return p.uncertain ? count_status::uncertain : count_status::mismatch;
}

json::object count_events_filter(const std::vector<std::pair<std::string, filter_dependencies>>& types) {
    json::array lifecycle;
    json::array any;
    std::set<std::pair<std::string, std::string>> changes;  // (type, field)
    for (const auto& [type, deps] : types) {
        for (const char* action : {"New", "Retirement", "Revival"}) {
            lifecycle.push_back(json::string("Shotgun_" + type + "_" + action));
        }
        for (const auto& f : deps.own_fields) changes.emplace(type, f);
        for (const auto& tf : deps.linked_fields) changes.insert(tf);
    }
    if (lifecycle.empty()) return {};
    any.push_back(shotgun::condition("event_type", "in", std::move(lifecycle)));
    for (const auto& [type, field] : changes) {
        json::array both;
        both.push_back(shotgun::condition("event_type", "is", json::array{json::string("Shotgun_" + type + "_Change")}));
        both.push_back(shotgun::condition("attribute_name", "is", json::array{json::string(field)}));
        any.push_back(shotgun::all_of(std::move(both)));
    }
    return shotgun::any_of(std::move(any));
}

}  // namespace sgcache::validate
