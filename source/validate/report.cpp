#include "validate/report.hpp"

#include "sync/documents.hpp"
#include "validate/values.hpp"

#include <cstdarg>
#include <cstdio>

namespace sgcache::validate {

namespace json = boost::json;

namespace {

std::uint64_t count_kind(const type_report& t, finding_kind k) {
    std::uint64_t n = 0;
    for (const auto& f : t.findings) n += f.kind == k;
    return n;
}

void put_run(json::object& o, const run_info& r) {
    o["kind"] = "validation";
    o["started_at"] = sync::iso_time_us(r.started_ms * 1000);
    o["duration_s"] = r.seconds;
    o["shotgun_requests"] = r.shotgun_requests;
    o["elasticsearch_requests"] = r.elastic_requests;
    o["prefix"] = r.prefix;
    o["site"] = r.site;
    o["server_running"] = r.server_running;
}

std::string server_note(const run_info& r) {
    if (r.server_running) return "";
    return "note: no sgcache serve holds the lease of prefix '" + r.prefix + "': the cache is not following the site\n";
}

json::array findings_json(const std::vector<finding>& list) {
    json::array out;
    for (const auto& f : list) {
        json::object o;
        o["id"] = f.id;
        o["kind"] = to_string(f.kind);
        if (!f.fields.empty()) {
            json::array fields;
            for (const auto& d : f.fields) fields.push_back(json::object{{"field", d.field}, {"site", d.site}, {"cache", d.cache}});
            o["fields"] = std::move(fields);
        }
        out.push_back(std::move(o));
    }
    return out;
}

std::string signed_number(std::int64_t n) {
    if (n == 0) return "0";
    return (n > 0 ? "+" : "-") + thousands(static_cast<std::uint64_t>(n > 0 ? n : -n));
}

std::string line(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string line(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

std::string describe(const std::string& type, const finding& f) {
    std::string s = type + " " + std::to_string(f.id) + " " + std::string(to_string(f.kind)) + ": ";
    switch (f.kind) {
        case finding_kind::missing: s += "active on the site, not in the cache"; break;
        case finding_kind::stray: s += "in the cache, not active on the site (deleted, retired or filtered out)"; break;
        case finding_kind::different: {
            bool first = true;
            for (const auto& d : f.fields) {
                if (!first) s += "; ";
                first = false;
                s += d.field + ": site " + brief(d.site, 120) + ", cache " + brief(d.cache, 120);
            }
            break;
        }
    }
    return s;
}

}  // namespace

std::string thousands(std::uint64_t n) {
    std::string s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

bool counts_result::ok() const noexcept {
    for (const auto& r : rows) {
        if (!r.error.empty() || (r.status != count_status::ok && r.status != count_status::pending)) return false;
    }
    return true;
}

std::uint64_t repair_report::remaining_count() const noexcept {
    std::uint64_t n = 0;
    for (const auto& [type, list] : remaining) n += list.size();
    return n;
}

std::uint64_t data_result::findings() const noexcept {
    std::uint64_t n = 0;
    for (const auto& t : types) n += t.findings.size();
    return n;
}

bool data_result::ok() const noexcept {
    for (const auto& t : types) {
        if (!t.error.empty()) return false;
    }
    if (findings() == 0) return true;
    return repair && repair->error.empty() && repair->remaining_count() == 0;
}

json::object to_json(const counts_result& r) {
    json::object o;
    put_run(o, r.run);
    o["command"] = "counts";
    o["ok"] = r.ok();
    o["events_read"] = r.events_read;
    json::array types;
    for (const auto& row : r.rows) {
        json::object t;
        t["type"] = row.type;
        t["shotgun"] = row.site;
        t["cache"] = row.cache;
        t["pending"] = json::object{{"up", row.pending.up}, {"down", row.pending.down}, {"uncertain", row.pending.uncertain}};
        t["difference"] = static_cast<std::int64_t>(row.site) - static_cast<std::int64_t>(row.cache);
        t["status"] = row.error.empty() ? to_string(row.status) : "error";
        t["ok"] = row.error.empty() && (row.status == count_status::ok || row.status == count_status::pending);
        if (!row.error.empty()) t["error"] = row.error;
        types.push_back(std::move(t));
    }
    o["types"] = std::move(types);
    return o;
}

json::object to_json(const data_result& r) {
    json::object o;
    put_run(o, r.run);
    o["command"] = "data";
    o["mode"] = r.mode;
    o["ok"] = r.ok();
    o["findings"] = r.findings();
    json::array types;
    for (const auto& t : r.types) {
        json::object j;
        j["type"] = t.type;
        j["ok"] = t.ok();
        j["compared"] = t.compared;
        j["missing"] = count_kind(t, finding_kind::missing);
        j["stray"] = count_kind(t, finding_kind::stray);
        j["different"] = count_kind(t, finding_kind::different);
        j["reread"] = t.reread;
        if (t.buckets) {
            const auto& b = *t.buckets;
            j["buckets"] = json::object{{"size", b.size},
                                        {"site", b.site_buckets},
                                        {"cache", b.cache_buckets},
                                        {"differing", b.differing},
                                        {"rewritten_documents", b.rewritten},
                                        {"site_records", b.site_records}};
        }
        if (!t.error.empty()) j["error"] = t.error;
        if (!t.notes.empty()) {
            json::array notes;
            for (const auto& n : t.notes) notes.emplace_back(n);
            j["notes"] = std::move(notes);
        }
        j["findings"] = findings_json(t.findings);
        types.push_back(std::move(j));
    }
    o["types"] = std::move(types);
    if (r.repair) {
        json::object rep;
        rep["requested"] = r.repair->requested;
        rep["reread"] = r.repair->reread;
        json::array remaining;
        for (const auto& [type, list] : r.repair->remaining) {
            remaining.push_back(json::object{{"type", type}, {"findings", findings_json(list)}});
        }
        rep["remaining"] = std::move(remaining);
        if (!r.repair->error.empty()) rep["error"] = r.repair->error;
        o["repair"] = std::move(rep);
    }
    return o;
}

std::string render(const counts_result& r) {
    std::string out = line("%-24s %12s %12s %12s %11s  %s\n", "TYPE", "SHOTGUN", "CACHE", "PENDING", "DIFFERENCE", "STATUS");
    std::size_t bad = 0;
    for (const auto& row : r.rows) {
        if (!row.error.empty()) {
            ++bad;
            out += line("%-24s %12s %12s %12s %11s  error: %s\n", row.type.c_str(), "-", "-", "-", "-", row.error.c_str());
            continue;
        }
        const std::string pending =
            row.pending.events() ? "+" + thousands(row.pending.up) + "/-" + thousands(row.pending.down) : "0";
        const auto diff = static_cast<std::int64_t>(row.site) - static_cast<std::int64_t>(row.cache);
        if (row.status != count_status::ok && row.status != count_status::pending) ++bad;
        out += line("%-24s %12s %12s %12s %11s  %s\n", row.type.c_str(), thousands(row.site).c_str(),
                    thousands(row.cache).c_str(), pending.c_str(), signed_number(diff).c_str(), to_string(row.status));
    }
    out += "\n";
    if (bad == 0) {
        out += line("all %zu type%s match", r.rows.size(), r.rows.size() == 1 ? "" : "s");
    } else {
        out += line("%zu of %zu type%s do not match", bad, r.rows.size(), r.rows.size() == 1 ? "" : "s");
    }
    out += line(" (%s pending event%s; %s Shotgun requests, %.1f s)\n", thousands(r.events_read).c_str(),
                r.events_read == 1 ? "" : "s", thousands(r.run.shotgun_requests).c_str(), r.run.seconds);
    return out + server_note(r.run);
}

std::string render(const data_result& r, std::size_t max_findings) {
    std::string out;
    const bool all = r.mode == "all";
    if (all) {
        out += line("%-20s %8s %9s %9s %9s %8s %6s %9s %7s  %s\n", "TYPE", "BUCKETS", "DIFFERING", "REWRITTEN", "COMPARED",
                    "MISSING", "STRAY", "DIFFERENT", "RE-READ", "STATUS");
    } else {
        out += line("%-20s %9s %8s %6s %9s %7s  %s\n", "TYPE", "COMPARED", "MISSING", "STRAY", "DIFFERENT", "RE-READ",
                    "STATUS");
    }
    std::uint64_t estimate = 0;
    for (const auto& t : r.types) {
        const std::string status = !t.error.empty() ? "error: " + t.error : t.findings.empty() ? "ok" : "MISMATCH";
        const auto m = thousands(count_kind(t, finding_kind::missing));
        const auto s = thousands(count_kind(t, finding_kind::stray));
        const auto d = thousands(count_kind(t, finding_kind::different));
        if (all) {
            const bucket_stats b = t.buckets.value_or(bucket_stats{});
            estimate += (b.site_records + 499) / 500;
            out += line("%-20s %8s %9s %9s %9s %8s %6s %9s %7s  %s\n", t.type.c_str(),
                        thousands(std::max(b.site_buckets, b.cache_buckets)).c_str(), thousands(b.differing).c_str(),
                        thousands(b.rewritten).c_str(), thousands(t.compared).c_str(), m.c_str(), s.c_str(), d.c_str(),
                        thousands(t.reread).c_str(), status.c_str());
        } else {
            out += line("%-20s %9s %8s %6s %9s %7s  %s\n", t.type.c_str(), thousands(t.compared).c_str(), m.c_str(),
                        s.c_str(), d.c_str(), thousands(t.reread).c_str(), status.c_str());
        }
    }
    for (const auto& t : r.types) {
        for (const auto& n : t.notes) out += "  " + t.type + ": " + n + "\n";
    }
    std::size_t shown = 0;
    const std::uint64_t total = r.findings();
    if (total) out += "\n";
    for (const auto& t : r.types) {
        for (const auto& f : t.findings) {
            if (shown++ >= max_findings) break;
            out += describe(t.type, f) + "\n";
        }
    }
    if (total > max_findings) out += "... and " + thousands(total - max_findings) + " more (--json lists them all)\n";
    out += "\n";
    out += total ? thousands(total) + " finding" + (total == 1 ? "" : "s") : std::string("the cache matches the site");
    out += "; " + thousands(r.run.shotgun_requests) + " Shotgun request" + (r.run.shotgun_requests == 1 ? "" : "s");
    if (all) out += " (reading every entity: about " + thousands(estimate) + ")";
    out += line("; %.1f s\n", r.run.seconds);
    out += server_note(r.run);
    if (r.repair) {
        const auto& rep = *r.repair;
        if (!rep.error.empty()) {
            out += "repair failed: " + rep.error + "\n";
        } else {
            out += "repair: " + thousands(rep.reread) + " of " + thousands(rep.requested) +
                   " entities read again by the server; ";
            const auto left = rep.remaining_count();
            out += left ? thousands(left) + " still differ\n" : std::string("all now match\n");
            for (const auto& [type, list] : rep.remaining) {
                for (const auto& f : list) out += "  " + describe(type, f) + "\n";
            }
        }
    }
    return out;
}

}  // namespace sgcache::validate
