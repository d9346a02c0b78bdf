// validator: the public face of `sgcache validate`. It holds the configured types and the
// readers, and only orchestrates; the reads and comparisons are in cache_state,
// site_reader, cache_reader, id_comparison, sample_comparison, whole_comparison and settle.
#include "validate/validator.hpp"

#include "validate/buckets.hpp"
#include "validate/cache_reader.hpp"
#include "validate/cache_state.hpp"
#include "validate/context.hpp"
#include "validate/events.hpp"
#include "validate/id_comparison.hpp"
#include "validate/sample_comparison.hpp"
#include "validate/settle.hpp"
#include "validate/site_reader.hpp"
#include "validate/whole_comparison.hpp"

#include <algorithm>
#include <stdexcept>

namespace sgcache::validate {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Shotgun ids are 32-bit database integers: the upper end of a whole-type range.
constexpr std::int64_t max_site_id = 2'147'483'646;

}  // namespace

struct validator::impl {
    shotgun::client& sg;
    elastic::client& es;
    std::string prefix;
    // Never resized after construction: every type_ctx points into it.
    std::vector<config::entity_config> configs;
    type_map types;
    cache_state state;
    site_reader site;
    cache_reader cache;

    impl(shotgun::client& s, elastic::client& e, std::string p, std::size_t ps,
         std::vector<config::entity_config> c)
        : sg(s), es(e), prefix(std::move(p)), configs(std::move(c)), state(es, prefix),
          site(sg, std::clamp<std::size_t>(ps, 1, 500)), cache(es) {
        for (const auto& cfg : configs) types.emplace(cfg.type, make_type_ctx(prefix, cfg));
    }

    sides readers() noexcept { return sides{site, cache}; }

    run_info start_run() const {
        run_info r;
        r.started_ms = now_ms();
        r.shotgun_requests = sg.stats().requests;
        r.elastic_requests = es.stats().requests;
        r.prefix = prefix;
        r.site = sg.origin();
        return r;
    }

    void finish_run(run_info& r) const {
        r.seconds = static_cast<double>(now_ms() - r.started_ms) / 1000.0;
        r.shotgun_requests = sg.stats().requests - r.shotgun_requests;
        r.elastic_requests = es.stats().requests - r.elastic_requests;
    }
};

validator::validator(shotgun::client& sg, elastic::client& es, std::string prefix, std::size_t page_size,
                     std::vector<config::entity_config> configs) {
    if (configs.empty()) throw std::invalid_argument("no entity types are configured");
    impl_ = std::make_unique<impl>(sg, es, std::move(prefix), page_size, std::move(configs));
}

validator::~validator() = default;

std::vector<std::string> validator::check_types(const std::vector<std::string>& names) const {
    std::vector<std::string> out;
    if (names.empty()) {
        for (const auto& [name, t] : impl_->types) out.push_back(name);
        return out;
    }
    for (const auto& n : names) {
        if (!impl_->types.count(n)) {
            std::string list;
            for (const auto& [name, t] : impl_->types) list += (list.empty() ? "" : ", ") + name;
            throw std::invalid_argument("'" + n + "' is not a configured entity type (configured: " + list +
                                        ")");
        }
        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
    return out;
}

void validator::check(const data_options& o) const {
    const auto names = check_types(o.types);
    for (const auto& name : names) {
        const type_ctx& t = impl_->types.at(name);
        for (const auto& f : o.fields) {
            bool cached = false;
            for (const auto& c : t.fields) cached = cached || c.name == f;
            if (!cached) {
                throw std::invalid_argument("--fields: '" + f + "' is not a cached field of " + name);
            }
        }
    }
    if (o.bucket_size) (void)grouping_type(o.bucket_size);
    if (o.limit == 0 || o.page == 0) throw std::invalid_argument("--limit and --page start at 1");
}

asio::awaitable<counts_result> validator::counts(std::vector<std::string> names) {
    impl& m = *impl_;
    counts_result out;
    out.run = m.start_run();
    const auto list = check_types(names);
    // The checkpoint first: every event the cache may not have applied when it is counted
    // is after it. The cache is counted before the site, so that an entity created in
    // between is on the site only (a pending creation), never in the cache only.
    const sync::cursor_checkpoint from = co_await m.state.checkpoint();
    for (const auto& name : list) {
        count_row row;
        row.type = name;
        const type_ctx& t = m.types.at(name);
        try {
            row.cache = co_await m.cache.live_count(t);
        } catch (const elastic::error& e) {
            if (e.status() != 404) throw;
            row.error = "not in the cache (no alias " + t.names.live_alias + ")";
        }
        out.rows.push_back(std::move(row));
    }
    for (auto& row : out.rows) {
        if (!row.error.empty()) continue;
        row.site = co_await m.site.record_count(m.types.at(row.type));
    }
    std::vector<std::pair<std::string, filter_dependencies>> deps;
    for (const auto& row : out.rows) {
        deps.emplace_back(row.type, filter_dependencies_of(m.types.at(row.type).cfg->filters));
    }
    json::object extra = count_events_filter(deps);
    const auto batch = co_await m.site.events_since(from, std::move(extra));
    out.events_read = batch.rows.size();
    out.run.server_running = co_await m.state.server_alive();
    for (std::size_t i = 0; i < out.rows.size(); ++i) {
        auto& row = out.rows[i];
        for (const auto& e : batch.rows) add_pending(row.type, deps[i].second, e, row.pending);
        if (batch.overflow) row.pending.uncertain = true;
        row.status =
            row.error.empty() ? judge_count(row.site, row.cache, row.pending) : count_status::mismatch;
    }
    m.finish_run(out.run);
    co_return out;
}

asio::awaitable<data_result> validator::data(data_options o) {
    impl& m = *impl_;
    check(o);
    data_result out;
    out.run = m.start_run();
    out.mode = o.scope == data_scope::all ? "all" : o.scope == data_scope::full ? "full" : "sample";
    const auto names = check_types(o.types);
    const sync::cursor_checkpoint from = co_await m.state.checkpoint();
    for (const auto& name : names) {
        type_report rep;
        rep.type = name;
        const type_ctx& t = m.types.at(name);
        const field_choice fields = choose_fields(t, o.fields);
        try {
            if (o.scope == data_scope::sample) {
                co_await compare_sample(m.readers(), t, o, fields, rep);
            } else if (o.scope == data_scope::all) {
                co_await compare_whole(m.readers(), t, o, fields, rep);
            } else {
                const id_range everything{0, max_site_id};
                co_await compare_range(m.readers(), t, fields, everything, rep);
            }
        } catch (const shotgun::auth_error&) {
            throw;  // the credentials: no type can be validated
        } catch (const shotgun::fault& e) {
            // A fault is the site refusing this type's request (a bad --filters path, say).
            rep.error = "the site refused: " + e.server_message();
        } catch (const elastic::error& e) {
            if (e.status() != 404) throw;
            rep.error = "not in the cache (no alias " + t.names.all_alias + ")";
        }
        if (!rep.error.empty()) rep.findings.clear();
        out.types.push_back(std::move(rep));
    }
    co_await settle(m.readers(), m.state, m.types, from, o, out.types);
    out.run.server_running = co_await m.state.server_alive();
    m.finish_run(out.run);
    co_return out;
}

asio::awaitable<std::vector<std::pair<std::string, std::vector<finding>>>> validator::recheck(
    id_sets ids, std::vector<std::string> only) {
    impl& m = *impl_;
    std::vector<std::pair<std::string, std::vector<finding>>> out;
    for (const auto& [name, set] : ids) {
        const auto it = m.types.find(name);
        if (it == m.types.end() || set.empty()) continue;
        const field_choice fields = choose_fields(it->second, only);
        type_report rep;
        std::vector<std::int64_t> list(set.begin(), set.end());
        co_await compare_ids(m.readers(), it->second, fields, list, rep);
        if (!rep.findings.empty()) out.emplace_back(name, std::move(rep.findings));
    }
    co_return out;
}

}  // namespace sgcache::validate
