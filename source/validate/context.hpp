// What the parts of the validator share (validator.cpp, cache_state, site_reader,
// cache_reader, the comparisons and settling): a configured type as they read it, the
// fields one run compares, a batch of events read from the site, and the parsing of ids.
// Internal to validate/. Pure logic, no I/O; nothing here throws except std::bad_alloc,
// and make_type_ctx() what shotgun::from_list_form() throws for filters it cannot read.
#pragma once

#include "config/entity_config.hpp"
#include "sync/documents.hpp"
#include "validate/compare.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sgcache::validate {

/// Events read at most while settling or counting; beyond, every entity counts as touched.
inline constexpr std::size_t max_events = 100'000;

/// A configured type as validation reads it. `cfg` points into the validator's own list
/// of configs, which is never resized after the contexts are made: the context lives as
/// long as the validator. `fields` holds every cached field, in the config's order.
struct type_ctx {
    const config::entity_config* cfg = nullptr;
    sync::type_names names;
    boost::json::object filters;     // the type's filters, wire form
    std::vector<field_spec> fields;  // every cached field
    bool caches_updated_at = false;  // updated_at is one of `fields` (bucket fingerprints use it)
};

/// Configured type name -> its context.
using type_map = std::map<std::string, type_ctx>;

/// Shotgun id -> the entity as the site returned it, or the cached document's source.
using entity_map = std::map<std::int64_t, boost::json::object>;

/// The context of `cfg` under the index prefix `prefix`; `cfg` must outlive it.
type_ctx make_type_ctx(const std::string& prefix, const config::entity_config& cfg);

/// The compared fields: all of the type's, or the --fields subset (checked by
/// validator::check(), so every name is a cached field). `specs` and `names` are parallel:
/// names[i] == specs[i].name, in the type's field order.
struct field_choice {
    std::vector<field_spec> specs;
    std::vector<std::string> names;
};

/// The fields of `t` named in `only` (all of them when `only` is empty).
field_choice choose_fields(const type_ctx& t, const std::vector<std::string>& only);

/// EventLogEntry rows read after a checkpoint. `last_id` is the highest event id read above
/// the checkpoint's high mark (the high mark itself when none was); gap ids read again do
/// not raise it. `overflow`: reading stopped after max_events rows, so `rows` is a prefix
/// and the caller must treat every entity as touched.
struct event_batch {
    std::vector<boost::json::object> rows;
    std::int64_t last_id = 0;
    bool overflow = false;
};

/// Milliseconds since the epoch, by the system clock (lease expiry and run timing).
std::int64_t now_ms();

/// An Elasticsearch _id as a Shotgun id: decimal digits only, at most 18 of them.
std::optional<std::int64_t> parse_id(std::string_view s);

/// The integer "id" of an api3 entity, or nothing when it has none.
std::optional<std::int64_t> id_of(const boost::json::value& e);

}  // namespace sgcache::validate
