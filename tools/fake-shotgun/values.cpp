#include "values.hpp"

#include <cstdio>

namespace sgcache::fake_shotgun {

// Howard Hinnant's civil calendar algorithms (public domain description), written out so
// that no time zone database or locale is involved.
std::int64_t days_from_civil(int y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

namespace {

struct civil_time {
    int y;
    unsigned mo, d, h, mi, s;
};

civil_time split(std::int64_t t) {
    std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    std::int64_t rem = t - days * 86400;
    civil_time c{};
    civil_from_days(days, c.y, c.mo, c.d);
    c.h = static_cast<unsigned>(rem / 3600);
    c.mi = static_cast<unsigned>(rem % 3600 / 60);
    c.s = static_cast<unsigned>(rem % 60);
    return c;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
}

unsigned days_in_month(int y, unsigned m) {
    static constexpr unsigned len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : len[m - 1];
}

}  // namespace

std::string format_date_time(std::int64_t t) {
    auto c = split(t);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02uZ", c.y, c.mo, c.d, c.h, c.mi, c.s);
    return buf;
}

std::string format_date(std::int64_t t) {
    auto c = split(t);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.y, c.mo, c.d);
    return buf;
}

std::string format_event_time(std::int64_t t) {
    auto c = split(t);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02u:%02u:%02u UTC", c.y, c.mo, c.d, c.h, c.mi,
                  c.s);
    return buf;
}

std::optional<std::int64_t> parse_date(std::string_view s) {
    unsigned y, m, d;
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    if (!digits(s, 0, 4, y) || !digits(s, 5, 2, m) || !digits(s, 8, 2, d)) return std::nullopt;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(static_cast<int>(y), m)) return std::nullopt;
    return days_from_civil(static_cast<int>(y), m, d) * 86400;
}

std::optional<std::int64_t> parse_date_time(std::string_view s) {
    if (s.size() != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') {
        return std::nullopt;
    }
    auto day = parse_date(s.substr(0, 10));
    unsigned h, mi, sec;
    if (!day || !digits(s, 11, 2, h) || !digits(s, 14, 2, mi) || !digits(s, 17, 2, sec)) {
        return std::nullopt;
    }
    if (h > 23 || mi > 59 || sec > 59) return std::nullopt;
    return *day + h * 3600 + mi * 60 + sec;
}

json::object make_link(std::string_view type, std::int64_t id) {
    json::object o;
    o.reserve(3);
    o.emplace("type", type);
    o.emplace("id", id);
    return o;
}

json::array stored_link(std::string_view type, std::int64_t id) {
    json::array a;
    a.reserve(2);
    a.emplace_back(type);
    a.emplace_back(id);
    return a;
}

bool is_stored_link(const json::value& v) noexcept {
    const auto* a = v.if_array();
    return a && a->size() == 2 && (*a)[0].is_string() && as_integer((*a)[1]).has_value();
}

bool read_link(const json::value& v, std::string_view& type, std::int64_t& id) noexcept {
    if (is_stored_link(v)) {
        const auto& a = v.get_array();
        type = a[0].get_string();
        id = *as_integer(a[1]);
        return true;
    }
    const auto* o = v.if_object();
    if (!o) return false;
    const auto* t = o->if_contains("type");
    const auto* i = o->if_contains("id");
    if (!t || !i || !t->is_string()) return false;
    auto n = as_integer(*i);
    if (!n) return false;
    type = t->as_string();
    id = *n;
    return true;
}

bool same_link(const json::value& a, const json::value& b) noexcept {
    std::string_view ta, tb;
    std::int64_t ia = 0, ib = 0;
    return read_link(a, ta, ia) && read_link(b, tb, ib) && ia == ib && ta == tb;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::optional<std::int64_t> as_integer(const json::value& v) noexcept {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v.get_uint64());
    }
    return std::nullopt;
}

std::optional<double> as_number(const json::value& v) noexcept {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    if (v.is_double()) return v.get_double();
    return std::nullopt;
}

std::string brief(const json::value& v, std::size_t max) {
    std::string s = json::serialize(v);
    if (s.size() > max) {
        // Never inside a UTF-8 character: the text goes back in a JSON fault message.
        std::size_t cut = max;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
        s.resize(cut);
        s += "...";
    }
    return s;
}

}  // namespace sgcache::fake_shotgun
