// The command-line side of the control socket, shared by sgcache status / rebuild and
// sgcache validate --repair: where the server is, and one request to it.
//
// These are short-lived tools, so they use a plain blocking ZeroMQ REQ socket with a poll
// timeout: a server that does not answer gives a clear error, never a hang.
#pragma once

#include "app/cli.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

namespace sgcache::app {

struct control_target {
    std::string endpoint;
    std::string token;
};

/// The server answered {"ok": false}; what() is its reason, as it gave it.
class control_refused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Applies --endpoint, then --token-file or else $SGCACHE_CONTROL_TOKEN, over `t` (which
/// holds the configuration's control section, or nothing). Throws usage_error for an
/// --endpoint that is not tcp://HOST:PORT, std::runtime_error for an unreadable token file.
void apply_control_options(const parsed_args& args, control_target& t);

/// Sends one request (with the token, when there is one) and waits at most `limit` for the
/// reply. Throws control_refused when the server refuses, std::runtime_error when no reply
/// comes in time or the reply is not a JSON object.
boost::json::object ask(const control_target& t, boost::json::object request, std::chrono::milliseconds limit);

}  // namespace sgcache::app
