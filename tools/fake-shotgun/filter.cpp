#include "filter.hpp"

#include "api_fault.hpp"
#include "values.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace sgcache::fake_shotgun {

namespace {

// How values of a data type compare.
enum class kind { text, exact, number, date, date_time, checkbox, link, image };

kind kind_of(data_type t) {
    switch (t) {
        case data_type::text: return kind::text;
        case data_type::number:
        case data_type::float_:
        case data_type::duration:
        case data_type::percent:
        case data_type::currency:
        case data_type::timecode: return kind::number;
        case data_type::date: return kind::date;
        case data_type::date_time: return kind::date_time;
        case data_type::checkbox: return kind::checkbox;
        case data_type::entity:
        case data_type::multi_entity:
        case data_type::addressing: return kind::link;
        case data_type::image: return kind::image;
        default: return kind::exact;  // list, status_list, color, uuid, entity_type, tags
    }
}

struct relation_name {
    std::string_view name;
    relation rel;
    bool negate;
};

constexpr std::array<relation_name, 28> relation_names{{
    {"is", relation::is, false},
    {"is_not", relation::is, true},
    {"less_than", relation::less_than, false},
    {"greater_than", relation::greater_than, false},
    {"contains", relation::contains, false},
    {"not_contains", relation::contains, true},
    {"starts_with", relation::starts_with, false},
    {"ends_with", relation::ends_with, false},
    {"between", relation::between, false},
    {"not_between", relation::between, true},
    {"in", relation::in, false},
    {"not_in", relation::in, true},
    {"type_is", relation::type_is, false},
    {"type_is_not", relation::type_is, true},
    {"name_contains", relation::name_contains, false},
    {"name_not_contains", relation::name_contains, true},
    {"name_starts_with", relation::name_starts_with, false},
    {"name_ends_with", relation::name_ends_with, false},
    {"name_is", relation::name_is, false},
    {"name_id", relation::name_id, false},
    {"in_last", relation::in_last, false},
    {"not_in_last", relation::in_last, true},
    {"in_next", relation::in_next, false},
    {"not_in_next", relation::in_next, true},
    {"in_calendar_day", relation::in_calendar_day, false},
    {"in_calendar_week", relation::in_calendar_week, false},
    {"in_calendar_month", relation::in_calendar_month, false},
    {"in_calendar_year", relation::in_calendar_year, false},
}};

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

// `needle` is already lower case.
bool icontains(std::string_view hay, std::string_view needle) {
    if (needle.empty()) return true;
    if (hay.size() < needle.size()) return false;
    for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
        if (iequals(hay.substr(i, needle.size()), needle)) return true;
    }
    return false;
}

bool istarts(std::string_view hay, std::string_view needle) {
    return hay.size() >= needle.size() && iequals(hay.substr(0, needle.size()), needle);
}

bool iends(std::string_view hay, std::string_view needle) {
    return hay.size() >= needle.size() && iequals(hay.substr(hay.size() - needle.size()), needle);
}

std::string type_label(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null: return "NilClass";
        case json::kind::bool_: return v.get_bool() ? "TrueClass" : "FalseClass";
        case json::kind::int64:
        case json::kind::uint64: return "Integer";
        case json::kind::double_: return "Float";
        case json::kind::string: return "String";
        case json::kind::array: return "Array";
        case json::kind::object: return "Hash";
    }
    return "Object";
}

// Start of the day / week (Monday) / month / year containing `t`, shifted by `offset`
// units, and the start of the unit after it. Site time zone: UTC.
std::pair<std::int64_t, std::int64_t> calendar_range(relation rel, std::int64_t t, std::int64_t offset) {
    std::int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int y;
    unsigned m, d;
    civil_from_days(day, y, m, d);
    switch (rel) {
        case relation::in_calendar_day: {
            std::int64_t s = (day + offset) * 86400;
            return {s, s + 86400};
        }
        case relation::in_calendar_week: {
            // 1970-01-01 was a Thursday: weekday 0 = Monday.
            std::int64_t weekday = ((day % 7) + 7 + 3) % 7;
            std::int64_t s = (day - weekday + offset * 7) * 86400;
            return {s, s + 7 * 86400};
        }
        case relation::in_calendar_month: {
            std::int64_t months = static_cast<std::int64_t>(y) * 12 + (m - 1) + offset;
            int yy = static_cast<int>(months >= 0 ? months / 12 : (months - 11) / 12);
            auto mm = static_cast<unsigned>(months - static_cast<std::int64_t>(yy) * 12 + 1);
            std::int64_t s = days_from_civil(yy, mm, 1) * 86400;
            std::int64_t e = mm == 12 ? days_from_civil(yy + 1, 1, 1) : days_from_civil(yy, mm + 1, 1);
            return {s, e * 86400};
        }
        default: {
            int yy = static_cast<int>(y + offset);
            return {days_from_civil(yy, 1, 1) * 86400, days_from_civil(yy + 1, 1, 1) * 86400};
        }
    }
}

// t shifted by n units of HOUR/DAY/WEEK/MONTH/YEAR (calendar months and years).
std::optional<std::int64_t> shift(std::int64_t t, std::int64_t n, std::string_view unit) {
    if (unit == "HOUR") return t + n * 3600;
    if (unit == "DAY") return t + n * 86400;
    if (unit == "WEEK") return t + n * 7 * 86400;
    if (unit == "MONTH" || unit == "YEAR") {
        std::int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
        std::int64_t secs = t - day * 86400;
        int y;
        unsigned m, d;
        civil_from_days(day, y, m, d);
        std::int64_t months = static_cast<std::int64_t>(y) * 12 + (m - 1) + (unit == "YEAR" ? n * 12 : n);
        int yy = static_cast<int>(months >= 0 ? months / 12 : (months - 11) / 12);
        auto mm = static_cast<unsigned>(months - static_cast<std::int64_t>(yy) * 12 + 1);
        // The 31st of a shorter month becomes its last day.
        static constexpr unsigned len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0;
        unsigned last = mm == 2 && leap ? 29 : len[mm - 1];
        return days_from_civil(yy, mm, std::min(d, last)) * 86400 + secs;
    }
    return std::nullopt;
}

}  // namespace

std::vector<std::string_view> relations_for(data_type t) {
    switch (t) {
        case data_type::addressing:
            return {"is", "is_not", "contains", "not_contains", "in", "type_is", "type_is_not",
                    "name_contains", "name_not_contains", "name_starts_with", "name_ends_with"};
        case data_type::checkbox: return {"is", "is_not"};
        case data_type::number:
        case data_type::currency:
            return {"is", "is_not", "less_than", "greater_than", "between", "not_between", "in", "not_in"};
        case data_type::date:
        case data_type::date_time:
            return {"is",           "is_not",         "greater_than",      "less_than",
                    "in_last",      "not_in_last",    "in_next",           "not_in_next",
                    "in_calendar_day", "in_calendar_week", "in_calendar_month", "in_calendar_year",
                    "between",      "in",             "not_in"};
        case data_type::duration:
        case data_type::float_:
        case data_type::percent:
        case data_type::timecode:
            return {"is", "is_not", "greater_than", "less_than", "between", "in", "not_in"};
        case data_type::entity:
            return {"is", "is_not", "type_is", "type_is_not", "name_contains", "name_not_contains",
                    "name_is", "in", "not_in"};
        case data_type::image: return {"is", "is_not"};
        case data_type::list:
        case data_type::status_list: return {"is", "is_not", "in", "not_in"};
        case data_type::multi_entity:
            return {"is", "is_not", "type_is", "type_is_not", "name_contains", "name_not_contains",
                    "in", "not_in"};
        case data_type::tag_list:
            return {"is", "is_not", "name_contains", "name_not_contains", "name_id"};
        case data_type::text:
            return {"is", "is_not", "contains", "not_contains", "starts_with", "ends_with", "in",
                    "not_in"};
        case data_type::uuid:
        case data_type::entity_type:
        case data_type::color:
        case data_type::footage: return {"is", "is_not", "in", "not_in"};
        default: return {};
    }
}

std::vector<path_step> resolve_path(const schema& s, const entity_def& root, std::string_view path) {
    std::vector<path_step> steps;
    const entity_def* type = &root;
    std::size_t pos = 0;
    while (true) {
        auto dot = path.find('.', pos);
        auto fname = path.substr(pos, dot == std::string_view::npos ? path.size() - pos : dot - pos);
        const field_def* f = type->find(fname);
        if (!f) return {};
        if (dot == std::string_view::npos) {
            steps.push_back({type, f, nullptr});
            return steps;
        }
        // A hop: "<link field>.<Type>.<rest>".
        auto dot2 = path.find('.', dot + 1);
        if (dot2 == std::string_view::npos) return {};
        auto tname = path.substr(dot + 1, dot2 - dot - 1);
        const entity_def* next = s.find(tname);
        if (!f->is_link() || !next || !f->accepts_type(tname)) return {};
        steps.push_back({type, f, next});
        type = next;
        pos = dot2 + 1;
    }
}

namespace {

bool live_link(const store& db, const json::value& v, std::string_view want_type, const row** out) {
    std::string_view t;
    std::int64_t id = 0;
    if (!read_link(v, t, id)) return false;
    if (!want_type.empty() && t != want_type) return false;
    const row* r = db.find_live(t, id);
    if (!r) return false;
    if (out) *out = r;
    return true;
}

void walk(const store& db, const row& r, const std::vector<path_step>& path, std::size_t i,
          std::vector<const json::value*>& out) {
    const auto& step = path[i];
    const json::value& v = r.values[step.field->index];
    if (i + 1 == path.size()) {
        if (step.field->type == data_type::multi_entity) {
            if (const auto* a = v.if_array()) {
                for (const auto& e : *a) {
                    if (live_link(db, e, {}, nullptr)) out.push_back(&e);
                }
            }
        } else if (step.field->type == data_type::tag_list) {
            if (const auto* a = v.if_array()) {
                for (const auto& e : *a) out.push_back(&e);
            }
        } else {
            out.push_back(&v);
        }
        return;
    }
    const auto follow = [&](const json::value& link) {
        const row* next = nullptr;
        if (live_link(db, link, step.via->name, &next)) walk(db, *next, path, i + 1, out);
    };
    if (step.field->type == data_type::multi_entity) {
        if (const auto* a = v.if_array()) {
            for (const auto& e : *a) follow(e);
        }
    } else {
        follow(v);
    }
}

}  // namespace

void collect_values(const store& db, const row& r, const std::vector<path_step>& path,
                    std::vector<const json::value*>& out) {
    if (!path.empty()) walk(db, r, path, 0, out);
}

// ---------------------------------------------------------------------------------------
// Compiled conditions

struct condition {
    std::vector<path_step> path;
    const field_def* field = nullptr;  // the final field
    kind k = kind::exact;
    relation rel = relation::is;
    bool negate = false;
    // Range relations (between, in_last, ...) never match a missing value, negated or not,
    // as SQL's NOT (x BETWEEN a AND b) is not true for a NULL x.
    bool range = false;
    std::vector<json::value> values;  // is / in operands, normalized (strings lower-cased for text)
    bool has_lo = false, has_hi = false;
    double nlo = 0, nhi = 0;          // number bounds
    std::string slo, shi;             // date / date_time bounds (inclusive, same format as stored)
    bool lo_strict = false, hi_strict = false;
    std::string needle;               // contains / starts_with / name_* (lower case)
    // Long numeric "in" lists (a batch of ids to re-read) are searched, not scanned.
    std::vector<double> sorted_numbers;
    bool simple = false;              // one step, not a list field: evaluate in place
};

struct filter::node {
    bool group = false;
    bool is_or = false;
    std::vector<node> children;
    condition cond;
};

namespace {

struct compiler {
    const schema& s;
    const entity_def& root;
    std::string method;
    std::int64_t now;

    [[noreturn]] void fail(const std::string& msg) const {
        throw api_fault(fault_code::bad_request, "API " + method + "() " + msg);
    }

    std::string where(std::string_view path) const { return root.name + "." + std::string(path); }

    [[noreturn]] void wrong_type(std::string_view path, std::string_view expected,
                                 const json::value& v) const {
        fail(where(path) + " expected [" + std::string(expected) + "] data type(s) but got " +
             type_label(v) + ": " + brief(v));
    }

    // Checks and normalizes one operand for equality-style relations.
    json::value operand(const condition& c, const json::value& v, std::string_view path) const {
        auto wrong = [&](std::string_view expected) { wrong_type(path, expected, v); };
        if (v.is_null()) {
            if (c.k == kind::checkbox) wrong("TrueClass, FalseClass");
            return nullptr;
        }
        switch (c.k) {
            case kind::text:
                if (!v.is_string()) wrong("String, NilClass");
                return json::string(lower(v.get_string()));
            case kind::exact:
                if (!v.is_string()) wrong("String, NilClass");
                return v;
            case kind::number: {
                bool integral = c.field->type != data_type::float_ && c.field->type != data_type::currency;
                if (integral ? !as_integer(v) : !as_number(v)) {
                    wrong(integral ? "Integer, NilClass" : "Float, Integer, NilClass");
                }
                return *as_number(v);
            }
            case kind::date:
                if (!v.is_string() || !parse_date(v.get_string())) wrong("Date (YYYY-MM-DD), NilClass");
                return v;
            case kind::date_time: {
                if (v.is_string()) {
                    if (parse_date_time(v.get_string())) return v;
                    // A date alone means its midnight.
                    if (auto d = parse_date(v.get_string())) return json::string(format_date_time(*d));
                }
                wrong_type(path, "Time (YYYY-MM-DDTHH:MM:SSZ), NilClass", v);
            }
            case kind::checkbox:
                if (!v.is_bool()) wrong("TrueClass, FalseClass");
                return v;
            case kind::link: {
                std::string_view t;
                std::int64_t id = 0;
                if (!read_link(v, t, id)) wrong("Hash with type and id, NilClass");
                if (!s.find(t)) fail(where(path) + " entity type '" + std::string(t) + "' doesn't exist.");
                return make_link(t, id);
            }
            case kind::image: fail(where(path) + " can only be compared with null.");
        }
        return nullptr;
    }

    double number_bound(const condition& c, const json::value& v, std::string_view path) const {
        auto n = operand(c, v, path);
        if (n.is_null()) fail(where(path) + " expected a number but got null");
        return n.get_double();
    }

    std::string time_bound(const condition& c, const json::value& v, std::string_view path) const {
        auto n = operand(c, v, path);
        if (n.is_null()) fail(where(path) + " expected a date but got null");
        return std::string(n.get_string());
    }

    std::string needle(const json::value& v, std::string_view path) const {
        if (!v.is_string()) {
            fail(where(path) + " expected [String] data type(s) but got " + type_label(v) + ": " + brief(v));
        }
        return lower(v.get_string());
    }

    void set_time_range(condition& c, std::int64_t from, std::int64_t to_excl) const {
        c.range = true;
        c.has_lo = c.has_hi = true;
        if (c.k == kind::date) {
            c.slo = format_date(from);
            c.shi = format_date(to_excl - 1);
        } else {
            c.slo = format_date_time(from);
            c.shi = format_date_time(to_excl - 1);
        }
    }

    condition compile_condition(const json::object& o) const {
        const auto* pv = o.if_contains("path");
        const auto* rv = o.if_contains("relation");
        const auto* vv = o.if_contains("values");
        if (!pv || !pv->is_string()) fail("filter condition is missing its 'path' string: " + brief(o));
        if (!rv || !rv->is_string()) fail("filter condition is missing its 'relation' string: " + brief(o));
        std::string_view path = pv->get_string();
        json::array values;
        if (vv) {
            // Clients send an array; a bare value is what the array would hold.
            if (vv->is_array()) {
                values = vv->get_array();
            } else {
                values.push_back(*vv);
            }
        }
        condition c;
        c.path = resolve_path(s, root, path);
        if (c.path.empty()) fail(where(path) + " doesn't exist.");
        c.field = c.path.back().field;
        c.k = kind_of(c.field->type);
        c.simple = c.path.size() == 1 && c.field->type != data_type::multi_entity &&
                   c.field->type != data_type::tag_list;
        auto valid = relations_for(c.field->type);
        if (valid.empty()) {
            fail(where(path) + "'s '" + std::string(to_string(c.field->type)) +
                 "' data type cannot be used in a filter.");
        }
        std::string_view rname = rv->get_string();
        const relation_name* rn = nullptr;
        for (const auto& n : relation_names) {
            if (n.name == rname) rn = &n;
        }
        if (!rn || std::find(valid.begin(), valid.end(), rname) == valid.end()) {
            std::string list;
            for (auto v : valid) list += (list.empty() ? "" : ", ") + std::string(v);
            fail(where(path) + " '" + std::string(rname) + "' is not a valid relation for the '" +
                 std::string(to_string(c.field->type)) + "' data type. Valid relations: " + list);
        }
        c.rel = rn->rel;
        c.negate = rn->negate;
        auto need = [&](std::size_t n) {
            if (values.size() != n) {
                fail(where(path) + " relation '" + std::string(rname) + "' expects " +
                     std::to_string(n) + " value(s) but got " + std::to_string(values.size()) +
                     ": " + brief(values));
            }
        };
        switch (c.rel) {
            case relation::is:
                need(1);
                if (c.k == kind::image && !values[0].is_null()) {
                    fail(where(path) + " 'image' fields can only be compared with null.");
                }
                c.values.push_back(operand(c, values[0], path));
                break;
            case relation::in:
                for (const auto& v : values) c.values.push_back(operand(c, v, path));
                if (c.k == kind::number && c.values.size() > 8 &&
                    std::none_of(c.values.begin(), c.values.end(), [](const json::value& v) { return v.is_null(); })) {
                    for (const auto& v : c.values) c.sorted_numbers.push_back(v.get_double());
                    std::sort(c.sorted_numbers.begin(), c.sorted_numbers.end());
                }
                break;
            case relation::less_than:
            case relation::greater_than: {
                need(1);
                bool lt = c.rel == relation::less_than;
                if (c.k == kind::number) {
                    (lt ? c.nhi : c.nlo) = number_bound(c, values[0], path);
                } else {
                    (lt ? c.shi : c.slo) = time_bound(c, values[0], path);
                }
                (lt ? c.has_hi : c.has_lo) = true;
                (lt ? c.hi_strict : c.lo_strict) = true;
                c.range = true;
                break;
            }
            case relation::between:
                need(2);
                c.range = true;
                for (int i = 0; i < 2; ++i) {
                    const auto& v = values[static_cast<std::size_t>(i)];
                    if (v.is_null()) continue;  // an open end
                    if (c.k == kind::number) {
                        (i == 0 ? c.nlo : c.nhi) = number_bound(c, v, path);
                    } else {
                        (i == 0 ? c.slo : c.shi) = time_bound(c, v, path);
                    }
                    (i == 0 ? c.has_lo : c.has_hi) = true;
                }
                break;
            case relation::contains:
            case relation::starts_with:
            case relation::ends_with:
            case relation::name_contains:
            case relation::name_starts_with:
            case relation::name_ends_with:
            case relation::name_is:
                need(1);
                if (c.field->type == data_type::addressing && values[0].is_object()) {
                    c.values.push_back(operand(c, values[0], path));
                } else {
                    c.needle = needle(values[0], path);
                }
                break;
            case relation::name_id:
                need(1);
                if (values[0].is_string()) {
                    c.needle = values[0].get_string();
                } else if (auto n = as_integer(values[0])) {
                    c.needle = std::to_string(*n);
                } else {
                    fail(where(path) + " relation 'name_id' expects a tag name or id: " + brief(values[0]));
                }
                break;
            case relation::type_is:
                need(1);
                if (values[0].is_null()) {
                    c.values.push_back(nullptr);
                } else if (!values[0].is_string() || !s.find(values[0].get_string())) {
                    fail(where(path) + " relation '" + std::string(rname) + "' expects an entity type name: " +
                         brief(values[0]));
                } else {
                    c.values.push_back(values[0]);
                }
                break;
            case relation::in_last:
            case relation::in_next: {
                need(2);
                auto n = as_integer(values[0]);
                if (!n || !values[1].is_string()) {
                    fail(where(path) + " relation '" + std::string(rname) +
                         "' expects [count, \"HOUR\"|\"DAY\"|\"WEEK\"|\"MONTH\"|\"YEAR\"]: " + brief(values));
                }
                bool last = c.rel == relation::in_last;
                auto other = shift(now, last ? -*n : *n, values[1].get_string());
                if (!other) {
                    fail(where(path) + " relation '" + std::string(rname) + "' unit must be HOUR, DAY, "
                         "WEEK, MONTH or YEAR, not " + brief(values[1]));
                }
                if (c.k == kind::date) {
                    // Dates compare by whole days: "in the last 7 days" includes today.
                    set_time_range(c, last ? *other : now, (last ? now : *other) + 1);
                    c.slo = format_date(last ? *other : now);
                    c.shi = format_date(last ? now : *other);
                } else {
                    set_time_range(c, last ? *other : now, (last ? now : *other) + 1);
                }
                break;
            }
            case relation::in_calendar_day:
            case relation::in_calendar_week:
            case relation::in_calendar_month:
            case relation::in_calendar_year: {
                need(1);
                auto n = as_integer(values[0]);
                if (!n) fail(where(path) + " relation '" + std::string(rname) + "' expects an integer offset: " + brief(values));
                auto [from, to] = calendar_range(c.rel, now, *n);
                set_time_range(c, from, to);
                break;
            }
        }
        return c;
    }

    filter::node compile_node(const json::value& v, int depth) const {
        if (depth > 64) fail("filters are nested too deeply");
        const auto* o = v.if_object();
        if (!o) fail("filter must be a condition or a group object, got " + brief(v));
        filter::node n;
        if (o->contains("logical_operator") || o->contains("conditions")) {
            const auto* op = o->if_contains("logical_operator");
            const auto* cs = o->if_contains("conditions");
            if (!op || !op->is_string() || (op->get_string() != "and" && op->get_string() != "or")) {
                fail("filter group needs logical_operator \"and\" or \"or\": " + brief(v));
            }
            if (!cs || !cs->is_array()) fail("filter group needs a 'conditions' array: " + brief(v));
            n.group = true;
            n.is_or = op->get_string() == "or";
            for (const auto& c : cs->get_array()) n.children.push_back(compile_node(c, depth + 1));
            return n;
        }
        n.cond = compile_condition(*o);
        return n;
    }
};

bool number_equal(const json::value& stored, double want) {
    auto n = as_number(stored);
    return n && *n == want;
}

// The positive relation on one candidate value (nullptr or a null value: no value).
bool eval_one(const condition& c, const json::value* v, const store& db) {
    const bool missing = !v || v->is_null();
    auto equal = [&](const json::value& want) {
        if (want.is_null()) {
            if (c.k == kind::checkbox) return false;
            return missing;
        }
        if (c.k == kind::checkbox) {
            bool have = !missing && v->is_bool() && v->get_bool();
            return have == want.get_bool();
        }
        if (missing) return false;
        switch (c.k) {
            case kind::text: return v->is_string() && iequals(v->get_string(), want.get_string());
            case kind::number: return number_equal(*v, want.get_double());
            case kind::link: return same_link(*v, want);
            default: return *v == want;
        }
    };
    auto link_name = [&]() -> std::string_view {
        std::string_view t;
        std::int64_t id = 0;
        if (missing || !read_link(*v, t, id)) return {};
        return db.name_of(t, id);
    };
    switch (c.rel) {
        case relation::is: return equal(c.values[0]);
        case relation::in:
            if (!c.sorted_numbers.empty()) {
                auto n = missing ? std::nullopt : as_number(*v);
                return n && std::binary_search(c.sorted_numbers.begin(), c.sorted_numbers.end(), *n);
            }
            for (const auto& w : c.values) {
                if (equal(w)) return true;
            }
            return false;
        case relation::less_than:
        case relation::greater_than:
        case relation::between:
        case relation::in_last:
        case relation::in_next:
        case relation::in_calendar_day:
        case relation::in_calendar_week:
        case relation::in_calendar_month:
        case relation::in_calendar_year: {
            if (missing) return false;
            if (c.k == kind::number) {
                auto n = as_number(*v);
                if (!n) return false;
                if (c.has_lo && (c.lo_strict ? !(*n > c.nlo) : !(*n >= c.nlo))) return false;
                if (c.has_hi && (c.hi_strict ? !(*n < c.nhi) : !(*n <= c.nhi))) return false;
                return true;
            }
            if (!v->is_string()) return false;
            std::string_view s = v->get_string();
            if (c.has_lo && (c.lo_strict ? !(s > c.slo) : !(s >= c.slo))) return false;
            if (c.has_hi && (c.hi_strict ? !(s < c.shi) : !(s <= c.shi))) return false;
            return true;
        }
        case relation::contains:
            if (c.k == kind::link) return !c.values.empty() && equal(c.values[0]);
            return !missing && v->is_string() && icontains(v->get_string(), c.needle);
        case relation::starts_with: return !missing && v->is_string() && istarts(v->get_string(), c.needle);
        case relation::ends_with: return !missing && v->is_string() && iends(v->get_string(), c.needle);
        case relation::type_is: {
            std::string_view t;
            std::int64_t id = 0;
            if (c.values[0].is_null()) return missing;
            return !missing && read_link(*v, t, id) && t == c.values[0].get_string();
        }
        case relation::name_contains:
            if (c.k == kind::exact) return !missing && v->is_string() && icontains(v->get_string(), c.needle);
            return !missing && icontains(link_name(), c.needle);
        case relation::name_starts_with: return !missing && istarts(link_name(), c.needle);
        case relation::name_ends_with: return !missing && iends(link_name(), c.needle);
        case relation::name_is: return !missing && iequals(link_name(), c.needle);
        case relation::name_id: return !missing && v->is_string() && v->get_string() == c.needle;
    }
    return false;
}

bool eval_condition(const condition& c, const store& db, const row& r) {
    if (c.simple) {
        const json::value& v = r.values[c.field->index];
        const json::value* p = &v;
        // A link to a retired entity reads as null, so it filters as null too.
        if (c.k == kind::link && !v.is_null() && !live_link(db, v, {}, nullptr)) p = nullptr;
        bool missing = !p || p->is_null();
        if (c.range && missing) return false;
        bool hit = eval_one(c, p, db);
        return c.negate ? !hit : hit;
    }
    // Deep paths and list fields: the positive relation holds when any reached value
    // satisfies it; the negated one when none does.
    // Reused between calls: nothing below re-enters eval_condition.
    thread_local std::vector<const json::value*> found;
    found.clear();
    collect_values(db, r, c.path, found);
    // A list field with no elements or a broken chain of links is "no value".
    bool any_value = false;
    bool hit = false;
    for (const auto* v : found) {
        if (v && !v->is_null()) any_value = true;
        if (!hit && eval_one(c, v, db)) hit = true;
    }
    if (found.empty()) hit = eval_one(c, nullptr, db);
    if (c.range && !any_value) return false;
    return c.negate ? !hit : hit;
}

bool eval_node(const filter::node& n, const store& db, const row& r) {
    if (!n.group) return eval_condition(n.cond, db, r);
    if (n.children.empty()) return true;
    if (n.is_or) {
        for (const auto& c : n.children) {
            if (eval_node(c, db, r)) return true;
        }
        return false;
    }
    for (const auto& c : n.children) {
        if (!eval_node(c, db, r)) return false;
    }
    return true;
}

}  // namespace

filter::filter() = default;
filter::~filter() = default;
filter::filter(filter&&) noexcept = default;
filter& filter::operator=(filter&&) noexcept = default;

filter filter::compile(const schema& s, const entity_def& root, const json::value& filters,
                       std::string_view method, std::int64_t now) {
    filter f;
    if (filters.is_null()) return f;
    compiler c{s, root, std::string(method), now};
    if (!filters.is_object()) {
        c.fail("filters must be an object {\"logical_operator\": ..., \"conditions\": [...]}, got " +
               brief(filters));
    }
    f.root_ = std::make_unique<node>(c.compile_node(filters, 0));
    // Id bounds from the top-level "and", including "and" groups nested in it (a client's
    // own filters and a keyset range are naturally two groups): lets a scan over rows in id
    // order start late and stop early, as an index would on the real site's database. This
    // is what makes "id > last" polling and range reads of big tables cheap.
    std::vector<const node*> top;
    auto conjuncts = [&top](auto& self, const node& n) -> void {
        if (!n.group) {
            top.push_back(&n);
        } else if (!n.is_or) {
            for (const auto& ch : n.children) self(self, ch);
        }
    };
    conjuncts(conjuncts, *f.root_);
    for (const auto* n : top) {
        if (n->group) continue;
        const auto& cond = n->cond;
        if (cond.path.size() != 1 || cond.field->name != "id" || cond.negate) continue;
        // Bounds come from doubles; clamp before converting, as a double beyond the int64
        // range does not convert (ids near the limits are legal filter values).
        auto to_id = [](double v) -> std::int64_t {
            if (v >= 9.2e18) return INT64_MAX - 1;
            if (v <= -9.2e18) return INT64_MIN + 1;
            return static_cast<std::int64_t>(v);
        };
        auto lo_from = [&](double v, bool strict) {
            f.min_id_ = std::max(f.min_id_, to_id(std::floor(v)) + (strict ? 1 : 0));
        };
        auto hi_from = [&](double v, bool strict) {
            f.max_id_ = std::min(f.max_id_, to_id(std::ceil(v)) - (strict ? 1 : 0));
        };
        switch (cond.rel) {
            case relation::greater_than:
            case relation::less_than:
            case relation::between:
                if (cond.has_lo) lo_from(cond.nlo, cond.lo_strict);
                if (cond.has_hi) hi_from(cond.nhi, cond.hi_strict);
                break;
            case relation::is:
            case relation::in: {
                if (cond.values.empty()) {
                    f.min_id_ = 1;
                    f.max_id_ = 0;
                    break;
                }
                double lo = 1e300, hi = -1e300;
                bool ok = true;
                for (const auto& v : cond.values) {
                    if (!v.is_double()) {
                        ok = false;
                        break;
                    }
                    lo = std::min(lo, v.get_double());
                    hi = std::max(hi, v.get_double());
                }
                if (ok) {
                    lo_from(lo, false);
                    hi_from(hi, false);
                }
                break;
            }
            default: break;
        }
    }
    return f;
}

bool filter::matches(const store& db, const row& r) const {
    if (!root_) return true;
    return eval_node(*root_, db, r);
}

}  // namespace sgcache::fake_shotgun
