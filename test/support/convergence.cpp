#include "support/convergence.hpp"

#include "shotgun/filters.hpp"
#include "support/run_coro.hpp"
#include "sync/documents.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>
#include <thread>

namespace sgcache::test {

namespace asio = boost::asio;
namespace json = boost::json;

std::string convergence_report::summary() const {
    std::string out = std::to_string(site_entities) + " site entities, " + std::to_string(live_documents) +
                      " live documents";
    for (const auto& p : problems) out += "\n  " + p;
    return out;
}

namespace {

void problem(convergence_report& r, std::string what) {
    r.ok = false;
    if (r.problems.size() < 12) r.problems.push_back(std::move(what));
}

}  // namespace

asio::awaitable<convergence_report> check_convergence(shotgun::client& sg, elastic::client& es, const std::string& prefix,
                                                      const std::vector<config::entity_config>& types) {
    convergence_report r;
    for (const auto& cfg : types) {
        const auto names = sync::names_for(prefix, cfg.type);
        const json::object filters = shotgun::from_list_form(json::value(cfg.filters));
        const std::vector<std::string> fields = cfg.field_names();
        // The site, by keyset paging.
        std::map<std::int64_t, json::object> site;
        std::int64_t after = 0;
        for (;;) {
            auto page = co_await sg.read_after(cfg.type, fields, filters, after, 2'000'000'000, 500, false);
            for (auto& e : page.entities) {
                const auto id = e.as_object().at("id").to_number<std::int64_t>();
                site[id] = e.as_object();
            }
            if (page.entities.size() < 500) break;
            after = page.entities.back().as_object().at("id").to_number<std::int64_t>();
        }
        r.site_entities += site.size();
        co_await es.refresh(names.all_alias);
        // Every document, tombstones included, by search_after on our id field.
        std::map<std::int64_t, json::object> docs;
        json::array search_after;
        for (;;) {
            json::object body = json::parse(R"({"size":1000,"sort":[{"id":"asc"}]})").as_object();
            if (!search_after.empty()) body["search_after"] = search_after;
            auto page = co_await es.search(names.all_alias, body);
            for (auto& h : page.hits) docs[h.source.at("id").to_number<std::int64_t>()] = std::move(h.source);
            if (page.hits.size() < 1000) break;
            search_after = page.hits.back().sort;
        }
        for (const auto& [id, entity] : site) {
            auto it = docs.find(id);
            if (it == docs.end()) {
                problem(r, cfg.type + " " + std::to_string(id) + ": missing from the cache");
                continue;
            }
            const auto& doc = it->second;
            if (doc.at(config::meta_field).as_object().at("retired").as_bool()) {
                problem(r, cfg.type + " " + std::to_string(id) + ": a tombstone in the cache but active on the site");
                continue;
            }
            for (const auto& f : fields) {
                const json::value* site_v = entity.if_contains(f);
                const json::value* doc_v = doc.if_contains(f);
                const std::string a = site_v ? json::serialize(*site_v) : "null";
                const std::string b = doc_v ? json::serialize(*doc_v) : "(absent)";
                if (a != b) {
                    problem(r, cfg.type + " " + std::to_string(id) + "." + f + ": site " + a.substr(0, 120) +
                                   " != cache " + b.substr(0, 120));
                    break;
                }
            }
        }
        for (const auto& [id, doc] : docs) {
            const bool retired = doc.at(config::meta_field).as_object().at("retired").as_bool();
            if (!retired && !site.count(id)) {
                problem(r, cfg.type + " " + std::to_string(id) + ": visible in the cache but not active on the site");
            }
        }
        const auto live = co_await es.count(names.live_alias);
        r.live_documents += live;
        if (live != site.size()) {
            problem(r, cfg.type + ": the live alias counts " + std::to_string(live) + ", the site " +
                           std::to_string(site.size()));
        }
    }
    co_return r;
}

convergence_report wait_for_convergence(asio::io_context& ioc, shotgun::client& sg, elastic::client& es,
                                        const std::string& prefix, const std::vector<config::entity_config>& types,
                                        std::chrono::seconds limit, const std::function<bool()>& gone) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    convergence_report last;
    for (;;) {
        try {
            last = run_coro(ioc, check_convergence(sg, es, prefix, types), std::chrono::seconds(120));
        } catch (const std::exception& e) {
            last = convergence_report{};
            problem(last, std::string("check failed: ") + e.what());
        }
        if (last.ok || std::chrono::steady_clock::now() >= deadline) return last;
        if (gone && gone()) {
            problem(last, "the server under test has exited");
            return last;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

}  // namespace sgcache::test
