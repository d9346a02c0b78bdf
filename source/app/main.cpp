// sgcache: the command-line entry point. Each command lives in a file of its own under
// app/; main() only picks one. Usage errors exit with 2, runtime failures with 1.
#include "sgcache_version.hpp"

#include <cstdio>
#include <cstring>
#include <string_view>

namespace {

constexpr std::string_view usage = R"(usage: sgcache [--version] [--help] <command> [<args>]

sgcache keeps an Elasticsearch/OpenSearch copy of a Shotgun site complete and current.

Commands:
  (none yet: this build is the foundation; serve, generate-entity-configs, rebuild,
   status and validate arrive with their issues)

Options:
  -h, --help     print this help and exit
  -V, --version  print the version and exit
)";

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(usage.data(), stderr);
        return 2;
    }
    const std::string_view arg = argv[1];
    if (arg == "-h" || arg == "--help" || arg == "help") {
        std::fputs(usage.data(), stdout);
        return 0;
    }
    if (arg == "-V" || arg == "--version") {
        std::printf("sgcache %s\n", SGCACHE_VERSION);
        return 0;
    }
    std::fprintf(stderr, "sgcache: unknown command '%s' (see sgcache --help)\n", argv[1]);
    return 2;
}
