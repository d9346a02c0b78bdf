// Writes EventLogEntry rows the way a real site does (api3 reference, section 6):
//   create  -> Shotgun_T_New, then one Shotgun_T_Change per field that got a value
//              (meta.in_create: true), each followed by the back-reference rows it caused;
//   update  -> one Shotgun_T_Change per changed field (old/new values, or added/removed for
//              multi-entity fields), each followed by its back-reference rows;
//   delete  -> a Change of retirement_date, then Shotgun_T_Retirement;
//   revive  -> a Change of retirement_date back to null, then Shotgun_T_Revival.
// Rows go into the store's EventLogEntry table inside the caller's transaction, so a failed
// write leaves no events. No I/O, no Asio.
#pragma once

#include "store.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string>

namespace sgcache::fake_shotgun {

struct event_context {
    /// Stored link of who the rows are attributed to (the sudo user when sudo was used).
    json::value user;
    /// Stored link of the really authenticated script or user when sudo was used, else null.
    json::value sudo_actual_user;
    /// The session_uuid of the auth params, or null.
    json::value session_uuid;
    std::int64_t now_s = 0;
    /// Non-zero: the rows become readable only from this unix time in ms (a transaction
    /// that commits late, so later writes' events are seen first).
    std::int64_t visible_at_ms = 0;
    /// False: no rows at all (a script with "Generate Events" off, or the no-events fault).
    bool enabled = true;
};

class event_writer {
public:
    /// Writes into `db`'s EventLogEntry table; does nothing when the schema has none.
    event_writer(store& db, event_context ctx);

    bool enabled() const noexcept { return table_ != nullptr && ctx_.enabled; }

    /// Shotgun_T_New. Returns the event id, or 0 when disabled (as do the others).
    std::int64_t new_entity(const entity_def& t, const row& r);

    /// Shotgun_T_Change for a scalar or single-entity field: meta carries old_value and
    /// new_value (entity values as links with name, valid and status).
    std::int64_t attribute_change(const entity_def& t, const row& r, const field_def& f,
                                  const json::value& old_stored, const json::value& new_stored,
                                  bool in_create);

    /// Shotgun_T_Change for a multi-entity field: meta carries added and removed link lists
    /// (stored links; rendered here).
    std::int64_t multi_change(const entity_def& t, const row& r, const field_def& f,
                              const json::array& added, const json::array& removed, bool in_create);

    /// A back-reference row on the other entity `other` (of type `ot`), whose field `of`
    /// changed because `actual` was set on entity (`actual_type`, `actual_id`). Pass added
    /// and removed for a multi-entity `of`, old and new for a single-entity one.
    /// `original` is the id of the row of the change that caused it.
    std::int64_t back_reference(const entity_def& ot, const row& other, const field_def& of,
                                const field_def& actual, std::int64_t actual_id,
                                const json::array* added, const json::array* removed,
                                const json::value* old_stored, const json::value* new_stored,
                                std::int64_t original, bool in_create);

    /// The retirement_date Change row followed by Shotgun_T_Retirement.
    void retirement(const entity_def& t, const row& r);
    /// The retirement_date Change row (back to null) followed by Shotgun_T_Revival.
    /// `retired_at` is when the entity had been retired.
    void revival(const entity_def& t, const row& r, std::int64_t retired_at);

    /// A row with arbitrary content (historic rows of a generated studio).
    std::int64_t raw(std::string_view event_type, const json::value& entity, const json::value& project,
                     const json::value& attribute_name, json::object meta, std::string description);

private:
    json::value meta_value(const field_def& f, const json::value& stored) const;
    std::string who() const;
    std::string what(const entity_def& t, const row& r) const;
    json::value project_of(const entity_def& t, const row& r) const;
    std::int64_t write(std::string event_type, json::value entity, json::value project,
                       json::value attribute_name, json::object meta, std::string description);

    store& db_;
    event_context ctx_;
    table* table_ = nullptr;
};

}  // namespace sgcache::fake_shotgun
