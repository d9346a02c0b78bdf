// The fake site's in-memory database: one table per entity type, rows in id order, plus a
// transaction (undo) log so that a failed write or batch leaves no trace. Ids come from a
// per-type counter that a rollback does not rewind, like a database sequence, so rolled-back
// creates leave gaps exactly as on a real site. No I/O, no Asio.
//
// Threading: single-threaded; the HTTP server calls into the site from its one thread.
#pragma once

#include "schema.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sgcache::fake_shotgun {

struct row {
    std::int64_t id = 0;
    bool retired = false;
    std::int64_t retired_at = 0;  // unix seconds, when retired
    /// Unix milliseconds from which the row is visible to reads. Non-zero only for
    /// EventLogEntry rows whose commit is delayed by the out-of-order-commit fault.
    std::int64_t visible_at_ms = 0;
    /// One value per field of the type, by field_def::index. Links are stored as
    /// {"type", "id"} only; names are looked up when a read renders them, so a rename shows
    /// everywhere at once, as on a real site.
    std::vector<json::value> values;
};

class table {
public:
    explicit table(const entity_def& def) : def_(&def) {}

    const entity_def& def() const noexcept { return *def_; }
    /// Rows in ascending id order, retired ones included.
    const std::deque<row>& rows() const noexcept { return rows_; }
    std::deque<row>& rows() noexcept { return rows_; }

    /// The row with this id, retired or not; nullptr when there is none.
    row* find(std::int64_t id) noexcept;
    const row* find(std::int64_t id) const noexcept;
    /// First row with id >= `id` (rows().size() when none).
    std::size_t lower_bound(std::int64_t id) const noexcept;

    /// The id the next insert gets (the counter never goes back).
    std::int64_t next_id() const noexcept { return next_id_; }
    /// Moves the counter forward (used to burn ids and to start event ids high).
    void skip_ids(std::int64_t n) noexcept { next_id_ += n; }

private:
    friend class store;
    const entity_def* def_;
    // A deque keeps references to rows valid while others are appended; rows are only
    // ever appended (ids grow) and removed from the back by a rollback.
    std::deque<row> rows_;
    std::int64_t next_id_ = 1;
};

class store {
public:
    /// One empty table per type of `s`, which must outlive the store (schema_field_delete
    /// changes it through the store).
    explicit store(fake_shotgun::schema& s);

    const fake_shotgun::schema& schema() const noexcept { return *schema_; }
    fake_shotgun::schema& mutable_schema() noexcept { return *schema_; }
    table* find_table(std::string_view type) noexcept;
    const table* find_table(std::string_view type) const noexcept;
    row* find(std::string_view type, std::int64_t id) noexcept;
    const row* find(std::string_view type, std::int64_t id) const noexcept;
    /// schema::add_field, then every row of the type (retired ones too) gets the new
    /// field's empty value, as rows inserted later do. Throws what add_field throws.
    const field_def& add_field(std::string_view type, std::string_view data_type, std::string_view display_name,
                               const std::vector<std::string>& valid_values);
    /// An existing, non-retired row.
    const row* find_live(std::string_view type, std::int64_t id) const noexcept;

    /// Appends a row with a fresh id and every field at its schema default (null, or []
    /// for multi-entity and tag lists, false for checkboxes). Records the insert in the
    /// open transaction, if any. The reference stays valid until that row is rolled back.
    row& insert(table& t);

    /// Call before changing a row inside a transaction: saves its state once so that
    /// rollback() can restore it. Without an open transaction it does nothing.
    void touch(table& t, const row& r);

    /// Transactions do not nest: begin() while one is open throws std::logic_error.
    void begin();
    void commit() noexcept;
    /// Undoes every insert and change since begin(), newest first.
    void rollback() noexcept;
    bool in_transaction() const noexcept { return in_txn_; }

    /// The "name" a link to (type, id) shows: the value of the type's name field, or ""
    /// when the row does not exist or the type has none.
    std::string_view name_of(std::string_view type, std::int64_t id) const noexcept;
    /// {"type", "id", "name"} for a stored link, or null when the target is missing or
    /// retired (links to retired entities read as null on a real site).
    /// `valid` adds "valid": "valid", as update() results show links.
    json::value render_link(const json::value& stored, json::storage_ptr sp = {}, bool valid = false) const;
    /// The link as event meta carries it: type, id, name, plus "valid" and the target's
    /// status when it has one. Missing targets still render (with an empty name).
    json::value meta_link(std::string_view type, std::int64_t id) const;

    /// A field value as read() returns it: links with names (retired targets dropped),
    /// [] for empty multi-entity and tag lists, false for an unset checkbox, masked
    /// passwords.
    /// The result is allocated from `sp` (a request's arena, say).
    json::value render(const field_def& f, const json::value& stored, json::storage_ptr sp = {},
                       bool valid = false) const;

    /// Counts of live (non-retired) rows by type, for stats.
    std::size_t live_count(std::string_view type) const noexcept;

private:
    struct undo {
        table* t;
        std::int64_t id;
        std::optional<row> saved;  // empty: the row was inserted in this transaction
    };

    fake_shotgun::schema* schema_;
    std::unordered_map<std::string, table, string_hash, std::equal_to<>> tables_;
    bool in_txn_ = false;
    std::vector<undo> undo_;
    std::unordered_map<const row*, bool> touched_;  // rows already saved in this transaction
};

/// A field's empty value: null, or [] for multi_entity and tag_list, false for checkbox.
json::value empty_value(const field_def& f);
/// What a new row (or a new field, in every existing row) holds: the schema default, else
/// empty_value.
json::value initial_value(const field_def& f);

}  // namespace sgcache::fake_shotgun
