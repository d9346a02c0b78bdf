// Small value helpers of the fake site: the wire formats of dates and times, links, and
// case folding. Pure functions; nothing here throws except std::bad_alloc.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sgcache::fake_shotgun {

namespace json = boost::json;

/// "2024-05-01T12:30:00Z", the date_time wire format (UTC, no fraction).
std::string format_date_time(std::int64_t unix_seconds);
/// "2024-05-01".
std::string format_date(std::int64_t unix_seconds);
/// "2024-05-01 12:30:00 UTC", the format of retirement dates inside event meta.
std::string format_event_time(std::int64_t unix_seconds);

/// Parses "YYYY-MM-DDTHH:MM:SSZ" strictly (valid calendar date and time).
std::optional<std::int64_t> parse_date_time(std::string_view s);
/// Parses "YYYY-MM-DD" strictly; the result is midnight UTC.
std::optional<std::int64_t> parse_date(std::string_view s);

/// Days since 1970-01-01 for a civil date, and back (proleptic Gregorian).
std::int64_t days_from_civil(int y, unsigned m, unsigned d) noexcept;
void civil_from_days(std::int64_t days, int& y, unsigned& m, unsigned& d) noexcept;

/// {"type": type, "id": id}: a link as the wire shows it.
json::object make_link(std::string_view type, std::int64_t id);
/// ["Type", id]: a link as the store keeps it. One allocation instead of three (an object
/// and its two keys), which is most of the memory of a big studio. Never sent as is:
/// store::render turns it into {"type", "id", "name"}.
json::array stored_link(std::string_view type, std::int64_t id);
/// Whether `v` is a stored link ["Type", id] (a multi-entity list holds such arrays, so
/// a list is never mistaken for one).
bool is_stored_link(const json::value& v) noexcept;
/// Reads type and id of a link in either form; false when `v` is neither.
bool read_link(const json::value& v, std::string_view& type, std::int64_t& id) noexcept;
/// Same type and id (other keys ignored).
bool same_link(const json::value& a, const json::value& b) noexcept;

/// ASCII lower-casing, which is what Shotgun's case-insensitive text relations need for
/// the identifiers and names tests use; other bytes pass through unchanged.
std::string lower(std::string_view s);

/// An integer JSON value (int64 or uint64 that fits), else nothing. Doubles with an
/// integral value are not integers: a number field refuses 1.0 the way the type layer does.
std::optional<std::int64_t> as_integer(const json::value& v) noexcept;
/// Any JSON number as double, else nothing.
std::optional<double> as_number(const json::value& v) noexcept;

/// A short JSON rendering for messages, at most `max` bytes.
std::string brief(const json::value& v, std::size_t max = 80);

}  // namespace sgcache::fake_shotgun
