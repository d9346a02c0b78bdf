// The api3 request envelope as shotgun_api3 sends it: {"method_name": M, "params": [AUTH, P]}
// (params may be empty, as for info), the caller's credentials in AUTH, and the fault body
// the site answers with. Pure logic; the request decoder is fuzzed (test/fuzz).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sgcache::proxy {

struct api_request {
    std::string method;
    boost::json::object auth;     // params[0], or empty
    boost::json::value payload;   // params[1], or null
};

/// The request in `body`, or nullopt with `error` set when it is not an api3 envelope.
/// Never throws.
std::optional<api_request> decode(std::string_view body, std::string& error);

/// A caller that authenticates with a script name and key and nothing else (no sudo_as_login,
/// no session token, no user login): the only callers whose reads the proxy answers.
struct script_caller {
    std::string name;
    std::string key;
};
std::optional<script_caller> script_of(const boost::json::object& auth);

/// {"exception": true, "error_code": code, "message": message}, as the site faults.
std::string fault_body(int code, std::string_view message);

/// The error_code of a fault reply (a JSON object with "exception": true), else nullopt.
std::optional<std::int64_t> fault_code(const boost::json::value& reply);

}  // namespace sgcache::proxy
