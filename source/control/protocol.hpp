// The control protocol of `sgcache serve`: one JSON object per request, one JSON object per
// reply ({"ok": true, ...} or {"ok": false, "error": "..."}). This file decodes requests
// and checks the token; it does no I/O, so that it can be unit-tested and fuzzed.
//
// Requests (every one may carry "token" when the server requires one):
//   {"command": "ping"}
//   {"command": "status"}
//   {"command": "rebuild", "entity_types": ["Shot", "Asset"]}     or "entity_types": "all"
//   {"command": "cancel_rebuild", "entity_types": ["Shot"]}
//   {"command": "reread", "entities": {"Shot": [12, 13], "Asset": [4]}}
//   {"command": "reload"}     read config.yaml and the entity configs again (as SIGHUP)
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sgcache::control {

struct request {
    std::string command;
    std::vector<std::string> entity_types;  // rebuild, cancel_rebuild
    bool all_types = false;                 // "entity_types": "all"
    std::map<std::string, std::vector<std::int64_t>> entities;  // reread
};

struct decoded {
    std::optional<request> req;  // set when the request is valid
    std::string error;           // otherwise: one line, safe to send back and to log
    bool auth_failed = false;    // the error is about the token
};

inline constexpr std::size_t max_request_bytes = 64 * 1024;
inline constexpr std::size_t max_reread_ids = 100'000;

/// Decodes one request. `token` empty means none is required. Never throws.
decoded decode(std::string_view message, const std::string& token);

/// Constant-time comparison of two secrets (SHA-256 of both, then CRYPTO_memcmp), so that
/// response times say nothing about how much of a guessed token was right.
bool same_secret(std::string_view a, std::string_view b) noexcept;

/// {"ok": false, "error": message}
std::string error_reply(std::string_view message);

}  // namespace sgcache::control
