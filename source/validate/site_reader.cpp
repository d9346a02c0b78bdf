#include "validate/site_reader.hpp"

#include "shotgun/filters.hpp"
#include "validate/options.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace sgcache::validate {

namespace asio = boost::asio;
namespace json = boost::json;

site_reader::site_reader(shotgun::client& sg, std::size_t page_size) : sg_(sg), page_size_(page_size) {}

asio::awaitable<event_batch> site_reader::events_since(const sync::cursor_checkpoint& from,
                                                      json::object extra) {
    event_batch out;
    out.last_id = from.high;
    const std::vector<std::string> fields{"id", "event_type", "attribute_name", "entity", "meta"};
    std::int64_t after = from.high;
    for (;;) {
        json::array above;
        above.push_back(shotgun::condition("id", "greater_than", json::array{after}));
        shotgun::read_request req;
        req.type = "EventLogEntry";
        req.fields = fields;
        req.filters = shotgun::both(shotgun::all_of(std::move(above)), extra);
        req.sorts.push_back({"id", false});
        req.page_size = page_size_;
        auto page = co_await sg_.read(std::move(req));
        for (auto& e : page.entities) {
            const auto id = id_of(e);
            if (!id || !e.is_object()) continue;
            after = std::max(after, *id);
            out.rows.push_back(std::move(e.get_object()));
        }
        if (page.entities.size() < page_size_) break;
        if (out.rows.size() >= max_events) {
            out.overflow = true;
            break;
        }
    }
    out.last_id = std::max(out.last_id, after);
    for (std::size_t b = 0; b < from.gaps.size(); b += page_size_) {
        json::array ids;
        for (std::size_t i = b; i < std::min(from.gaps.size(), b + page_size_); ++i) {
            ids.push_back(from.gaps[i].id);
        }
        json::array in;
        in.push_back(shotgun::condition("id", "in", std::move(ids)));
        shotgun::read_request req;
        req.type = "EventLogEntry";
        req.fields = fields;
        req.filters = shotgun::both(shotgun::all_of(std::move(in)), extra);
        req.page_size = page_size_;
        auto page = co_await sg_.read(std::move(req));
        for (auto& e : page.entities) {
            if (e.is_object()) out.rows.push_back(std::move(e.get_object()));
        }
    }
    co_return out;
}

asio::awaitable<entity_map> site_reader::by_ids(const type_ctx& t, std::vector<std::string> fields,
                                                std::vector<std::int64_t> ids) {
    entity_map out;
    for (std::size_t b = 0; b < ids.size(); b += page_size_) {
        json::array list;
        for (std::size_t i = b; i < std::min(ids.size(), b + page_size_); ++i) list.push_back(ids[i]);
        const std::size_t asked = list.size();
        json::array in;
        in.push_back(shotgun::condition("id", "in", std::move(list)));
        shotgun::read_request req;
        req.type = t.cfg->type;
        req.fields = fields;
        req.filters = shotgun::both(t.filters, shotgun::all_of(std::move(in)));
        req.page_size = asked;
        auto page = co_await sg_.read(std::move(req));
        for (auto& e : page.entities) {
            if (auto id = id_of(e)) out[*id] = std::move(e.get_object());
        }
    }
    co_return out;
}

asio::awaitable<site_chunk> site_reader::range_chunk(const type_ctx& t,
                                                     const std::vector<std::string>& fields,
                                                     std::int64_t after, std::int64_t up_to) {
    auto page = co_await sg_.read_after(t.cfg->type, fields, t.filters, after, up_to, page_size_, false);
    site_chunk out;
    out.full = page.entities.size() >= page_size_;
    out.last = after;
    for (auto& e : page.entities) {
        if (auto id = id_of(e)) {
            out.last = std::max(out.last, *id);
            out.entities[*id] = std::move(e.get_object());
        }
    }
    co_return out;
}

asio::awaitable<entity_map> site_reader::window(const type_ctx& t, const std::vector<std::string>& fields,
                                                const json::object& filters,
                                                const std::vector<shotgun::sort>& sorts, std::size_t first,
                                                std::size_t count) {
    const page_span span = pages_for(first, count, page_size_);
    std::vector<json::value> got;
    for (std::size_t p = span.first_page; p <= span.last_page; ++p) {
        shotgun::read_request req;
        req.type = t.cfg->type;
        req.fields = fields;
        req.filters = filters;
        req.sorts = sorts;
        req.page_size = page_size_;
        req.page = p;
        auto page = co_await sg_.read(std::move(req));
        const std::size_t n = page.entities.size();
        for (auto& e : page.entities) got.push_back(std::move(e));
        if (n < page_size_) break;
    }
    entity_map out;
    for (std::size_t i = span.skip; i < got.size() && i < span.skip + count; ++i) {
        if (auto id = id_of(got[i])) out[*id] = std::move(got[i].get_object());
    }
    co_return out;
}

asio::awaitable<std::uint64_t> site_reader::record_count(const type_ctx& t) {
    json::array summaries;
    summaries.push_back(json::object{{"field", "id"}, {"type", "record_count"}});
    json::object filters = t.filters;
    json::array no_grouping;
    auto reply =
        co_await sg_.summarize(t.cfg->type, std::move(summaries), std::move(filters), std::move(no_grouping));
    const json::value* s = reply.if_contains("summaries");
    const json::value* n = s && s->is_object() ? s->get_object().if_contains("id") : nullptr;
    if (!n || !n->is_number()) {
        throw std::runtime_error("the summarize reply for " + t.cfg->type + " has no record count");
    }
    co_return n->to_number<std::uint64_t>();
}

asio::awaitable<bucket_map> site_reader::bucket_fingerprints(const type_ctx& t, std::int64_t size,
                                                             fingerprint_kind& kind) {
    json::object reply;
    bool refused = false;
    try {
        json::array summaries = site_summaries(kind);
        json::array grouping = site_grouping(size);
        json::object filters = t.filters;
        reply = co_await sg_.summarize(t.cfg->type, std::move(summaries), std::move(filters),
                                       std::move(grouping));
    } catch (const shotgun::auth_error&) {
        throw;
    } catch (const shotgun::fault&) {
        refused = true;  // a site that cannot sum ids: fingerprints without the sum
    }
    // Asked again outside the handler: a coroutine cannot co_await inside a catch block.
    if (refused) {
        kind.id_sum = false;
        json::array summaries = site_summaries(kind);
        json::array grouping = site_grouping(size);
        json::object filters = t.filters;
        reply = co_await sg_.summarize(t.cfg->type, std::move(summaries), std::move(filters),
                                       std::move(grouping));
    }
    co_return parse_site_buckets(reply, size, kind);
}

}  // namespace sgcache::validate
