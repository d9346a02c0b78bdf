// The error a Shotgun site answers with: {"exception": true, "message": ..., "error_code": N}
// on HTTP 200. Thrown by the fake site's logic and turned into that body by site::handle().
#pragma once

#include <stdexcept>
#include <string>

namespace sgcache::fake_shotgun {

/// Error codes a real site uses (api3 reference, section 2.5).
namespace fault_code {
inline constexpr int authentication = 102;  // bad credentials
inline constexpr int bad_request = 103;     // wrong value types, unfilterable fields, ...
inline constexpr int crud = 104;            // entity missing, unique constraint, ...
}  // namespace fault_code

struct api_fault : std::runtime_error {
    int code;
    api_fault(int c, const std::string& message) : std::runtime_error(message), code(c) {}
};

}  // namespace sgcache::fake_shotgun
