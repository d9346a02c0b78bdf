// Schema drift: how a type's entity config compares with the site's schema now. A field
// gone from the site is no longer read (asking for it would fail every read); a field whose
// data type changed is still read, and Elasticsearch may refuse its values; both say which
// entity config to regenerate. A type gone from the site cannot be synced at all.
// Pure logic, no I/O: start-up and the schema check after a schema event use it.
#pragma once

#include "config/entity_config.hpp"
#include "shotgun/schema.hpp"

#include <string>
#include <vector>

namespace sgcache::sync {

struct schema_drift {
    bool type_gone = false;
    std::string failure;                // set when type_gone
    std::vector<std::string> fields;    // the fields to read
    std::vector<std::string> warnings;  // one line per field gone or retyped
};

schema_drift compare_with_site(const config::entity_config& cfg, const shotgun::site_schema& site);

}  // namespace sgcache::sync
