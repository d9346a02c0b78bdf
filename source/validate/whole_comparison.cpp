#include "validate/whole_comparison.hpp"

#include "validate/buckets.hpp"

#include <set>
#include <vector>

namespace sgcache::validate {

namespace asio = boost::asio;

asio::awaitable<void> compare_whole(sides s, const type_ctx& t, const data_options& o,
                                    const field_choice& fields, type_report& out) {
    co_await s.cache.refresh_all(t);
    const integrity_scan_result scan = co_await s.cache.integrity_scan(t);

    bucket_stats stats;
    stats.size = o.bucket_size ? o.bucket_size : choose_bucket_size(scan.max_id);
    stats.rewritten = scan.rewritten.size() + scan.without_id.size();
    fingerprint_kind kind;
    kind.updated = t.caches_updated_at;
    // The site first: if it cannot sum ids, the cache's buckets are aggregated without.
    const bucket_map site = co_await s.site.bucket_fingerprints(t, stats.size, kind);
    const bucket_map cache = co_await s.cache.bucket_fingerprints(t, stats.size, kind);
    for (const auto& [start, fp] : site) stats.site_records += fp.count;
    stats.site_buckets = site.size();
    stats.cache_buckets = cache.size();
    const auto differ = differing_buckets(site, cache);
    stats.differing = differ.size();
    out.buckets = stats;
    const auto ranges = merge_ranges(differ, stats.size);
    for (const auto& r : ranges) co_await compare_range(s, t, fields, r, out);
    // Rewritten documents in a differing range were compared with it; the others now.
    std::set<std::int64_t> rest(scan.without_id.begin(), scan.without_id.end());
    for (const auto id : scan.rewritten) {
        if (!in_ranges(ranges, id)) rest.insert(id);
    }
    for (const auto& f : out.findings) rest.erase(f.id);  // found by a range already (each once)
    const std::vector<std::int64_t> others(rest.begin(), rest.end());
    co_await compare_ids(s, t, fields, others, out);
}

}  // namespace sgcache::validate
