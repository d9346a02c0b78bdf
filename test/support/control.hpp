// Requests to a running server's control socket, for integration tests: one REQ socket per
// request, so that a server that never answers costs the test `limit`, not a hang.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace sgcache::test {

/// One request; the reply, or "" when none came within `limit`.
std::string control_ask(const std::string& endpoint, const std::string& body,
                        std::chrono::milliseconds limit = std::chrono::seconds(30));

/// One request whose reply must come and be a JSON object (REQUIREd).
boost::json::object control_json(const std::string& endpoint, const std::string& body);

/// Runs the sgcache executable with `args`; its exit status, and stdout and stderr in `out`.
int run_sgcache(const std::vector<std::string>& args, std::string& out);

}  // namespace sgcache::test
