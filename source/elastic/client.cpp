#include "elastic/client.hpp"

#include "common/base64.hpp"
#include "common/text.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace sgcache::elastic {

namespace asio = boost::asio;
namespace json = boost::json;
using clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t no_host = static_cast<std::size_t>(-1);

std::string excerpt(std::string_view body) { return text::excerpt(body, 160); }

// Index names go into URL paths; percent-encode anything that is not a plain name char so
// a hostile name cannot change the path (ids of state documents are ours, but be strict).
std::string path_segment(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

error::kind kind_of(http::failure_kind k) {
    switch (k) {
        case http::failure_kind::tls: return error::kind::tls;
        case http::failure_kind::protocol:
        case http::failure_kind::too_large: return error::kind::malformed;
        case http::failure_kind::cancelled: return error::kind::cancelled;
        case http::failure_kind::status: return error::kind::busy;
        default: return error::kind::unreachable;
    }
}

}  // namespace

std::pair<std::string, std::string> parse_error_body(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return {};
    const json::value* err = v.get_object().if_contains("error");
    if (!err) return {};
    if (err->is_string()) return {"", std::string(err->get_string())};
    if (!err->is_object()) return {};
    std::string type, reason;
    const auto& o = err->get_object();
    if (auto t = o.if_contains("type"); t && t->is_string()) type = t->get_string();
    if (auto r = o.if_contains("reason"); r && r->is_string()) reason = r->get_string();
    return {type, reason};
}

void check_exact_index_name(const std::string& name) {
    const auto refuse = [&](const char* why) {
        throw std::invalid_argument("index name '" + name + "' " + why);
    };
    if (name.empty()) refuse("is empty");
    if (name == "_all" || name == "." || name == "..") refuse("names no single index");
    if (name.find_first_of("*?,\"<>|\\/ #:") != std::string::npos) {
        refuse("contains a character that is not allowed in an exact index name");
    }
    if (name.front() == '-' || name.front() == '_' || name.front() == '+') refuse("starts with -, _ or +");
    if (std::any_of(name.begin(), name.end(), [](unsigned char c) { return std::isupper(c); })) {
        refuse("has upper-case letters");
    }
    if (name.size() > 255) refuse("is longer than 255 bytes");
}

struct client::impl {
    struct host {
        std::unique_ptr<http::client> http;
        clock::time_point dead_until{};
    };

    asio::any_io_executor ex;
    client_config cfg;
    std::vector<host> hosts;
    std::vector<std::string> origins;
    std::size_t next = 0;
    std::string authorization;
    client_stats stats;

    impl(asio::any_io_executor e, client_config c) : ex(std::move(e)), cfg(std::move(c)) {
        if (cfg.hosts.empty()) throw std::invalid_argument("elasticsearch: no hosts configured");
        if (!cfg.api_key.empty() && (!cfg.username.empty() || !cfg.password.empty())) {
            throw std::invalid_argument("elasticsearch: give either basic auth or an API key, not both");
        }
        for (const auto& url : cfg.hosts) {
            auto ep = http::parse_endpoint(url);  // throws with the URL, credentials redacted
            origins.push_back(ep.origin());
            hosts.push_back({std::make_unique<http::client>(ex, std::move(ep), cfg.http), {}});
        }
        if (!cfg.api_key.empty()) {
            // An "id:key" pair is encoded here; an already encoded key is sent as is.
            authorization = "ApiKey " + (cfg.api_key.find(':') != std::string::npos ? base64_encode(cfg.api_key)
                                                                                      : cfg.api_key);
        } else if (!cfg.username.empty()) {
            authorization = "Basic " + base64_encode(cfg.username + ":" + cfg.password);
        }
    }

    // Round robin over live hosts, skipping `avoid` (the host that just failed) when another
    // exists. With every host dead, the one that comes back soonest.
    std::size_t pick(std::size_t avoid) {
        const auto now = clock::now();
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            const std::size_t k = (next + i) % hosts.size();
            if (k == avoid && hosts.size() > 1) continue;
            if (hosts[k].dead_until <= now) {
                next = k + 1;
                return k;
            }
        }
        std::size_t best = 0;
        for (std::size_t k = 1; k < hosts.size(); ++k) {
            if (hosts[k].dead_until < hosts[best].dead_until) best = k;
        }
        next = best + 1;
        return best;
    }

    bool another_live_host(std::size_t except) const {
        const auto now = clock::now();
        for (std::size_t k = 0; k < hosts.size(); ++k) {
            if (k != except && hosts[k].dead_until <= now) return true;
        }
        return false;
    }

    static asio::awaitable<void> pause(std::chrono::milliseconds d) {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(d);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) throw error(error::kind::cancelled, 0, "", "", "elasticsearch: cancelled while waiting to retry");
    }

    // A response and the host that gave it, so that messages name the right host.
    struct reply {
        http::response res;
        std::size_t host = 0;
    };

    http::request make_request(http::verb method, const std::string& path, const std::string& body,
                               const std::string& content_type) const {
        http::request req;
        req.method = method;
        req.target = path;
        req.body = body;
        if (!req.body.empty()) req.content_type = content_type;
        if (!authorization.empty()) req.fields.push_back({"Authorization", authorization});
        return req;
    }

    // What to do after one attempt. Throws elastic::error when the call is over.
    struct verdict {
        bool done = false;  // the response is final: return it
        std::optional<std::chrono::milliseconds> pause;  // wait this long before the next attempt
    };

    verdict judge(std::size_t k, int attempt, http::verb method, const std::string& path, const http::result& res,
                  std::size_t& failed_host) {
        host& h = hosts[k];
        if (res) {
            if (!http::is_retryable_status(res->status)) {
                h.dead_until = {};
                return {true, std::nullopt};
            }
            // The cluster is busy (429) or a proxy in front of it is (502/503/504).
            const auto f = http::status_failure(
                std::string(http::to_string(method)) + " " + origins[k] + h.http->target().target_for(path), *res);
            failed_host = no_host;
            if (!cfg.retry.may_retry(attempt)) {
                auto [type, reason] = parse_error_body(res->body);
                throw error(error::kind::busy, res->status, type, reason,
                            "elasticsearch: " + f.message + " (gave up after " + std::to_string(attempt) + " attempts)");
            }
            return {false, backoff_delay(cfg.retry, attempt, jitter_rng(), f.retry_after)};
        }
        const http::failure& f = res.error();
        if (!http::is_retryable(f)) throw error(kind_of(f.kind), 0, "", "", "elasticsearch: " + f.message);
        // The host stopped answering: skip it for a while, and move on at once if another
        // host can take the request.
        h.dead_until = clock::now() + cfg.dead_host_cooldown;
        failed_host = k;
        if (!cfg.retry.may_retry(attempt)) {
            throw error(error::kind::unreachable, 0, "", "",
                        "elasticsearch: " + f.message + " (gave up after " + std::to_string(attempt) +
                            " attempts on " + std::to_string(hosts.size()) + " host" +
                            (hosts.size() == 1 ? "" : "s") + ")");
        }
        if (another_live_host(k)) {
            ++stats.failovers;
            return {false, std::nullopt};
        }
        return {false, backoff_delay(cfg.retry, attempt, jitter_rng())};
    }

    // The coroutine is kept minimal on purpose: g++ 12 has miscompiled richer loop bodies
    // (locals destroyed twice around co_return); the decisions live in judge().
    asio::awaitable<reply> perform(http::verb method, std::string path, std::string body, std::string content_type) {
        std::size_t failed_host = no_host;
        for (int attempt = 1;; ++attempt) {
            const std::size_t k = pick(failed_host);
            ++stats.requests;
            if (attempt > 1) ++stats.retries;
            http::result res = co_await hosts[k].http->send(make_request(method, path, body, content_type));
            const verdict v = judge(k, attempt, method, path, res, failed_host);
            if (v.done) {
                reply out;
                out.res = std::move(res).value();
                out.host = k;
                co_return out;
            }
            if (v.pause) co_await pause(*v.pause);
        }
    }

    std::string describe(const reply& r, http::verb method, const std::string& path) const {
        return std::string(http::to_string(method)) + " " + origins[r.host] + path;
    }

    [[noreturn]] void throw_status(http::verb method, const std::string& path, const reply& r) const {
        const http::response& res = r.res;
        auto [type, reason] = parse_error_body(res.body);
        std::string msg = "elasticsearch: " + describe(r, method, path) + ": HTTP " + std::to_string(res.status);
        if (!type.empty() || !reason.empty()) {
            msg += " " + type + (reason.empty() ? "" : ": " + reason);
        } else if (!res.body.empty()) {
            msg += ": " + excerpt(res.body);
        }
        throw error(error::kind::status, res.status, type, reason, msg);
    }

    json::object parse_object(http::verb method, const std::string& path, const reply& r) const {
        const http::response& res = r.res;
        boost::system::error_code ec;
        json::value v = json::parse(res.body, ec);
        if (ec || !v.is_object()) {
            throw error(error::kind::malformed, res.status, "", "",
                        "elasticsearch: " + describe(r, method, path) + ": reply is not a JSON object (HTTP " +
                            std::to_string(res.status) + "): " + (res.body.empty() ? "empty body" : excerpt(res.body)));
        }
        return std::move(v.get_object());
    }

    // The common case: send, require 2xx, parse a JSON object.
    // No default arguments on coroutines: g++ 12 mis-handles a defaulted std::string
    // parameter (a short string freed from inside the frame). Pass "" explicitly.
    asio::awaitable<json::object> call(http::verb method, std::string path, std::string body) {
        auto r = co_await perform(method, path, std::move(body), "application/json");
        if (r.res.status < 200 || r.res.status >= 300) throw_status(method, path, r);
        co_return parse_object(method, path, r);
    }

    [[noreturn]] void malformed(const std::string& what, http::verb method, const std::string& path) const {
        // Used after call() has checked the status; the host is the cluster's, named by path.
        throw error(error::kind::malformed, 200, "", "",
                    "elasticsearch: " + std::string(http::to_string(method)) + " " + path + ": unexpected reply: " +
                        what);
    }
};

client::client(asio::any_io_executor ex, client_config cfg)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(cfg))) {}

client::~client() = default;

client_stats client::stats() const noexcept { return impl_->stats; }
const std::vector<std::string>& client::host_origins() const noexcept { return impl_->origins; }

asio::awaitable<http::response> client::request(http::verb method, const std::string& path, std::string body,
                                                std::string content_type) {
    auto r = co_await impl_->perform(method, path, std::move(body), std::move(content_type));
    co_return std::move(r.res);
}

asio::awaitable<cluster_info> client::info() {
    auto root = co_await impl_->call(http::verb::get, "/", "");
    cluster_info out;
    const json::object* version = root.contains("version") ? root.at("version").if_object() : nullptr;
    if (!version) impl_->malformed("no version object", http::verb::get, "/");
    if (auto n = version->if_contains("number"); n && n->is_string()) out.version = n->get_string();
    if (auto d = version->if_contains("distribution"); d && d->is_string()) {
        out.distribution = d->get_string();
    } else {
        out.distribution = "elasticsearch";  // Elasticsearch does not say; OpenSearch does
    }
    if (auto c = root.if_contains("cluster_name"); c && c->is_string()) out.cluster_name = c->get_string();
    out.major = std::atoi(out.version.c_str());
    co_return out;
}

asio::awaitable<cluster_health> client::health() { return health("", std::chrono::seconds(0)); }

asio::awaitable<std::uint64_t> client::count(const std::string& index) { return count(index, json::object()); }

asio::awaitable<http::response> client::request(http::verb method, const std::string& path) {
    return request(method, path, "", "application/json");
}

asio::awaitable<cluster_health> client::health(std::string wait_for_status, std::chrono::seconds wait) {
    std::string path = "/_cluster/health";
    if (!wait_for_status.empty()) {
        path += "?wait_for_status=" + path_segment(wait_for_status) + "&timeout=" + std::to_string(wait.count()) + "s";
    }
    auto r = co_await impl_->perform(http::verb::get, path, {}, {});
    const http::response& res = r.res;
    // A wait that times out answers 408 with the health body; that is a result.
    if (res.status != 200 && res.status != 408) impl_->throw_status(http::verb::get, path, r);
    auto root = impl_->parse_object(http::verb::get, path, r);
    cluster_health out;
    if (auto s = root.if_contains("status"); s && s->is_string()) out.status = s->get_string();
    if (auto n = root.if_contains("number_of_nodes"); n && n->is_number()) out.number_of_nodes = n->to_number<int>();
    if (auto n = root.if_contains("number_of_data_nodes"); n && n->is_number()) {
        out.number_of_data_nodes = n->to_number<int>();
    }
    if (auto t = root.if_contains("timed_out"); t && t->is_bool()) out.timed_out = t->get_bool();
    if (out.status.empty()) impl_->malformed("no status", http::verb::get, path);
    co_return out;
}

asio::awaitable<void> client::create_index(const std::string& name, const json::object& body) {
    check_exact_index_name(name);
    co_await impl_->call(http::verb::put, "/" + path_segment(name), json::serialize(body));
}

asio::awaitable<void> client::create_index_started(const std::string& name, const json::object& body,
                                                   int replicas) {
    check_exact_index_name(name);
    const auto h = co_await health();
    const int copies = std::min(replicas + 1, std::max(1, h.number_of_data_nodes));
    std::string path = "/" + path_segment(name);
    if (copies > 1) path += "?wait_for_active_shards=" + std::to_string(copies);
    co_await impl_->call(http::verb::put, path, json::serialize(body));
}

asio::awaitable<bool> client::exists(const std::string& name) {
    const std::string path = "/" + path_segment(name);
    auto r = co_await impl_->perform(http::verb::head, path, {}, {});
    const http::response& res = r.res;
    if (res.status == 200) co_return true;
    if (res.status == 404) co_return false;
    impl_->throw_status(http::verb::head, path, r);
}

asio::awaitable<bool> client::delete_index(const std::string& name) {
    check_exact_index_name(name);
    const std::string path = "/" + path_segment(name);
    auto r = co_await impl_->perform(http::verb::delete_, path, {}, {});
    const http::response& res = r.res;
    if (res.status == 404) co_return false;
    if (res.status < 200 || res.status >= 300) impl_->throw_status(http::verb::delete_, path, r);
    co_return true;
}

asio::awaitable<void> client::update_settings(const std::string& name, const json::object& settings) {
    check_exact_index_name(name);
    co_await impl_->call(http::verb::put, "/" + path_segment(name) + "/_settings", json::serialize(settings));
}

asio::awaitable<void> client::refresh(const std::string& name) {
    co_await impl_->call(http::verb::post, "/" + path_segment(name) + "/_refresh", "");
}

namespace {

// "/a,b,c" for exact index names; throws std::invalid_argument naming a bad one.
std::string index_list_path(const std::vector<std::string>& names) {
    std::string path = "/";
    for (const auto& n : names) {
        check_exact_index_name(n);
        if (path.size() > 1) path += ',';
        path += path_segment(n);
    }
    return path;
}

}  // namespace

asio::awaitable<void> client::update_settings(const std::vector<std::string>& names, const json::object& settings) {
    const std::string path = index_list_path(names);
    if (names.empty()) co_return;
    co_await impl_->call(http::verb::put, path + "/_settings", json::serialize(settings));
}

asio::awaitable<void> client::refresh(const std::vector<std::string>& names) {
    const std::string path = index_list_path(names);
    if (names.empty()) co_return;
    co_await impl_->call(http::verb::post, path + "/_refresh", "");
}

asio::awaitable<json::object> client::get_mapping(const std::string& name) {
    const std::string path = "/" + path_segment(name) + "/_mapping";
    auto root = co_await impl_->call(http::verb::get, path, "");
    // {"<concrete index>": {"mappings": {...}}}: one entry for an index name.
    if (root.size() != 1 || !root.begin()->value().is_object()) impl_->malformed("not one index", http::verb::get, path);
    const auto& entry = root.begin()->value().get_object();
    auto m = entry.if_contains("mappings");
    if (!m || !m->is_object()) impl_->malformed("no mappings", http::verb::get, path);
    co_return m->get_object();
}

asio::awaitable<void> client::update_aliases(const std::vector<alias_action>& actions) {
    json::array list;
    for (const auto& a : actions) {
        json::object spec;
        spec["index"] = a.index;
        const char* verb = "add";
        switch (a.verb) {
            case alias_verb::add:
                spec["alias"] = a.alias;
                if (a.filter) spec["filter"] = *a.filter;
                break;
            case alias_verb::remove:
                verb = "remove";
                spec["alias"] = a.alias;
                break;
            case alias_verb::remove_index:
                verb = "remove_index";
                check_exact_index_name(a.index);
                break;
        }
        json::object wrapper;
        wrapper[verb] = std::move(spec);
        list.push_back(std::move(wrapper));
    }
    json::object body;
    body["actions"] = std::move(list);
    auto root = co_await impl_->call(http::verb::post, "/_aliases", json::serialize(body));
    if (auto ack = root.if_contains("acknowledged"); !ack || !ack->is_bool() || !ack->get_bool()) {
        impl_->malformed("alias update not acknowledged", http::verb::post, "/_aliases");
    }
}

asio::awaitable<std::vector<std::string>> client::indices_of_alias(const std::string& alias) {
    const std::string path = "/_alias/" + path_segment(alias);
    auto r = co_await impl_->perform(http::verb::get, path, {}, {});
    const http::response& res = r.res;
    std::vector<std::string> out;
    if (res.status == 404) co_return out;
    if (res.status != 200) impl_->throw_status(http::verb::get, path, r);
    for (const auto& [index, v] : impl_->parse_object(http::verb::get, path, r)) out.emplace_back(index);
    std::sort(out.begin(), out.end());
    co_return out;
}

asio::awaitable<std::vector<std::string>> client::aliases_of_index(const std::string& index) {
    const std::string path = "/" + path_segment(index) + "/_alias";
    auto r = co_await impl_->perform(http::verb::get, path, {}, {});
    const http::response& res = r.res;
    std::vector<std::string> out;
    if (res.status == 404) co_return out;
    if (res.status != 200) impl_->throw_status(http::verb::get, path, r);
    auto root = impl_->parse_object(http::verb::get, path, r);
    for (const auto& [idx, v] : root) {
        const json::object* entry = v.if_object();
        const json::value* aliases = entry ? entry->if_contains("aliases") : nullptr;
        if (!aliases || !aliases->is_object()) continue;
        for (const auto& [name, spec] : aliases->get_object()) out.emplace_back(name);
    }
    std::sort(out.begin(), out.end());
    co_return out;
}

asio::awaitable<std::vector<item_result>> client::bulk(const std::vector<bulk_op>& ops) {
    if (ops.empty()) co_return std::vector<item_result>{};
    std::string body;
    std::size_t bytes = 0;
    for (const auto& op : ops) bytes += op_size(op);
    body.reserve(bytes);
    for (const auto& op : ops) append_op(body, op);
    // Only what parse_bulk_reply reads. A full item is about 200 bytes of index name, id,
    // version, shard counts and sequence numbers: for a full download as much JSON as the
    // documents themselves, for the node to write and for us to parse.
    const std::string path =
        "/_bulk?filter_path=items.*.status,items.*.error.type,items.*.error.reason,items.*.error.caused_by.reason";
    auto r = co_await impl_->perform(http::verb::post, path, std::move(body), "application/x-ndjson");
    const http::response& res = r.res;
    if (res.status != 200) impl_->throw_status(http::verb::post, path, r);
    std::vector<item_result> items;
    try {
        items = parse_bulk_reply(res.body, ops.size(), &ops);
    } catch (const std::runtime_error& e) {
        impl_->malformed(e.what(), http::verb::post, path);
    }
    co_return items;
}

asio::awaitable<std::uint64_t> client::count(const std::string& index, json::object query) {
    const std::string path = "/" + path_segment(index) + "/_count";
    // Computed before co_await: g++ 12 mis-handles a ?: temporary inside a co_await expression.
    std::string body;
    if (!query.empty()) body = json::serialize(query);
    auto root = co_await impl_->call(http::verb::post, path, std::move(body));
    auto c = root.if_contains("count");
    if (!c || !c->is_number()) impl_->malformed("no count", http::verb::post, path);
    co_return c->to_number<std::uint64_t>();
}

asio::awaitable<json::object> client::search_raw(const std::string& index, const json::object& body) {
    co_return co_await impl_->call(http::verb::post, "/" + path_segment(index) + "/_search", json::serialize(body));
}

asio::awaitable<search_page> client::search(const std::string& index, const json::object& body) {
    const std::string path = "/" + path_segment(index) + "/_search";
    auto root = co_await impl_->call(http::verb::post, path, json::serialize(body));
    search_page page;
    const json::object* hits = root.contains("hits") ? root.at("hits").if_object() : nullptr;
    if (!hits) impl_->malformed("no hits object", http::verb::post, path);
    if (auto t = hits->if_contains("total")) {
        if (t->is_object()) {
            if (auto v = t->get_object().if_contains("value"); v && v->is_number()) page.total = v->to_number<std::uint64_t>();
        } else if (t->is_number()) {
            page.total = t->to_number<std::uint64_t>();
        }
    }
    const json::value* list = hits->if_contains("hits");
    if (!list || !list->is_array()) impl_->malformed("no hits array", http::verb::post, path);
    for (const auto& h : list->get_array()) {
        const json::object* o = h.if_object();
        if (!o) impl_->malformed("a hit is not an object", http::verb::post, path);
        search_hit hit;
        if (auto id = o->if_contains("_id"); id && id->is_string()) hit.id = id->get_string();
        if (auto s = o->if_contains("_source"); s && s->is_object()) hit.source = s->get_object();
        if (auto s = o->if_contains("sort"); s && s->is_array()) hit.sort = s->get_array();
        page.hits.push_back(std::move(hit));
    }
    co_return page;
}

asio::awaitable<std::optional<document>> client::get(const std::string& index, const std::string& id) {
    const std::string path = "/" + path_segment(index) + "/_doc/" + path_segment(id);
    auto r = co_await impl_->perform(http::verb::get, path, {}, {});
    const http::response& res = r.res;
    if (res.status == 404) {
        // 404 is both "no such document" (found: false) and "no such index" (an error body);
        // both mean there is nothing to read.
        co_return std::nullopt;
    }
    if (res.status != 200) impl_->throw_status(http::verb::get, path, r);
    auto root = impl_->parse_object(http::verb::get, path, r);
    if (auto f = root.if_contains("found"); f && f->is_bool() && !f->get_bool()) co_return std::nullopt;
    document doc;
    auto src = root.if_contains("_source");
    auto seq = root.if_contains("_seq_no");
    auto term = root.if_contains("_primary_term");
    if (!src || !src->is_object() || !seq || !seq->is_number() || !term || !term->is_number()) {
        impl_->malformed("document without _source, _seq_no or _primary_term", http::verb::get, path);
    }
    doc.source = src->get_object();
    doc.seq_no = seq->to_number<std::uint64_t>();
    doc.primary_term = term->to_number<std::uint64_t>();
    if (auto v = root.if_contains("_version"); v && v->is_number()) doc.version = v->to_number<std::int64_t>();
    co_return doc;
}

asio::awaitable<write_outcome> client::put(const std::string& index, const std::string& id, const json::object& source,
                                           std::optional<cas> condition, bool create_only, bool refresh) {
    std::string path = "/" + path_segment(index) + "/_doc/" + path_segment(id);
    char sep = '?';
    if (condition) {
        path += "?if_seq_no=" + std::to_string(condition->seq_no) +
                "&if_primary_term=" + std::to_string(condition->primary_term);
        sep = '&';
    }
    if (create_only) {
        path += sep;
        path += "op_type=create";
        sep = '&';
    }
    if (refresh) {
        path += sep;
        path += "refresh=true";
    }
    auto r = co_await impl_->perform(http::verb::put, path, json::serialize(source), "application/json");
    const http::response& res = r.res;
    write_outcome out;
    if (res.status == 409) co_return out;
    if (res.status != 200 && res.status != 201) impl_->throw_status(http::verb::put, path, r);
    auto root = impl_->parse_object(http::verb::put, path, r);
    auto seq = root.if_contains("_seq_no");
    auto term = root.if_contains("_primary_term");
    if (!seq || !seq->is_number() || !term || !term->is_number()) {
        impl_->malformed("write reply without _seq_no or _primary_term", http::verb::put, path);
    }
    out.written = true;
    out.seq_no = seq->to_number<std::uint64_t>();
    out.primary_term = term->to_number<std::uint64_t>();
    co_return out;
}

}  // namespace sgcache::elastic
