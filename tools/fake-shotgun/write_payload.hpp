// The payload of a write (create, update, delete, revive, and each request of a batch) as
// the site reads it: the entity type and id, the "fields" list with each value checked and
// normalised (write_values.hpp) and its multi-entity update mode, the unique-field check,
// and lists of field names. Reads the store, never changes it; no I/O.
//
// Errors: every function but system_field() throws api_fault with the fault a real site
// answers (fault_code::bad_request for a malformed payload or a field that cannot be
// written, fault_code::crud for a value the field refuses or a unique value taken).
#pragma once

#include "schema.hpp"
#include "store.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sgcache::fake_shotgun {

/// multi_entity_update_mode: replace the list, or add or remove the links sent.
enum class update_mode { set, add, remove };

/// One field of a write, checked.
struct field_write {
    const field_def* field;
    json::value value;  // stored form
    update_mode mode = update_mode::set;  // anything but set only for multi_entity fields
};

/// The entity type a payload names ("type").
const entity_def& type_of(const store& db, const json::object& p, std::string_view method);

/// The entity id a payload names ("id").
std::int64_t id_of(const json::object& p, std::string_view method);

/// Reads and checks the "fields" list of a create or update (`creating`: created_at and
/// created_by may be set, and an EventLogEntry may be written). A field named twice keeps
/// its last value, in the place of its first.
std::vector<field_write> read_fields(const store& db, const entity_def& def, const json::object& p,
                                     std::string_view method, bool creating);

/// Refuses a value of a unique field that another live entity of the type already holds
/// (`self_id`: the entity written, 0 on create).
void check_unique(const store& db, const entity_def& def, const field_write& w, std::int64_t self_id,
                  std::string_view method, bool creating);

/// The field names under `key` (none when absent or null).
std::vector<std::string> string_list(const json::object& p, std::string_view key, std::string_view method);

/// Fields only the server sets; never written by the API and never logged.
bool system_field(std::string_view name);

}  // namespace sgcache::fake_shotgun
