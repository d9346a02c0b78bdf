// Who is calling and when, as the site's dispatch (site.cpp) hands it to its writes
// (writes.cpp): the definitions of site's private principal and write_ctx. Internal to
// the fake site; plain data, nothing here throws.
#pragma once

#include "events.hpp"
#include "site.hpp"

#include <boost/json.hpp>

#include <cstdint>

namespace sgcache::fake_shotgun {

/// The authenticated caller of one call (site::authenticate()).
struct site::principal {
    json::value user;          // stored link
    json::value sudo_actual;   // null unless sudo_as_login
    json::value session_uuid;  // null or the uuid string
    bool events = true;        // its writes are logged (the script's switch; always under sudo)
};

/// One write call: its caller, its time, and the event writer of its transaction (which
/// outlives the call's writes; the rows it writes are rolled back with them).
struct site::write_ctx {
    principal who;
    std::int64_t now_s = 0;
    std::int64_t now_ms = 0;
    event_writer* ev = nullptr;
};

}  // namespace sgcache::fake_shotgun
