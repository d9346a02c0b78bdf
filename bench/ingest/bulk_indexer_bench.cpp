// Feeds a file of JSON documents (one per line, each with an "id") through sgcache's
// bulk indexer into one index and prints the figures as one JSON line. Driven by
// bench/ingest/run; reading the file is not timed, indexing is.
#include "elastic/client.hpp"
#include "elastic/indexer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace sgcache;

namespace {

struct options {
    std::string es, index, docs;
    std::size_t batch_docs = 1000, batch_bytes = 8u << 20, in_flight = 3;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "sgcache-bench-bulk: %s\nusage: sgcache-bench-bulk --es URL --index NAME --docs FILE "
                 "[--batch-docs N] [--batch-bytes B] [--in-flight K]\n",
                 why);
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) usage(("missing value for " + a).c_str());
        const std::string v = argv[++i];
        if (a == "--es") o.es = v;
        else if (a == "--index") o.index = v;
        else if (a == "--docs") o.docs = v;
        else if (a == "--batch-docs") o.batch_docs = std::stoul(v);
        else if (a == "--batch-bytes") o.batch_bytes = std::stoul(v);
        else if (a == "--in-flight") o.in_flight = std::stoul(v);
        else usage(("unknown option " + a).c_str());
    }
    if (o.es.empty() || o.index.empty() || o.docs.empty()) usage("--es, --index and --docs are required");
    return o;
}

// The id is the value of the top-level "id" key; the generator writes it first.
std::string id_of(const std::string& line) {
    const auto at = line.find("\"id\":");
    if (at == std::string::npos) return {};
    std::size_t b = at + 5, e = b;
    while (e < line.size() && line[e] >= '0' && line[e] <= '9') ++e;
    return line.substr(b, e - b);
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    std::ifstream in(o.docs);
    if (!in) usage(("cannot read " + o.docs).c_str());
    std::vector<elastic::bulk_op> ops;
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        elastic::bulk_op op;
        op.index = o.index;
        op.id = id_of(line);
        op.source = std::move(line);
        op.external_version = 1;
        ops.push_back(std::move(op));
    }

    asio::io_context ioc{1};
    elastic::client_config cfg;
    cfg.hosts = {o.es};
    elastic::client es(ioc.get_executor(), cfg);
    elastic::indexer_options io;
    io.max_batch_docs = o.batch_docs;
    io.max_batch_bytes = o.batch_bytes;
    io.max_in_flight = o.in_flight;
    elastic::bulk_indexer indexer(es, io);

    double seconds = 0;
    auto run = [&]() -> asio::awaitable<void> {
        const auto t0 = std::chrono::steady_clock::now();
        for (auto& op : ops) co_await indexer.add(std::move(op));
        co_await indexer.flush();
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    std::exception_ptr failure;
    asio::co_spawn(ioc, run(), [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "sgcache-bench-bulk: %s\n", e.what());
            return 1;
        }
    }
    const auto st = indexer.stats();
    std::printf("{\"docs\":%zu,\"seconds\":%.3f,\"docs_per_s\":%.0f,\"written\":%llu,\"rejected\":%llu,"
                "\"requests\":%llu}\n",
                ops.size(), seconds, ops.size() / seconds, static_cast<unsigned long long>(st.written),
                static_cast<unsigned long long>(st.rejected), static_cast<unsigned long long>(st.requests));
    return st.rejected == 0 ? 0 : 1;
}
