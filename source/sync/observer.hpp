// What the sync engine reports as it works, for stats documents and metrics
// (source/observe). Callbacks run on the engine's io_context thread and must return at
// once: anything slow (writing to Elasticsearch) is queued by the observer, never awaited
// by the engine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sgcache::sync {

struct download_report {
    std::string type;
    int generation = 0;
    std::uint64_t entities = 0;          // documents written by the download
    double seconds = 0;                  // from the start of the download (across restarts)
    std::uint64_t shotgun_requests = 0;  // requests to the site during this run of the download
    std::uint64_t shotgun_retries = 0;
    std::uint64_t bulk_requests = 0;     // _bulk requests of the download writer
    std::uint64_t rejected = 0;          // documents Elasticsearch refused
};

struct event_batch_report {
    std::size_t events = 0;              // event rows applied
    std::size_t entities = 0;            // entities read again
    std::int64_t first_event_id = 0;
    std::int64_t last_event_id = 0;
    /// Per event with a created_at: seconds from its creation on the site to the moment
    /// Elasticsearch acknowledged the documents it caused.
    std::vector<double> delays;
};

class observer {
public:
    virtual ~observer() = default;
    virtual void download_finished(const download_report&) {}
    virtual void event_batch_applied(const event_batch_report&) {}
};

}  // namespace sgcache::sync
