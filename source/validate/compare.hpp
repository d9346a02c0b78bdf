// Entity-level comparison of the site against the cache: what each entity is (missing,
// stray, different) and which fields differ, with both values. Pure logic, no I/O; nothing
// here throws except std::bad_alloc.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sgcache::validate {

/// A compared field: its api3 name and Shotgun data type (which decides normalisation).
struct field_spec {
    std::string name;
    std::string data_type;
};

struct field_difference {
    std::string field;
    boost::json::value site;   // as the site returned it (null when absent)
    boost::json::value cache;  // as the cached document holds it (null when absent)
};

enum class finding_kind {
    missing,    // active on the site (under the type's filters), not live in the cache
    stray,      // live in the cache, not active on the site (deleted, retired or filtered out)
    different,  // both, with at least one field that differs
};

std::string_view to_string(finding_kind k) noexcept;

struct finding {
    std::int64_t id = 0;
    finding_kind kind = finding_kind::different;
    std::vector<field_difference> fields;  // `different` only
};

/// True when a cached document is visible through the live alias (it is not a tombstone:
/// its metadata object does not say retired = true).
bool is_live(const boost::json::object& doc);

/// The fields whose values differ in meaning (see values.hpp), in the order of `fields`.
/// A field absent on either side reads as null.
std::vector<field_difference> compare_entity(const std::vector<field_spec>& fields, const boost::json::object& site,
                                             const boost::json::object& cache);

/// One entity: `site` is what the site returned under the type's filters (null: it did not
/// return it), `cache` the document of the all alias (null: none). Nothing when they agree
/// (including: on neither side, or only a tombstone in the cache).
std::optional<finding> judge(std::int64_t id, const boost::json::object* site, const boost::json::object* cache,
                             const std::vector<field_spec>& fields);

/// judge() over every id of either map, ascending. The caller guarantees that the site was
/// asked about every id in `cache` (otherwise a cached entity absent from `site` would be
/// reported stray without reason).
std::vector<finding> compare_sets(const std::map<std::int64_t, boost::json::object>& site,
                                  const std::map<std::int64_t, boost::json::object>& cache,
                                  const std::vector<field_spec>& fields);

/// The entities a finding's values link to (both sides of every differing field).
std::vector<std::pair<std::string, std::int64_t>> linked_entities(const finding& f);

}  // namespace sgcache::validate
