#include "http/url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace sgcache::http {

namespace urls = boost::urls;

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

[[noreturn]] void bad_url(std::string_view url, std::string_view why) {
    throw std::invalid_argument("malformed URL '" + redact_url(url) + "': " + std::string(why));
}

std::uint16_t default_port(bool tls) { return tls ? 443 : 80; }

}  // namespace

std::string redact_url(std::string_view url) {
    // Credentials sit between "//" and the last '@' before the path; replace them whole.
    auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    auto authority_begin = scheme_end + 3;
    auto authority_end = url.find_first_of("/?#", authority_begin);
    if (authority_end == std::string_view::npos) authority_end = url.size();
    auto authority = url.substr(authority_begin, authority_end - authority_begin);
    auto at = authority.rfind('@');
    if (at == std::string_view::npos) return std::string(url);
    std::string out(url.substr(0, authority_begin));
    out += "***@";
    out += url.substr(authority_begin + at + 1);
    return out;
}

endpoint parse_endpoint(std::string_view url) {
    if (url.empty()) bad_url(url, "empty");
    auto parsed = urls::parse_uri(url);
    if (!parsed) bad_url(url, "not a URL (" + parsed.error().message() + ")");
    const urls::url_view& u = *parsed;

    endpoint ep;
    const std::string scheme = lower(std::string(u.scheme()));
    if (scheme == "https") {
        ep.tls = true;
    } else if (scheme != "http") {
        bad_url(url, "the scheme must be http or https, not '" + scheme + "'");
    }
    if (!u.has_authority() || u.encoded_host().empty()) bad_url(url, "no host");
    if (u.has_query()) bad_url(url, "a query string is not allowed");
    if (u.has_fragment()) bad_url(url, "a fragment is not allowed");

    ep.host = lower(std::string(u.host_address()));
    if (u.has_port()) {
        const std::string_view text = u.port();
        if (text.empty()) bad_url(url, "empty port");
        unsigned long n = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec != std::errc{} || end != text.data() + text.size() || n == 0 || n > 65535) {
            bad_url(url, "port '" + std::string(text) + "' is out of range");
        }
        ep.port = static_cast<std::uint16_t>(n);
    } else {
        ep.port = default_port(ep.tls);
    }
    if (u.has_userinfo()) {
        ep.username = u.user();
        ep.password = u.password();
    }
    std::string path(u.encoded_path());
    if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
    if (path.back() != '/') path.push_back('/');
    ep.base_path = std::move(path);
    return ep;
}

std::string endpoint::origin() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string out = tls ? "https://" : "http://";
    out += v6 ? "[" + host + "]" : host;
    out += ":" + std::to_string(port);
    return out;
}

std::string endpoint::host_field() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string out = v6 ? "[" + host + "]" : host;
    if (port != default_port(tls)) out += ":" + std::to_string(port);
    return out;
}

std::string endpoint::target_for(std::string_view path) const {
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    return base_path + std::string(path);
}

}  // namespace sgcache::http
