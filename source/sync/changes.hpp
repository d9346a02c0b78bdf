// From EventLogEntry rows to the entities to read again. Events only say "this entity
// changed"; sgcache never patches a document from an event, it re-reads the entity.
//
// Which entities an event names (shapes in the api3 reference, section 6):
//   - the row's `entity` (null when that entity is retired now);
//   - the type of the event_type ("Shotgun_<Type>_<Action>") with meta.entity_id, which
//     still names a retired entity;
//   - meta.entity_type / meta.entity_id: on a back-reference row (Shot.tasks changed
//     because Task.entity was set) these name the entity whose field was really set;
//   - entity links in meta.added, meta.removed, meta.old_value and meta.new_value: their
//     reverse fields changed too (a Task moved from Shot A to Shot B changes both Shots).
// Only cached types are kept. Pure logic, no I/O.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace sgcache::sync {

struct parsed_event_type {
    std::string entity_type;  // "Shot"
    std::string action;       // "New", "Change", "Retirement", "Revival", "View", ...
    bool is_entity_event = false;  // Shotgun_<Type>_{New,Change,Retirement,Revival}
};

/// Splits "Shotgun_<Type>_<Action>"; anything else gives is_entity_event = false.
parsed_event_type parse_event_type(std::string_view event_type);

/// Entity ids to read again, per entity type.
using change_set = std::map<std::string, std::set<std::int64_t>>;

/// Adds the cached entities one event names to `out`. Returns false for events that are
/// not about entities (logins, views, custom events): nothing to do.
bool collect_changes(const boost::json::object& event, const std::set<std::string>& cached_types, change_set& out);

struct entity_ref {
    std::string type;
    std::int64_t id = 0;
    auto operator<=>(const entity_ref&) const = default;
};

/// Changes that alter how an entity appears inside *other* entities' link fields, for which
/// the site logs no event on those other entities:
///   - appearance_changed: the entity was retired (links to it now read as gone) or its
///     display name changed (links carry the name); the entities linking to it are found
///     in the cache and read again;
///   - revived: the entity is back, so links to it reappear; the entities its own link
///     fields name are read again.
struct link_effects {
    std::set<entity_ref> appearance_changed;
    std::set<entity_ref> revived;
    bool empty() const noexcept { return appearance_changed.empty() && revived.empty(); }
};

/// Adds what one event implies for other entities' links (any entity type, cached or not).
void collect_link_effects(const boost::json::object& event, link_effects& out);

/// True for field names that hold an entity's display name, which links repeat as "name".
bool is_name_field(std::string_view field) noexcept;

/// Every link ({type, id}) held by the fields of an entity as api3 returns it, limited to
/// `cached` types, added to `out`.
void collect_links(const boost::json::object& entity, const std::set<std::string>& cached, change_set& out);

/// True for events that change the site's schema (a field created, changed or deleted).
bool is_schema_event(const boost::json::object& event);

std::size_t total(const change_set& c) noexcept;

}  // namespace sgcache::sync
