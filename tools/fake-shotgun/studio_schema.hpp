// The project's own studio schema: the entity types a VFX studio's site has (Project,
// HumanUser, ApiUser, Step, Sequence, Shot, Asset, Task, Version, PublishedFile, Note,
// Playlist, EventLogEntry), every common data type, and the back-reference pairs. Written
// for this project in the shapes schema_read() and schema_entity_read() return; the fake
// site uses it when no --schema is given, and `fake-shotgun --dump-schema DIR` writes it to
// files (tools/fake-shotgun/schema/ holds that output).
#pragma once

#include <boost/json/value.hpp>

namespace sgcache::fake_shotgun {

/// {EntityType: {field: FIELD}} as schema_read() returns it. Never throws (but bad_alloc).
boost::json::value studio_schema_read();

/// {EntityType: {"name": {...}, "visible": {...}}} as schema_entity_read() returns it.
boost::json::value studio_schema_entity_read();

}  // namespace sgcache::fake_shotgun
