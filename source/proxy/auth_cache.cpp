#include "proxy/auth_cache.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace sgcache::proxy {

std::string auth_cache::digest(const std::string& name, const std::string& key) {
    std::string input = name;
    input.push_back('\0');
    input += key;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

bool auth_cache::known(const std::string& name, const std::string& key, std::chrono::steady_clock::time_point now) const {
    auto it = expiry_.find(digest(name, key));
    return it != expiry_.end() && it->second > now;
}

void auth_cache::remember(const std::string& name, const std::string& key, std::chrono::steady_clock::time_point now) {
    if (expiry_.size() >= max_entries_) {
        // Expired entries go first; if none had, the whole table (callers are verified again).
        std::erase_if(expiry_, [now](const auto& kv) { return kv.second <= now; });
        if (expiry_.size() >= max_entries_) expiry_.clear();
    }
    expiry_[digest(name, key)] = now + ttl_;
}

void auth_cache::forget(const std::string& name, const std::string& key) { expiry_.erase(digest(name, key)); }

}  // namespace sgcache::proxy
