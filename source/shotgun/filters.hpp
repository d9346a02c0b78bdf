// Shotgun api3 filters: the wire form ({"logical_operator", "conditions"}) built from C++ or
// translated from the list form people write in Python, YAML and on the command line
// ([["code", "is", "x"], {"filter_operator": "any", "filters": [...]}]).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace sgcache::shotgun {

/// Every relation api3 knows (section 8 of the wire reference).
bool is_known_relation(std::string_view relation) noexcept;

/// {"path": path, "relation": relation, "values": values}
boost::json::object condition(std::string path, std::string relation, boost::json::array values);

/// {"logical_operator": "and", "conditions": [...]} / "or".
boost::json::object all_of(boost::json::array conditions = {});
boost::json::object any_of(boost::json::array conditions);

/// A group matching what both match; an empty group on either side is dropped.
boost::json::object both(const boost::json::object& a, const boost::json::object& b);

/// The keyset-paging range filter `id > after AND id <= up_to`, ANDed with `filters`.
boost::json::object id_range(const boost::json::object& filters, std::int64_t after, std::int64_t up_to);

/// Translates the list form into the wire form, as shotgun_api3 does: a list of conditions
/// [path, relation, v1, v2...] (a single list value is the value list) and nested groups
/// {"filter_operator": "all"|"any"|"and"|"or", "filters": [...]}. A value that already is a
/// wire-form group is accepted as is. Throws std::invalid_argument naming the element
/// ("filters[2][1]: unknown relation 'iss'") for anything else. `op` is the top-level operator.
boost::json::object from_list_form(const boost::json::value& filters, std::string_view op = "all");

/// Checks a wire-form group recursively (operators, relations, value lists); throws
/// std::invalid_argument naming the element.
void check_wire_form(const boost::json::value& group, const std::string& where = "filters");

}  // namespace sgcache::shotgun
