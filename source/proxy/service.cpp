#include "proxy/service.hpp"

#include "app/control_client.hpp"
#include "common/log.hpp"
#include "config/clients.hpp"
#include "elastic/client.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "http/url.hpp"
#include "proxy/auth_cache.hpp"
#include "proxy/envelope.hpp"
#include "proxy/catalog.hpp"
#include "proxy/read_plan.hpp"
#include "shotgun/client.hpp"
#include "sgcache_version.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

namespace sgcache::proxy {

namespace asio = boost::asio;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

http::endpoint root_endpoint(const std::string& url) {
    auto ep = http::parse_endpoint(url);
    ep.base_path = "/";
    return ep;
}

http::server_options listen_options(const config::proxy_settings& p) {
    http::server_options o;
    const auto colon = p.listen.rfind(':');
    o.address = p.listen.substr(0, colon);
    if (o.address.size() > 2 && o.address.front() == '[' && o.address.back() == ']') {
        o.address = o.address.substr(1, o.address.size() - 2);
    }
    const std::string port = p.listen.substr(colon + 1);
    char* end = nullptr;
    const long n = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || n < 0 || n > 65535) {
        throw std::runtime_error("proxy.listen: '" + p.listen + "' has no valid port");
    }
    o.port = static_cast<std::uint16_t>(n);
    o.tls_cert_file = p.tls_cert_file;
    o.tls_key_file = p.tls_key_file;
    o.server_name = "sgcache-proxy";
    return o;
}

// Framing, encoding and connection headers belong to one hop (the body arrives decoded).
bool hop_by_hop(std::string_view name) {
    std::string lower(name);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower == "content-length" || lower == "transfer-encoding" || lower == "content-encoding" ||
           lower == "connection" || lower == "keep-alive" || lower == "date" || lower == "server";
}

bool is_write(std::string_view m) {
    return m == "create" || m == "update" || m == "delete" || m == "revive" || m == "batch";
}

std::string format_seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s);
    return buf;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

struct service::impl : std::enable_shared_from_this<impl> {
    asio::any_io_executor ex;
    config::settings settings;
    std::vector<config::entity_config> configs;
    http::client site;
    std::string api_path;
    elastic::client es;
    shotgun::client sg;  // the proxy's own calls (schema, info) with the configured script
    app::control_target control;
    asio::thread_pool pool{2};
    std::unique_ptr<http::server> server;

    catalog cat;
    bool catalog_ready = false;
    std::optional<std::string> info_body;  // the site's info reply with the proxy's key
    auth_cache callers;

    // From serve's last status.
    std::map<std::string, std::string> type_states;
    double lag_s = 0;
    std::optional<clock_type::time_point> status_at;
    std::string status_problem = "no status from sgcache serve yet";
    std::map<std::string, int> pending_rereads;  // type -> writes not yet re-read

    std::uint64_t served = 0, forwarded = 0, site_failures = 0;
    std::map<std::string, std::uint64_t> reasons;
    bool stopping = false;

    impl(asio::any_io_executor e, const config::settings& s, std::vector<config::entity_config> types)
        : ex(e),
          settings(s),
          configs(std::move(types)),
          site(e, root_endpoint(s.shotgun.url),
               [&] {
                   http::client_options o;
                   o.ca_file = s.shotgun.ca_file;
                   o.connect_timeout = s.shotgun.connect_timeout;
                   o.request_timeout = s.shotgun.request_timeout;
                   o.user_agent = "sgcache-proxy";
                   o.max_idle_connections = 64;
                   return o;
               }()),
          api_path(shotgun::api_path_of(s.shotgun.url)),
          es(e, config::elastic_client(s)),
          sg(e, config::shotgun_client(s)),
          callers(s.proxy.auth_ttl) {
        control.endpoint = s.control.endpoint;
        control.token = s.control.token.reveal();
        for (const auto& c : configs) cat.types[c.type] = describe(c, s.elasticsearch.index_prefix);
    }

    // ---- replies ---------------------------------------------------------------------

    static http::reply json_reply(std::string body, std::string_view source) {
        http::reply r;
        r.res.status = 200;
        r.res.fields.push_back({"Content-Type", "application/json; charset=utf-8"});
        r.res.fields.push_back({"X-Sgcache-Source", std::string(source)});
        r.res.body = std::move(body);
        return r;
    }

    void count_forward(const std::string& reason) {
        ++forwarded;
        // Reasons quote what callers sent (a relation, a parameter name): a bounded table,
        // so that no caller can grow it without end.
        if (reasons.size() < 500 || reasons.count(reason)) {
            ++reasons[reason];
        } else {
            ++reasons["(other reasons)"];
        }
        log::debug("proxy", "forwarded", {{"reason", reason}});
    }

    // The request sent to the site as it came (the api3 path as shotgun_api3 computes it),
    // its reply relayed as it came. A site that does not answer gets the caller a fault
    // saying so, in the shape shotgun_api3 raises as shotgun_api3.Fault.
    asio::awaitable<http::reply> relay(const http::request& in, bool api) {
        http::request out;
        out.method = in.method;
        out.target = api ? api_path : in.target;
        out.body = in.body;
        out.content_type = in.content_type.empty() && api ? "application/json" : in.content_type;
        for (const char* name : {"Authorization", "Cookie", "Accept"}) {
            if (auto v = find_field(in.fields, name); !v.empty()) out.fields.push_back({name, std::string(v)});
        }
        out.idempotent = false;  // a forwarded create must not be sent twice
        auto res = co_await site.send(std::move(out));
        if (!res) {
            ++site_failures;
            const std::string why = "sgcache proxy: the site " + site.target().origin() + " did not answer (" +
                                    res.error().message + ")";
            log::warning("proxy", why);
            if (!api) {
                http::reply r;
                r.res.status = 502;
                r.res.fields.push_back({"Content-Type", "text/plain; charset=utf-8"});
                r.res.body = why + "\n";
                co_return r;
            }
            co_return json_reply(fault_body(503, why), "proxy");
        }
        http::reply r;
        r.res.status = res->status;
        for (const auto& f : res->fields) {
            // Framing and encoding are this hop's own (the body arrives decoded).
            if (!hop_by_hop(f.name)) r.res.fields.push_back(f);
        }
        r.res.fields.push_back({"X-Sgcache-Source", "site"});
        r.res.body = std::move(res->body);
        co_return r;
    }

    // ---- freshness -------------------------------------------------------------------

    // Empty when reads of `type` may be answered now; else why not. `lag` gets the estimate.
    std::string staleness(const std::string& type, double& lag) const {
        if (!status_at) return status_problem;
        const double age = std::chrono::duration<double>(clock_type::now() - *status_at).count();
        lag = lag_s + age;
        const double limit = std::chrono::duration<double>(settings.proxy.max_lag).count();
        if (lag > limit) {
            return status_problem.empty() ? "the cache lags " + format_seconds(lag) + " s (proxy.max_lag_s)"
                                          : status_problem;
        }
        auto it = type_states.find(type);
        if (it == type_states.end()) return "serve does not report " + type;
        if (it->second != "following") return type + " is " + it->second;
        if (auto p = pending_rereads.find(type); p != pending_rereads.end() && p->second > 0) {
            return "a write to " + type + " is not re-read yet";
        }
        return {};
    }

    // ---- control socket (blocking ZeroMQ, on the pool) ------------------------------

    asio::awaitable<json::object> ask(json::object request, std::chrono::milliseconds limit) {
        // Named before co_spawn (GCC 12 and a capturing lambda in a co_await expression).
        auto work = [target = control, request = std::move(request), limit]() -> asio::awaitable<json::object> {
            co_return app::ask(target, request, limit);
        };
        co_return co_await asio::co_spawn(pool, std::move(work), asio::use_awaitable);
    }

    asio::awaitable<void> status_loop() {
        while (!stopping) {
            json::object request;
            request["command"] = "status";
            try {
                auto st = co_await ask(std::move(request), std::chrono::milliseconds(2000));
                std::map<std::string, std::string> states;
                for (const auto& t : st.at("types").as_array()) {
                    states[std::string(t.at("type").as_string())] = std::string(t.at("state").as_string());
                }
                const auto& f = st.at("follower").as_object();
                type_states = std::move(states);
                lag_s = f.at("lag_s").to_number<double>();
                status_at = clock_type::now();
                if (!status_problem.empty()) log::info("proxy", "sgcache serve answers: cached reads resume");
                status_problem.clear();
            } catch (const std::exception& e) {
                if (status_problem.empty()) log::warning("proxy", std::string("no status from sgcache serve: ") + e.what());
                status_problem = std::string("no status from sgcache serve (") + e.what() + ")";
            }
            co_await sleep_for(settings.proxy.status_interval);
        }
    }

    // Which types' indices keep retired entities with their fields: every index behind the
    // type's all alias maps `_sgcache.site_retired` (an index built by an older version does
    // not, and a rebuild brings it). Checked at start and every minute.
    asio::awaitable<void> check_retired_kept() {
        for (auto& [name, t] : cat.types) {
            bool kept = false;
            try {
                auto res = co_await es.request(http::verb::get, "/" + t.all_alias + "/_mapping");
                boost::system::error_code ec;
                auto v = json::parse(res.body, ec);
                if (!ec && res.status == 200 && v.is_object() && !v.get_object().empty()) {
                    kept = true;
                    for (const auto& [index, m] : v.get_object()) {
                        const auto* p = m.is_object() ? m.get_object().if_contains("mappings") : nullptr;
                        for (const char* key : {"properties", "_sgcache", "properties", "site_retired"}) {
                            p = p && p->is_object() ? p->get_object().if_contains(key) : nullptr;
                        }
                        if (!p) kept = false;
                    }
                }
            } catch (const std::exception& e) {
                log::debug("proxy", std::string("mapping check failed: ") + e.what(), {{"type", name}});
            }
            t.retired_kept = kept;
        }
    }

    asio::awaitable<void> catalog_loop() {
        while (!stopping && !catalog_ready) {
            try {
                auto info = co_await sg.info();
                auto entities = co_await sg.schema_entity_read();
                cat.max_per_page = static_cast<std::int64_t>(info.max_entities_per_page);
                for (const auto& kv : entities) cat.site_types.insert(std::string(kv.key()));
                catalog_ready = true;
                log::info("proxy", "site schema loaded", {{"site_types", cat.site_types.size()},
                                                          {"cached_types", cat.types.size()},
                                                          {"max_per_page", cat.max_per_page}});
            } catch (const std::exception& e) {
                log::warning("proxy", std::string("cannot load the site's schema yet (reads are forwarded): ") + e.what());
            }
            if (!catalog_ready) co_await sleep_for(std::chrono::milliseconds(5000));
        }
        while (!stopping) {
            co_await check_retired_kept();
            bool all = true;
            for (const auto& kv : cat.types) all = all && kv.second.retired_kept;
            // Soon while a type's first download may still be creating its index.
            co_await sleep_for(std::chrono::milliseconds(all ? 60'000 : 5'000));
        }
    }

    // ---- api3 ----------------------------------------------------------------------

    asio::awaitable<http::reply> info(const http::request& req) {
        if (info_body) co_return json_reply(*info_body, "proxy");
        auto r = co_await relay(req, true);
        boost::system::error_code ec;
        auto v = json::parse(r.res.body, ec);
        if (ec || r.res.status != 200 || fault_code(v)) co_return r;
        // The site wraps results; an older one answers bare.
        json::object* o = v.is_object() && v.get_object().contains("results") && v.get_object()["results"].is_object()
                              ? &v.get_object()["results"].get_object()
                              : v.if_object();
        if (!o) co_return r;
        json::object marker;
        marker["version"] = std::string(SGCACHE_VERSION);
        (*o)["sgcache_proxy"] = std::move(marker);
        info_body = json::serialize(v);
        co_return json_reply(*info_body, "proxy");
    }

    // The site's verdict on a caller, from the reply to a call it made.
    void learn(const script_caller& c, const http::reply& r) {
        if (r.res.status != 200) return;
        boost::system::error_code ec;
        auto v = json::parse(r.res.body, ec);
        if (ec) return;
        const auto code = fault_code(v);
        if (code && (*code == 102 || *code == 106 || *code == 108 || *code == 110)) {
            callers.forget(c.name, c.key);
        } else if (!code || *code != 503) {
            callers.remember(c.name, c.key, clock_type::now());
        }
    }

    // A read or summarize: answered from the cache when its plan says the cache can, the
    // type is fresh and the caller verified; otherwise forwarded (and the caller learned).
    asio::awaitable<http::reply> query(const http::request& req, const api_request& call) {
        auto caller = script_of(call.auth);
        if (!caller) {
            count_forward("a caller without a plain script name and key (session, login or sudo_as_login)");
            co_return co_await relay(req, true);
        }
        auto forward_and_learn = [&](const std::string& reason) -> asio::awaitable<http::reply> {
            count_forward(reason);
            auto r = co_await relay(req, true);
            learn(*caller, r);
            co_return r;
        };
        if (!catalog_ready) co_return co_await forward_and_learn("the site's schema is not loaded yet");
        if (!call.payload.is_object()) co_return co_await forward_and_learn(call.method + " parameters that are not an object");
        // What to search and how to render it, or why not.
        std::string type, index, reason;
        json::object body;
        std::vector<std::string> guards;
        std::function<json::object(const json::object& hits, const json::object& aggs, std::int64_t total)> result_of;
        if (call.method == "read") {
            auto plan = plan_read(cat, call.payload.get_object());
            if (plan.cached) {
                type = plan.cached->type;
                index = plan.cached->index;
                body = plan.cached->body;
                guards = plan.cached->guards;
                result_of = [c = std::move(*plan.cached)](const json::object& hits, const json::object&, std::int64_t total) {
                    const auto* list = hits.if_contains("hits");
                    return render(c, list && list->is_array() ? list->get_array() : json::array{}, total);
                };
            }
            reason = plan.forward_reason;
        } else {
            auto plan = plan_summarize(cat, call.payload.get_object());
            if (plan.cached) {
                type = plan.cached->type;
                index = plan.cached->index;
                body = plan.cached->body;
                result_of = [c = std::move(*plan.cached)](const json::object&, const json::object& aggs, std::int64_t total) {
                    return render_summary(c, aggs, total);
                };
            }
            reason = plan.forward_reason;
        }
        if (!result_of) co_return co_await forward_and_learn(reason);
        double lag = 0;
        if (auto why = staleness(type, lag); !why.empty()) co_return co_await forward_and_learn(why);
        if (!callers.known(caller->name, caller->key, clock_type::now())) {
            co_return co_await forward_and_learn("a caller not verified yet");
        }
        http::response res;
        std::string es_failure;
        try {
            res = co_await es.request(http::verb::post, "/" + index + "/_search", json::serialize(body), "application/json");
        } catch (const std::exception& e) {
            es_failure = std::string("Elasticsearch failed: ") + e.what();
        }
        if (!es_failure.empty()) co_return co_await forward_and_learn(es_failure);
        boost::system::error_code ec;
        auto v = json::parse(res.body, ec);
        const json::object* hits = nullptr;
        if (!ec && res.status == 200 && v.is_object()) {
            if (const auto* h = v.get_object().if_contains("hits"); h && h->is_object()) hits = &h->get_object();
        }
        if (!hits) {
            log::warning("proxy", "Elasticsearch refused a search; forwarded",
                         {{"status", res.status}, {"index", index}, {"body", res.body.substr(0, 300)}});
            co_return co_await forward_and_learn("Elasticsearch refused the search (status " + std::to_string(res.status) + ")");
        }
        std::int64_t total = 0;
        if (const auto* t = hits->if_contains("total"); t && t->is_object()) {
            if (const auto* tv = t->get_object().if_contains("value"); tv && tv->is_int64()) total = tv->get_int64();
        }
        const json::object no_aggs;
        const auto* found = v.get_object().if_contains("aggregations");
        const json::object& aggs = found && found->is_object() ? found->get_object() : no_aggs;
        for (const auto& g : guards) {
            const auto* a = aggs.if_contains(g);
            const auto* n = a && a->is_object() ? a->get_object().if_contains("doc_count") : nullptr;
            if (!n || !n->is_int64() || n->get_int64() != 0) {
                co_return co_await forward_and_learn("a sort on text values that are not all printable ASCII");
            }
        }
        json::object out;
        out["results"] = result_of(*hits, aggs, total);
        ++served;
        auto r = json_reply(json::serialize(out), "cache");
        r.res.fields.push_back({"X-Sgcache-Lag", format_seconds(lag)});
        co_return r;
    }

    // The cached entities a write the site accepted touched: {type: [ids]}.
    std::map<std::string, std::vector<std::int64_t>> written(const api_request& call, const json::value& reply) const {
        std::map<std::string, std::vector<std::int64_t>> out;
        auto add = [&](const json::value* type, const json::value* id) {
            if (!type || !id || !type->is_string() || !id->is_int64()) return;
            const std::string t(type->get_string());
            if (cat.types.count(t)) out[t].push_back(id->get_int64());
        };
        const auto* ro = reply.if_object();
        const json::value* results = ro && ro->contains("results") ? &ro->at("results") : &reply;
        auto from = [&](const json::value& request, const json::value* result, std::string_view kind) {
            const auto* q = request.if_object();
            if (kind == "create") {
                const auto* r = result ? result->if_object() : nullptr;
                if (r) add(r->if_contains("type"), r->if_contains("id"));
            } else if (q) {
                add(q->if_contains("type"), q->if_contains("id"));
            }
        };
        if (call.method == "batch") {
            const auto* reqs = call.payload.if_array();
            if (!reqs) {
                if (const auto* po = call.payload.if_object(); po && po->contains("requests")) reqs = po->at("requests").if_array();
            }
            const auto* res = results->if_array();
            if (!reqs) return out;
            for (std::size_t i = 0; i < reqs->size(); ++i) {
                const auto* q = (*reqs)[i].if_object();
                const auto* kind = q ? q->if_contains("request_type") : nullptr;
                if (!kind || !kind->is_string()) continue;
                from((*reqs)[i], res && i < res->size() ? &(*res)[i] : nullptr, kind->get_string());
            }
        } else {
            from(call.payload, results, call.method);
        }
        return out;
    }

    asio::awaitable<bool> reread(std::map<std::string, std::vector<std::int64_t>> targets, std::chrono::milliseconds limit) {
        json::object entities;
        for (const auto& [type, ids] : targets) {
            json::array list;
            for (auto id : ids) list.push_back(id);
            entities[type] = std::move(list);
        }
        json::object request;
        request["command"] = "reread";
        request["entities"] = std::move(entities);
        try {
            co_await ask(std::move(request), limit);
            // The re-read documents are acknowledged; a refresh makes the next search see them.
            for (const auto& kv : targets) {
                co_await es.request(http::verb::post, "/" + cat.types.at(kv.first).live_alias + "/_refresh");
            }
            co_return true;
        } catch (const std::exception& e) {
            log::warning("proxy", std::string("re-read after a write not acknowledged: ") + e.what());
        }
        co_return false;
    }

    // Retries a re-read until serve acknowledges it; the types' reads are forwarded meanwhile.
    asio::awaitable<void> reread_later(std::map<std::string, std::vector<std::int64_t>> targets) {
        auto self = shared_from_this();
        while (!stopping) {
            co_await sleep_for(std::chrono::milliseconds(2000));
            if (co_await reread(targets, std::chrono::milliseconds(30'000))) break;
        }
        for (const auto& kv : targets) --pending_rereads[kv.first];
    }

    asio::awaitable<http::reply> api(const http::request& req) {
        std::string error;
        auto call = decode(req.body, error);
        if (!call) {
            // The site answers it as it would have (its own fault).
            count_forward("a body that is not an api3 call: " + error);
            co_return co_await relay(req, true);
        }
        if (call->method == "info") co_return co_await info(req);
        if (call->method == "read" || call->method == "summarize") co_return co_await query(req, *call);
        count_forward("method " + call->method);
        auto r = co_await relay(req, true);
        if (auto c = script_of(call->auth)) learn(*c, r);
        if (!is_write(call->method) || r.res.status != 200) co_return r;
        boost::system::error_code ec;
        auto v = json::parse(r.res.body, ec);
        if (ec || fault_code(v)) co_return r;
        auto targets = written(*call, v);
        if (targets.empty()) co_return r;
        if (co_await reread(targets, settings.proxy.reread_timeout)) {
            r.res.fields.push_back({"X-Sgcache-Reread", "done"});
        } else {
            r.res.fields.push_back({"X-Sgcache-Reread", "pending"});
            for (const auto& kv : targets) ++pending_rereads[kv.first];
            asio::co_spawn(ex, reread_later(std::move(targets)), asio::detached);
        }
        co_return r;
    }

    http::reply stats() const {
        json::object o;
        o["served"] = served;
        o["forwarded"] = forwarded;
        o["site_failures"] = site_failures;
        json::object why;
        for (const auto& [k, n] : reasons) why[k] = n;
        o["forward_reasons"] = std::move(why);
        o["catalog_ready"] = catalog_ready;
        json::array kept;
        for (const auto& [name, t] : cat.types) {
            if (t.retired_kept) kept.push_back(json::string(name));
        }
        o["retired_kept"] = std::move(kept);
        o["status_problem"] = status_problem;
        o["callers"] = callers.size();
        return json_reply(json::serialize(o), "proxy");
    }

    asio::awaitable<http::reply> handle(const http::request& req) {
        const std::string path = req.target.substr(0, req.target.find('?'));
        if (path == "/_proxy/stats" && req.method == http::verb::get) co_return stats();
        if (path == "/api3/json" && req.method == http::verb::post) co_return co_await api(req);
        ++forwarded;
        co_return co_await relay(req, false);
    }
};

service::service(asio::any_io_executor ex, const config::settings& s, std::vector<config::entity_config> types)
    : impl_(std::make_shared<impl>(ex, s, std::move(types))) {
    std::weak_ptr<impl> weak = impl_;
    impl_->server = std::make_unique<http::server>(ex, listen_options(s.proxy),
                                                   [weak](const http::request& req) -> asio::awaitable<http::reply> {
                                                       auto self = weak.lock();
                                                       if (!self) co_return http::reply{};
                                                       co_return co_await self->handle(req);
                                                   });
}

service::~service() {
    impl_->stopping = true;
    impl_->pool.stop();
    impl_->pool.join();
}

std::string service::url() const { return impl_->server->url(); }

asio::awaitable<void> service::run() {
    using namespace asio::experimental::awaitable_operators;
    auto self = impl_;
    log::info("proxy", "listening", {{"url", self->server->url()}, {"site", self->site.target().origin()}});
    co_await (self->server->run() || (self->status_loop() && self->catalog_loop()));
}

void service::stop() {
    impl_->stopping = true;
    impl_->server->stop();
}

}  // namespace sgcache::proxy
