// Entity configs (entityConfig/<Type>.yaml): which fields of one Shotgun entity type
// sgcache caches, the Elasticsearch mapping of each, and the type's filters. Generated from
// the site's schema, edited by studios, loaded at start-up; their hash decides whether a
// type's index must be rebuilt.
//
// Mapping table (Shotgun data type -> Elasticsearch mapping), also in the README:
//   text                         text with a keyword sub-field (code fields: keyword with a
//                                text sub-field; codes are identifiers), and `lower`: a
//                                keyword with the built-in lowercase normalizer (the proxy's
//                                case-insensitive comparisons and sorts)
//   number, duration, timecode,
//   percent                      long
//   float, currency              double
//   checkbox                     boolean
//   date                         date (yyyy-MM-dd)
//   date_time                    date (ISO 8601, UTC)
//   list, status_list, color,
//   entity_type, uuid, footage,
//   tag_list                     keyword
//   entity                       object {type: keyword, id: long, name: keyword + text}
//   multi_entity, addressing     nested objects of the same shape
//   url                          object {name, url, link_type, content_type, local_path: keyword}
//   image                        keyword, not indexed (signed URLs)
//   serializable                 object, disabled (stored, not indexed)
//   password                     left out (a secret)
//   pivot_column, summary,
//   calculated, query fields     left out (computed by the site; they change without events)
// The id field is a long (it is range-queried and bucketed by validation).
#pragma once

#include "config/settings.hpp"
#include "shotgun/schema.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sgcache::config {

struct cached_field {
    std::string name;
    std::string data_type;
    boost::json::object mapping;
};

struct excluded_field {
    std::string name;
    std::string reason;
};

struct entity_config {
    std::string type;
    boost::json::array filters;            // list form, as written in the file
    std::vector<cached_field> fields;      // sorted by name
    std::vector<excluded_field> excluded;  // documentation only
    std::filesystem::path file;            // where it was loaded from

    /// The api3 field names to read (the cached fields; "type" and "id" come anyway).
    std::vector<std::string> field_names() const;
    /// Hex SHA-256 of what decides the index content: type, filters, fields and mappings.
    std::string hash() const;
};

/// The mapping for one field, or nothing with `reason` set when the field is left out.
std::optional<boost::json::object> mapping_for(const shotgun::field_schema& f, std::string& reason);

/// True when `name` matches the shell-style pattern ('*' only).
bool matches_pattern(std::string_view pattern, std::string_view name);

/// Builds the config of one type from the schema and the generate settings.
entity_config generate(const shotgun::entity_schema& type, const generate_settings& opts);

/// The YAML text of a config, with a header comment and the reason for each field left out.
std::string to_yaml(const entity_config& cfg, const std::string& header);

/// Loads one file. Throws config_error naming the file, line and key for: YAML errors, a
/// `type` that does not match the file name, unknown keys, fields without a data_type or a
/// mapping object, malformed filters.
entity_config load_entity_config(const std::filesystem::path& file);

/// Loads every *.yaml of a folder, sorted by type. Throws config_error (see above); a
/// missing folder is an error naming it.
std::vector<entity_config> load_entity_configs(const std::filesystem::path& dir);

/// The body of a create-index request for a new generation of this type: the mappings of the
/// cached fields, `type`, `id` and sgcache's reserved metadata object, with replicas and
/// refresh as given (a full download starts with 0 and "-1").
boost::json::object index_body(const entity_config& cfg, int shards, int replicas, const std::string& refresh);

/// The name of the reserved metadata object in every document. Shotgun field names never
/// start with '_', so it cannot collide with a cached field.
inline constexpr const char* meta_field = "_sgcache";

}  // namespace sgcache::config
