// Entity links as the site's writes handle them: sets of stored links (the value of an
// entity field is one link or null, of a multi-entity field a list), and the change of a
// link field with what it causes: its Change rows, and the other side of a back-reference
// pair (Shot.tasks <-> Task.entity) kept in step, with that side's own rows (api3
// reference, section 6.4 d). Works inside the caller's store transaction; no I/O.
// Nothing here throws except std::bad_alloc.
#pragma once

#include "events.hpp"
#include "schema.hpp"
#include "store.hpp"

#include <boost/json.hpp>

#include <cstdint>

namespace sgcache::fake_shotgun {

/// True when `list` holds a link to the same entity as `link`.
bool contains_link(const json::array& list, const json::value& link);

/// Links of `a` that are not in `b` (either may be null, a single link or a list).
json::array minus(const json::value& a, const json::value& b);

/// Keeps the other side of a back-reference pair in step after r.f changed from `old_v` to
/// `new_v` (both already decided; r.f itself is already stored), writing the rows of
/// section 6.4 d. `original` is the id of r.f's own Change row. Nothing for a field
/// without a reverse field.
void propagate(store& db, event_writer& ev, const field_def& f, const row& r, const json::value& old_v,
               const json::value& new_v, std::int64_t original, bool in_create);

/// The Change row(s) for r.f going from `old_v` to `new_v` (both stored forms), then the
/// back-reference side. r.f must already hold `new_v`.
void log_change(store& db, event_writer& ev, const entity_def& def, const row& r, const field_def& f,
                const json::value& old_v, const json::value& new_v, bool in_create);

}  // namespace sgcache::fake_shotgun
