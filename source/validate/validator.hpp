// The I/O side of `sgcache validate`: measures the site (api3 read and summarize) and the
// cache (counts, searches and aggregations over the type aliases), hands both to the pure
// comparison in compare.hpp / buckets.hpp / events.hpp, and settles what changed while it
// measured. It only reads: repairs go through the running server (app/validate.cpp).
//
// Settling: before measuring, it reads the follower's checkpoint from the state index (the
// events the cache has applied). Afterwards it reads the events since that checkpoint;
// a finding about an entity those events name (or whose differing link fields name) is
// not reported at once: it waits (up to data_options::settle_timeout) until the running
// server's checkpoint has passed those events, then compares the entity again, up to
// data_options::settle_rounds times. With no server holding the lease, it does not wait.
//
// Errors: throws std::invalid_argument for options that do not fit the configured types
// (check them first with check()), std::runtime_error when the cache has no state
// (sgcache serve never ran with this prefix), shotgun::error / shotgun::fault /
// elastic::error for failures of either side after their clients' retries. A type whose
// aliases do not exist, or whose read the site refuses (a bad --filters path), is reported
// as that type's error and the others go on.
//
// Cancellation: terminal cancellation stops at the next request of either client.
// Threading and lifetime: one io_context thread; the clients outlive the validator.
#pragma once

#include "config/entity_config.hpp"
#include "elastic/client.hpp"
#include "shotgun/client.hpp"
#include "sync/event_cursor.hpp"
#include "validate/report.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sgcache::validate {

enum class data_scope {
    sample,  // --limit entities per type in --order (default: the 500 most recently updated)
    all,     // whole types by bucket fingerprints, narrowed to the buckets that differ
    full,    // whole types, every entity read and compared
};

struct data_options {
    data_scope scope = data_scope::sample;
    std::vector<std::string> types;      // empty: every configured type
    boost::json::object filters;         // wire form, sample only; empty: none
    std::vector<shotgun::sort> order;    // sample only; empty: updated_at descending
    std::vector<std::string> fields;     // empty: every cached field
    std::size_t limit = 500;             // sample only
    std::size_t page = 1;                // sample only, 1-based
    std::int64_t bucket_size = 0;        // all only; 0: chosen per type
    std::chrono::milliseconds settle_timeout{30'000};
    int settle_rounds = 3;
};

/// Entity ids per type.
using id_sets = std::map<std::string, std::set<std::int64_t>>;

class validator {
public:
    /// `page_size`: entities per api3 read (shotgun.page_size). Throws std::invalid_argument
    /// when `configs` is empty.
    validator(shotgun::client& sg, elastic::client& es, std::string prefix, std::size_t page_size,
              std::vector<config::entity_config> configs);
    ~validator();
    validator(const validator&) = delete;
    validator& operator=(const validator&) = delete;

    /// The types to validate (all configured ones when `names` is empty). Throws
    /// std::invalid_argument naming an unknown type and listing the configured ones.
    std::vector<std::string> check_types(const std::vector<std::string>& names) const;
    /// Checks options against the configured types (types, --fields, bucket size).
    void check(const data_options& opts) const;

    /// `validate counts`: per type, the site's record count under the type's filters
    /// (one summarize per type), the live alias's count, and the events pending meanwhile.
    boost::asio::awaitable<counts_result> counts(std::vector<std::string> types);

    /// `validate data`. The result's run info is filled in (requests, time).
    boost::asio::awaitable<data_result> data(data_options opts);

    /// Compares these entities again now, by id (all compared fields, or `fields`); returns
    /// the findings left per type (types without findings are left out).
    boost::asio::awaitable<std::vector<std::pair<std::string, std::vector<finding>>>> recheck(
        id_sets ids, std::vector<std::string> fields);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace sgcache::validate
