// The command-line values of `sgcache validate data`, checked and translated: --filters and
// --order in the api3 list forms people write in Python, --fields, --limit, --page. Each
// function throws std::invalid_argument with one line that names the option and the culprit
// ("--order[1].direction: expected \"asc\" or \"desc\", got \"down\""). Pure logic, no I/O.
#pragma once

#include "shotgun/client.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sgcache::validate {

/// --filters: a JSON list of conditions and groups (shotgun_api3's list form, e.g.
/// [["sg_status_list", "is", "ip"], {"filter_operator": "any", "filters": [...]}]) or a
/// wire-form group; returns the wire form.
boost::json::object parse_filters(std::string_view text);

/// --order: a JSON list of {"field_name": F, "direction": "asc"|"desc"} (shotgun_api3's
/// `order`; "column" is accepted for field_name, direction defaults to asc).
std::vector<shotgun::sort> parse_order(std::string_view text);

/// --fields: "a,b,c" (spaces around names ignored); no empty names, no duplicates.
std::vector<std::string> parse_field_list(std::string_view text);

/// A whole number between 1 and `max` for option `name` (--limit, --page).
std::size_t parse_positive(std::string_view name, std::string_view text, std::size_t max);

/// The pages of `page_size` entities that hold entities [first, first + count) of a sorted
/// result (0-based); 1-based page numbers, as api3 read takes them.
struct page_span {
    std::size_t first_page = 1;
    std::size_t last_page = 1;
    std::size_t skip = 0;  // entities to drop from the start of first_page
};
page_span pages_for(std::size_t first, std::size_t count, std::size_t page_size);

}  // namespace sgcache::validate
