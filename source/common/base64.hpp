// Base64 (RFC 4648, with padding), for HTTP Basic and ApiKey authorization headers.
#pragma once

#include <string>
#include <string_view>

namespace sgcache {

std::string base64_encode(std::string_view data);

}  // namespace sgcache
