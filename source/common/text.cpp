#include "common/text.hpp"

#include <algorithm>

namespace sgcache::text {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one (overlong
// forms, surrogates and code points above U+10FFFF included).
std::size_t sequence_at(std::string_view s, std::size_t i) noexcept {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    if (b(i + 1) < lo || b(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return 0;
    }
    return n;
}

}  // namespace

std::size_t utf8_cut(std::string_view s, std::size_t max) noexcept {
    if (max >= s.size()) return s.size();
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return cut;
}

std::string excerpt(std::string_view s, std::size_t max) {
    std::string out;
    out.reserve(std::min(s.size(), max) + 3);
    std::size_t i = 0;
    while (i < s.size()) {
        const std::size_t n = sequence_at(s, i);
        const std::size_t width = n ? n : 1;
        if (out.size() + width > max) break;
        const char c = s[i];
        if (n == 0) {
            out += '?';
        } else if (c == '\n' || c == '\r' || c == '\t') {
            out += ' ';
        } else if (n == 1 && (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)) {
            out += '?';
        } else {
            out.append(s.substr(i, n));
        }
        i += width;
    }
    if (i < s.size()) out += "...";
    return out;
}

}  // namespace sgcache::text
