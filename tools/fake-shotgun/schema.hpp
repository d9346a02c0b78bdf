// The fake site's schema: entity types, their fields and data types, as a site reports them
// through schema_read(). Loaded from a file in the schema_read() shape (plus, optionally, the
// schema_entity_read() shape), or built from the project's own studio schema
// (studio_schema.hpp). Also knows the back-reference pairs (Task.entity <-> Shot.tasks, ...)
// that a real site keeps in step on both sides. No I/O besides reading the files; no Asio.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sgcache::fake_shotgun {

namespace json = boost::json;

/// Hash for string-keyed maps that are looked up by string_view without building a string.
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

enum class data_type {
    text, number, float_, checkbox, date, date_time, list, status_list, entity, multi_entity,
    tag_list, url, serializable, image, duration, percent, color, uuid, entity_type, password,
    pivot_column, currency, timecode, footage, summary, calculated, addressing, unknown,
};

/// "text", "number", "float", ... as schema_read() spells them; "unknown" for unknown.
std::string_view to_string(data_type t) noexcept;
/// The inverse of to_string; data_type::unknown for names it does not know.
data_type parse_data_type(std::string_view name) noexcept;

/// One field of one entity type.
struct field_def {
    std::string name;
    std::string display_name;
    std::string entity_type;  // the type this field belongs to
    data_type type = data_type::unknown;
    std::vector<std::string> valid_types;   // entity, multi_entity
    std::vector<std::string> valid_values;  // list, status_list
    json::value default_value;              // null when none
    bool editable = true;
    bool mandatory = false;
    bool unique = false;
    std::size_t index = 0;  // position in entity_def::fields and in every row of the type

    /// Where a change of this field is mirrored on the linked entity (see back_ref), if any.
    struct back_ref {
        std::string type;   // the linked entity's type
        std::string field;  // its field that lists/points back at us
    };
    std::vector<back_ref> reverse;

    bool is_link() const noexcept {
        return type == data_type::entity || type == data_type::multi_entity;
    }
    bool accepts_type(std::string_view t) const noexcept;
};

struct entity_def {
    std::string name;
    std::string display_name;
    std::vector<field_def> fields;
    std::unordered_map<std::string, std::size_t, string_hash, std::equal_to<>> by_name;
    /// The field a link's "name" comes from: code, content (Task), subject (Note), name, ...
    /// npos when the type has none.
    std::size_t name_field = npos;
    /// Index of "project" (an entity field to Project), npos when the type has none.
    std::size_t project_field = npos;
    /// Index of "sg_status_list" (or "sg_status" on Playlist/Project), npos when none.
    std::size_t status_field = npos;

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    const field_def* find(std::string_view field) const noexcept;
};

class schema {
public:
    /// Builds a schema from a schema_read() result (and optionally a schema_entity_read()
    /// result; null to derive display names from the type names). Throws
    /// std::invalid_argument naming the type and field when the document is not in that
    /// shape. Adds "id" to a type that lacks it. Back-reference pairs are wired for the
    /// known pairs whose fields exist (see schema.cpp).
    schema(const json::value& schema_read, const json::value& entity_read);

    /// Loads the two files (schema_read and schema_entity_read shapes). An empty
    /// `entity_file` tries `<file stem>-entity.json` beside `file`, else derives names.
    /// Throws std::runtime_error naming the file when it cannot be read or parsed.
    static schema load(const std::string& file, const std::string& entity_file = {});

    const entity_def* find(std::string_view type) const noexcept;
    const std::vector<std::unique_ptr<entity_def>>& types() const noexcept { return types_; }

    /// The schema_read() result, and schema_entity_read() result, as a site returns them.
    const json::object& schema_read_result() const noexcept { return read_; }
    const json::object& schema_entity_read_result() const noexcept { return entity_read_; }
    /// schema_field_read(type[, field]) for one field: its FIELD object.
    const json::object* field_json(std::string_view type, std::string_view field) const noexcept;

    /// schema_field_delete: the field leaves the schema calls and the lookups by name (reads
    /// return null for it, filters and writes refuse it), as on a site where it was deleted.
    /// Rows keep its storage, so the positions of the other fields stand. Throws
    /// std::invalid_argument naming the field when the type or field does not exist or the
    /// field is not a custom one (sg_*): a site refuses to delete built-in fields.
    void retire_field(std::string_view type, std::string_view field);

    /// schema_field_create: a new custom field of a plain data type (text, number, float,
    /// checkbox, date, date_time, duration, percent, url, list with the `valid_values`
    /// property). Its name is "sg_" plus the display name in lower case, non-alphanumerics
    /// as "_"; "_1", "_2", ... is appended when a field of that name exists. A deleted
    /// field's name is free again (as once a site has purged it), which is how a field
    /// comes back under its old name with another type. Returns the new field; the caller
    /// gives every existing row a value for it (store::add_field). Throws
    /// std::invalid_argument naming the culprit for an unknown type, an empty display
    /// name or a data type this site cannot create.
    const field_def& add_field(std::string_view type, std::string_view data_type, std::string_view display_name,
                               const std::vector<std::string>& valid_values);

private:
    void wire_back_references();
    /// The type a schema write changes; throws std::invalid_argument when there is none.
    entity_def* changeable(std::string_view type);

    std::vector<std::unique_ptr<entity_def>> types_;
    std::map<std::string, entity_def*, std::less<>> by_name_;
    json::object read_;
    json::object entity_read_;
};

}  // namespace sgcache::fake_shotgun
