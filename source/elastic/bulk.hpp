// The pure half of Elasticsearch _bulk: building NDJSON bodies with caps, and reading the
// per-item outcomes of a reply. No I/O here; elastic/indexer.hpp sends what this builds.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sgcache::elastic {

enum class op_type { index, del };

struct bulk_op {
    op_type type = op_type::index;
    std::string index;
    std::string id;
    /// The document, already serialized as one line of JSON (index only).
    std::string source;
    /// Written with version_type=external when set: ES keeps the highest version and answers
    /// 409 to an older one.
    std::optional<std::uint64_t> external_version;
    /// The caller's own data, handed back with the item's outcome (bulk_indexer callback).
    std::shared_ptr<void> context;
};

/// What became of one item of a _bulk request.
enum class item_status {
    written,    // 200/201 (and 404 for a delete: nothing to delete is the goal reached)
    stale,      // 409 on an external-version write: a newer read is already stored
    retryable,  // 429 or 5xx: the cluster was busy or a shard was moving; send it again
    rejected,   // any other error: mapping conflicts, malformed documents; final
};

std::string_view to_string(item_status s) noexcept;

struct item_result {
    item_status status = item_status::written;
    unsigned http_status = 0;
    std::string error_type;  // ES's error.type, e.g. "mapper_parsing_exception"
    std::string reason;      // ES's error.reason
};

/// Appends one operation (action line + source line) to an NDJSON body. Throws
/// std::invalid_argument for an empty index or id or, for index ops, an empty source.
void append_op(std::string& body, const bulk_op& op);

/// The bytes append_op would add, for batching decisions.
std::size_t op_size(const bulk_op& op) noexcept;

/// Splits ops into consecutive batches of at most max_docs operations and at most
/// max_bytes of NDJSON each (an op bigger than max_bytes alone still forms a batch of one).
/// Returns the [begin, end) index pairs.
std::vector<std::pair<std::size_t, std::size_t>> plan_batches(const std::vector<bulk_op>& ops,
                                                              std::size_t max_docs,
                                                              std::size_t max_bytes);

/// Classifies one item by its HTTP status and error type.
item_status classify_item(unsigned status, std::string_view error_type, op_type type) noexcept;

/// Reads a _bulk reply body into one result per op, in order. Throws std::runtime_error
/// ("malformed _bulk reply: ...") when the body is not JSON, has no items array, or has a
/// different number of items than `expected`.
std::vector<item_result> parse_bulk_reply(std::string_view body, std::size_t expected,
                                          const std::vector<bulk_op>* ops = nullptr);

}  // namespace sgcache::elastic
