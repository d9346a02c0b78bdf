#include "sync/state_store.hpp"

#include "common/log.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <csignal>
#include <chrono>

namespace sgcache::sync {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t int_of(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_number() ? v->to_number<std::int64_t>() : 0;
}

std::string str_of(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool process_alive(int pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// A holder id is "host:pid:random" (see the engine); {host, pid}, or {"", 0} when it is not.
std::pair<std::string, int> host_and_pid(const std::string& holder) {
    const auto last = holder.rfind(':');
    if (last == std::string::npos || last == 0) return {"", 0};
    const auto mid = holder.rfind(':', last - 1);
    if (mid == std::string::npos) return {"", 0};
    try {
        std::size_t used = 0;
        const int pid = std::stoi(holder.substr(mid + 1, last - mid - 1), &used);
        if (used != last - mid - 1) return {"", 0};
        return {holder.substr(0, mid), pid};
    } catch (const std::exception&) {
        return {"", 0};
    }
}

}  // namespace

json::object to_json(const type_state& t) {
    json::object o;
    o["kind"] = "type";
    o["type"] = t.type;
    o["active"] = t.active;
    o["active_hash"] = t.active_hash;
    o["building"] = t.building;
    o["building_hash"] = t.building_hash;
    json::array ranges, done;
    for (const auto& [a, b] : t.ranges) ranges.push_back(json::array{a, b});
    for (bool d : t.done) done.push_back(d);
    o["ranges"] = std::move(ranges);
    o["done"] = std::move(done);
    o["loaded"] = t.loaded;
    o["build_started_ms"] = t.build_started_ms;
    o["last_generation"] = t.last_generation;
    json::array dropping;
    for (int g : t.dropping) dropping.push_back(g);
    o["dropping"] = std::move(dropping);
    o["updated_ms"] = now_ms();
    return o;
}

type_state type_state_from_json(const json::object& o) {
    type_state t;
    t.type = str_of(o, "type");
    t.active = static_cast<int>(int_of(o, "active"));
    t.active_hash = str_of(o, "active_hash");
    t.building = static_cast<int>(int_of(o, "building"));
    t.building_hash = str_of(o, "building_hash");
    if (auto r = o.if_contains("ranges"); r && r->is_array()) {
        for (const auto& pair : r->get_array()) {
            if (pair.is_array() && pair.get_array().size() == 2) {
                t.ranges.emplace_back(pair.get_array()[0].to_number<std::int64_t>(), pair.get_array()[1].to_number<std::int64_t>());
            }
        }
    }
    if (auto d = o.if_contains("done"); d && d->is_array()) {
        for (const auto& b : d->get_array()) t.done.push_back(b.is_bool() && b.get_bool());
    }
    t.done.resize(t.ranges.size(), false);
    t.loaded = static_cast<std::uint64_t>(int_of(o, "loaded"));
    t.build_started_ms = int_of(o, "build_started_ms");
    t.last_generation = static_cast<int>(int_of(o, "last_generation"));
    if (auto d = o.if_contains("dropping"); d && d->is_array()) {
        for (const auto& g : d->get_array()) {
            if (g.is_number()) t.dropping.push_back(g.to_number<int>());
        }
    }
    return t;
}

json::object to_json(const follower_state& f) {
    json::object o;
    o["kind"] = "follower";
    o["high"] = f.cursor.high;
    json::array gaps;
    for (const auto& g : f.cursor.gaps) gaps.push_back(json::array{g.id, g.first_seen_ms, g.site_ms});
    o["gaps"] = std::move(gaps);
    o["safety_scan_ms"] = f.safety_scan_ms;
    o["updated_ms"] = now_ms();
    return o;
}

follower_state follower_state_from_json(const json::object& o) {
    follower_state f;
    f.cursor.high = int_of(o, "high");
    if (auto g = o.if_contains("gaps"); g && g->is_array()) {
        for (const auto& pair : g->get_array()) {
            // [id, first seen] before the site's clock was kept; [id, first seen, site ms] now.
            if (pair.is_array() && pair.get_array().size() >= 2) {
                const auto& a = pair.get_array();
                f.cursor.gaps.push_back({a[0].to_number<std::int64_t>(), a[1].to_number<std::int64_t>(),
                                         a.size() >= 3 ? a[2].to_number<std::int64_t>() : 0});
            }
        }
    }
    f.safety_scan_ms = int_of(o, "safety_scan_ms");
    return f;
}

state_store::state_store(asio::any_io_executor ex, elastic::client& es, std::string index, std::string holder,
                         std::string host, int pid)
    : es_(es),
      index_(std::move(index)),
      holder_(std::move(holder)),
      host_(std::move(host)),
      pid_(pid),
      write_lock_(std::move(ex), 1) {}

asio::awaitable<void> state_store::ensure_index(int replicas) {
    if (co_await es_.exists(index_)) co_return;
    // Rarely refreshed: sgcache reads its documents by id (real-time) and searches this index
    // only at start, after refreshing it. The default (1 s, until the shard goes search-idle
    // 30 s later) cost a busy node a refresh a second during the first full download.
    json::object body = json::parse(R"({"settings":{"number_of_shards":1,"refresh_interval":"30s"},
        "mappings":{"dynamic":false,"properties":{"kind":{"type":"keyword"},"type":{"type":"keyword"}}}})")
                            .as_object();
    body["settings"].as_object()["number_of_replicas"] = replicas;
    try {
        // As for entity indices: the replicas started before the lease and cursors go in.
        co_await es_.create_index_started(index_, body, replicas);
    } catch (const elastic::error& e) {
        // Another process created it between our check and our create: fine.
        if (e.type() != "resource_already_exists_exception") throw;
    }
}

asio::awaitable<std::optional<json::object>> state_store::read(const std::string& id) {
    auto doc = co_await es_.get(index_, id);
    if (!doc) {
        seen_.erase(id);
        co_return std::nullopt;
    }
    seen_[id] = {doc->seq_no, doc->primary_term};
    co_return std::move(doc->source);
}

asio::awaitable<void> state_store::write(const std::string& id, json::object body) {
    auto permit = co_await write_lock_.acquire();
    // Every document names the server that wrote it last: a failed condition on a document
    // we wrote ourselves is harmless (an attempt whose reply was lost or cancelled, or a
    // cluster restart that bumped the primary term); one written by another server means
    // that server is running against the same state.
    body["writer"] = holder_;
    for (int attempt = 1;; ++attempt) {
        std::optional<elastic::cas> condition;
        if (auto it = seen_.find(id); it != seen_.end()) condition = it->second;
        // No refresh: reads by id are real-time, and a refresh per write would cost the
        // cluster a refresh for every range of a full download.
        auto out = co_await es_.put(index_, id, body, condition, !condition, false);
        if (out.written) {
            seen_[id] = {out.seq_no, out.primary_term};
            co_return;
        }
        auto now = co_await es_.get(index_, id);
        std::string writer;
        if (now) {
            if (auto w = now->source.if_contains("writer"); w && w->is_string()) writer = w->get_string();
        }
        if (attempt < 4 && (!now || writer == holder_)) {
            if (now) {
                seen_[id] = {now->seq_no, now->primary_term};
            } else {
                seen_.erase(id);
            }
            continue;
        }
        // A server of this host that is gone wrote it: a write it had sent before it died
        // arrived after we read the document (a supervisor restarts a killed server at
        // once). It can write nothing more, and what it wrote is never newer than what a
        // successor must keep (versions it issued are below the floor it had persisted,
        // which we read; its cursor and progress may only be re-done): write ours over it.
        if (attempt < 8 && now && written_by_dead_local_server(writer)) {
            log::info("state", "a write of a stopped sgcache server of this host arrived late; writing over it",
                      {{"document", id}, {"writer", writer}});
            seen_[id] = {now->seq_no, now->primary_term};
            continue;
        }
        throw lease_error("the state document '" + id + "' in " + index_ + " was changed by another sgcache server (" +
                          (writer.empty() ? std::string("unknown") : writer) +
                          ") writing to this index prefix; this one stops");
    }
}

bool state_store::written_by_dead_local_server(const std::string& writer) const {
    const auto [host, pid] = host_and_pid(writer);
    return !host.empty() && host == host_ && pid != pid_ && !process_alive(pid);
}

asio::awaitable<void> state_store::acquire_lease(std::chrono::milliseconds ttl) {
    auto current = co_await read("lease");
    const std::int64_t now = now_ms();
    if (current) {
        const std::string holder = str_of(*current, "holder");
        const std::string host = str_of(*current, "host");
        const int pid = static_cast<int>(int_of(*current, "pid"));
        const std::int64_t expires = int_of(*current, "expires_ms");
        const bool released = holder.empty();
        const bool crashed_here = host == host_ && pid != pid_ && !process_alive(pid);
        if (!released && holder != holder_ && expires > now && !crashed_here) {
            throw lease_error("another sgcache server (host " + host + ", pid " + std::to_string(pid) +
                              ") holds the lease for the state index " + index_ + "; its lease expires in " +
                              std::to_string((expires - now + 999) / 1000) +
                              " s unless renewed. Stop that server first (or use another index_prefix).");
        }
    }
    json::object lease;
    lease["kind"] = "lease";
    lease["holder"] = holder_;
    lease["host"] = host_;
    lease["pid"] = pid_;
    lease["acquired_ms"] = now;
    lease["expires_ms"] = now + ttl.count();
    co_await write("lease", std::move(lease));
}

asio::awaitable<void> state_store::renew_lease(std::chrono::milliseconds ttl) {
    json::object lease;
    lease["kind"] = "lease";
    lease["holder"] = holder_;
    lease["host"] = host_;
    lease["pid"] = pid_;
    lease["expires_ms"] = now_ms() + ttl.count();
    try {
        co_await write("lease", std::move(lease));
    } catch (const lease_error&) {
        throw lease_error("lost the lease on " + index_ + ": another sgcache server took it over; this one stops");
    }
}

asio::awaitable<void> state_store::release_lease() {
    json::object lease;
    lease["kind"] = "lease";
    lease["holder"] = "";
    lease["host"] = host_;
    lease["pid"] = 0;
    lease["expires_ms"] = 0;
    co_await write("lease", std::move(lease));
}

asio::awaitable<std::optional<std::int64_t>> state_store::load_floor() {
    auto doc = co_await read("clock");
    if (!doc) co_return std::nullopt;
    co_return int_of(*doc, "floor");
}

asio::awaitable<void> state_store::save_floor(std::int64_t floor) {
    json::object o;
    o["kind"] = "clock";
    o["floor"] = floor;
    co_await write("clock", std::move(o));
}

asio::awaitable<std::optional<follower_state>> state_store::load_follower() {
    auto doc = co_await read("follower");
    if (!doc) co_return std::nullopt;
    co_return follower_state_from_json(*doc);
}

asio::awaitable<void> state_store::save_follower(const follower_state& f) { co_await write("follower", to_json(f)); }

asio::awaitable<std::map<std::string, type_state>> state_store::load_types() {
    std::map<std::string, type_state> out;
    json::object query = json::parse(R"({"size":10000,"query":{"term":{"kind":"type"}}})").as_object();
    co_await es_.refresh(index_);  // writes are not refreshed (see write()); search sees them now
    auto page = co_await es_.search(index_, query);
    for (auto& hit : page.hits) {
        auto t = type_state_from_json(hit.source);
        if (t.type.empty()) continue;
        // Read each one through get() so that its CAS version is known.
        if (auto doc = co_await read(hit.id)) out[t.type] = type_state_from_json(*doc);
    }
    co_return out;
}

asio::awaitable<void> state_store::save_type(const type_state& t) { co_await write("type-" + t.type, to_json(t)); }

asio::awaitable<void> state_store::delete_type(const std::string& type) {
    co_await es_.request(http::verb::delete_, "/" + index_ + "/_doc/type-" + type);
    seen_.erase("type-" + type);
}

}  // namespace sgcache::sync
