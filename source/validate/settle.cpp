#include "validate/settle.hpp"

#include "validate/events.hpp"

#include <algorithm>
#include <utility>

namespace sgcache::validate {

namespace asio = boost::asio;
namespace json = boost::json;

asio::awaitable<void> settle(sides s, cache_state& state, const type_map& types, sync::cursor_checkpoint from,
                             const data_options& o, std::vector<type_report>& reports) {
    for (int round = 0; round < o.settle_rounds; ++round) {
        bool any = false;
        for (const auto& r : reports) any = any || !r.findings.empty();
        if (!any) co_return;
        json::object no_extra;
        auto batch = co_await s.site.events_since(from, std::move(no_extra));
        touched_entities touched;
        for (const auto& row : batch.rows) touched.add_event(row);
        if (batch.overflow) touched.set_everything();
        id_sets unsettled;
        for (const auto& r : reports) {
            for (const auto& f : r.findings) {
                bool hit = touched.contains(r.type, f.id);
                for (const auto& [type, id] : linked_entities(f)) hit = hit || touched.contains(type, id);
                if (hit) unsettled[r.type].insert(f.id);
            }
        }
        if (unsettled.empty()) co_return;
        co_await state.wait_for_cache(batch.last_id, o.settle_timeout);
        for (auto& r : reports) {
            auto it = unsettled.find(r.type);
            if (it == unsettled.end()) continue;
            const type_ctx& t = types.at(r.type);
            const field_choice fields = choose_fields(t, o.fields);
            std::vector<finding> kept;
            for (auto& f : r.findings) {
                if (!it->second.count(f.id)) kept.push_back(std::move(f));
            }
            type_report again;
            std::vector<std::int64_t> ids(it->second.begin(), it->second.end());
            co_await compare_ids(s, t, fields, ids, again);
            for (auto& f : again.findings) kept.push_back(std::move(f));
            const auto by_id = [](const finding& a, const finding& b) { return a.id < b.id; };
            std::sort(kept.begin(), kept.end(), by_id);
            r.findings = std::move(kept);
            r.reread += ids.size();
        }
        // The next round reads only the events that arrived after this round's.
        from = sync::cursor_checkpoint{batch.last_id, {}};
    }
}

}  // namespace sgcache::validate
