// A site's schema as sgcache needs it: entity types, their display names and their fields'
// data types, valid link types and list values, parsed from the schema_read() and
// schema_entity_read() shapes (every property wrapped as {"value": ..., "editable": ...}).
#pragma once

#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <vector>

namespace sgcache::shotgun {

struct field_schema {
    std::string name;
    std::string display_name;
    std::string data_type;                 // "text", "entity", "multi_entity", ...
    std::vector<std::string> valid_types;  // entity, multi_entity
    std::vector<std::string> valid_values; // list, status_list
    bool has_query = false;                // a query (summary) field: computed by the site
};

struct entity_schema {
    std::string type;
    std::string display_name;
    std::map<std::string, field_schema> fields;
};

struct site_schema {
    std::map<std::string, entity_schema> types;

    std::vector<std::string> type_names() const;
};

/// Builds the schema from schema_read() and (optionally empty) schema_entity_read()
/// results. Throws std::invalid_argument naming the type and field for a malformed entry
/// (a field without a data_type, a type that is not an object).
site_schema parse_schema(const boost::json::object& fields_by_type, const boost::json::object& entities);

}  // namespace sgcache::shotgun
