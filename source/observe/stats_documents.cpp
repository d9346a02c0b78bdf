#include "observe/stats_documents.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <cstdio>

namespace sgcache::observe {

namespace json = boost::json;
using namespace std::chrono;

namespace {

json::object base(std::string_view kind, const doc_context& ctx, clock::time_point t) {
    json::object o;
    o["@timestamp"] = iso_timestamp(t);
    o["kind"] = kind;
    o["host"] = ctx.host;
    o["pid"] = ctx.pid;
    o["site"] = ctx.site;
    o["version"] = ctx.version;
    return o;
}

json::object typed(std::string_view type) {
    json::object o;
    o["type"] = type;
    return o;
}

// Mappings of a kind's object: names and ES types.
json::object properties(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    json::object props;
    for (const auto& [name, type] : fields) props[name] = typed(type);
    json::object o;
    o["properties"] = std::move(props);
    return o;
}

}  // namespace

std::string iso_timestamp(clock::time_point t) {
    const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    const sys_days midnight = floor<days>(sys_time<milliseconds>(milliseconds(ms)));
    const year_month_day ymd(midnight);
    const auto in_day = ms - duration_cast<milliseconds>(midnight.time_since_epoch()).count();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long long>(in_day / 3'600'000), static_cast<long long>(in_day / 60'000 % 60),
                  static_cast<long long>(in_day / 1000 % 60), static_cast<long long>(in_day % 1000));
    return buf;
}

std::string stats_alias(std::string_view prefix) { return std::string(prefix) + "stats"; }

std::string daily_index(std::string_view prefix, clock::time_point t) {
    const year_month_day ymd(floor<days>(t));
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d.%02u.%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return stats_alias(prefix) + "-" + buf;
}

std::optional<sys_days> day_of_index(std::string_view prefix, std::string_view index) {
    const std::string head = stats_alias(prefix) + "-";
    if (!index.starts_with(head)) return std::nullopt;
    const std::string_view date = index.substr(head.size());
    // Exactly YYYY.MM.DD: anything longer ("...-restored", "...-000001") is not ours.
    if (date.size() != 10 || date[4] != '.' || date[7] != '.') return std::nullopt;
    int y = 0;
    unsigned m = 0, d = 0;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
        if (date[i] < '0' || date[i] > '9') return std::nullopt;
    }
    y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
    m = static_cast<unsigned>((date[5] - '0') * 10 + (date[6] - '0'));
    d = static_cast<unsigned>((date[8] - '0') * 10 + (date[9] - '0'));
    const year_month_day ymd{year(y), month(m), day(d)};
    if (!ymd.ok()) return std::nullopt;
    return sys_days(ymd);
}

std::vector<std::string> expired_indices(std::string_view prefix, const std::vector<std::string>& indices,
                                         sys_days today, int retention_days) {
    std::vector<std::string> out;
    for (const auto& index : indices) {
        const auto d = day_of_index(prefix, index);
        if (d && (today - *d).count() > retention_days) out.push_back(index);
    }
    std::sort(out.begin(), out.end());
    return out;
}

json::object index_template(std::string_view prefix) {
    json::object mappings;
    // Not "strict": a document with a field we forgot to map must still be stored.
    mappings["dynamic"] = false;
    json::object props;
    json::object ts = typed("date");
    ts["format"] = "strict_date_optional_time||epoch_millis";
    props["@timestamp"] = std::move(ts);
    props["kind"] = typed("keyword");
    props["host"] = typed("keyword");
    props["pid"] = typed("integer");
    props["site"] = typed("keyword");
    props["version"] = typed("keyword");
    props["download"] = properties({{"type", "keyword"},
                                    {"generation", "integer"},
                                    {"entities", "long"},
                                    {"duration_s", "double"},
                                    {"entities_per_s", "double"},
                                    {"shotgun_requests", "long"},
                                    {"shotgun_retries", "long"},
                                    {"bulk_requests", "long"},
                                    {"rejected", "long"}});
    props["event_batch"] = properties({{"events", "long"},
                                       {"entities", "long"},
                                       {"first_event_id", "long"},
                                       {"last_event_id", "long"},
                                       {"delays", "long"},
                                       {"delay_min_s", "double"},
                                       {"delay_mean_s", "double"},
                                       {"delay_max_s", "double"}});
    props["heartbeat"] = properties({{"uptime_s", "double"},
                                     {"lag_s", "double"},
                                     {"open_gaps", "long"},
                                     {"events_applied", "long"},
                                     {"last_event_id", "long"},
                                     {"events_per_s", "double"},
                                     {"following", "boolean"},
                                     {"ready", "boolean"},
                                     {"types", "integer"},
                                     {"types_active", "integer"},
                                     {"types_building", "integer"},
                                     {"resident_memory_bytes", "long"},
                                     {"stats_dropped", "long"},
                                     {"stats_failed", "long"}});
    json::object validation = properties({{"ok", "boolean"},
                                          {"command", "keyword"},
                                          {"mode", "keyword"},
                                          {"findings", "long"},
                                          {"duration_s", "double"},
                                          {"types_checked", "integer"},
                                          {"types_failed", "integer"},
                                          {"failed_types", "keyword"}});
    json::object kept;
    kept["type"] = "object";
    kept["enabled"] = false;  // the validator's whole answer: in _source, not indexed
    validation["properties"].as_object()["result"] = std::move(kept);
    props["validation"] = std::move(validation);
    mappings["properties"] = std::move(props);

    json::object settings;
    settings["number_of_shards"] = 1;
    // One replica where there is a second node; a single-node cluster stays green.
    settings["auto_expand_replicas"] = "0-1";
    settings["refresh_interval"] = "5s";

    json::object aliases;
    aliases[stats_alias(prefix)] = json::object{};

    json::object tmpl;
    tmpl["settings"] = std::move(settings);
    tmpl["mappings"] = std::move(mappings);
    tmpl["aliases"] = std::move(aliases);

    json::object body;
    body["index_patterns"] = json::array{json::string(stats_alias(prefix) + "-*")};
    // Above the priority of catch-all templates a cluster may have (logs-*, * with 0-100).
    body["priority"] = 200;
    body["version"] = 1;
    body["template"] = std::move(tmpl);
    return body;
}

json::object download_document(const sync::download_report& r, const doc_context& ctx, clock::time_point t) {
    json::object o = base("download", ctx, t);
    json::object d;
    d["type"] = r.type;
    d["generation"] = r.generation;
    d["entities"] = r.entities;
    d["duration_s"] = r.seconds;
    d["entities_per_s"] = r.seconds > 0 ? static_cast<double>(r.entities) / r.seconds : 0.0;
    d["shotgun_requests"] = r.shotgun_requests;
    d["shotgun_retries"] = r.shotgun_retries;
    d["bulk_requests"] = r.bulk_requests;
    d["rejected"] = r.rejected;
    o["download"] = std::move(d);
    return o;
}

json::object event_batch_document(const sync::event_batch_report& r, const doc_context& ctx, clock::time_point t) {
    json::object o = base("event_batch", ctx, t);
    json::object b;
    b["events"] = r.events;
    b["entities"] = r.entities;
    b["first_event_id"] = r.first_event_id;
    b["last_event_id"] = r.last_event_id;
    b["delays"] = r.delays.size();
    if (!r.delays.empty()) {
        const double first = std::max(r.delays.front(), 0.0);
        double lo = first, hi = first, sum = 0;
        for (double d : r.delays) {
            d = std::max(d, 0.0);
            lo = std::min(lo, d);
            hi = std::max(hi, d);
            sum += d;
        }
        b["delay_min_s"] = lo;
        // Rounding can put the mean of equal delays a hair outside [min, max].
        b["delay_mean_s"] = std::clamp(sum / static_cast<double>(r.delays.size()), lo, hi);
        b["delay_max_s"] = hi;
    }
    o["event_batch"] = std::move(b);
    return o;
}

json::object heartbeat_document(const heartbeat& h, const doc_context& ctx, clock::time_point t) {
    json::object o = base("heartbeat", ctx, t);
    json::object b;
    b["uptime_s"] = h.uptime_s;
    b["lag_s"] = h.lag_s;
    b["open_gaps"] = h.open_gaps;
    b["events_applied"] = h.events_applied;
    b["last_event_id"] = h.last_event_id;
    b["events_per_s"] = h.events_per_s;
    b["following"] = h.following;
    b["ready"] = h.ready;
    b["types"] = h.types;
    b["types_active"] = h.types_active;
    b["types_building"] = h.types_building;
    b["resident_memory_bytes"] = h.resident_memory_bytes;
    b["stats_dropped"] = h.stats_dropped;
    b["stats_failed"] = h.stats_failed;
    o["heartbeat"] = std::move(b);
    return o;
}

json::object validation_document(const json::object& result, const doc_context& ctx, clock::time_point t) {
    json::object o = base("validation", ctx, t);
    json::object v;
    if (auto ok = result.if_contains("ok"); ok && ok->is_bool()) v["ok"] = ok->get_bool();
    if (auto c = result.if_contains("command"); c && c->is_string()) v["command"] = c->get_string();
    if (auto m = result.if_contains("mode"); m && m->is_string()) v["mode"] = m->get_string();
    if (auto f = result.if_contains("findings"); f && (f->is_int64() || f->is_uint64())) v["findings"] = *f;
    for (const char* key : {"duration_s", "seconds"}) {
        if (auto s = result.if_contains(key); s && s->is_number() && !v.contains("duration_s")) {
            v["duration_s"] = s->to_number<double>();
        }
    }
    // Per type: either [{"type": "Shot", "ok": true, ...}] or {"Shot": {"ok": true, ...}}.
    // Without "ok", a "status" other than ok, pending or uncertain (counts still settling)
    // is a failure ("MISMATCH", "error").
    std::size_t checked = 0;
    json::array failed;
    auto one = [&](std::string_view type, const json::value& entry) {
        ++checked;
        const json::object* e = entry.if_object();
        const json::value* ok = e ? e->if_contains("ok") : nullptr;
        const json::value* status = e ? e->if_contains("status") : nullptr;
        bool bad = false;
        if (ok && ok->is_bool()) {
            bad = !ok->get_bool();
        } else if (status && status->is_string()) {
            const std::string_view st = status->get_string();
            bad = st != "ok" && st != "pending" && st != "uncertain";
        }
        if (bad) failed.emplace_back(type);
    };
    if (auto types = result.if_contains("types")) {
        if (types->is_array()) {
            for (const auto& entry : types->get_array()) {
                const json::object* e = entry.if_object();
                const json::value* name = e ? e->if_contains("type") : nullptr;
                if (name && name->is_string()) one(name->get_string(), entry);
            }
        } else if (types->is_object()) {
            for (const auto& [name, entry] : types->get_object()) one(name, entry);
        }
    }
    if (checked) {
        v["types_checked"] = checked;
        v["types_failed"] = failed.size();
        v["failed_types"] = std::move(failed);
    }
    v["result"] = result;
    o["validation"] = std::move(v);
    return o;
}

}  // namespace sgcache::observe
