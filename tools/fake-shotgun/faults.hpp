// Fault injection settings of the fake site, switchable at start (--fault KEY=VALUE) and at
// run time (POST /_admin/faults with a JSON object of the same keys), and the per-request
// decision drawn from them. Pure logic (a seeded PRNG); the HTTP side acts on decisions.
//
// Keys (all optional in a JSON update; absent keys keep their value):
//   latency_ms, jitter_ms        delay before each api3 answer: latency + uniform[0, jitter]
//   http_502, http_503, http_504, http_429
//                                probability of answering with that status instead (the
//                                request is not executed: the load balancer refused it)
//   retry_after_s                Retry-After header sent with 429 and 503
//   reset                        probability of resetting the connection mid-response
//                                (the request WAS executed; the client never sees the answer)
//   stall                        probability of sending nothing for stall_ms (executed too)
//   stall_ms                     how long a stall lasts before the connection is closed
//   fail_next                    list of "502" "503" "504" "429" "500" "reset" "stall"
//                                "close": the next matching requests fail that way, in order
//   methods                      api3 method names the faults apply to; [] means all
//   hold                         substrings: an api3 request whose body contains every one
//                                of them is executed at once, but its answer is held back
//                                until POST /_admin/release ([] holds nothing). Tests use
//                                it to keep a client inside a window on purpose, then let
//                                it go; independent of `methods`
//   max_entities_per_page        info.api_max_entities_per_page and the read page clamp
//   no_events                    writes produce no EventLogEntry rows
//   event_delay_probability, event_delay_ms
//                                out-of-order commits: a write's events readable only later
//   event_drop_probability       a write first burns 1-3 event ids that never appear
#pragma once

#include "site.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace sgcache::fake_shotgun {

struct fault_config {
    std::int64_t latency_ms = 0;
    std::int64_t jitter_ms = 0;
    double http_502 = 0, http_503 = 0, http_504 = 0, http_429 = 0;
    std::int64_t retry_after_s = 1;
    double reset = 0;
    double stall = 0;
    std::int64_t stall_ms = 30'000;
    std::vector<std::string> fail_next;
    std::vector<std::string> methods;
    std::vector<std::string> hold;
    site_knobs knobs;
};

/// The whole configuration as a JSON object (the GET /_admin/faults answer).
json::object to_json(const fault_config& c);

/// Applies the keys present in `update` (a JSON object). Throws std::invalid_argument with
/// a one-line message naming the key when a key is unknown or a value has the wrong type or
/// range; `c` is left unchanged then.
void apply_json(fault_config& c, const json::value& update);

/// Applies one "key=value" setting from the command line (value parsed as JSON, or as a
/// string when it is not JSON). Throws std::invalid_argument like apply_json.
void apply_setting(fault_config& c, std::string_view key_equals_value);

/// True when `hold` is not empty and `body` contains every one of its substrings.
bool held(const fault_config& c, std::string_view body);

/// What to do with one api3 request.
struct fault_decision {
    std::chrono::milliseconds delay{0};
    unsigned status = 0;      // non-zero: answer with this HTTP status, do not execute
    bool reset = false;       // execute, then reset the connection mid-response
    bool close = false;       // execute, then close cleanly mid-response
    bool stall = false;       // execute, then send nothing for stall_ms
};

/// Draws the decision for a request of api3 method `method` ("" when unknown). Consumes
/// the first matching fail_next entry. Status faults come first, then reset, then stall.
fault_decision decide(fault_config& c, std::mt19937_64& rng, std::string_view method);

}  // namespace sgcache::fake_shotgun
