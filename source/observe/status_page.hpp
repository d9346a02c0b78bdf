// The status page of `sgcache serve`: one HTML document with its styles, script and charts
// inline (no CDN: studios run sgcache offline), served at / by the metrics listener. Its
// script reads /status.json every two seconds (the engine's status, as the control socket's
// status command gives it, plus observe::status_history) and redraws: each type's state,
// generation, live documents and build progress (bars, rate, ETA), the follower, charts of
// lag and events per second over the last hour, the latest warnings and failures, and the
// last validation. Read-only: it changes nothing.
#pragma once

#include <string_view>

namespace sgcache::observe {

std::string_view status_page_html() noexcept;

}  // namespace sgcache::observe
