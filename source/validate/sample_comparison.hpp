// `validate data` (the default scope): compares one window of a type's entities, --limit of
// them at --page in --order (by default the most recently updated), read from the site and
// then from the cache by id. When the cache can reproduce the site's order, the same window
// of live documents is read from the cache too, so that strays (documents the site no
// longer returns) are found; when it cannot (an order or --filters the cache cannot
// evaluate, a window past 10,000 documents), a note in the report says so.
//
// Errors: what site_reader and cache_reader throw. Cancellation: terminal cancellation
// stops at the next request of either side.
#pragma once

#include "validate/context.hpp"
#include "validate/id_comparison.hpp"
#include "validate/report.hpp"
#include "validate/validator.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

namespace sgcache::validate {

/// The sample of `t` that `o` asks for (its order, filters, limit and page), compared on
/// `fields`; findings, counts and notes go to `out`.
boost::asio::awaitable<void> compare_sample(sides s, const type_ctx& t, const data_options& o,
                                            const field_choice& fields, type_report& out);

/// The Elasticsearch field that sorts like the api3 sort on `field`, or nothing when the
/// cache cannot reproduce that order (a multi-entity field, a field without doc values).
std::optional<std::string> sort_path(const type_ctx& t, const std::string& field);

}  // namespace sgcache::validate
