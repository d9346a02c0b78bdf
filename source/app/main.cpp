// sgcache: the command-line entry point. Each command lives in a file of its own under
// app/; main() only picks one. Exit status: 0 success, 1 failure, 2 usage error.
#include "app/commands.hpp"
#include "sgcache_version.hpp"

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view usage = R"(usage: sgcache [--version] [--help] <command> [<args>]

sgcache keeps an Elasticsearch/OpenSearch copy of a Shotgun site complete and current.

commands:
  generate-entity-configs   write entityConfig/<Type>.yaml from the site's schema
  serve                     download every configured type, then follow the site's events
  status                    how a running server is doing (per type, follower, lag)
  rebuild                   rebuild entity types on a running server, without downtime
  reload                    make a running server read its configuration again (as SIGHUP)
  validate                  check that the cache matches the site (counts, or data field by field)
  proxy                     an api3 endpoint: reads answered from the cache when exact, the rest forwarded

Every command takes --help. The configuration is etc/config.yaml unless --config or
$SGCACHE_CONFIG names another file.

options:
  -h, --help     print this help and exit
  -V, --version  print the version and exit
)";

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(usage.data(), stderr);
        return 2;
    }
    const std::string_view command = argv[1];
    const std::vector<std::string> rest(argv + 2, argv + argc);
    if (command == "-h" || command == "--help" || command == "help") {
        std::fputs(usage.data(), stdout);
        return 0;
    }
    if (command == "-V" || command == "--version") {
        std::printf("sgcache %s\n", SGCACHE_VERSION);
        return 0;
    }
    if (command == "generate-entity-configs") return sgcache::app::generate_entity_configs(rest);
    if (command == "serve") return sgcache::app::serve(rest);
    if (command == "status") return sgcache::app::status(rest);
    if (command == "rebuild") return sgcache::app::rebuild(rest);
    if (command == "reload") return sgcache::app::reload(rest);
    if (command == "validate") return sgcache::app::validate(rest);
    if (command == "proxy") return sgcache::app::proxy(rest);
    std::fprintf(stderr, "sgcache: unknown command '%s' (see sgcache --help)\n", argv[1]);
    return 2;
}
