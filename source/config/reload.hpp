// What a reload of config.yaml (sgcache reload, SIGHUP) may change on a running server.
// Live: log level and format, the sync intervals and sizes (poll interval, batch size, gap
// timeout, safety scan, lease time, download workers and ranges, stop timeout, keeping removed
// types), shotgun.page_size, the stats retention, heartbeat and queue, metrics.ready_max_lag_s,
// and the generate section (not used by serve). Everything else is read once, into clients,
// sockets and listeners: the site and its credentials, the cluster, its credentials and the
// index prefix, timeouts, retries and bulk sizes, the control endpoint and token, the listen
// address, turning stats or metrics on or off, and the entity config folder. A reload that
// changes any of those is refused whole and names them. Pure logic.
#pragma once

#include "config/settings.hpp"

#include <string>
#include <vector>

namespace sgcache::config {

struct reload_check {
    std::vector<std::string> need_restart;  // keys that changed and need a restart
    std::vector<std::string> live;          // keys that changed and apply at once
};

/// Compares the running configuration with the one just read.
reload_check compare_for_reload(const settings& running, const settings& fresh);

/// Copies the live keys of `fresh` into `running` (only when need_restart is empty).
void apply_live(settings& running, const settings& fresh);

}  // namespace sgcache::config
