// sgcache validate counts / sgcache validate data: proof that the cache matches the site.
//
// The comparison itself is validate/ (pure logic) and validate/validator (the reads); this
// file is the command line, the output, and --repair, which never writes an entity
// document itself: it asks the running server to read the entities again through its
// normal, versioned path (the control socket's "reread" command), so there is one clock and
// one writer, and a repair can never overwrite a newer change. The control client is a
// blocking ZeroMQ REQ socket with a poll timeout, as in control_cli.cpp: a server that does
// not answer gives a clear error, never a hang.
#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/control_client.hpp"
#include "app/setup.hpp"
#include "observe/stats_writer.hpp"
#include "common/log.hpp"
#include "config/entity_config.hpp"
#include "validate/buckets.hpp"
#include "validate/options.hpp"
#include "validate/validator.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace sgcache::app {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr const char* validate_help = R"(usage: sgcache validate counts [options] [TYPE ...]
       sgcache validate data [options] [TYPE ...]

Checks that the cache matches the Shotgun site. Exit status 0 only when it does.

  counts   per type, the site's record count against the cache's live documents
  data     entities read from the site and compared with the cache field by field

See sgcache validate counts --help and sgcache validate data --help.
)";

constexpr const char* counts_help = R"(usage: sgcache validate counts [--config FILE] [--json] [TYPE ...]

Per entity type (every configured type by default): the site's record count under the
type's filters (one summarize request per type) against the count of live documents in
the cache (the alias <prefix>entity-<type>). Events that arrived while measuring, or that
the cache had not applied yet, are read too: creations and revivals may put the site
ahead, retirements behind, changes of a field the filters look at either way, so a busy
site does not give false alarms.

Columns: TYPE, SHOTGUN (site count), CACHE (live documents), PENDING (+creations/revivals
and -retirements not yet in the cache), DIFFERENCE (site - cache) and STATUS: ok, pending
(the difference is explained by pending events), MISMATCH, or uncertain (a change of a
linked entity the filters look at, e.g. a project archived, moves an unknown number).

Exit status: 0 when every type is ok or pending, 1 otherwise, 2 for a usage error.

arguments:
  TYPE ...        configured entity types (default: all)
  --config FILE   the service configuration (default: $SGCACHE_CONFIG or etc/config.yaml)
  --json          print the result as one JSON object
  -h, --help      this text
)";

constexpr const char* data_help = R"(usage: sgcache validate data [--config FILE] [--json] [TYPE ...] [--filters JSON]
         [--order JSON] [--fields a,b] [--limit N] [--page N] [--all | --full] [--repair]

Reads entities from the site and compares them field by field with the cached documents,
normalising representations that mean the same value (1 and 1.0, the order of a
multi-entity list, time zone spellings, an empty list and null, extra keys in links).
Reports every missing entity (active on the site, not in the cache), stray entity (in the
cache, but deleted, retired or filtered out on the site) and differing field, with both
values. An entity that an event changed during the check is read again once the running
server has applied that event, instead of being reported.

Which entities (default: per type, the 500 most recently updated, every cached field):
  --filters JSON   only entities matching these api3 filters, in shotgun_api3's list form:
                   '[["sg_status_list", "is", "ip"], ["code", "starts_with", "SQ01"]]'
                   '[{"filter_operator": "any", "filters": [["id", "in", [12, 13]],
                     ["updated_at", "in_last", 2, "DAY"]]}]'
  --order JSON     the order in shotgun_api3's form (default: updated_at descending):
                   '[{"field_name": "id", "direction": "asc"}]'
  --fields a,b     compare only these cached fields
  --limit N        entities per type (default 500)
  --page N         the N-th run of --limit entities in that order (default 1)
  --all            every entity of the type, cheaply: the site's record count and latest
                   updated_at per id bucket (one grouped summarize per type) against the
                   same aggregation of the cache, plus a scan for documents not written by
                   sgcache; only the buckets and documents that differ are read
  --full           every entity of the type, all read from the site (one request per 500
                   entities): the expensive reference for --all
  --bucket N       --all: ids per bucket (10, 100, 1000, ...; default 100, more for huge types)

What to do with the findings:
  --repair         ask the running sgcache serve (its control socket) to read every entity
                   found different again through its normal, versioned indexing path, then
                   check them again; exit status 0 when they all match afterwards
  --endpoint E     the control socket (default: control.endpoint of the configuration)
  --token-file F   the control token (also $SGCACHE_CONTROL_TOKEN; default: control.token)

Output:
  --json           print the result as one JSON object (every finding, with both values)
  --show N         findings printed in the text output (default 50)
  --settle-timeout S   how long to wait for the server to apply events that changed
                   entities during the check (default 30)

Exit status: 0 when the cache matches, 1 otherwise (or on failure), 2 for a usage error.

arguments:
  TYPE ...        configured entity types (default: all)
  --config FILE   the service configuration (default: $SGCACHE_CONFIG or etc/config.yaml)
  -h, --help      this text
)";

validate::id_sets finding_ids(const validate::data_result& r) {
    validate::id_sets ids;
    for (const auto& t : r.types) {
        for (const auto& f : t.findings) ids[t.type].insert(f.id);
    }
    return ids;
}

// Sends the re-read requests; the server answers each once those entities are read again
// and acknowledged. Requests hold at most 4000 ids (the control socket takes 64 KiB).
validate::repair_report request_rereads(const control_target& target, const validate::id_sets& ids) {
    validate::repair_report rep;
    for (const auto& [type, set] : ids) rep.requested += set.size();
    try {
        (void)ask(target, json::object{{"command", "ping"}}, std::chrono::seconds(5));
        json::object entities;
        std::size_t in_batch = 0;
        const auto send = [&] {
            if (in_batch == 0) return;
            json::object req{{"command", "reread"}, {"entities", std::move(entities)}};
            // The server waits up to 120 s for the re-read to be acknowledged.
            auto reply = ask(target, std::move(req), std::chrono::seconds(150));
            if (auto n = reply.if_contains("reread"); n && n->is_number()) rep.reread += n->to_number<std::uint64_t>();
            entities = json::object();
            in_batch = 0;
        };
        for (const auto& [type, set] : ids) {
            for (const auto id : set) {
                json::value& slot = entities[type];
                if (!slot.is_array()) slot = json::array();
                slot.get_array().push_back(id);
                if (++in_batch >= 4000) send();
            }
        }
        send();
    } catch (const control_refused& e) {
        rep.error = "the server at " + target.endpoint + " refused: " + e.what();
    } catch (const std::exception& e) {
        rep.error = e.what();
    }
    return rep;
}

// Pages no bigger than the site's own (a short page would look like the last one): `wanted`
// or the site's api_max_entities_per_page. Runs `ioc` until the site answered (throws as
// shotgun::client::info() does) and leaves it ready to run again.
std::size_t site_page_size(asio::io_context& ioc, shotgun::client& sg, std::size_t wanted) {
    std::size_t out = wanted;
    auto learn = [&]() -> asio::awaitable<int> {
        out = co_await sg.page_size(wanted);
        co_return 0;
    };
    run_to_completion(ioc, learn());
    ioc.restart();
    return out;
}

asio::awaitable<int> run_counts(validate::validator& v, std::vector<std::string> types, validate::counts_result& out) {
    out = co_await v.counts(std::move(types));
    co_return 0;
}

asio::awaitable<int> run_data(validate::validator& v, validate::data_options o, validate::data_result& out) {
    out = co_await v.data(std::move(o));
    co_return 0;
}

asio::awaitable<int> run_recheck(validate::validator& v, validate::id_sets ids, std::vector<std::string> fields,
                                 validate::repair_report& out) {
    out.remaining = co_await v.recheck(std::move(ids), std::move(fields));
    co_return 0;
}

std::chrono::milliseconds seconds_option(const parsed_args& args, const char* name, int def, int max) {
    const auto v = args.value(name);
    if (!v) return std::chrono::seconds(def);
    if (*v == "0") return std::chrono::milliseconds(0);
    try {
        return std::chrono::seconds(validate::parse_positive(name, *v, static_cast<std::size_t>(max)));
    } catch (const std::invalid_argument& e) {
        throw usage_error(e.what());
    }
}

asio::awaitable<int> write_stats(elastic::client& es, const config::settings& s, json::object result) {
    co_await observe::write_validation_stats(es, s, std::move(result));
    co_return 0;
}

// Records the run as a stats document when stats are on; failing to is a warning, never a
// reason to hide the validation's own result.
void record_stats(asio::io_context& ioc, elastic::client& es, const config::settings& s, json::object result) {
    if (!s.stats.enabled) return;
    try {
        ioc.restart();
        run_to_completion(ioc, write_stats(es, s, std::move(result)));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sgcache validate: warning: the validation stats document was not written: %s\n", e.what());
    }
}

int counts_command(const std::vector<std::string>& argv) {
    const char* me = "sgcache validate counts";
    parsed_args args;
    try {
        args = parse_args(argv, {{"--config", true}, {"--json", false}});
    } catch (const usage_error& e) {
        std::fprintf(stderr, "%s: %s (see --help)\n", me, e.what());
        return 2;
    }
    if (args.flag("--help")) {
        std::fputs(counts_help, stdout);
        return 0;
    }
    try {
        const auto settings = config::load(args.value("--config").value_or(config::default_file().string()));
        auto configs = config::load_entity_configs(settings.entity_config_dir);
        if (configs.empty()) throw std::runtime_error("no entity configs in " + settings.entity_config_dir.string());
        log::configure("warning", settings.log.format);
        asio::io_context ioc{1};
        shotgun::client sg(ioc.get_executor(), config::shotgun_client(settings));
        elastic::client es(ioc.get_executor(), config::elastic_client(settings));
        validate::validator v(sg, es, settings.elasticsearch.index_prefix,
                              site_page_size(ioc, sg, settings.shotgun.page_size), std::move(configs));
        std::vector<std::string> types;
        try {
            types = v.check_types(args.positional);
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "%s: %s (see --help)\n", me, e.what());
            return 2;
        }
        validate::counts_result result;
        run_to_completion(ioc, run_counts(v, types, result));
        record_stats(ioc, es, settings, validate::to_json(result));
        if (args.flag("--json")) {
            std::printf("%s\n", json::serialize(validate::to_json(result)).c_str());
        } else {
            std::fputs(validate::render(result).c_str(), stdout);
        }
        return result.ok() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", me, e.what());
        return 1;
    }
}

int data_command(const std::vector<std::string>& argv) {
    const char* me = "sgcache validate data";
    parsed_args args;
    validate::data_options opts;
    std::size_t show = 50;
    try {
        args = parse_args(argv, {{"--config", true},
                                 {"--json", false},
                                 {"--filters", true},
                                 {"--order", true},
                                 {"--fields", true},
                                 {"--limit", true},
                                 {"--page", true},
                                 {"--all", false},
                                 {"--full", false},
                                 {"--bucket", true},
                                 {"--repair", false},
                                 {"--endpoint", true},
                                 {"--token-file", true},
                                 {"--show", true},
                                 {"--settle-timeout", true}});
        if (args.flag("--help")) {
            std::fputs(data_help, stdout);
            return 0;
        }
        if (args.flag("--all") && args.flag("--full")) throw usage_error("--all and --full exclude each other");
        opts.scope = args.flag("--all") ? validate::data_scope::all
                     : args.flag("--full") ? validate::data_scope::full
                                           : validate::data_scope::sample;
        if (opts.scope != validate::data_scope::sample) {
            for (const char* o : {"--filters", "--order", "--limit", "--page"}) {
                if (args.value(o)) {
                    throw usage_error(std::string(o) + " selects a sample; --all and --full validate whole types");
                }
            }
        } else if (args.value("--bucket")) {
            throw usage_error("--bucket goes with --all");
        }
        if (!args.flag("--repair")) {
            for (const char* o : {"--endpoint", "--token-file"}) {
                if (args.value(o)) throw usage_error(std::string(o) + " goes with --repair");
            }
        }
        if (auto e = args.value("--endpoint"); e && e->rfind("tcp://", 0) != 0) {
            throw usage_error("--endpoint must look like tcp://HOST:PORT");
        }
        try {
            opts.types = args.positional;
            if (auto v = args.value("--filters")) opts.filters = validate::parse_filters(*v);
            if (auto v = args.value("--order")) opts.order = validate::parse_order(*v);
            if (auto v = args.value("--fields")) opts.fields = validate::parse_field_list(*v);
            if (auto v = args.value("--limit")) opts.limit = validate::parse_positive("--limit", *v, 1'000'000);
            if (auto v = args.value("--page")) opts.page = validate::parse_positive("--page", *v, 1'000'000);
            if (auto v = args.value("--show")) show = validate::parse_positive("--show", *v, 1'000'000);
            if (auto v = args.value("--bucket")) {
                opts.bucket_size = static_cast<std::int64_t>(validate::parse_positive("--bucket", *v, 1'000'000));
                try {
                    (void)validate::grouping_type(opts.bucket_size);
                } catch (const std::invalid_argument& e) {
                    throw std::invalid_argument(std::string("--bucket: ") + e.what());
                }
            }
        } catch (const std::invalid_argument& e) {
            throw usage_error(e.what());
        }
        opts.settle_timeout = seconds_option(args, "--settle-timeout", 30, 600);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "%s: %s (see --help)\n", me, e.what());
        return 2;
    }
    try {
        const auto settings = config::load(args.value("--config").value_or(config::default_file().string()));
        auto configs = config::load_entity_configs(settings.entity_config_dir);
        if (configs.empty()) throw std::runtime_error("no entity configs in " + settings.entity_config_dir.string());
        control_target target{settings.control.endpoint, settings.control.token.reveal()};
        apply_control_options(args, target);
        log::configure("warning", settings.log.format);
        asio::io_context ioc{1};
        shotgun::client sg(ioc.get_executor(), config::shotgun_client(settings));
        elastic::client es(ioc.get_executor(), config::elastic_client(settings));
        validate::validator v(sg, es, settings.elasticsearch.index_prefix,
                              site_page_size(ioc, sg, settings.shotgun.page_size), std::move(configs));
        try {
            v.check(opts);
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "%s: %s (see --help)\n", me, e.what());
            return 2;
        }
        validate::data_result result;
        run_to_completion(ioc, run_data(v, opts, result));
        if (args.flag("--repair") && result.findings() > 0) {
            const auto ids = finding_ids(result);
            auto rep = request_rereads(target, ids);
            if (rep.error.empty()) {
                // The server acknowledged the re-reads: compare those entities once more.
                ioc.restart();
                run_to_completion(ioc, run_recheck(v, ids, opts.fields, rep));
            }
            result.repair = std::move(rep);
        }
        record_stats(ioc, es, settings, validate::to_json(result));
        if (args.flag("--json")) {
            std::printf("%s\n", json::serialize(validate::to_json(result)).c_str());
        } else {
            std::fputs(validate::render(result, show).c_str(), stdout);
        }
        if (result.repair && !result.repair->error.empty()) {
            std::fprintf(stderr, "%s: --repair: %s\n", me, result.repair->error.c_str());
        }
        return result.ok() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", me, e.what());
        return 1;
    }
}

}  // namespace

int validate(const std::vector<std::string>& args) {
    if (args.empty()) {
        std::fputs(validate_help, stderr);
        return 2;
    }
    const std::string& sub = args.front();
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (sub == "-h" || sub == "--help" || sub == "help") {
        std::fputs(validate_help, stdout);
        return 0;
    }
    if (sub == "counts") return counts_command(rest);
    if (sub == "data") return data_command(rest);
    std::fprintf(stderr, "sgcache validate: unknown check '%s' (counts or data; see --help)\n", sub.c_str());
    return 2;
}

}  // namespace sgcache::app
