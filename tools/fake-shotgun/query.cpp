#include "query.hpp"

#include "api_fault.hpp"
#include "filter.hpp"
#include "values.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace sgcache::fake_shotgun {

namespace {

[[noreturn]] void fail(std::string_view method, const std::string& msg) {
    throw api_fault(fault_code::bad_request, "API " + std::string(method) + "() " + msg);
}

const entity_def& entity_type_of(const store& db, const json::object& p, std::string_view method) {
    const auto* t = p.if_contains("type");
    if (!t || !t->is_string()) fail(method, "missing or invalid entity 'type': " + brief(p, 120));
    const auto* def = db.schema().find(t->get_string());
    if (!def) fail(method, "entity type '" + std::string(t->get_string()) + "' doesn't exist.");
    return *def;
}

// The value a path leads to through single-entity links only (a read cannot return values
// from behind a multi-entity link). Returns nullptr when the chain breaks.
const json::value* follow_single(const store& db, const row& r, const std::vector<path_step>& path) {
    const row* cur = &r;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        const auto& step = path[i];
        if (step.field->type != data_type::entity) return nullptr;
        std::string_view t;
        std::int64_t id = 0;
        if (!read_link(cur->values[step.field->index], t, id) || t != step.via->name) return nullptr;
        cur = db.find_live(t, id);
        if (!cur) return nullptr;
    }
    return &cur->values[path.back().field->index];
}

// ---- sorting -------------------------------------------------------------------------

struct sort_spec {
    std::vector<path_step> path;
    bool desc = false;
};

struct sort_key {
    bool null = true;
    double num = 0;
    std::string str;
};

sort_key key_of(const store& db, const row& r, const sort_spec& s) {
    sort_key k;
    const json::value* v = follow_single(db, r, s.path);
    if (!v || v->is_null()) return k;
    const auto& f = *s.path.back().field;
    switch (f.type) {
        case data_type::entity: {
            // Links sort by the name they show.
            std::string_view t;
            std::int64_t id = 0;
            if (!read_link(*v, t, id) || !db.find_live(t, id)) return k;
            k.null = false;
            k.str = lower(db.name_of(t, id));
            return k;
        }
        case data_type::multi_entity:
        case data_type::tag_list:
        case data_type::url:
        case data_type::serializable:
            return k;  // not sortable: every row ties, the id tie-break decides
        case data_type::checkbox:
            k.null = false;
            k.num = v->is_bool() && v->get_bool() ? 1 : 0;
            return k;
        default: break;
    }
    if (auto n = as_number(*v)) {
        k.null = false;
        k.num = *n;
    } else if (v->is_string()) {
        k.null = false;
        // Case-insensitive first (a site's collation), raw bytes as the tie-break.
        k.str = lower(v->get_string());
        k.str += '\0';
        k.str += v->get_string();
    }
    return k;
}

// ---- rendering -----------------------------------------------------------------------

struct return_field {
    std::string key;                 // as requested, used verbatim as the result key
    std::vector<path_step> path;     // empty: unknown field, reads as null
};

json::object render_row(const store& db, const entity_def& def, const row& r,
                        const std::vector<return_field>& fields, const json::storage_ptr& sp,
                        bool valid = false) {
    json::object o(sp);
    o.reserve(fields.size() + 2);
    o.emplace("type", def.name);
    o.emplace("id", r.id);
    for (const auto& rf : fields) {
        if (rf.path.empty()) {
            o.emplace(rf.key, nullptr);
            continue;
        }
        const json::value* v = follow_single(db, r, rf.path);
        if (!v) {
            o.emplace(rf.key, nullptr);
            continue;
        }
        o.emplace(rf.key, db.render(*rf.path.back().field, *v, sp, valid));
    }
    return o;
}

}  // namespace

json::object render_entity(const store& db, const entity_def& def, const row& r,
                           const std::vector<std::string>& names, json::storage_ptr sp, bool valid) {
    std::vector<return_field> fields;
    for (const auto& n : names) {
        if (n == "type" || n == "id") continue;
        fields.push_back({n, resolve_path(db.schema(), def, n)});
    }
    return render_row(db, def, r, fields, sp, valid);
}

namespace {

bool bool_flag(const json::object& p, std::string_view key) {
    const auto* v = p.if_contains(key);
    return v && v->is_bool() && v->get_bool();
}

bool wants_retired(const json::object& p, std::string_view method) {
    const auto* ro = p.if_contains("return_only");
    if (!ro || ro->is_null()) return false;
    if (!ro->is_string() || (ro->get_string() != "active" && ro->get_string() != "retired")) {
        fail(method, "return_only must be \"active\" or \"retired\", got " + brief(*ro));
    }
    return ro->get_string() == "retired";
}

}  // namespace

json::value run_read(const store& db, const json::object& p, const query_context& ctx) {
    const auto& def = entity_type_of(db, p, "read");
    const auto& s = db.schema();

    std::vector<return_field> fields;
    if (const auto* rf = p.if_contains("return_fields"); rf && !rf->is_null()) {
        if (!rf->is_array()) fail("read", "return_fields must be an array of field names");
        for (const auto& f : rf->get_array()) {
            if (!f.is_string()) fail("read", "return_fields must be an array of field names, got " + brief(f));
            std::string_view name = f.get_string();
            if (name == "type" || name == "id") continue;
            bool dup = std::any_of(fields.begin(), fields.end(), [&](const return_field& x) { return x.key == name; });
            if (dup) continue;
            fields.push_back({std::string(name), resolve_path(s, def, name)});
        }
    }

    const json::value no_filter;
    const auto* fv = p.if_contains("filters");
    auto flt = filter::compile(s, def, fv ? *fv : no_filter, "read", ctx.now_s);
    bool retired = wants_retired(p, "read");

    std::int64_t per_page = ctx.max_per_page;
    std::int64_t page = 1;
    if (const auto* pg = p.if_contains("paging"); pg && !pg->is_null()) {
        if (!pg->is_object()) fail("read", "paging must be an object, got " + brief(*pg));
        const auto& po = pg->get_object();
        if (const auto* n = po.if_contains("entities_per_page")) {
            auto v = as_integer(*n);
            if (!v || *v < 1) fail("read", "paging entities_per_page must be a positive integer, got " + brief(*n));
            per_page = std::min(*v, ctx.max_per_page);
        }
        if (const auto* n = po.if_contains("current_page")) {
            auto v = as_integer(*n);
            if (!v || *v < 1) fail("read", "paging current_page must be a positive integer, got " + brief(*n));
            page = *v;
        }
    }

    std::vector<sort_spec> sorts;
    if (const auto* so = p.if_contains("sorts"); so && !so->is_null()) {
        if (!so->is_array()) fail("read", "sorts must be an array of {field_name, direction}");
        for (const auto& e : so->get_array()) {
            const auto* o = e.if_object();
            const auto* fn = o ? o->if_contains("field_name") : nullptr;
            if (!fn) fn = o ? o->if_contains("column") : nullptr;
            if (!fn || !fn->is_string()) fail("read", "sort needs a field_name: " + brief(e));
            bool desc = false;
            if (const auto* d = o->if_contains("direction"); d && !d->is_null()) {
                if (!d->is_string() || (d->get_string() != "asc" && d->get_string() != "desc")) {
                    fail("read", "sort direction must be \"asc\" or \"desc\", got " + brief(*d));
                }
                desc = d->get_string() == "desc";
            }
            // Unknown sort fields are accepted and ignored, as a real site does.
            auto path = resolve_path(s, def, fn->get_string());
            if (!path.empty()) sorts.push_back({std::move(path), desc});
        }
    }
    // Sorting by id alone is the scan order itself.
    bool id_only = sorts.empty() || (sorts.size() == 1 && sorts[0].path.size() == 1 &&
                                     sorts[0].path[0].field->name == "id");
    bool id_desc = !sorts.empty() && id_only && sorts[0].desc;
    if (!id_only) {
        // A sort on the id field later in the list decides every tie by then; drop the rest.
        for (std::size_t i = 0; i < sorts.size(); ++i) {
            if (sorts[i].path.size() == 1 && sorts[i].path[0].field->name == "id") {
                sorts.resize(i + 1);
                break;
            }
        }
    }

    bool want_count = bool_flag(p, "return_paging_info");
    const auto* t = db.find_table(def.name);
    const auto& rows = t->rows();
    const std::int64_t skip = (page - 1) * per_page;
    std::vector<const row*> hits;
    std::int64_t total = 0;
    bool more = false;

    auto usable = [&](const row& r) {
        return r.retired == retired && visible(r, ctx.now_ms) && flt.matches(db, r);
    };
    std::size_t first = flt.min_id() == INT64_MIN ? 0 : t->lower_bound(flt.min_id());
    std::size_t last = flt.max_id() == INT64_MAX ? rows.size() : t->lower_bound(flt.max_id() + 1);
    if (first > last) first = last;

    if (id_only) {
        // Rows are stored in id order: page straight off the scan and stop as soon as the
        // page (plus one row, to know whether there is a next page) is complete, unless
        // the caller asked for the total count.
        auto take = [&](const row& r) {
            if (!usable(r)) return true;
            if (total >= skip && total < skip + per_page) hits.push_back(&r);
            ++total;
            if (total > skip + per_page) {
                more = true;
                if (!want_count) return false;
            }
            return true;
        };
        if (id_desc) {
            for (std::size_t i = last; i > first; --i) {
                if (!take(rows[i - 1])) break;
            }
        } else {
            for (std::size_t i = first; i < last; ++i) {
                if (!take(rows[i])) break;
            }
        }
    } else {
        std::vector<std::pair<std::vector<sort_key>, const row*>> all;
        for (std::size_t i = first; i < last; ++i) {
            const row& r = rows[i];
            if (!usable(r)) continue;
            std::vector<sort_key> keys;
            keys.reserve(sorts.size());
            for (const auto& sp : sorts) keys.push_back(key_of(db, r, sp));
            all.emplace_back(std::move(keys), &r);
        }
        std::stable_sort(all.begin(), all.end(), [&](const auto& a, const auto& b) {
            for (std::size_t k = 0; k < sorts.size(); ++k) {
                const auto& x = a.first[k];
                const auto& y = b.first[k];
                bool desc = sorts[k].desc;
                // PostgreSQL's defaults: NULLS LAST ascending, NULLS FIRST descending.
                if (x.null != y.null) return desc ? x.null : y.null;
                if (x.null) continue;
                if (x.num != y.num) return desc ? x.num > y.num : x.num < y.num;
                if (x.str != y.str) return desc ? x.str > y.str : x.str < y.str;
            }
            return a.second->id < b.second->id;
        });
        total = static_cast<std::int64_t>(all.size());
        more = total > skip + per_page;
        for (std::int64_t i = skip; i < std::min(total, skip + per_page); ++i) {
            hits.push_back(all[static_cast<std::size_t>(i)].second);
        }
    }

    json::array entities(ctx.sp);
    entities.reserve(hits.size());
    for (const auto* r : hits) entities.push_back(render_row(db, def, *r, fields, ctx.sp));
    json::object paging_info(ctx.sp);
    paging_info["has_next_page"] = more;
    if (want_count) {
        paging_info["entity_count"] = total;
        paging_info["current_page"] = page;
        paging_info["page_count"] = (total + per_page - 1) / per_page;
    }
    json::object result(ctx.sp);
    result["entities"] = std::move(entities);
    result["paging_info"] = std::move(paging_info);
    return result;
}

// ---- summarize -------------------------------------------------------------------------

namespace {

enum class summary_kind { record_count, count, sum, maximum, minimum, average, earliest, latest, checked, unchecked };

struct summary_spec {
    std::string key;
    std::vector<path_step> path;
    summary_kind kind;
};

struct grouping_spec {
    std::vector<path_step> path;
    std::string type;
    bool desc = false;
};

bool numeric(data_type t) {
    return t == data_type::number || t == data_type::float_ || t == data_type::duration ||
           t == data_type::percent || t == data_type::currency || t == data_type::timecode;
}

bool temporal(data_type t) { return t == data_type::date || t == data_type::date_time; }

json::value summarize_rows(const store& db, const std::vector<const row*>& rows,
                           const std::vector<summary_spec>& specs) {
    json::object out;
    for (const auto& sp : specs) {
        const auto& f = *sp.path.back().field;
        std::int64_t count = 0;
        double sum = 0;
        bool all_int = true;
        std::optional<double> lo, hi;
        std::optional<std::string> early, late;
        std::int64_t checked = 0;
        for (const auto* r : rows) {
            const json::value* v = follow_single(db, *r, sp.path);
            bool present = v && !v->is_null();
            if (present && f.type == data_type::multi_entity) present = v->is_array() && !v->get_array().empty();
            if (present && f.type == data_type::entity) present = !db.render(f, *v).is_null();
            if (!present) continue;
            ++count;
            if (auto n = as_number(*v)) {
                sum += *n;
                if (!v->is_int64() && !v->is_uint64()) all_int = false;
                lo = lo ? std::min(*lo, *n) : *n;
                hi = hi ? std::max(*hi, *n) : *n;
            }
            if (v->is_string()) {
                std::string s(v->get_string());
                if (!early || s < *early) early = s;
                if (!late || s > *late) late = s;
            }
            if (v->is_bool() && v->get_bool()) ++checked;
        }
        auto number = [&](double d) -> json::value {
            if (all_int && std::abs(d) < 9e15) return static_cast<std::int64_t>(d);
            return d;
        };
        json::value val;
        switch (sp.kind) {
            case summary_kind::record_count: val = static_cast<std::int64_t>(rows.size()); break;
            case summary_kind::count: val = count; break;
            case summary_kind::sum: val = number(sum); break;
            case summary_kind::maximum: val = hi ? number(*hi) : json::value(nullptr); break;
            case summary_kind::minimum: val = lo ? number(*lo) : json::value(nullptr); break;
            case summary_kind::average: val = count ? json::value(sum / static_cast<double>(count)) : json::value(nullptr); break;
            case summary_kind::earliest: val = early ? json::value(*early) : json::value(nullptr); break;
            case summary_kind::latest: val = late ? json::value(*late) : json::value(nullptr); break;
            case summary_kind::checked: val = checked; break;
            case summary_kind::unchecked: val = static_cast<std::int64_t>(rows.size()) - checked; break;
        }
        out[sp.key] = std::move(val);
    }
    return out;
}

// A row's group: the raw value (group_value), its display (group_name) and a sort key.
struct group_key {
    json::value value;
    std::string name;
    sort_key order;
};

group_key group_of(const store& db, const row& r, const grouping_spec& g) {
    group_key k;
    const json::value* v = follow_single(db, r, g.path);
    const auto& f = *g.path.back().field;
    if (!v || v->is_null()) {
        k.value = nullptr;
        return k;
    }
    static const std::map<std::string, double, std::less<>> buckets{
        {"tens", 10}, {"hundreds", 100}, {"thousands", 1000}, {"tensofthousands", 10000},
        {"hundredsofthousands", 100000}, {"millions", 1000000}};
    if (auto b = buckets.find(g.type); b != buckets.end()) {
        auto n = as_number(*v);
        if (!n) return k;
        auto start = static_cast<std::int64_t>(std::floor(*n / b->second) * b->second);
        auto end = start + static_cast<std::int64_t>(b->second) - 1;
        k.value = start;
        k.name = std::to_string(start) + " - " + std::to_string(end);
        k.order = {false, static_cast<double>(start), {}};
        return k;
    }
    if (temporal(f.type) && g.type != "exact") {
        std::string s(v->get_string());
        std::string day = s.substr(0, 10);
        if (g.type == "day") {
            k.value = day;
        } else if (g.type == "month") {
            k.value = day.substr(0, 7);
        } else if (g.type == "year") {
            k.value = day.substr(0, 4);
        } else if (g.type == "quarter") {
            int m = std::stoi(day.substr(5, 2));
            k.value = day.substr(0, 4) + " Q" + std::to_string((m - 1) / 3 + 1);
        } else {  // week: the Monday that starts it
            auto d = parse_date(day).value_or(0) / 86400;
            std::int64_t weekday = ((d % 7) + 7 + 3) % 7;
            k.value = format_date((d - weekday) * 86400);
        }
        k.name = std::string(k.value.get_string());
        k.order = {false, 0, k.name};
        return k;
    }
    if (g.type == "firstletter") {
        if (!v->is_string() || v->get_string().empty()) return k;
        std::string first(1, v->get_string()[0]);
        if (first[0] >= 'a' && first[0] <= 'z') first[0] = static_cast<char>(first[0] - 'a' + 'A');
        k.value = first;
        k.name = first;
        k.order = {false, 0, first};
        return k;
    }
    if (f.type == data_type::entity) {
        std::string_view t;
        std::int64_t id = 0;
        if (!read_link(*v, t, id) || !db.find_live(t, id)) {
            k.value = nullptr;
            return k;
        }
        if (g.type == "entitytype") {
            k.value = t;
            k.name = std::string(t);
            k.order = {false, 0, lower(t)};
            return k;
        }
        json::object link = make_link(t, id);
        link["name"] = db.name_of(t, id);
        link["valid"] = "valid";
        k.name = std::string(db.name_of(t, id));
        k.value = std::move(link);
        k.order = {false, 0, lower(k.name) + '\0' + std::to_string(id)};
        return k;
    }
    k.value = *v;
    if (auto n = as_number(*v)) {
        k.name = json::serialize(*v);
        k.order = {false, *n, {}};
    } else if (v->is_bool()) {
        k.name = v->get_bool() ? "true" : "false";
        k.order = {false, v->get_bool() ? 1.0 : 0.0, {}};
    } else if (v->is_string()) {
        k.name = std::string(v->get_string());
        k.order = {false, 0, lower(k.name) + '\0' + k.name};
    } else {
        k.name = json::serialize(*v);
        k.order = {false, 0, k.name};
    }
    return k;
}

json::array build_groups(const store& db, const std::vector<const row*>& rows,
                         const std::vector<grouping_spec>& groupings, std::size_t level,
                         const std::vector<summary_spec>& specs) {
    json::array out;
    if (level >= groupings.size()) return out;
    const auto& g = groupings[level];
    struct bucket {
        group_key key;
        std::vector<const row*> rows;
    };
    std::vector<bucket> buckets;
    std::map<std::string, std::size_t> index;  // serialized group_value -> bucket
    for (const auto* r : rows) {
        auto k = group_of(db, *r, g);
        std::string id = json::serialize(k.value);
        auto [it, fresh] = index.emplace(id, buckets.size());
        if (fresh) buckets.push_back({std::move(k), {}});
        buckets[it->second].rows.push_back(r);
    }
    std::stable_sort(buckets.begin(), buckets.end(), [&](const bucket& a, const bucket& b) {
        const auto& x = a.key.order;
        const auto& y = b.key.order;
        if (a.key.value.is_null() != b.key.value.is_null()) return b.key.value.is_null();
        if (x.num != y.num) return g.desc ? x.num > y.num : x.num < y.num;
        if (x.str != y.str) return g.desc ? x.str > y.str : x.str < y.str;
        return false;
    });
    for (auto& b : buckets) {
        json::object o;
        o["group_name"] = b.key.name;
        o["group_value"] = std::move(b.key.value);
        o["summaries"] = summarize_rows(db, b.rows, specs);
        if (level + 1 < groupings.size()) o["groups"] = build_groups(db, b.rows, groupings, level + 1, specs);
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace

json::value run_summarize(const store& db, const json::object& p, const query_context& ctx) {
    const auto& def = entity_type_of(db, p, "summarize");
    const auto& s = db.schema();
    static const std::map<std::string, summary_kind, std::less<>> kinds{
        {"record_count", summary_kind::record_count}, {"count", summary_kind::count},
        {"sum", summary_kind::sum},                   {"maximum", summary_kind::maximum},
        {"minimum", summary_kind::minimum},           {"average", summary_kind::average},
        {"earliest", summary_kind::earliest},         {"latest", summary_kind::latest},
        {"checked", summary_kind::checked},           {"unchecked", summary_kind::unchecked}};

    std::vector<summary_spec> specs;
    const auto* sv = p.if_contains("summaries");
    if (!sv || !sv->is_array()) fail("summarize", "summaries must be an array of {field, type}");
    for (const auto& e : sv->get_array()) {
        const auto* o = e.if_object();
        const auto* f = o ? o->if_contains("field") : nullptr;
        const auto* t = o ? o->if_contains("type") : nullptr;
        if (!f || !f->is_string() || !t || !t->is_string()) {
            fail("summarize", "each summary needs a 'field' and a 'type': " + brief(e));
        }
        auto path = resolve_path(s, def, f->get_string());
        if (path.empty()) fail("summarize", def.name + "." + std::string(f->get_string()) + " doesn't exist.");
        auto k = kinds.find(t->get_string());
        if (k == kinds.end()) {
            fail("summarize", "summary type '" + std::string(t->get_string()) +
                 "' is not supported (record_count, count, sum, maximum, minimum, average, "
                 "earliest, latest, checked, unchecked)");
        }
        auto dt = path.back().field->type;
        bool ok = true;
        switch (k->second) {
            case summary_kind::sum:
            case summary_kind::average:
            case summary_kind::maximum:
            case summary_kind::minimum: ok = numeric(dt); break;
            case summary_kind::earliest:
            case summary_kind::latest: ok = temporal(dt); break;
            case summary_kind::checked:
            case summary_kind::unchecked: ok = dt == data_type::checkbox; break;
            default: break;
        }
        if (!ok) {
            fail("summarize", def.name + "." + std::string(f->get_string()) + "'s '" +
                 std::string(to_string(dt)) + "' data type cannot be summarized with '" +
                 std::string(t->get_string()) + "'.");
        }
        specs.push_back({std::string(f->get_string()), std::move(path), k->second});
    }

    std::vector<grouping_spec> groupings;
    if (const auto* gv = p.if_contains("grouping"); gv && !gv->is_null()) {
        if (!gv->is_array()) fail("summarize", "grouping must be an array of {field, type, direction}");
        for (const auto& e : gv->get_array()) {
            const auto* o = e.if_object();
            const auto* f = o ? o->if_contains("field") : nullptr;
            const auto* t = o ? o->if_contains("type") : nullptr;
            if (!f || !f->is_string() || !t || !t->is_string()) {
                fail("summarize", "each grouping needs a 'field' and a 'type': " + brief(e));
            }
            auto path = resolve_path(s, def, f->get_string());
            if (path.empty()) fail("summarize", def.name + "." + std::string(f->get_string()) + " doesn't exist.");
            std::string type(t->get_string());
            auto dt = path.back().field->type;
            static const std::vector<std::string> number_buckets{
                "tens", "hundreds", "thousands", "tensofthousands", "hundredsofthousands", "millions"};
            static const std::vector<std::string> date_buckets{"day", "week", "month", "quarter", "year"};
            bool ok = false;
            if (type == "exact") {
                ok = dt != data_type::multi_entity && dt != data_type::tag_list &&
                     dt != data_type::serializable && dt != data_type::url;
            } else if (std::find(number_buckets.begin(), number_buckets.end(), type) != number_buckets.end()) {
                ok = numeric(dt);
            } else if (std::find(date_buckets.begin(), date_buckets.end(), type) != date_buckets.end()) {
                ok = temporal(dt);
            } else if (type == "entitytype") {
                ok = dt == data_type::entity;
            } else if (type == "firstletter") {
                ok = dt == data_type::text;
            }
            if (!ok) {
                fail("summarize", "grouping type '" + type + "' cannot be used on " + def.name + "." +
                     std::string(f->get_string()) + " ('" + std::string(to_string(dt)) + "' data type)");
            }
            bool desc = false;
            if (const auto* d = o->if_contains("direction"); d && d->is_string()) desc = d->get_string() == "desc";
            groupings.push_back({std::move(path), std::move(type), desc});
        }
    }

    const json::value no_filter;
    const auto* fv = p.if_contains("filters");
    auto flt = filter::compile(s, def, fv ? *fv : no_filter, "summarize", ctx.now_s);
    std::vector<const row*> rows;
    for (const auto& r : db.find_table(def.name)->rows()) {
        if (!r.retired && visible(r, ctx.now_ms) && flt.matches(db, r)) rows.push_back(&r);
    }
    json::object result;
    result["summaries"] = summarize_rows(db, rows, specs);
    result["groups"] = build_groups(db, rows, groupings, 0, specs);
    return result;
}

}  // namespace sgcache::fake_shotgun
