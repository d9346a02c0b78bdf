#include "http/message.hpp"

#include <algorithm>
#include <cctype>

namespace sgcache::http {

std::string_view to_string(verb v) noexcept {
    switch (v) {
        case verb::get: return "GET";
        case verb::head: return "HEAD";
        case verb::post: return "POST";
        case verb::put: return "PUT";
        case verb::delete_: return "DELETE";
    }
    return "GET";
}

std::string_view find_field(const std::vector<field>& fields, std::string_view name) noexcept {
    const auto same = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) ==
                          std::tolower(static_cast<unsigned char>(y));
               });
    };
    for (const auto& f : fields) {
        if (same(f.name, name)) return f.value;
    }
    return {};
}

}  // namespace sgcache::http
