#include "control/commands.hpp"

#include "sgcache_version.hpp"

#include <boost/json/array.hpp>

#include <chrono>
#include <stdexcept>

namespace sgcache::control {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Unknown names are refused with the list of cached types, before anything changes.
std::vector<std::string> checked_types(const request& r, const sync::engine& engine) {
    const auto cached = engine.types();
    if (r.all_types) return cached;
    for (const auto& t : r.entity_types) {
        bool known = false;
        for (const auto& c : cached) known = known || c == t;
        if (!known) {
            std::string list;
            for (const auto& c : cached) list += (list.empty() ? "" : ", ") + c;
            throw std::invalid_argument("'" + t + "' is not a cached entity type (cached: " + list + ")");
        }
    }
    return r.entity_types;
}

}  // namespace

json::object status_json(const sync::engine_status& st, std::int64_t now) {
    json::object o;
    o["version"] = SGCACHE_VERSION;
    o["uptime_s"] = (now - st.started_ms) / 1000;
    o["ready"] = st.ready;
    json::object f;
    f["following"] = st.following;
    f["last_event_id"] = st.last_event_id;
    f["lag_s"] = st.lag_seconds;
    f["events_per_s"] = st.events_per_second;
    f["open_gaps"] = st.open_gaps;
    f["events_applied"] = st.events_applied;
    f["gaps_expired"] = st.gaps_expired;
    f["safety_scans"] = st.safety_scans;
    o["follower"] = std::move(f);
    json::array types;
    for (const auto& t : st.types) {
        json::object j;
        j["type"] = t.type;
        j["state"] = t.phase;
        j["active_generation"] = t.active_generation;
        j["building_generation"] = t.building_generation;
        j["live_documents"] = t.live_documents;
        if (t.phase == "building") {
            json::object b;
            b["loaded"] = t.build_loaded;
            b["total"] = t.build_total;
            b["percent"] = t.build_total ? 100.0 * static_cast<double>(t.build_loaded) / static_cast<double>(t.build_total) : 0.0;
            b["rate_per_s"] = t.build_rate;
            b["step"] = t.build_step;
            j["build"] = std::move(b);
        }
        j["written"] = t.written;
        j["stale"] = t.stale;
        j["rejected"] = t.rejected;
        j["tombstones"] = t.tombstones;
        if (!t.last_rejection.empty()) j["last_rejection"] = t.last_rejection;
        if (!t.failure.empty()) j["failure"] = t.failure;
        if (!t.warnings.empty()) j["warnings"] = strings(t.warnings);
        types.push_back(std::move(j));
    }
    o["types"] = std::move(types);
    return o;
}

asio::awaitable<json::object> execute(const request& r, sync::engine& engine, std::int64_t started_ms,
                                      const reload_hook& reload) {
    json::object out;
    if (r.command == "ping") {
        out["pong"] = true;
        out["version"] = SGCACHE_VERSION;
    } else if (r.command == "status") {
        auto st = co_await engine.status_with_counts();
        st.started_ms = started_ms ? started_ms : st.started_ms;
        out = status_json(st, now_ms());
    } else if (r.command == "rebuild") {
        auto o = engine.rebuild(checked_types(r, engine));
        out["started"] = strings(o.started);
        out["already_rebuilding"] = strings(o.already);
    } else if (r.command == "cancel_rebuild") {
        auto o = engine.cancel_rebuild(checked_types(r, engine));
        out["cancelled"] = strings(o.cancelled);
        out["not_rebuilding"] = strings(o.not_building);
        if (!o.first_download.empty()) {
            out["refused"] = strings(o.first_download);
            out["note"] = "a first download cannot be cancelled: the type would have no data";
        }
    } else if (r.command == "reload") {
        if (!reload) throw std::invalid_argument("this server cannot reload its configuration");
        out = co_await reload();
    } else if (r.command == "reread") {
        const auto n = co_await engine.reread(r.entities, std::chrono::seconds(120));
        out["reread"] = n;
    } else {
        throw std::invalid_argument("unknown command '" + r.command + "'");
    }
    co_return out;
}

}  // namespace sgcache::control
