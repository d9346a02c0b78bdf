// Field values as validation compares them: the site's answer and the cached document may
// spell the same value differently (1 and 1.0, a link with or without extra keys, the order
// of a multi-entity list, "Z" or "+00:00", an empty list or null, a signed image URL whose
// token changes on every read), and only a different *meaning* is a difference.
// Pure logic, no I/O; nothing here throws except std::bad_alloc.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sgcache::validate {

/// Microseconds since the epoch of an api3 date_time: "2026-01-31T10:00:00Z", with an
/// optional fraction and a "Z", "+hh:mm" or "-hh:mm" offset (a missing offset is UTC), or a
/// date alone ("2026-01-31", midnight UTC). Nothing when the text is not one of those.
std::optional<std::int64_t> parse_time_us(std::string_view text) noexcept;

/// The canonical form of a value of a Shotgun data type (as in the entity config):
///   - null, "", [] and {} without values all become null (no value);
///   - numbers become int64 when integral, double otherwise;
///   - entity links become {type, id, name} (other keys dropped); multi_entity and
///     addressing lists are sorted by (type, id); tag_list values are sorted;
///   - date_time values become "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" in UTC;
///   - image URLs lose their query string (signed URLs carry a fresh token per read);
///   - url objects lose null-valued keys; other objects and lists are normalised deeply.
/// Unknown data types get the deep, type-free normalisation.
boost::json::value normalize(std::string_view data_type, const boost::json::value& v);

/// True when the two values mean the same under normalize().
bool same_value(std::string_view data_type, const boost::json::value& a, const boost::json::value& b);

/// Every link ({"type": T, "id": N, ...}) inside a value, at any depth.
void links_in(const boost::json::value& v, std::vector<std::pair<std::string, std::int64_t>>& out);

/// The value as compact JSON, cut to `max` characters with "..." (for reports).
std::string brief(const boost::json::value& v, std::size_t max);

}  // namespace sgcache::validate
