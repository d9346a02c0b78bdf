// Callers whose script name and key the site accepted a moment ago. Only a SHA-256 of the
// pair is kept (a memory dump does not reveal keys), and each entry expires after a fixed
// time, after which the site is asked again.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace sgcache::proxy {

class auth_cache {
public:
    explicit auth_cache(std::chrono::milliseconds ttl, std::size_t max_entries = 10'000)
        : ttl_(ttl), max_entries_(max_entries) {}

    /// True when this name and key were accepted by the site less than `ttl` before `now`.
    bool known(const std::string& name, const std::string& key, std::chrono::steady_clock::time_point now) const;
    /// Records that the site accepted them at `now`.
    void remember(const std::string& name, const std::string& key, std::chrono::steady_clock::time_point now);
    /// Forgets them (the site refused them).
    void forget(const std::string& name, const std::string& key);

    std::size_t size() const noexcept { return expiry_.size(); }

    /// Hex SHA-256 of name, a NUL byte and key.
    static std::string digest(const std::string& name, const std::string& key);

private:
    std::chrono::milliseconds ttl_;
    std::size_t max_entries_;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> expiry_;
};

}  // namespace sgcache::proxy
