#include "validate/buckets.hpp"

#include "config/entity_config.hpp"
#include "validate/values.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sgcache::validate {

namespace json = boost::json;

namespace {

// Floor division: bucket starts of negative ids stay below them.
std::int64_t bucket_of(std::int64_t id, std::int64_t size) noexcept {
    std::int64_t q = id / size;
    if (id % size != 0 && id < 0) --q;
    return q * size;
}

std::optional<std::int64_t> group_start(const json::value& v) {
    if (v.is_int64() || v.is_uint64()) return v.to_number<std::int64_t>();
    if (v.is_double()) return static_cast<std::int64_t>(std::floor(v.get_double()));
    if (v.is_string()) {
        const auto s = v.get_string();
        std::size_t i = 0;
        bool neg = false;
        while (i < s.size() && s[i] == ' ') ++i;
        if (i < s.size() && s[i] == '-') {
            neg = true;
            ++i;
        }
        const std::size_t start = i;
        std::int64_t n = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') n = n * 10 + (s[i++] - '0');
        if (i == start) return std::nullopt;
        return neg ? -n : n;
    }
    return std::nullopt;
}

}  // namespace

std::string grouping_type(std::int64_t size) {
    switch (size) {
        case 10: return "tens";
        case 100: return "hundreds";
        case 1000: return "thousands";
        case 10000: return "tensofthousands";
        case 100000: return "hundredsofthousands";
        case 1000000: return "millions";
        default: break;
    }
    throw std::invalid_argument("bucket size " + std::to_string(size) +
                                " is not one of 10, 100, 1000, 10000, 100000, 1000000");
}

std::int64_t choose_bucket_size(std::int64_t max_id) noexcept {
    std::int64_t size = 100;
    while (size < 1'000'000 && max_id / size > 20'000) size *= 10;
    return size;
}

json::array site_summaries(fingerprint_kind kind) {
    json::array s;
    if (kind.id_sum) {
        s.push_back(json::object{{"field", "id"}, {"type", "sum"}});
        s.push_back(json::object{{"field", "created_at"}, {"type", "record_count"}});
    } else {
        s.push_back(json::object{{"field", "id"}, {"type", "record_count"}});
    }
    if (kind.updated) s.push_back(json::object{{"field", "updated_at"}, {"type", "latest"}});
    return s;
}

json::array site_grouping(std::int64_t size) {
    json::array g;
    g.push_back(json::object{{"field", "id"}, {"type", grouping_type(size)}, {"direction", "asc"}});
    return g;
}

bucket_map parse_site_buckets(const json::object& reply, std::int64_t size, fingerprint_kind kind) {
    const json::value* groups = reply.if_contains("groups");
    if (!groups || !groups->is_array()) throw std::invalid_argument("the summarize reply has no groups list");
    bucket_map out;
    for (const auto& g : groups->get_array()) {
        const json::object* o = g.if_object();
        if (!o) continue;
        const json::value* value = o->if_contains("group_value");
        const json::value* sums = o->if_contains("summaries");
        if (!value || !sums || !sums->is_object()) continue;
        const auto start = group_start(*value);
        if (!start) continue;
        fingerprint& fp = out[bucket_of(*start, size)];
        const json::object& so = sums->get_object();
        if (const json::value* n = so.if_contains(kind.id_sum ? "created_at" : "id"); n && n->is_number()) {
            fp.count += n->to_number<std::uint64_t>();
        }
        if (kind.id_sum) {
            const json::value* sum = so.if_contains("id");
            const std::int64_t v = sum && sum->is_number() ? static_cast<std::int64_t>(std::llround(sum->to_number<double>())) : 0;
            fp.id_sum = fp.id_sum.value_or(0) + v;
        }
        if (!kind.updated) continue;
        if (const json::value* u = sums->get_object().if_contains("updated_at"); u && u->is_string()) {
            if (auto us = parse_time_us(u->get_string())) {
                const std::int64_t s = *us / 1'000'000;
                fp.latest_s = fp.latest_s ? std::max(*fp.latest_s, s) : s;
            }
        }
    }
    return out;
}

json::object cache_aggregation(std::int64_t size, const json::object* after_key, fingerprint_kind kind) {
    json::object histogram{{"field", "id"}, {"interval", size}};
    json::array sources;
    sources.push_back(json::object{{"bucket", json::object{{"histogram", std::move(histogram)}}}});
    json::object composite{{"size", 10000}, {"sources", std::move(sources)}};
    if (after_key && !after_key->empty()) composite["after"] = *after_key;
    json::object agg{{"composite", std::move(composite)}};
    json::object subs;
    if (kind.id_sum) subs["id_sum"] = json::object{{"sum", json::object{{"field", "id"}}}};
    if (kind.updated) {
        const std::string field = std::string(config::meta_field) + ".updated_at";
        subs["latest"] = json::object{{"max", json::object{{"field", field}}}};
    }
    if (!subs.empty()) agg["aggs"] = std::move(subs);
    json::object body{{"size", 0}, {"track_total_hits", false}};
    body["aggs"] = json::object{{"b", std::move(agg)}};
    return body;
}

json::object add_cache_buckets(const json::object& reply, std::int64_t size, fingerprint_kind kind, bucket_map& out) {
    const json::value* aggs = reply.if_contains("aggregations");
    const json::value* b = aggs && aggs->is_object() ? aggs->get_object().if_contains("b") : nullptr;
    const json::value* buckets = b && b->is_object() ? b->get_object().if_contains("buckets") : nullptr;
    if (!buckets || !buckets->is_array()) throw std::invalid_argument("the aggregation reply has no buckets list");
    for (const auto& x : buckets->get_array()) {
        const json::object* o = x.if_object();
        if (!o) continue;
        const json::value* key = o->if_contains("key");
        const json::value* start = key && key->is_object() ? key->get_object().if_contains("bucket") : nullptr;
        const json::value* n = o->if_contains("doc_count");
        if (!start || !start->is_number() || !n || !n->is_number()) continue;
        const auto first = static_cast<std::int64_t>(std::floor(start->to_number<double>()));
        fingerprint& fp = out[bucket_of(first, size)];
        fp.count += n->to_number<std::uint64_t>();
        if (kind.id_sum) {
            const json::value* sum = o->if_contains("id_sum");
            const json::value* v = sum && sum->is_object() ? sum->get_object().if_contains("value") : nullptr;
            const std::int64_t add = v && v->is_number() ? static_cast<std::int64_t>(std::llround(v->to_number<double>())) : 0;
            fp.id_sum = fp.id_sum.value_or(0) + add;
        }
        if (!kind.updated) continue;
        const json::value* latest = o->if_contains("latest");
        const json::value* v = latest && latest->is_object() ? latest->get_object().if_contains("value") : nullptr;
        if (v && v->is_number()) {
            // Milliseconds; updated_at has whole seconds on the site.
            const auto ms = static_cast<std::int64_t>(std::floor(v->to_number<double>()));
            const std::int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
            fp.latest_s = fp.latest_s ? std::max(*fp.latest_s, s) : s;
        }
    }
    const json::value* after = b->get_object().if_contains("after_key");
    // The last page may still carry an after_key: the caller stops on an empty page too.
    if (buckets->get_array().empty() || !after || !after->is_object()) return {};
    return after->get_object();
}

std::vector<std::int64_t> differing_buckets(const bucket_map& site, const bucket_map& cache) {
    std::vector<std::int64_t> out;
    auto a = site.begin();
    auto b = cache.begin();
    while (a != site.end() || b != cache.end()) {
        if (b == cache.end() || (a != site.end() && a->first < b->first)) {
            out.push_back(a->first);
            ++a;
        } else if (a == site.end() || b->first < a->first) {
            out.push_back(b->first);
            ++b;
        } else {
            if (!(a->second == b->second)) out.push_back(a->first);
            ++a;
            ++b;
        }
    }
    return out;
}

std::vector<id_range> merge_ranges(std::vector<std::int64_t> starts, std::int64_t size) {
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    std::vector<id_range> out;
    for (const std::int64_t s : starts) {
        if (!out.empty() && out.back().up_to == s - 1) {
            out.back().up_to = s + size - 1;
        } else {
            out.push_back({s - 1, s + size - 1});
        }
    }
    return out;
}

bool in_ranges(const std::vector<id_range>& ranges, std::int64_t id) noexcept {
    auto it = std::lower_bound(ranges.begin(), ranges.end(), id,
                               [](const id_range& r, std::int64_t v) { return r.up_to < v; });
    return it != ranges.end() && id > it->after && id <= it->up_to;
}

}  // namespace sgcache::validate
