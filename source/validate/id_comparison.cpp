#include "validate/id_comparison.hpp"

#include <set>
#include <utility>

namespace sgcache::validate {

namespace asio = boost::asio;

void add_findings(type_report& out, std::vector<finding> found, const entity_map& site,
                  const entity_map& cache) {
    std::set<std::int64_t> ids;
    for (const auto& [id, e] : site) ids.insert(id);
    for (const auto& [id, d] : cache) ids.insert(id);
    out.compared += ids.size();
    for (auto& f : found) out.findings.push_back(std::move(f));
}

asio::awaitable<void> compare_ids(sides s, const type_ctx& t, const field_choice& fields,
                                  std::vector<std::int64_t> ids, type_report& out) {
    if (ids.empty()) co_return;
    auto site = co_await s.site.by_ids(t, fields.names, ids);
    co_await s.cache.refresh_all(t);
    auto cache = co_await s.cache.by_ids(t, ids);
    add_findings(out, compare_sets(site, cache, fields.specs), site, cache);
}

asio::awaitable<void> compare_range(sides s, const type_ctx& t, const field_choice& fields, id_range r,
                                    type_report& out) {
    std::int64_t after = r.after;
    for (;;) {
        auto chunk = co_await s.site.range_chunk(t, fields.names, after, r.up_to);
        // A full page ends the chunk at its last id; the cache side covers the same ids.
        const std::int64_t upper = chunk.full ? chunk.last : r.up_to;
        auto cache = co_await s.cache.in_range(t, after, upper);
        add_findings(out, compare_sets(chunk.entities, cache, fields.specs), chunk.entities, cache);
        if (!chunk.full || upper >= r.up_to) break;
        after = upper;
    }
}

}  // namespace sgcache::validate
