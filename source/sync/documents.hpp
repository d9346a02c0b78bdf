// What sgcache writes into Elasticsearch for one entity, and where: the document built from
// a full api3 read (or a tombstone), the names of generation indices and aliases, and the
// split of an id space into ranges for the full download. Pure logic, no I/O.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sgcache::sync {

/// The document for an entity as api3 `read` returned it ({type, id, fields...}): the
/// fields as read plus the reserved metadata object {retired: false, read_version,
/// read_at, updated_at}. With `site_retired`, an entity the site returned to a read of
/// retired entities: {retired: true, ..., site_retired: true}, hidden from the live alias
/// like a tombstone but keeping its fields (the proxy answers `return_only: retired`).
std::string entity_document(const boost::json::object& entity, std::int64_t version, bool site_retired = false);

/// A tombstone: the entity is retired, deleted or no longer matches the type's filters.
/// Kept (never deleted) so that a late older write cannot bring it back.
std::string tombstone_document(const std::string& type, std::int64_t id, std::int64_t version);

/// "2026-11-28T19:40:00.123456Z" from microseconds since the epoch.
std::string iso_time_us(std::int64_t us);

/// Index and alias names of one entity type under a prefix ("sgcache-"):
///   generation  <prefix>entity-<type>-g<NNNNNN>   (type in lower case)
///   live alias  <prefix>entity-<type>             (hides tombstones)
///   all alias   <prefix>entity-<type>-all         (tombstones included)
struct type_names {
    std::string live_alias;
    std::string all_alias;
    std::string generation_prefix;  // "<prefix>entity-<type>-g"
    std::string generation(int n) const;
    /// The generation number of an index name of this type, or -1.
    int generation_of(const std::string& index) const;
};

type_names names_for(const std::string& prefix, const std::string& type);

/// The state index of a prefix: "<prefix>state".
std::string state_index(const std::string& prefix);

/// The filter of the live alias: not retired.
boost::json::object live_filter();

/// Splits (min_id - 1, max_id] into consecutive ranges (after, up_to] of at most `size`
/// ids. Empty when max_id < min_id.
std::vector<std::pair<std::int64_t, std::int64_t>> plan_ranges(std::int64_t min_id, std::int64_t max_id,
                                                               std::int64_t size);

}  // namespace sgcache::sync
