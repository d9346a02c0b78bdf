// The systemd notification protocol (sd_notify), spoken directly so that sgcache needs no
// libsystemd: when the service manager set NOTIFY_SOCKET, a state such as "READY=1" or
// "STATUS=following" is one datagram to that AF_UNIX socket (a path, or an abstract name
// when it starts with '@'). Without NOTIFY_SOCKET nothing is sent.
//
// Errors: none thrown; notify() returns false when nothing could be sent (no socket set, or
// the send failed), which a service never treats as fatal. Non-blocking, no I/O wait.
#pragma once

#include <string_view>

namespace sgcache {

/// Sends `state` (newline-separated assignments, e.g. "READY=1\nSTATUS=syncing") to
/// $NOTIFY_SOCKET. True when it was sent.
bool service_notify(std::string_view state) noexcept;

}  // namespace sgcache
