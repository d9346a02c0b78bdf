// The faults an api3 method answers with, in a real site's wording: "API create() ..." for a
// malformed request (fault_code::bad_request) and "API update() CRUD ERROR #N: ..." for a
// refused write (fault_code::crud). Shared by the site's dispatch and its writes; both
// functions always throw api_fault.
#pragma once

#include "api_fault.hpp"

#include <string>
#include <string_view>

namespace sgcache::fake_shotgun {

[[noreturn]] inline void bad(std::string_view method, const std::string& msg) {
    throw api_fault(fault_code::bad_request, "API " + std::string(method) + "() " + msg);
}

/// `number` is the site's CRUD error number (3: no such entity, 5: a bad value, 51/61: a
/// unique field, ...).
[[noreturn]] inline void crud(std::string_view method, int number, const std::string& msg) {
    throw api_fault(fault_code::crud,
                    "API " + std::string(method) + "() CRUD ERROR #" + std::to_string(number) + ": " + msg);
}

}  // namespace sgcache::fake_shotgun
