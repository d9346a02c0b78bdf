// sgcache status / rebuild / reload: clients of a running server's control socket
// (app/control_client.hpp sends the requests).
#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/control_client.hpp"
#include "config/settings.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace sgcache::app {

namespace json = boost::json;

namespace {

struct target : control_target {
    int timeout_s = 10;
};

// The endpoint and token: --endpoint / --token-file / $SGCACHE_CONTROL_TOKEN, else the
// configuration file's control section (not read when --endpoint alone says where to go).
target resolve_target(const parsed_args& args) {
    target t;
    if (auto v = args.value("--timeout")) {
        try {
            t.timeout_s = std::stoi(*v);
        } catch (const std::exception&) {
            throw usage_error("--timeout must be whole seconds, got '" + *v + "'");
        }
        if (t.timeout_s < 1 || t.timeout_s > 3600) throw usage_error("--timeout must be between 1 and 3600 seconds");
    }
    if (!args.value("--endpoint") || args.value("--config")) {
        const auto s = config::load(args.value("--config").value_or(config::default_file().string()));
        t.endpoint = s.control.endpoint;
        t.token = s.control.token.reveal();
    }
    apply_control_options(args, t);
    return t;
}

json::object ask(const target& t, json::object request) {
    return app::ask(t, std::move(request), std::chrono::seconds(t.timeout_s));
}

std::string num(double v) {
    char buf[32];
    if (v >= 1000) {
        std::string s = std::to_string(static_cast<long long>(v));
        for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
        return s;
    }
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
}

std::string duration(std::int64_t s) {
    char buf[32];
    if (s >= 86400) std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(s / 86400), static_cast<long long>(s % 86400 / 3600));
    else if (s >= 3600) std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
    else std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
    return buf;
}

void print_table(const json::object& st) {
    const auto& f = st.at("follower").as_object();
    std::printf("sgcache %s, up %s, %s\n", std::string(st.at("version").as_string()).c_str(),
                duration(st.at("uptime_s").to_number<std::int64_t>()).c_str(),
                st.at("ready").as_bool() ? "ready" : "not ready (a first download is running)");
    std::printf("follower: %s, last event %lld, lag %.1f s, %.1f events/s, %lld open gap(s), %lld events applied\n\n",
                f.at("following").as_bool() ? "following" : "starting", static_cast<long long>(f.at("last_event_id").to_number<std::int64_t>()),
                f.at("lag_s").to_number<double>(), f.at("events_per_s").to_number<double>(),
                static_cast<long long>(f.at("open_gaps").to_number<std::int64_t>()),
                static_cast<long long>(f.at("events_applied").to_number<std::int64_t>()));
    std::printf("%-20s %-10s %-7s %12s  %s\n", "TYPE", "STATE", "GEN", "LIVE DOCS", "PROGRESS / NOTES");
    for (const auto& tv : st.at("types").as_array()) {
        const auto& t = tv.as_object();
        std::string gen = std::to_string(t.at("active_generation").to_number<int>());
        if (t.at("building_generation").to_number<int>()) gen += "->" + std::to_string(t.at("building_generation").to_number<int>());
        std::string notes;
        if (auto b = t.if_contains("build")) {
            const auto& bo = b->as_object();
            char buf[96];
            std::snprintf(buf, sizeof buf, "%s/%s %.0f%% %s/s", num(bo.at("loaded").to_number<double>()).c_str(),
                          num(bo.at("total").to_number<double>()).c_str(), bo.at("percent").to_number<double>(),
                          num(bo.at("rate_per_s").to_number<double>()).c_str());
            notes = buf;
        }
        if (auto fl = t.if_contains("failure")) notes += (notes.empty() ? "" : "; ") + std::string(fl->as_string());
        if (t.at("rejected").to_number<std::int64_t>()) {
            notes += (notes.empty() ? "" : "; ") + num(t.at("rejected").to_number<double>()) + " rejected";
        }
        if (auto w = t.if_contains("warnings")) {
            for (const auto& x : w->as_array()) notes += (notes.empty() ? "" : "; ") + std::string(x.as_string());
        }
        std::printf("%-20s %-10s %-7s %12s  %s\n", std::string(t.at("type").as_string()).c_str(),
                    std::string(t.at("state").as_string()).c_str(), gen.c_str(),
                    num(t.at("live_documents").to_number<double>()).c_str(), notes.c_str());
    }
}

const std::vector<option_spec> common_options{{"--config", true}, {"--endpoint", true}, {"--token-file", true},
                                              {"--timeout", true}};

constexpr const char* status_help = R"(usage: sgcache status [--config FILE | --endpoint tcp://HOST:PORT] [--json] [--timeout S]

Asks a running sgcache serve how it is doing: per entity type its state (following,
building and how far, failed and why), its generation and live document count; the
follower's last event, lag and open gaps; uptime and version.

arguments:
  --config FILE        read the control endpoint and token from this configuration
                       (default: $SGCACHE_CONFIG or etc/config.yaml)
  --endpoint E         talk to this endpoint instead, e.g. tcp://127.0.0.1:7571
  --token-file FILE    the control token (also $SGCACHE_CONTROL_TOKEN)
  --json               print the server's JSON reply
  --timeout S          give up after S seconds without an answer (default 10)
)";

constexpr const char* rebuild_help = R"(usage: sgcache rebuild [--config FILE | --endpoint E] [--cancel] (--all | TYPE ...)

Rebuilds entity types on a running sgcache serve with no downtime for readers: a new
generation is filled while the current one keeps serving (and the event follower writes to
both), then the aliases move in one atomic step and the old generation is dropped. A type
already rebuilding is reported as such. With --cancel, running rebuilds are abandoned and
their new generation dropped.

arguments:
  TYPE ...             cached entity types; --all for every one
  --cancel             cancel the rebuild of these types instead
  --config, --endpoint, --token-file, --timeout   as for sgcache status
)";

constexpr const char* reload_help = R"(usage: sgcache reload [--config FILE | --endpoint E] [--timeout S]

Tells a running sgcache serve to read its configuration file and its entity configs again
(as SIGHUP does), and prints what changed. Applied at once: log level and format, the sync
intervals and sizes, shotgun.page_size, the stats retention, heartbeat and queue,
metrics.ready_max_lag_s; entity configs added (their download starts), changed (rebuilt
while readers keep the current generation) or removed (no longer synced; their indices go
unless sync.keep_removed_types). Refused, changing nothing: a configuration with an error
(the file, line and key are named) or one that changes what needs a restart (the site and
its credentials, the cluster and its credentials, the index prefix, timeouts, retries and
bulk sizes, the control endpoint and token, the metrics listener, turning stats or metrics
on or off, the entity config folder).

arguments:
  --config, --endpoint, --token-file, --timeout   as for sgcache status
)";

}  // namespace

int reload(const std::vector<std::string>& argv) {
    try {
        auto args = parse_args(argv, common_options);
        if (args.flag("--help")) {
            std::fputs(reload_help, stdout);
            return 0;
        }
        if (!args.positional.empty()) throw usage_error("unexpected argument '" + args.positional.front() + "'");
        auto reply = ask(resolve_target(args), json::object{{"command", "reload"}});
        const auto list = [&](const char* key) {
            std::string out;
            if (auto v = reply.if_contains(key)) {
                for (const auto& t : v->as_array()) out += (out.empty() ? "" : ", ") + std::string(t.as_string());
            }
            return out.empty() ? std::string("-") : out;
        };
        std::printf("reloaded\n  settings applied: %s\n  types added: %s\n  types changed (rebuilding): %s\n"
                    "  types removed: %s\n",
                    list("applied").c_str(), list("added").c_str(), list("changed").c_str(), list("removed").c_str());
        return 0;
    } catch (const usage_error& e) {
        std::fprintf(stderr, "sgcache reload: %s (see --help)\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sgcache reload: %s\n", e.what());
        return 1;
    }
}

int status(const std::vector<std::string>& argv) {
    try {
        auto specs = common_options;
        specs.push_back({"--json", false});
        auto args = parse_args(argv, specs);
        if (args.flag("--help")) {
            std::fputs(status_help, stdout);
            return 0;
        }
        if (!args.positional.empty()) throw usage_error("unexpected argument '" + args.positional.front() + "'");
        auto reply = ask(resolve_target(args), json::object{{"command", "status"}});
        if (args.flag("--json")) {
            std::printf("%s\n", json::serialize(reply).c_str());
        } else {
            print_table(reply);
        }
        return 0;
    } catch (const usage_error& e) {
        std::fprintf(stderr, "sgcache status: %s (see --help)\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sgcache status: %s\n", e.what());
        return 1;
    }
}

int rebuild(const std::vector<std::string>& argv) {
    try {
        auto specs = common_options;
        specs.push_back({"--all", false});
        specs.push_back({"--cancel", false});
        auto args = parse_args(argv, specs);
        if (args.flag("--help")) {
            std::fputs(rebuild_help, stdout);
            return 0;
        }
        if (args.positional.empty() && !args.flag("--all")) throw usage_error("name entity types, or --all");
        if (!args.positional.empty() && args.flag("--all")) throw usage_error("give entity types or --all, not both");
        json::object request;
        request["command"] = args.flag("--cancel") ? "cancel_rebuild" : "rebuild";
        if (args.flag("--all")) {
            request["entity_types"] = "all";
        } else {
            json::array types;
            for (const auto& t : args.positional) types.emplace_back(t);
            request["entity_types"] = std::move(types);
        }
        auto reply = ask(resolve_target(args), std::move(request));
        const auto list = [&](const char* key) {
            std::string out;
            if (auto v = reply.if_contains(key)) {
                for (const auto& t : v->as_array()) out += (out.empty() ? "" : ", ") + std::string(t.as_string());
            }
            return out;
        };
        if (args.flag("--cancel")) {
            if (!list("cancelled").empty()) std::printf("cancelled: %s\n", list("cancelled").c_str());
            if (!list("not_rebuilding").empty()) std::printf("not rebuilding: %s\n", list("not_rebuilding").c_str());
            if (!list("refused").empty()) std::printf("refused (a first download cannot be cancelled): %s\n", list("refused").c_str());
        } else {
            if (!list("started").empty()) std::printf("rebuilding: %s (sgcache status shows the progress)\n", list("started").c_str());
            if (!list("already_rebuilding").empty()) std::printf("already rebuilding: %s\n", list("already_rebuilding").c_str());
        }
        return 0;
    } catch (const usage_error& e) {
        std::fprintf(stderr, "sgcache rebuild: %s (see --help)\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sgcache rebuild: %s\n", e.what());
        return 1;
    }
}

}  // namespace sgcache::app
