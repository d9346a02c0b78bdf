// What the events that arrived while validation was measuring mean for its verdict, so that
// a busy site does not produce false alarms:
//   - `validate counts`: creations and revivals of a type may make the site count higher
//     than the cache's, retirements lower, a change of a field the type's filters look at
//     either way; a difference within those bounds is pending, not a mismatch;
//   - `validate data`: an entity an event names (or a linked entity whose name or
//     retirement shows in its link fields) is read again instead of being reported.
// Pure logic, no I/O; nothing here throws except std::bad_alloc.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sgcache::validate {

/// Every entity that events name, of any type: the row's entity, the event type's entity
/// with meta.entity_id, meta.entity_type/entity_id, and every link in meta (added,
/// removed, old_value, new_value).
class touched_entities {
public:
    void add_event(const boost::json::object& row);
    /// Too many events to read them all: every entity counts as touched.
    void set_everything() noexcept { everything_ = true; }
    bool everything() const noexcept { return everything_; }
    bool contains(const std::string& type, std::int64_t id) const;
    std::size_t size() const noexcept { return entities_.size(); }

private:
    std::set<std::pair<std::string, std::int64_t>> entities_;
    bool everything_ = false;
};

/// The fields a type's filters (list form, as in its entity config) depend on: its own
/// fields (the first step of each path) and, for dotted paths through links
/// ("project.Project.archived"), the (type, field) pairs of the linked entities.
struct filter_dependencies {
    std::set<std::string> own_fields;
    std::set<std::pair<std::string, std::string>> linked_fields;
};

filter_dependencies filter_dependencies_of(const boost::json::array& list_form);

/// How far the site's count of a type may legitimately be above (`up`) or below (`down`)
/// the cache's because of events the cache may not have applied. `uncertain`: a change to a
/// linked entity the filters look at (a project archived) can move any number of entities.
struct pending_counts {
    std::uint64_t up = 0;
    std::uint64_t down = 0;
    bool uncertain = false;
    std::uint64_t events() const noexcept { return up + down; }
};

/// Adds one EventLogEntry row to the pending counts of `type`.
void add_pending(const std::string& type, const filter_dependencies& deps, const boost::json::object& row,
                 pending_counts& out);

enum class count_status {
    ok,         // the counts are equal
    pending,    // they differ within what the pending events explain
    uncertain,  // they differ, and a filter-relevant change makes the bound unknown
    mismatch,   // they differ beyond what the pending events explain
};

const char* to_string(count_status s) noexcept;

count_status judge_count(std::uint64_t site, std::uint64_t cache, const pending_counts& p) noexcept;

/// The EventLogEntry conditions that can change the counts of these types: New, Retirement
/// and Revival of each, and Change events of the fields their filters depend on. Wire form
/// (an "or" group); empty when `types` is.
boost::json::object count_events_filter(const std::vector<std::pair<std::string, filter_dependencies>>& types);

}  // namespace sgcache::validate
