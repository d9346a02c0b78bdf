// The proxy's view of a cached entity type, from its entity config: the kind of each field,
// whether text fields have the sub-fields the proxy compares with (an entity config written
// before them is still served, its text comparisons forwarded), and what the type's filters
// keep. Pure logic.
#pragma once

#include "config/entity_config.hpp"
#include "proxy/read_plan.hpp"

#include <string>

namespace sgcache::proxy {

/// The type as described by its entity config, its indices under `prefix`.
type_info describe(const config::entity_config& cfg, const std::string& prefix);

}  // namespace sgcache::proxy
