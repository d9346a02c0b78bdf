// sgcache serve: runs the sync engine until SIGINT or SIGTERM, with a live progress display
// on a terminal and log lines otherwise.
#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/setup.hpp"
#include "common/log.hpp"
#include "common/service_notify.hpp"
#include "config/entity_config.hpp"
#include "config/reload.hpp"
#include "control/commands.hpp"
#include "control/server.hpp"
#include "observe/collect.hpp"
#include "observe/metrics_server.hpp"
#include "observe/stats_documents.hpp"
#include "observe/stats_writer.hpp"
#include "observe/status_history.hpp"
#include "sync/engine.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <csignal>
#include <map>
#include <cstdlib>
#include <functional>
#include <thread>
#include <memory>
#include <cstdio>
#include <string>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

namespace sgcache::app {

namespace asio = boost::asio;

namespace {

constexpr const char* help = R"(usage: sgcache serve [--config FILE]

Downloads every entity type configured in the entity config folder into Elasticsearch /
OpenSearch, then follows the site's EventLogEntry table and applies every change, until
stopped with SIGINT (Ctrl-C) or SIGTERM. Safe to stop and restart at any moment: a
finished download is never repeated, an unfinished one resumes, and no change is lost.

On a terminal it shows the progress of each download and then a one-line heartbeat;
otherwise it writes log lines (text or JSON, see log: in the configuration).

arguments:
  --config FILE   the service configuration (default: $SGCACHE_CONFIG or etc/config.yaml)
  -h, --help      this text
)";

// The terminal display: one line, redrawn in place; log lines print above it.
bool tty = false;
std::string shown;

void clear_line() {
    if (tty && !shown.empty()) std::fputs("\r\033[K", stderr);
}
void redraw_line() {
    if (tty && !shown.empty()) std::fputs(shown.c_str(), stderr);
}

std::string human(double n) {
    char buf[32];
    if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
    else if (n >= 1e4) std::snprintf(buf, sizeof buf, "%.0fk", n / 1e3);
    else std::snprintf(buf, sizeof buf, "%.0f", n);
    return buf;
}

std::string eta_of(std::uint64_t remaining, double rate) {
    if (remaining == 0) return "0:00";
    if (rate <= 0) return "?";
    const int secs = static_cast<int>(static_cast<double>(remaining) / rate);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%d:%02d", secs / 60, secs % 60);
    return buf;
}

// One line: all downloads together, then the ones with the most left to do.
std::string progress_line(const sync::engine_status& st) {
    std::uint64_t loaded = 0, total = 0;
    double rate = 0;
    std::vector<const sync::type_status*> running;
    for (const auto& t : st.types) {
        if (t.phase != "building") continue;
        loaded += t.build_loaded;
        total += t.build_total;
        rate += t.build_rate;
        running.push_back(&t);
    }
    if (!running.empty()) {
        char buf[200];
        std::snprintf(buf, sizeof buf, "downloading %zu type%s: %s/%s (%.0f%%) %s/s ETA %s", running.size(),
                      running.size() == 1 ? "" : "s", human(static_cast<double>(loaded)).c_str(),
                      human(static_cast<double>(total)).c_str(), total ? 100.0 * static_cast<double>(loaded) / static_cast<double>(total) : 0.0,
                      human(rate).c_str(), eta_of(total > loaded ? total - loaded : 0, rate).c_str());
        std::string line = buf;
        std::sort(running.begin(), running.end(), [](const auto* a, const auto* b) {
            return a->build_total - std::min(a->build_total, a->build_loaded) >
                   b->build_total - std::min(b->build_total, b->build_loaded);
        });
        for (std::size_t i = 0; i < running.size() && i < 3; ++i) {
            const auto& t = *running[i];
            if (t.build_total == 0) {
                line += " | " + t.type + " preparing";
                continue;
            }
            std::snprintf(buf, sizeof buf, " | %s %.0f%%", t.type.c_str(),
                          100.0 * static_cast<double>(t.build_loaded) / static_cast<double>(t.build_total));
            line += buf;
        }
        return line;
    }
    if (st.following) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "following: event %lld, lag %.1f s, %.1f events/s, %zu open gap%s",
                      static_cast<long long>(st.last_event_id), st.lag_seconds, st.events_per_second, st.open_gaps,
                      st.open_gaps == 1 ? "" : "s");
        return buf;
    }
    return "starting";
}

// The terminal's width, so that the line never wraps (a wrapped line cannot be redrawn).
std::size_t terminal_width() {
    winsize ws{};
    if (::ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) return ws.ws_col - 1;
    return 100;
}

// `done` is shared: the display may wake once more after serve() has returned.
asio::awaitable<void> show_progress(const sync::engine& engine, std::shared_ptr<bool> done) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!*done) {
        timer.expires_after(std::chrono::milliseconds(500));
        co_await timer.async_wait(asio::use_awaitable);
        if (*done) break;
        clear_line();
        shown = progress_line(engine.status());
        if (shown.size() > terminal_width()) shown.resize(terminal_width());
        redraw_line();
    }
}

// Tells a service manager (systemd, Type=notify) how serve is doing: READY=1 once start-up
// is done (the lease is held and the follower completed its first cycle; a first download may
// still run for minutes, so readiness for readers is the /readyz endpoint's business), and a
// STATUS line every few seconds. Does nothing without NOTIFY_SOCKET.
asio::awaitable<void> notify_service(const sync::engine& engine, std::shared_ptr<bool> done) {
    if (!std::getenv("NOTIFY_SOCKET")) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    bool ready = false;
    std::string last;
    for (int tick = 0; !*done; ++tick) {
        timer.expires_after(std::chrono::milliseconds(200));
        co_await timer.async_wait(asio::use_awaitable);
        if (*done) break;
        const auto st = engine.status();
        if (!ready && st.following) {
            ready = true;
            service_notify("READY=1\nSTATUS=started; following events");
        }
        if (!ready || tick % 25 != 0) continue;  // a status line every 5 s
        std::size_t building = 0;
        for (const auto& t : st.types) building += t.phase == "building";
        char buf[200];
        std::snprintf(buf, sizeof buf, "STATUS=following: last event %lld, lag %.1f s, %zu type(s)%s",
                      static_cast<long long>(st.last_event_id), st.lag_seconds, st.types.size(),
                      building ? (", " + std::to_string(building) + " building").c_str() : "");
        if (buf != last) service_notify(buf);
        last = buf;
    }
}

// What the status page reads besides the engine's status of the moment: the history (charts,
// problems, the last validation) and the live document counts, refreshed by sample_status()
// rather than per page request (a count is a request to the cluster).
struct page_state {
    observe::status_history history;
    std::map<std::string, std::uint64_t> live_documents;
    std::thread::id io_thread;  // the log observer records only what this thread logs
};

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Every 5 s: the live counts and a history sample; every 10 s (stats on): the latest
// validation document of the stats index. Failures only leave the previous figures.
asio::awaitable<void> sample_status(sync::engine& engine, std::shared_ptr<page_state> page, elastic::client* stats_es,
                                    std::string stats_alias, std::shared_ptr<bool> done) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int tick = 0; !*done; ++tick) {
        try {
            const auto st = co_await engine.status_with_counts();
            for (const auto& t : st.types) page->live_documents[t.type] = t.live_documents;
            page->history.sample(wall_ms(), st.lag_seconds, st.events_per_second, st.open_gaps);
            if (stats_es && tick % 2 == 0) {
                boost::json::object body{{"size", 1},
                                         {"query", boost::json::object{{"term", boost::json::object{{"kind", "validation"}}}}},
                                         {"sort", boost::json::array{boost::json::object{{"@timestamp", "desc"}}}}};
                auto page_of = co_await stats_es->search(stats_alias, body);
                if (!page_of.hits.empty()) {
                    const auto& src = page_of.hits.front().source;
                    const auto* v = src.if_contains("validation");
                    const auto* at = src.if_contains("@timestamp");
                    if (v && v->is_object() && at && at->is_string()) {
                        boost::json::object summary = v->get_object();
                        summary.erase("result");  // the whole report: not for the page
                        page->history.set_validation(observe::parse_timestamp_ms(std::string_view(at->get_string())), std::move(summary));
                    }
                }
            }
        } catch (const std::exception&) {
            // The cluster is busy or the stats alias does not exist yet: try again later.
        }
        // In short steps: a stop must not wait for the next sample.
        for (int step = 0; step < 25 && !*done; ++step) {
            timer.expires_after(std::chrono::milliseconds(200));
            co_await timer.async_wait(asio::use_awaitable);
        }
    }
}

// `sgcache reload` and SIGHUP: reads config.yaml and the entity configs again and applies
// what can change live (config/reload.hpp); refuses, changing nothing, a configuration with
// an error (naming file, line and key) or one that changes what needs a restart (naming the
// keys). One reload at a time.
class reloader {
public:
    reloader(config::settings& live, sync::engine& engine, observe::stats_writer* stats)
        : live_(live), engine_(engine), stats_(stats) {}
    void set_metrics(observe::metrics_server* m) { metrics_ = m; }

    /// The reply's fields; throws std::runtime_error with the one-line reason it was refused.
    /// Either way, one log line says what happened.
    asio::awaitable<boost::json::object> run() {
        std::string failure;
        try {
            auto out = co_await apply();
            log::info("serve", "configuration reloaded", {{"applied", out.at("applied")}, {"added", out.at("added")},
                      {"changed", out.at("changed")}, {"removed", out.at("removed")}});
            co_return out;
        } catch (const std::exception& e) {
            failure = e.what();
        }
        log::error("serve", failure);
        throw std::runtime_error(failure);
    }

    /// run(), for SIGHUP: no one to answer, the log says it.
    asio::awaitable<void> run_and_log() {
        try {
            co_await run();
        } catch (const std::exception&) {
        }
    }

private:
    asio::awaitable<boost::json::object> apply() {
        if (running_) throw std::runtime_error("a reload is already running");
        running_ = true;
        struct done_guard {
            bool& flag;
            ~done_guard() { flag = false; }
        } guard{running_};
        config::settings fresh;
        std::vector<config::entity_config> types;
        try {
            fresh = config::load(live_.file);
            types = config::load_entity_configs(fresh.entity_config_dir);
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("reload refused, nothing changed: ") + e.what());
        }
        if (types.empty()) {
            throw std::runtime_error("reload refused, nothing changed: no entity configs in " +
                                     fresh.entity_config_dir.string());
        }
        const auto check = config::compare_for_reload(live_, fresh);
        if (!check.need_restart.empty()) {
            std::string keys;
            for (const auto& k : check.need_restart) keys += (keys.empty() ? "" : ", ") + k;
            throw std::runtime_error("reload refused, nothing changed: these keys need a restart: " + keys);
        }
        config::apply_live(live_, fresh);
        log::configure(live_.log.level, live_.log.format);
        if (stats_) stats_->reconfigure(live_.stats.retention_days, live_.stats.heartbeat_interval, live_.stats.queue_size);
        if (metrics_) metrics_->set_ready_max_lag(live_.metrics.ready_max_lag);
        const auto outcome = co_await engine_.reconfigure(live_, std::move(types));
        auto list = [](const std::vector<std::string>& v) {
            boost::json::array a;
            for (const auto& x : v) a.emplace_back(x);
            return a;
        };
        boost::json::object out;
        out["applied"] = list(check.live);
        out["added"] = list(outcome.added);
        out["changed"] = list(outcome.changed);
        out["removed"] = list(outcome.removed);
        co_return out;
    }

    config::settings& live_;
    sync::engine& engine_;
    observe::stats_writer* stats_;
    observe::metrics_server* metrics_ = nullptr;
    bool running_ = false;
};

// Waits until *flag is set, polling, for at most `limit`; true when it was set.
asio::awaitable<bool> wait_for_flag(std::shared_ptr<bool> flag, std::chrono::milliseconds limit) {
    asio::steady_timer pause(co_await asio::this_coro::executor);
    for (auto waited = std::chrono::milliseconds(0); !*flag && waited < limit; waited += std::chrono::milliseconds(20)) {
        pause.expires_after(std::chrono::milliseconds(20));
        co_await pause.async_wait(asio::use_awaitable);
    }
    co_return *flag;
}

// A completion handler for a task that runs beside the engine: logs its failure, marks it done.
auto finisher(std::shared_ptr<bool> done, const char* component) {
    return [done, component](std::exception_ptr e) {
        *done = true;
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log::error(component, ex.what());
        } catch (...) {
            log::error(component, "failed");
        }
    };
}

// Runs the engine until it fails or a signal asks it to stop. The signal handler emits a
// terminal cancellation into the engine's coroutine (rather than racing the engine against
// the signal wait with ||, which would wait for ever on a signal that never comes when the
// engine fails).
// Ends the process at once, when a stop takes too long or a second signal comes. Safe at any moment: what the state index holds is consistent (the
// cursor and each download range are persisted only after Elasticsearch acknowledged what
// they cover), so the next start reads again whatever was in flight, as after kill -9.
[[noreturn]] void exit_now(const std::string& why, int status) {
    clear_line();
    log::warning("serve", why);
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(status);
}

asio::awaitable<int> serve(sync::engine& engine, control::server& control, observe::stats_writer* stats,
                           observe::metrics_server* metrics, const config::settings& live, reloader& reload,
                           std::shared_ptr<page_state> page, elastic::client* stats_es, std::string stats_alias) {
    const auto ex = co_await asio::this_coro::executor;
    // SIGHUP reloads the configuration, as `sgcache reload` does.
    asio::signal_set hangups(ex, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> on_hangup = [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        log::info("serve", "SIGHUP: reloading the configuration");
        auto work = reload.run_and_log();
        asio::co_spawn(ex, std::move(work), asio::detached);
        hangups.async_wait(on_hangup);
    };
    hangups.async_wait(on_hangup);
    asio::signal_set signals(ex, SIGINT, SIGTERM);
    asio::cancellation_signal stop;
    bool stopping = false;
    auto done = std::make_shared<bool>(false);
    // The stop's deadline is a watchdog thread, not a timer on the io_context: whatever is
    // still on its way there when the engine has stopped (a request to a stalled node) must
    // not keep the process alive, and a timer would go with the coroutine that owns it.
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            // Read now: a reload may have changed it.
            const auto stop_timeout = live.sync.stop_timeout;
            const double limit_s = std::chrono::duration<double>(stop_timeout).count();
            const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
            if (stopping) exit_now(std::string("second ") + name + ": stopping at once", 128 + sig);
            stopping = true;
            clear_line();
            shown.clear();
            log::info("serve", std::string("stopping on ") + name, {{"stop_timeout_s", limit_s}});
            service_notify("STOPPING=1");
            std::thread([stop_timeout, limit_s] {
                std::this_thread::sleep_for(stop_timeout);
                char buf[200];
                std::snprintf(buf, sizeof buf,
                              "did not stop within %.0f s (sync.stop_timeout_s); exiting without waiting for the "
                              "requests still in flight: what was acknowledged is kept, the rest is read again",
                              limit_s);
                exit_now(buf, 0);
            }).detach();
            stop.emit(asio::cancellation_type::terminal);
            signals.async_wait(on_signal);  // a second signal ends it at once
        };
    signals.async_wait(on_signal);
    if (tty) {
        auto display = show_progress(engine, done);
        asio::co_spawn(ex, std::move(display), asio::detached);
    }
    {
        auto notifier = notify_service(engine, done);
        asio::co_spawn(ex, std::move(notifier), asio::detached);
    }
    if (metrics) {
        auto sampler = sample_status(engine, page, stats_es, std::move(stats_alias), done);
        asio::co_spawn(ex, std::move(sampler), asio::detached);
    }
    // The control socket serves beside the engine and stops with it.
    asio::cancellation_signal stop_control;
    auto control_done = std::make_shared<bool>(false);
    asio::co_spawn(ex, control.run(), asio::bind_cancellation_slot(stop_control.slot(), [control_done](std::exception_ptr e) {
                       *control_done = true;
                       if (e) {
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& ex) {
                               log::error("control", ex.what());
                           }
                       }
                   }));
    // The stats writer and the metrics endpoint (each optional) also serve beside the engine.
    asio::cancellation_signal stop_stats;
    auto stats_done = std::make_shared<bool>(stats == nullptr);
    if (stats) {
        auto on_stats_end = finisher(stats_done, "stats");
        asio::co_spawn(ex, stats->run(), asio::bind_cancellation_slot(stop_stats.slot(), on_stats_end));
    }
    asio::cancellation_signal stop_metrics;
    auto metrics_done = std::make_shared<bool>(metrics == nullptr);
    if (metrics) {
        auto on_metrics_end = finisher(metrics_done, "metrics");
        asio::co_spawn(ex, metrics->run(), asio::bind_cancellation_slot(stop_metrics.slot(), on_metrics_end));
    }
    std::exception_ptr failure;
    try {
        co_await asio::co_spawn(ex, engine.run(), asio::bind_cancellation_slot(stop.slot(), asio::use_awaitable));
    } catch (...) {
        // A stop requested by a signal ends the engine with a cancellation: that is success.
        if (!stopping) failure = std::current_exception();
    }
    *done = true;
    stop_control.emit(asio::cancellation_type::terminal);
    if (metrics) metrics->stop();
    if (stats) {
        // The last documents queued (the final event batches) get a moment to reach
        // Elasticsearch; past it the writer is cancelled and they are counted as lost.
        stats->stop();
        const bool finished = co_await wait_for_flag(stats_done, std::chrono::seconds(2));
        if (!finished) stop_stats.emit(asio::cancellation_type::terminal);
    }
    // The cancellation signals live in this frame: their tasks must be gone before it is.
    const auto forever = std::chrono::milliseconds(std::chrono::hours(1));
    co_await wait_for_flag(stats_done, forever);
    co_await wait_for_flag(metrics_done, forever);
    boost::system::error_code ignored;
    signals.cancel(ignored);
    hangups.cancel(ignored);
    clear_line();
    shown.clear();
    co_await engine.release();
    if (failure) std::rethrow_exception(failure);
    co_return 0;
}

}  // namespace

int serve(const std::vector<std::string>& argv) {
    parsed_args args;
    try {
        args = parse_args(argv, {{"--config", true}});
    } catch (const usage_error& e) {
        std::fprintf(stderr, "sgcache serve: %s (see --help)\n", e.what());
        return 2;
    }
    if (args.flag("--help")) {
        std::fputs(help, stdout);
        return 0;
    }
    if (!args.positional.empty()) {
        std::fprintf(stderr, "sgcache serve: unexpected argument '%s' (see --help)\n", args.positional.front().c_str());
        return 2;
    }
    sync::engine_options opts;
    try {
        opts.settings = config::load(args.value("--config").value_or(config::default_file().string()));
        opts.types = config::load_entity_configs(opts.settings.entity_config_dir);
        if (opts.types.empty()) {
            std::fprintf(stderr, "sgcache serve: no entity configs in %s: run sgcache generate-entity-configs TYPE ...\n",
                         opts.settings.entity_config_dir.c_str());
            return 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sgcache serve: %s\n", e.what());
        return 1;
    }
    log::configure(opts.settings.log.level, opts.settings.log.format);
    tty = ::isatty(2) && opts.settings.log.format == "text";
    log::set_line_hooks(clear_line, redraw_line);
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    opts.host = host;
    opts.pid = static_cast<int>(::getpid());
    std::string types;
    for (const auto& t : opts.types) types += (types.empty() ? "" : ", ") + t.type;
    log::info("serve", "starting", {{"config", opts.settings.file.string()}, {"types", types}});
    try {
        // The ZeroMQ context outlives the io_context (style.md: zmq_ctx_term waits for every
        // socket, and a socket in a suspended coroutine goes only with the io_context).
        zmq::context_t zmq_context;
        asio::io_context ioc{1};
        const std::string endpoint = opts.settings.control.endpoint;
        const std::string token = opts.settings.control.token.reveal();
        config::settings settings = opts.settings;  // the live keys change with reloads
        // Stats documents go through a client of their own, with a short retry policy: a
        // slow or refusing cluster costs stats, never the engine's writes.
        std::unique_ptr<elastic::client> stats_es;
        std::shared_ptr<observe::stats_writer> stats;
        if (settings.stats.enabled) {
            auto cfg = config::elastic_client(settings);
            cfg.retry = retry_policy{3, std::chrono::milliseconds(500), std::chrono::milliseconds(5000)};
            stats_es = std::make_unique<elastic::client>(ioc.get_executor(), cfg);
            stats = std::make_shared<observe::stats_writer>(*stats_es, observe::writer_options(settings));
            opts.watcher = stats;
        }
        sync::engine engine(ioc.get_executor(), std::move(opts));
        const std::int64_t started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count();
        if (stats) {
            stats->set_heartbeat_source([&engine] {
                const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
                auto h = observe::heartbeat_from(engine.status(), now);
                h.resident_memory_bytes = observe::read_process_info().resident_bytes;
                return h;
            });
        }
        std::unique_ptr<observe::metrics_server> metrics;
        auto page = std::make_shared<page_state>();
        if (settings.metrics.enabled) {
            observe::metrics_sources sources;
            sources.status = [&engine] { return engine.status(); };
            sources.counters = [&engine] { return engine.counters(); };
            if (stats) sources.stats = [stats] { return std::optional<observe::stats_counters>(stats->counters()); };
            sources.ready_max_lag = settings.metrics.ready_max_lag;
            sources.page_data = [&engine, page] {
                auto st = engine.status();
                for (auto& t : st.types) {
                    if (auto it = page->live_documents.find(t.type); it != page->live_documents.end()) {
                        t.live_documents = it->second;
                    }
                }
                boost::json::object o;
                o["status"] = control::status_json(st, wall_ms());
                o["history"] = page->history.to_json();
                return o;
            };
            sources.page_token = settings.control.token.reveal();
            page->io_thread = std::this_thread::get_id();
            log::set_problem_observer([page](log::level l, std::string_view component, std::string_view message) {
                // Only the io_context thread's lines: the stop watchdog's come from another.
                if (std::this_thread::get_id() != page->io_thread) return;
                page->history.note_problem(wall_ms(), l == log::level::error ? "error" : "warning",
                                           std::string(component), std::string(message));
            });
            metrics = std::make_unique<observe::metrics_server>(ioc.get_executor(), settings.metrics.listen, sources);
            log::info("metrics", "listening",
                      {{"url", metrics->url()}, {"paths", "/ (status page) /metrics /healthz /readyz"}});
        }
        reloader reload(settings, engine, stats.get());
        reload.set_metrics(metrics.get());
        control::reload_hook reload_hook = [&reload] { return reload.run(); };
        control::handler handle = [&engine, started_ms, &reload_hook](const control::request& r) {
            return control::execute(r, engine, started_ms, reload_hook);
        };
        control::server control_socket(ioc.get_executor(), zmq_context, endpoint, token, handle);
        log::info("control", "listening", {{"endpoint", control_socket.endpoint()}, {"token", !token.empty()}});
        const int rc = run_to_completion(ioc, serve(engine, control_socket, stats.get(), metrics.get(), settings,
                                                    reload, page, stats_es.get(),
                                                    observe::stats_alias(settings.elasticsearch.index_prefix)));
        log::set_problem_observer(nullptr);
        log::info("serve", "stopped");
        return rc;
    } catch (const boost::asio::multiple_exceptions& e) {
        // Several parts of the engine failed at once: the first one is the cause.
        clear_line();
        try {
            std::rethrow_exception(e.first_exception());
        } catch (const std::exception& first) {
            log::error("serve", first.what());
        }
        return 1;
    } catch (const std::exception& e) {
        clear_line();
        log::error("serve", e.what());
        return 1;
    }
}

}  // namespace sgcache::app
