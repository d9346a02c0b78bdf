// sgcache proxy: the api3 endpoint in front of the site (proxy/service.hpp), until SIGINT or
// SIGTERM.
#include "app/cli.hpp"
#include "app/commands.hpp"
#include "common/log.hpp"
#include "config/entity_config.hpp"
#include "proxy/service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <exception>

namespace sgcache::app {

namespace asio = boost::asio;

namespace {

constexpr const char* help = R"(usage: sgcache proxy [--config FILE]

Serves the Shotgun api3 protocol at http://HOST:PORT/api3/json (proxy.listen in the
configuration; HTTPS with proxy.tls_cert_file and proxy.tls_key_file), so that a tool using
shotgun_api3 reads the cache by changing one URL:

    sg = shotgun_api3.Shotgun("http://cache-host:8090", script_name=..., api_key=...)

Reads the cache answers exactly as the site would are answered from Elasticsearch in a few
milliseconds; everything else (writes, schema calls, uploads, reads the cache cannot answer
exactly, reads of a type that is not following or lags more than proxy.max_lag_s) goes to
the site unchanged. A caller's script key is checked by the site before any cached answer.
After a write, the proxy waits for `sgcache serve` to re-read what was written, so the
caller's next read sees it. Needs a running `sgcache serve` (its control socket) for
cached answers; without it every call is forwarded. Runs until SIGINT or SIGTERM.

arguments:
  --config FILE   the service configuration (default: $SGCACHE_CONFIG or etc/config.yaml)
)";

}  // namespace

int proxy(const std::vector<std::string>& argv) {
    parsed_args args;
    try {
        args = parse_args(argv, {{"--config", true}});
    } catch (const usage_error& e) {
        std::fprintf(stderr, "sgcache proxy: %s (see --help)\n", e.what());
        return 2;
    }
    if (args.flag("--help")) {
        std::fputs(help, stdout);
        return 0;
    }
    if (!args.positional.empty()) {
        std::fprintf(stderr, "sgcache proxy: unexpected argument '%s' (see --help)\n", args.positional.front().c_str());
        return 2;
    }
    config::settings settings;
    std::vector<config::entity_config> types;
    try {
        settings = config::load(args.value("--config").value_or(config::default_file().string()));
        types = config::load_entity_configs(settings.entity_config_dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sgcache proxy: %s\n", e.what());
        return 1;
    }
    log::configure(settings.log.level, settings.log.format);
    asio::io_context ioc(1);
    std::unique_ptr<proxy::service> svc;
    try {
        svc = std::make_unique<proxy::service>(ioc.get_executor(), settings, std::move(types));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sgcache proxy: %s\n", e.what());
        return 1;
    }
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        log::info("proxy", sig == SIGINT ? "stopping on SIGINT" : "stopping on SIGTERM");
        svc->stop();
    });
    int status = 0;
    asio::co_spawn(ioc, svc->run(), [&](std::exception_ptr e) {
        signals.cancel();
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log::error("proxy", ex.what());
            status = 1;
        }
    });
    ioc.run();
    log::info("proxy", "stopped");
    return status;
}

}  // namespace sgcache::app
