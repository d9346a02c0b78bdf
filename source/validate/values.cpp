#include "validate/values.hpp"

#include "common/text.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

namespace sgcache::validate {

namespace json = boost::json;

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Reads exactly `n` digits at `pos`; false when they are not there.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) noexcept {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    pos += n;
    out = v;
    return true;
}

std::string format_time_us(std::int64_t us) {
    // Civil date from days (the inverse of days_from_civil).
    std::int64_t secs = us >= 0 ? us / 1'000'000 : -((-us + 999'999) / 1'000'000);
    const std::int64_t frac = us - secs * 1'000'000;
    std::int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    std::int64_t rem = secs - days * 86400;
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    char buf[128];
    if (frac) {
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ", static_cast<long long>(y), m, d,
                      static_cast<long long>(rem / 3600), static_cast<long long>(rem % 3600 / 60),
                      static_cast<long long>(rem % 60), static_cast<long long>(frac));
    } else {
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                      static_cast<long long>(rem / 3600), static_cast<long long>(rem % 3600 / 60),
                      static_cast<long long>(rem % 60));
    }
    return buf;
}

bool is_link_type(std::string_view t) { return t == "entity"; }
bool is_link_list_type(std::string_view t) { return t == "multi_entity" || t == "addressing"; }

json::value normalize_number(const json::value& v) {
    if (v.is_int64()) return v;
    if (v.is_uint64()) {
        const auto u = v.get_uint64();
        if (u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(u);
        return v;
    }
    const double d = v.get_double();
    // An integral double (1.0) means the integer: api3 and JSON encoders differ here.
    if (std::isfinite(d) && std::floor(d) == d && std::abs(d) < 9.0e15) return static_cast<std::int64_t>(d);
    return d;
}

json::value normalize_generic(const json::value& v);

json::value normalize_link(const json::value& v) {
    const json::object* o = v.if_object();
    if (!o) return normalize_generic(v);
    const json::value* type = o->if_contains("type");
    const json::value* id = o->if_contains("id");
    if (!type || !type->is_string() || !id || !id->is_number()) return normalize_generic(v);
    json::object link;
    link["type"] = *type;
    link["id"] = normalize_number(*id);
    if (const json::value* name = o->if_contains("name"); name && !name->is_null()) link["name"] = *name;
    return link;
}

// Sort key of a normalised link: (type, id); anything else sorts by its JSON text.
std::tuple<std::string, std::int64_t, std::string> link_order(const json::value& v) {
    if (const json::object* o = v.if_object()) {
        const json::value* t = o->if_contains("type");
        const json::value* id = o->if_contains("id");
        if (t && t->is_string() && id && id->is_int64()) return {std::string(t->get_string()), id->get_int64(), ""};
    }
    return {"", 0, json::serialize(v)};
}

json::value normalize_generic(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null: return nullptr;
        case json::kind::string: return v.get_string().empty() ? json::value(nullptr) : v;
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_: return normalize_number(v);
        case json::kind::bool_: return v;
        case json::kind::array: {
            if (v.get_array().empty()) return nullptr;
            json::array out;
            for (const auto& x : v.get_array()) out.push_back(normalize_generic(x));
            return out;
        }
        case json::kind::object: {
            json::object out;
            for (const auto& [k, x] : v.get_object()) {
                json::value n = normalize_generic(x);
                if (!n.is_null()) out[k] = std::move(n);
            }
            if (out.empty()) return nullptr;
            return out;
        }
    }
    return v;
}

}  // namespace

std::optional<std::int64_t> parse_time_us(std::string_view s) noexcept {
    std::size_t pos = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (!digits(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' || !digits(s, pos, 2, mo) || pos >= s.size() ||
        s[pos++] != '-' || !digits(s, pos, 2, d)) {
        return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
    std::int64_t frac_us = 0;
    std::int64_t offset_s = 0;
    if (pos < s.size()) {
        if (s[pos] != 'T' && s[pos] != ' ') return std::nullopt;
        ++pos;
        if (!digits(s, pos, 2, h) || pos >= s.size() || s[pos++] != ':' || !digits(s, pos, 2, mi)) return std::nullopt;
        if (pos < s.size() && s[pos] == ':') {
            ++pos;
            if (!digits(s, pos, 2, se)) return std::nullopt;
        }
        if (h > 23 || mi > 59 || se > 60) return std::nullopt;
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            ++pos;
            std::int64_t scale = 100'000;
            const std::size_t start = pos;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                frac_us += (s[pos] - '0') * scale;
                scale /= 10;
                ++pos;
            }
            if (pos == start) return std::nullopt;
        }
        if (pos < s.size()) {
            if (s[pos] == 'Z' || s[pos] == 'z') {
                ++pos;
            } else if (s[pos] == '+' || s[pos] == '-') {
                const int sign = s[pos] == '-' ? -1 : 1;
                ++pos;
                int oh = 0, om = 0;
                if (!digits(s, pos, 2, oh)) return std::nullopt;
                if (pos < s.size() && s[pos] == ':') ++pos;
                if (!digits(s, pos, 2, om)) return std::nullopt;
                offset_s = sign * (oh * 3600 + om * 60);
            } else {
                return std::nullopt;
            }
        }
        if (pos != s.size()) return std::nullopt;
    }
    const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    const std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
    return secs * 1'000'000 + frac_us;
}

json::value normalize(std::string_view type, const json::value& v) {
    if (v.is_null()) return nullptr;
    if (is_link_type(type)) return normalize_link(v);
    if (is_link_list_type(type)) {
        const json::array* list = v.if_array();
        if (!list) return normalize_generic(v);
        if (list->empty()) return nullptr;
        std::vector<json::value> links;
        for (const auto& x : *list) links.push_back(normalize_link(x));
        std::stable_sort(links.begin(), links.end(),
                         [](const json::value& a, const json::value& b) { return link_order(a) < link_order(b); });
        json::array out;
        for (auto& l : links) out.push_back(std::move(l));
        return out;
    }
    if (type == "tag_list") {
        const json::array* list = v.if_array();
        if (!list) return normalize_generic(v);
        if (list->empty()) return nullptr;
        std::vector<json::value> items;
        for (const auto& x : *list) items.push_back(normalize_generic(x));
        std::stable_sort(items.begin(), items.end(),
                         [](const json::value& a, const json::value& b) { return json::serialize(a) < json::serialize(b); });
        json::array out;
        for (auto& x : items) out.push_back(std::move(x));
        return out;
    }
    if (type == "date_time" && v.is_string()) {
        if (auto us = parse_time_us(v.get_string())) return json::value(format_time_us(*us));
        return normalize_generic(v);
    }
    if (type == "image" && v.is_string()) {
        const std::string_view url = v.get_string();
        const auto q = url.find('?');
        if (q == std::string_view::npos) return normalize_generic(v);
        return json::value(json::string(url.substr(0, q)));
    }
    return normalize_generic(v);
}

bool same_value(std::string_view type, const json::value& a, const json::value& b) {
    const json::value na = normalize(type, a);
    const json::value nb = normalize(type, b);
    if (na == nb) return true;
    // Floating point values that went through different encoders may differ in the last
    // digit; a relative difference below 1e-12 is the same number.
    if (na.is_number() && nb.is_number() && (na.is_double() || nb.is_double())) {
        const double x = na.to_number<double>();
        const double y = nb.to_number<double>();
        return std::abs(x - y) <= 1e-12 * std::max(std::abs(x), std::abs(y));
    }
    return false;
}

void links_in(const json::value& v, std::vector<std::pair<std::string, std::int64_t>>& out) {
    if (const json::array* a = v.if_array()) {
        for (const auto& x : *a) links_in(x, out);
        return;
    }
    const json::object* o = v.if_object();
    if (!o) return;
    const json::value* t = o->if_contains("type");
    const json::value* id = o->if_contains("id");
    if (t && t->is_string() && id && (id->is_int64() || id->is_uint64())) {
        out.emplace_back(std::string(t->get_string()), id->to_number<std::int64_t>());
    }
    for (const auto& [k, x] : *o) {
        if (x.is_object() || x.is_array()) links_in(x, out);
    }
}

std::string brief(const json::value& v, std::size_t max) {
    std::string s = json::serialize(v);
    if (s.size() > max) {
        s.resize(text::utf8_cut(s, max > 3 ? max - 3 : 0));
        s += "...";
    }
    return s;
}

}  // namespace sgcache::validate
