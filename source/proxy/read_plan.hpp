// Whether an api3 `read` can be answered from the cache exactly as the site would answer it,
// and if so the Elasticsearch search that does it and the rendering of its hits. Pure logic,
// no I/O.
//
// A read is answered only when every part of it maps onto the cached documents with the
// site's own semantics (tools/fake-shotgun/filter.cpp and query.cpp are the executable
// statement of those semantics we test against):
//   - the type is cached and its entity-config filters match what the read asks of archived
//     projects (no filters and the default, or "skip archived projects" and
//     include_archived_projects false);
//   - every return field, filter path and sort field is a cached field of the type itself
//     (no deep links), not an image;
//   - every relation is one whose meaning is known exactly for the field's data type: text
//     compares case-insensitively (the `lower` sub-field, ASCII operands only), lists and
//     statuses exactly, numbers and dates by value and range, links by type and id (on a
//     nested object for multi-entity fields, so type and id never pair across elements);
//   - every operand has the shape the site accepts (anything the site would refuse with a
//     fault is forwarded, so the caller gets the site's own fault);
//   - sorts are on fields the cache orders as the site does (numbers, dates, checkboxes, ids,
//     text through `lower` with the raw value breaking ties, while the matching values are
//     printable ASCII), id ascending last;
//   - return_only is "active", or "retired" where the index keeps retired entities with
//     their fields (type_info::retired_kept);
//   - the page lies within Elasticsearch's result window.
// Everything else comes back as a reason to forward, in words for the log.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sgcache::proxy {

/// How the site compares values of a data type.
enum class value_kind { text, exact, integer, number, date, date_time, checkbox, entity, multi_entity, other };

/// The kind of a Shotgun data type ("text", "status_list", ...); `other` for the rest.
value_kind value_kind_of(const std::string& data_type);

struct field_info {
    value_kind kind = value_kind::other;
    bool image = false;
    /// The site takes not_between on number and currency fields only.
    bool not_between = false;
    /// text: the sub-fields the proxy needs exist with the right settings.
    bool has_lower = false;
    std::string raw_keyword;  // text: "code" or "description.keyword"
};

/// One cached entity type as the proxy sees it.
struct type_info {
    std::string type;
    std::string live_alias;
    std::string all_alias;
    /// The type's index keeps retired entities with their fields (`_sgcache.site_retired`,
    /// mapped by this version's index body; an index built before it has none): reads of
    /// retired entities can be answered.
    bool retired_kept = false;
    std::map<std::string, field_info, std::less<>> fields;
    /// What the type's entity-config filters keep, in terms of a read's
    /// include_archived_projects: everything (no filters), everything but archived projects'
    /// entities (exactly the generated "skip archived projects" filter), or something else
    /// (no read of the type is answered).
    enum class coverage { everything, unarchived, other } covers = coverage::other;
};

struct catalog {
    std::map<std::string, type_info, std::less<>> types;
    /// Every entity type of the site (a link operand naming another is refused by the site).
    std::set<std::string, std::less<>> site_types;
    /// The site's api_max_entities_per_page.
    std::int64_t max_per_page = 500;
};

/// A read the cache answers: POST <index>/_search with `body`, then render().
struct cached_read {
    std::string type;
    std::string index;
    boost::json::object body;
    std::vector<std::string> return_fields;  // as requested, deduplicated, without type and id
    std::int64_t per_page = 0;
    std::int64_t page = 1;
    bool with_counts = false;  // return_paging_info: entity_count, current_page, page_count
    /// Aggregations of `body` that must count 0 documents for the answer to be the site's
    /// (a sort the cache orders as the site only over printable-ASCII values).
    std::vector<std::string> guards;
};

struct read_plan {
    std::optional<cached_read> cached;
    std::string forward_reason;  // set when `cached` is empty
};

/// Plans the `read` whose parameters (the api3 payload, params[1]) are `params`.
/// Never throws for any input: what it does not understand is forwarded.
read_plan plan_read(const catalog& cat, const boost::json::object& params);

/// The api3 `results` of a read from the search's hits (hits.hits) and, with counts, the total.
boost::json::object render(const cached_read& r, const boost::json::array& hits, std::int64_t total);

/// A summarize (without grouping) the cache answers: POST <index>/_search with `body` (size
/// 0, aggregations), then render_summary(). Sums, averages, minimums and maximums of integer
/// fields only (a sum of doubles depends on the order of its terms); earliest and latest of
/// dates; count, record_count, checked, unchecked. Groupings are forwarded.
struct cached_summary {
    struct item {
        std::string field;
        std::string kind;   // record_count, count, sum, ...
        std::string agg;    // the aggregation's name in the search
        value_kind value = value_kind::other;
    };
    std::string type;
    std::string index;
    boost::json::object body;
    std::vector<item> items;
};

struct summary_plan {
    std::optional<cached_summary> cached;
    std::string forward_reason;
};

/// Plans the `summarize` whose parameters are `params`. Never throws.
summary_plan plan_summarize(const catalog& cat, const boost::json::object& params);

/// The api3 `results` of a summarize from the search's aggregations and total hits.
boost::json::object render_summary(const cached_summary& s, const boost::json::object& aggregations, std::int64_t total);

/// ASCII letters lower-cased, every other byte kept (the site's case folding).
std::string ascii_lower(std::string_view s);

}  // namespace sgcache::proxy
