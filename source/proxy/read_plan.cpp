#include "proxy/read_plan.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace json = boost::json;

namespace sgcache::proxy {

namespace {

// The documents' reserved metadata object (config::meta_field; not included here, so that
// the planner builds alone for the fuzzer).
constexpr const char* config_meta_field = "_sgcache";
// Elasticsearch's default index.max_result_window: from + size beyond it is refused.
constexpr std::int64_t result_window = 10'000;
// Longest text a `lower` or keyword sub-field indexes (entity_config.cpp).
constexpr std::size_t longest_indexed = 8191;

}  // namespace

value_kind value_kind_of(const std::string& t) {
    if (t == "text") return value_kind::text;
    if (t == "list" || t == "status_list" || t == "color" || t == "entity_type" || t == "uuid" || t == "footage") {
        return value_kind::exact;
    }
    if (t == "number" || t == "duration" || t == "timecode" || t == "percent") return value_kind::integer;
    if (t == "float" || t == "currency") return value_kind::number;
    if (t == "date") return value_kind::date;
    if (t == "date_time") return value_kind::date_time;
    if (t == "checkbox") return value_kind::checkbox;
    if (t == "entity") return value_kind::entity;
    if (t == "multi_entity") return value_kind::multi_entity;
    return value_kind::other;
}

namespace {

// The relations the site accepts per kind that the cache answers exactly. The site accepts
// more (in_last, name_*, ...): those are forwarded.
bool answerable(value_kind k, std::string_view rel) {
    auto one_of = [&](std::initializer_list<std::string_view> l) {
        return std::find(l.begin(), l.end(), rel) != l.end();
    };
    switch (k) {
        case value_kind::text:
            return one_of({"is", "is_not", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with"});
        case value_kind::exact: return one_of({"is", "is_not", "in", "not_in"});
        case value_kind::integer:
            return one_of({"is", "is_not", "in", "not_in", "less_than", "greater_than", "between", "not_between"});
        case value_kind::number:
            return one_of({"is", "is_not", "in", "not_in", "less_than", "greater_than", "between", "not_between"});
        case value_kind::date:
        case value_kind::date_time:
            return one_of({"is", "is_not", "in", "not_in", "less_than", "greater_than", "between"});
        case value_kind::checkbox: return one_of({"is", "is_not"});
        case value_kind::entity:
        case value_kind::multi_entity: return one_of({"is", "is_not", "in", "not_in", "type_is", "type_is_not"});
        case value_kind::other: return false;
    }
    return false;
}

bool digits(std::string_view s, std::size_t at, std::size_t n) {
    if (at + n > s.size()) return false;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
}

bool is_date(std::string_view s) {
    return s.size() == 10 && digits(s, 0, 4) && s[4] == '-' && digits(s, 5, 2) && s[7] == '-' && digits(s, 8, 2);
}

// "YYYY-MM-DDTHH:MM:SSZ", the one form the site stores and compares date-times in.
bool is_date_time(std::string_view s) {
    return s.size() == 20 && is_date(s.substr(0, 10)) && s[10] == 'T' && digits(s, 11, 2) && s[13] == ':' &&
           digits(s, 14, 2) && s[16] == ':' && digits(s, 17, 2) && s[19] == 'Z';
}

json::object obj(std::string_view key, json::value v) {
    json::object o;
    o[key] = std::move(v);
    return o;
}

json::object term(const std::string& field, json::value v) { return obj("term", obj(field, std::move(v))); }
json::object exists(const std::string& field) { return obj("exists", obj("field", json::string(field))); }
json::object bool_of(std::string_view clause, json::array list) {
    json::object b;
    b[clause] = std::move(list);
    if (clause == "should") b["minimum_should_match"] = 1;
    return obj("bool", std::move(b));
}
json::object not_(json::object q) { return bool_of("must_not", json::array{std::move(q)}); }
json::object match_none() { return obj("match_none", json::object{}); }

bool ascii(std::string_view s) {
    for (unsigned char c : s) {
        if (c >= 0x80) return false;
    }
    return true;
}

// The `lower` sub-field folds letters of every script (the built-in lowercase normalizer);
// the site folds ASCII letters only. With an ASCII operand both agree (but for two rare
// characters whose lower case is ASCII: U+0130 and the Kelvin sign).
constexpr const char* non_ascii = "a text operand with non-ASCII characters (the index folds more letters than the site)";

std::string escape_wildcard(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '*' || c == '?' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

// Thrown inside the planner: the read is forwarded for this reason.
struct forward {
    std::string reason;
};

[[noreturn]] void refuse(std::string reason) { throw forward{std::move(reason)}; }

struct planner {
    const catalog& cat;
    const type_info& type;

    const field_info& field(std::string_view name, const char* role) const {
        if (name.find('.') != std::string_view::npos) refuse(std::string(role) + " '" + std::string(name) + "' is a deep link");
        auto it = type.fields.find(name);
        if (it == type.fields.end()) refuse(std::string(role) + " '" + std::string(name) + "' is not cached");
        return it->second;
    }

    // A link operand the site accepts: {"type": <a site type>, "id": <integer>, ...}.
    std::pair<std::string, std::int64_t> link(const json::value& v) const {
        const auto* o = v.if_object();
        const auto* t = o ? o->if_contains("type") : nullptr;
        const auto* id = o ? o->if_contains("id") : nullptr;
        if (!t || !t->is_string() || !id || !id->is_int64()) refuse("a link operand is not {type, id}");
        if (!cat.site_types.count(t->get_string())) refuse("a link operand names an unknown type");
        return {std::string(t->get_string()), id->get_int64()};
    }

    // The query matching documents whose field equals `v` (a checked operand, not null).
    json::object equals(const std::string& path, const field_info& f, const json::value& v) const {
        switch (f.kind) {
            case value_kind::text: {
                if (!v.is_string()) refuse("a text operand is not a string");
                if (!ascii(v.get_string())) refuse(non_ascii);
                if (!f.has_lower) refuse("text field '" + path + "' has no `lower` sub-field (an older mapping)");
                if (v.get_string().size() > longest_indexed) refuse("a text operand longer than the indexed limit");
                return term(path + ".lower", json::string(ascii_lower(v.get_string())));
            }
            case value_kind::exact:
                if (!v.is_string()) refuse("a list operand is not a string");
                if (v.get_string().size() > 1024) refuse("a list operand longer than the indexed limit");
                return term(path, v);
            case value_kind::integer:
                if (!v.is_int64()) refuse("an integer operand is not an integer");
                return term(path, v);
            case value_kind::number:
                if (!v.is_int64() && !v.is_double()) refuse("a number operand is not a number");
                return term(path, v);
            case value_kind::date:
                if (!v.is_string() || !is_date(v.get_string())) refuse("a date operand is not YYYY-MM-DD");
                return term(path, v);
            case value_kind::date_time: return term(path, json::string(date_time_operand(v)));
            case value_kind::entity: {
                auto [t, id] = link(v);
                return bool_of("filter", json::array{term(path + ".type", json::string(t)), term(path + ".id", id)});
            }
            case value_kind::multi_entity: {
                auto [t, id] = link(v);
                return nested(path, bool_of("filter", json::array{term(path + ".type", json::string(t)),
                                                                  term(path + ".id", id)}));
            }
            default: refuse("unsupported comparison");
        }
    }

    static json::object nested(const std::string& path, json::object q) {
        json::object n;
        n["path"] = path;
        n["query"] = std::move(q);
        return obj("nested", std::move(n));
    }

    std::string date_time_operand(const json::value& v) const {
        if (!v.is_string()) refuse("a date-time operand is not a string");
        std::string_view s = v.get_string();
        if (is_date_time(s)) return std::string(s);
        // A date alone means its midnight, as on the site.
        if (is_date(s)) return std::string(s) + "T00:00:00Z";
        refuse("a date-time operand is not YYYY-MM-DDTHH:MM:SSZ");
    }

    // Documents where the field has a value (the site's "not null").
    json::object present(const std::string& path, const field_info& f) const {
        switch (f.kind) {
            case value_kind::entity: return exists(path + ".id");
            case value_kind::multi_entity: return nested(path, exists(path + ".id"));
            case value_kind::text:
                // Long text is not in `lower`; "" is not in an analysed text field.
                return bool_of("should", json::array{exists(path), exists(path + ".lower")});
            default: return exists(path);
        }
    }

    json::value bound(const std::string& path, const field_info& f, const json::value& v) const {
        switch (f.kind) {
            case value_kind::integer:
                if (!v.is_int64()) refuse("an integer bound is not an integer");
                return v;
            case value_kind::number:
                if (!v.is_int64() && !v.is_double()) refuse("a number bound is not a number");
                return v;
            case value_kind::date:
                if (!v.is_string() || !is_date(v.get_string())) refuse("a date bound is not YYYY-MM-DD");
                return v;
            case value_kind::date_time: return json::string(date_time_operand(v));
            default: refuse("range on '" + path + "'");
        }
    }

    json::object condition(const json::object& c) const {
        const auto* p = c.if_contains("path");
        const auto* r = c.if_contains("relation");
        if (!p || !p->is_string() || !r || !r->is_string()) refuse("a condition without path or relation");
        const std::string path(p->get_string());
        const std::string rel(r->get_string());
        const auto& f = field(path, "filter");
        if (f.image) refuse("filter on an image field");
        if (!answerable(f.kind, rel) || (rel == "not_between" && !f.not_between)) {
            refuse("relation '" + rel + "' on '" + path + "'");
        }
        json::array values;
        if (const auto* v = c.if_contains("values")) {
            if (v->is_array()) {
                values = v->get_array();
            } else {
                values.push_back(*v);
            }
        }
        auto need = [&](std::size_t n) {
            if (values.size() != n) refuse("relation '" + rel + "' with " + std::to_string(values.size()) + " values");
        };
        const bool negate = rel == "is_not" || rel == "not_in" || rel == "not_contains" || rel == "not_between" ||
                            rel == "type_is_not";
        auto signed_ = [&](json::object q) { return negate ? not_(std::move(q)) : q; };

        if (rel == "is" || rel == "is_not") {
            need(1);
            const auto& v = values[0];
            if (f.kind == value_kind::checkbox) {
                if (!v.is_bool()) refuse("a checkbox operand is not true or false");
                // false matches false and no value alike.
                json::object is_true = term(path, true);
                return signed_(v.get_bool() ? is_true : not_(std::move(is_true)));
            }
            return signed_(v.is_null() ? not_(present(path, f)) : equals(path, f, v));
        }
        if (rel == "in" || rel == "not_in") {
            if (f.kind == value_kind::checkbox) refuse("in on a checkbox");
            json::array any;
            for (const auto& v : values) any.push_back(v.is_null() ? not_(present(path, f)) : equals(path, f, v));
            if (any.empty()) return signed_(match_none());
            return signed_(bool_of("should", std::move(any)));
        }
        if (rel == "type_is" || rel == "type_is_not") {
            need(1);
            const auto& v = values[0];
            if (v.is_null()) return signed_(not_(present(path, f)));
            if (!v.is_string() || !cat.site_types.count(v.get_string())) refuse("type_is names an unknown type");
            json::object q = term(path + ".type", v);
            return signed_(f.kind == value_kind::multi_entity ? nested(path, std::move(q)) : std::move(q));
        }
        if (rel == "contains" || rel == "not_contains" || rel == "starts_with" || rel == "ends_with") {
            need(1);
            if (!values[0].is_string()) refuse("a text operand is not a string");
            if (!ascii(values[0].get_string())) refuse(non_ascii);
            if (!f.has_lower) refuse("text field '" + path + "' has no `lower` sub-field (an older mapping)");
            const std::string needle = ascii_lower(values[0].get_string());
            json::object q;
            if (needle.empty()) {
                q = present(path, f);  // every value starts with, ends with and contains ""
            } else if (rel == "starts_with") {
                q = obj("prefix", obj(path + ".lower", json::string(needle)));
            } else {
                const std::string pattern = "*" + escape_wildcard(needle) + (rel == "ends_with" ? "" : "*");
                q = obj("wildcard", obj(path + ".lower", json::string(pattern)));
            }
            return signed_(std::move(q));
        }
        // Ranges never match a missing value, negated or not (SQL's NOT BETWEEN on NULL).
        json::object range;
        if (rel == "less_than" || rel == "greater_than") {
            need(1);
            if (values[0].is_null()) refuse("a null bound");
            range[rel == "less_than" ? "lt" : "gt"] = bound(path, f, values[0]);
        } else {  // between, not_between
            need(2);
            if (!values[0].is_null()) range["gte"] = bound(path, f, values[0]);
            if (!values[1].is_null()) range["lte"] = bound(path, f, values[1]);
        }
        json::object q = range.empty() ? present(path, f) : obj("range", obj(path, std::move(range)));
        if (!negate) return q;
        json::object b;
        b["filter"] = json::array{present(path, f)};
        b["must_not"] = json::array{std::move(q)};
        return obj("bool", std::move(b));
    }

    json::object node(const json::value& v, int depth) const {
        if (depth > 32) refuse("filters nested too deeply");
        const auto* o = v.if_object();
        if (!o) refuse("a filter that is not an object");
        if (o->contains("logical_operator") || o->contains("conditions")) {
            const auto* op = o->if_contains("logical_operator");
            const auto* cs = o->if_contains("conditions");
            if (!op || !op->is_string() || (op->get_string() != "and" && op->get_string() != "or")) {
                refuse("a group without logical_operator and/or");
            }
            if (!cs || !cs->is_array()) refuse("a group without conditions");
            json::array children;
            for (const auto& c : cs->get_array()) children.push_back(node(c, depth + 1));
            if (children.empty()) return obj("match_all", json::object{});
            return bool_of(op->get_string() == "or" ? "should" : "filter", std::move(children));
        }
        return condition(*o);
    }
};

// The cached type a read or summarize names, when the type's entity-config filters keep
// exactly what the call asks for (presets and include_archived_projects).
const type_info& cached_type(const catalog& cat, const json::object& params) {
    const auto* tv = params.if_contains("type");
    if (!tv || !tv->is_string()) refuse("no entity type");
    auto it = cat.types.find(tv->get_string());
    if (it == cat.types.end()) refuse("type '" + std::string(tv->get_string()) + "' is not cached");
    const type_info& type = it->second;
    if (const auto* presets = params.if_contains("additional_filter_presets");
        presets && !presets->is_null() && !(presets->is_array() && presets->get_array().empty())) {
        refuse("additional_filter_presets");
    }
    bool archived = true;  // include_archived_projects, true unless sent false
    if (const auto* a = params.if_contains("include_archived_projects"); a && !a->is_null()) {
        if (!a->is_bool()) refuse("include_archived_projects is not a boolean");
        archived = a->get_bool();
    }
    if (type.covers == type_info::coverage::other) refuse("the type's entity-config filters");
    if (archived != (type.covers == type_info::coverage::everything)) {
        refuse("include_archived_projects differs from the type's entity-config filters");
    }
    return type;
}

std::optional<std::int64_t> positive(const json::value& v) {
    if (v.is_int64() && v.get_int64() >= 1) return v.get_int64();
    return std::nullopt;
}

}  // namespace

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

read_plan plan_read(const catalog& cat, const json::object& params) {
    read_plan out;
    try {
        static const std::set<std::string_view> known{"type",
                                                      "return_fields",
                                                      "filters",
                                                      "return_only",
                                                      "paging",
                                                      "sorts",
                                                      "include_archived_projects",
                                                      "additional_filter_presets",
                                                      "api_return_image_urls",
                                                      "return_paging_info",
                                                      "return_paging_info_without_counts"};
        for (const auto& kv : params) {
            if (!known.count(kv.key())) refuse("parameter '" + std::string(kv.key()) + "'");
        }
        const type_info& type = cached_type(cat, params);
        planner p{cat, type};
        bool retired = false;
        if (const auto* ro = params.if_contains("return_only"); ro && !ro->is_null()) {
            if (*ro == json::value("retired")) {
                if (!type.retired_kept) refuse("return_only retired on an index without retired entities' fields");
                retired = true;
            } else if (*ro != json::value("active")) {
                refuse("return_only other than active or retired");
            }
        }
        for (const char* flag : {"return_paging_info", "return_paging_info_without_counts", "api_return_image_urls"}) {
            if (const auto* v = params.if_contains(flag); v && !v->is_null() && !v->is_bool()) {
                refuse(std::string(flag) + " is not a boolean");
            }
        }

        cached_read r;
        r.type = type.type;
        // Retired entities: the documents of the all alias the site returned as retired.
        r.index = retired ? type.all_alias : type.live_alias;
        json::array source{"type", "id"};
        if (const auto* rf = params.if_contains("return_fields"); rf && !rf->is_null()) {
            if (!rf->is_array()) refuse("return_fields is not a list");
            for (const auto& f : rf->get_array()) {
                if (!f.is_string()) refuse("a return field that is not a string");
                const std::string name(f.get_string());
                if (name == "type" || name == "id") continue;
                if (std::find(r.return_fields.begin(), r.return_fields.end(), name) != r.return_fields.end()) continue;
                if (p.field(name, "return field").image) refuse("image field '" + name + "' (signed URLs)");
                r.return_fields.push_back(name);
                source.push_back(json::string(name));
            }
        }

        r.per_page = cat.max_per_page;
        if (const auto* pg = params.if_contains("paging"); pg && !pg->is_null()) {
            const auto* po = pg->if_object();
            if (!po) refuse("paging is not an object");
            for (const auto& kv : *po) {
                if (kv.key() != "entities_per_page" && kv.key() != "current_page") refuse("paging key");
            }
            if (const auto* n = po->if_contains("entities_per_page")) {
                auto v = positive(*n);
                if (!v) refuse("entities_per_page is not a positive integer");
                r.per_page = std::min(*v, cat.max_per_page);
            }
            if (const auto* n = po->if_contains("current_page")) {
                auto v = positive(*n);
                if (!v) refuse("current_page is not a positive integer");
                r.page = *v;
            }
        }
        if (const auto* v = params.if_contains("return_paging_info"); v && v->is_bool()) r.with_counts = v->get_bool();
        const std::int64_t from = (r.page - 1) * r.per_page;
        if (r.page > result_window || from + r.per_page + 1 > result_window) refuse("a page beyond the result window");

        json::array sort;
        json::object guards;
        bool by_id = false;
        if (const auto* so = params.if_contains("sorts"); so && !so->is_null()) {
            if (!so->is_array()) refuse("sorts is not a list");
            for (const auto& e : so->get_array()) {
                const auto* o = e.if_object();
                const auto* fn = o ? o->if_contains("field_name") : nullptr;
                if (!fn && o) fn = o->if_contains("column");
                if (!fn || !fn->is_string()) refuse("a sort without field_name");
                std::string order = "asc";
                if (const auto* d = o->if_contains("direction"); d && !d->is_null()) {
                    if (*d != json::value("asc") && *d != json::value("desc")) refuse("a sort direction");
                    order = std::string(d->get_string());
                }
                const std::string name(fn->get_string());
                const auto& f = p.field(name, "sort field");
                // PostgreSQL's defaults: NULLS LAST ascending, NULLS FIRST descending.
                json::object how;
                how["order"] = order;
                how["missing"] = order == "asc" ? "_last" : "_first";
                switch (f.kind) {
                    case value_kind::integer:
                    case value_kind::number:
                    case value_kind::date:
                    case value_kind::date_time:
                    case value_kind::checkbox: sort.push_back(obj(name, how)); break;
                    case value_kind::text: {
                        if (!f.has_lower) refuse("sort on text field '" + name + "' without `lower`");
                        // Case-insensitive first (the site's collation), raw bytes as the tie-break.
                        sort.push_back(obj(name + ".lower", how));
                        sort.push_back(obj(f.raw_keyword, how));
                        // The site's order and `lower`'s agree while every value is printable
                        // ASCII: the search also counts matching documents with any other
                        // character in this field, and a count above zero means forward.
                        json::object pattern;
                        pattern["value"] = ".*[^ -~].*";
                        pattern["flags"] = "NONE";
                        const std::string guard = "non_ascii_" + std::to_string(r.guards.size());
                        guards[guard] = obj("filter", obj("regexp", obj(f.raw_keyword, std::move(pattern))));
                        r.guards.push_back(guard);
                        break;
                    }
                    default: refuse("sort on '" + name + "'");
                }
                if (name == "id") {
                    by_id = true;
                    break;  // every tie is decided by then
                }
            }
        }
        if (!by_id) sort.push_back(obj("id", json::object{{"order", "asc"}}));

        json::object body;
        json::array query;
        if (const auto* fv = params.if_contains("filters"); fv && !fv->is_null()) {
            if (!fv->is_object()) refuse("filters in list form");
            query.push_back(p.node(*fv, 0));
        }
        if (retired) query.push_back(term(std::string(config_meta_field) + ".site_retired", true));
        if (query.size() == 1) {
            body["query"] = std::move(query[0]);
        } else if (!query.empty()) {
            body["query"] = bool_of("filter", std::move(query));
        }
        body["from"] = from;
        // One more than a page tells whether there is a next one.
        body["size"] = r.per_page + 1;
        body["sort"] = std::move(sort);
        body["_source"] = std::move(source);
        // Counting every match costs the node; has_next_page comes from the extra hit.
        body["track_total_hits"] = r.with_counts;
        if (!guards.empty()) body["aggs"] = std::move(guards);
        r.body = std::move(body);
        out.cached = std::move(r);
    } catch (const forward& f) {
        out.forward_reason = f.reason;
    }
    return out;
}

json::object render(const cached_read& r, const json::array& hits, std::int64_t total) {
    json::array entities;
    const auto shown = std::min<std::size_t>(hits.size(), static_cast<std::size_t>(r.per_page));
    for (std::size_t i = 0; i < shown; ++i) {
        const auto* src = hits[i].as_object().if_contains("_source");
        const json::object empty;
        const json::object& s = src && src->is_object() ? src->get_object() : empty;
        json::object e;
        e["type"] = r.type;
        e["id"] = s.contains("id") ? s.at("id") : json::value(nullptr);
        for (const auto& f : r.return_fields) {
            const auto* v = s.if_contains(f);
            e[f] = v ? *v : json::value(nullptr);
        }
        entities.push_back(std::move(e));
    }
    json::object paging;
    paging["has_next_page"] = hits.size() > static_cast<std::size_t>(r.per_page);
    if (r.with_counts) {
        paging["entity_count"] = total;
        paging["current_page"] = r.page;
        paging["page_count"] = (total + r.per_page - 1) / r.per_page;
    }
    json::object out;
    out["entities"] = std::move(entities);
    out["paging_info"] = std::move(paging);
    return out;
}

summary_plan plan_summarize(const catalog& cat, const json::object& params) {
    summary_plan out;
    try {
        static const std::set<std::string_view> known{"type", "filters", "summaries", "grouping",
                                                      "include_archived_projects", "additional_filter_presets"};
        for (const auto& kv : params) {
            if (!known.count(kv.key())) refuse("parameter '" + std::string(kv.key()) + "'");
        }
        if (const auto* g = params.if_contains("grouping");
            g && !g->is_null() && !(g->is_array() && g->get_array().empty())) {
            refuse("grouping");  // group names and orders are the site's own
        }
        const type_info& type = cached_type(cat, params);
        planner p{cat, type};
        cached_summary r;
        r.type = type.type;
        r.index = type.live_alias;
        const auto* sv = params.if_contains("summaries");
        if (!sv || !sv->is_array()) refuse("summaries is not a list");
        json::object aggs;
        for (const auto& e : sv->get_array()) {
            const auto* o = e.if_object();
            const auto* f = o ? o->if_contains("field") : nullptr;
            const auto* t = o ? o->if_contains("type") : nullptr;
            if (!f || !f->is_string() || !t || !t->is_string()) refuse("a summary without field and type");
            const std::string field(f->get_string());
            const std::string kind(t->get_string());
            const auto& fi = p.field(field, "summary field");
            if (fi.image) refuse("summary of an image field");
            const std::string name = "s" + std::to_string(r.items.size());
            json::object agg;
            if (kind == "record_count") {
                // From the total.
            } else if (kind == "count") {
                // A multi-entity field counts on the site when it holds any link, even to a
                // retired entity that no read shows (and the cache holds what reads show).
                if (fi.kind == value_kind::other || fi.kind == value_kind::multi_entity) {
                    refuse("count of '" + field + "'");
                }
                agg["filter"] = p.present(field, fi);
            } else if (kind == "checked" || kind == "unchecked") {
                if (fi.kind != value_kind::checkbox) refuse(kind + " of '" + field + "'");
                agg["filter"] = term(field, true);
            } else if (kind == "sum" || kind == "average" || kind == "maximum" || kind == "minimum") {
                // Integers only: a sum of doubles depends on the order of its terms.
                if (fi.kind != value_kind::integer) refuse(kind + " of '" + field + "'");
                const char* op = kind == "sum" ? "sum" : kind == "average" ? "avg" : kind == "maximum" ? "max" : "min";
                agg[op] = obj("field", json::string(field));
            } else if (kind == "earliest" || kind == "latest") {
                if (fi.kind != value_kind::date && fi.kind != value_kind::date_time) refuse(kind + " of '" + field + "'");
                agg[kind == "earliest" ? "min" : "max"] = obj("field", json::string(field));
            } else {
                refuse("summary type '" + kind + "'");
            }
            if (!agg.empty()) aggs[name] = std::move(agg);
            r.items.push_back({field, kind, name, fi.kind});
        }
        json::object body;
        if (const auto* fv = params.if_contains("filters"); fv && !fv->is_null()) {
            if (!fv->is_object()) refuse("filters in list form");
            body["query"] = p.node(*fv, 0);
        }
        body["size"] = 0;
        body["track_total_hits"] = true;
        if (!aggs.empty()) body["aggs"] = std::move(aggs);
        r.body = std::move(body);
        out.cached = std::move(r);
    } catch (const forward& f) {
        out.forward_reason = f.reason;
    }
    return out;
}

namespace {

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" of milliseconds since the epoch (UTC).
std::string format_ms(double ms, bool date_only) {
    using namespace std::chrono;
    const auto t = sys_time<milliseconds>(milliseconds(static_cast<std::int64_t>(ms)));
    const auto day = floor<days>(t);
    const year_month_day ymd(day);
    const hh_mm_ss<milliseconds> hms(t - day);
    char buf[32];
    if (date_only) {
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(ymd.day()));
    } else {
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                      static_cast<int>(hms.seconds().count()));
    }
    return buf;
}

}  // namespace

json::object render_summary(const cached_summary& r, const json::object& aggregations, std::int64_t total) {
    json::object summaries;
    for (const auto& it : r.items) {
        const json::object* agg = nullptr;
        if (const auto* a = aggregations.if_contains(it.agg); a && a->is_object()) agg = &a->get_object();
        auto doc_count = [&]() -> std::int64_t {
            const auto* c = agg ? agg->if_contains("doc_count") : nullptr;
            return c && c->is_int64() ? c->get_int64() : 0;
        };
        auto value = [&]() -> std::optional<double> {
            const auto* v = agg ? agg->if_contains("value") : nullptr;
            if (!v || !v->is_number()) return std::nullopt;
            return v->to_number<double>();
        };
        json::value out;
        if (it.kind == "record_count") {
            out = total;
        } else if (it.kind == "count" || it.kind == "checked") {
            out = doc_count();
        } else if (it.kind == "unchecked") {
            out = total - doc_count();
        } else if (it.kind == "average") {
            auto v = value();
            out = v ? json::value(*v) : json::value(nullptr);
        } else if (it.kind == "earliest" || it.kind == "latest") {
            auto v = value();
            out = v ? json::value(json::string(format_ms(*v, it.value == value_kind::date))) : json::value(nullptr);
        } else {  // sum, minimum, maximum of integers: whole numbers, as the site gives them
            auto v = value();
            if (it.kind == "sum" && !v) v = 0.0;
            if (!v) {
                out = nullptr;
            } else if (std::abs(*v) < 9e15) {
                out = static_cast<std::int64_t>(*v);
            } else {
                out = *v;
            }
        }
        summaries[it.field] = std::move(out);
    }
    json::object result;
    result["summaries"] = std::move(summaries);
    result["groups"] = json::array{};
    return result;
}

}  // namespace sgcache::proxy
