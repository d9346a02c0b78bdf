// Filters of read() and summarize(): the wire grammar
//   group     := {"logical_operator": "and" | "or", "conditions": [condition | group, ...]}
//   condition := {"path": "field" | "link.Type.field...", "relation": name, "values": [...]}
// compiled once against the schema (every path, relation and value checked, so a bad filter
// faults before any row is looked at) and then evaluated row by row. Relations and the data
// types they apply to follow the api3 reference, section 8. No I/O, no Asio.
#pragma once

#include "schema.hpp"
#include "store.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sgcache::fake_shotgun {

enum class relation {
    is, less_than, greater_than, contains, starts_with, ends_with, between, in, type_is,
    name_contains, name_starts_with, name_ends_with, name_is, name_id, in_last, in_next,
    in_calendar_day, in_calendar_week, in_calendar_month, in_calendar_year,
};

/// One step of a path: a field of a type. For every step but the last the field is a link
/// and `via` names the type the path continues in ("entity.Shot.code": entity via Shot).
struct path_step {
    const entity_def* type = nullptr;
    const field_def* field = nullptr;
    const entity_def* via = nullptr;
};

/// Resolves "field" or "a.Type.b..." starting at `root`. Returns an empty vector when any
/// part does not exist (unknown field or type, a hop through a non-link field, or a type
/// the link cannot point at).
std::vector<path_step> resolve_path(const schema& s, const entity_def& root, std::string_view path);

/// Walks a resolved path from a row and returns the final field's stored values: one value
/// per reached row for plain fields, the elements for multi-entity and tag-list fields.
/// Hops follow only links to live (non-retired) rows. Nothing reached: empty.
void collect_values(const store& db, const row& r, const std::vector<path_step>& path,
                    std::vector<const json::value*>& out);

class filter {
public:
    /// Matches every row.
    filter();
    ~filter();
    filter(filter&&) noexcept;
    filter& operator=(filter&&) noexcept;

    /// Compiles `filters` (a group object, or null for "no filter") for entity type
    /// `root`. `method` names the API call in fault messages ("read", "summarize");
    /// `now` (unix seconds) anchors in_last / in_calendar_* relations.
    /// Throws api_fault (code 103) naming the path and the problem: an unknown field or
    /// type, an unfilterable data type, a relation the type does not support, a value of
    /// the wrong type or count, a malformed group.
    static filter compile(const schema& s, const entity_def& root, const json::value& filters,
                          std::string_view method, std::int64_t now);

    /// Whether the row matches. Never throws (but bad_alloc).
    bool matches(const store& db, const row& r) const;

    /// Bounds on "id" implied by the top-level "and" conditions (id is / in / between /
    /// greater_than / less_than), so that a scan can start and stop early.
    std::int64_t min_id() const noexcept { return min_id_; }
    std::int64_t max_id() const noexcept { return max_id_; }

    struct node;

private:
    std::unique_ptr<node> root_;
    std::int64_t min_id_ = INT64_MIN;
    std::int64_t max_id_ = INT64_MAX;
};

/// The relations valid for a data type, in the order messages list them; empty for types
/// that cannot be filtered at all.
std::vector<std::string_view> relations_for(data_type t);

}  // namespace sgcache::fake_shotgun
