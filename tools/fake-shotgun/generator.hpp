// A deterministic studio for the fake site: projects, people, pipeline steps, sequences,
// shots, assets, tasks per shot and asset, versions, published files, notes and playlists,
// in the proportions of a feature/episodic VFX studio, with plausible codes, statuses, dates
// and links (both sides of every back-reference pair filled in). The same seed and size give
// the same studio, byte for byte. Written straight into the store: generated entities have no
// EventLogEntry rows (they "existed before"); the event log starts at a higher id with a few
// historic rows. Works with any schema that has the studio's types; fields the schema lacks
// are skipped. No I/O, no Asio.
#pragma once

#include "store.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace sgcache::fake_shotgun {

struct generate_options {
    /// Roughly how many entities to make in total (the result is within a few percent).
    std::int64_t entities = 1000;
    std::uint64_t seed = 1;
    /// "Now" for the studio's dates (unix seconds): everything was created before it.
    std::int64_t now_s = 1'700'000'000;
};

struct generate_result {
    std::map<std::string, std::int64_t> counts;  // entities made per type
    std::int64_t total = 0;
};

/// Fills `db` (normally empty but for the scripts' ApiUsers). Throws std::invalid_argument
/// when the schema lacks Project, Sequence, Shot, Asset or Task, or `entities` < 1.
generate_result generate_studio(store& db, const generate_options& opts);

/// Parses "studio:N" (N may end in k or m: studio:100k). Throws std::invalid_argument.
std::int64_t parse_generate_spec(const std::string& spec);

}  // namespace sgcache::fake_shotgun
