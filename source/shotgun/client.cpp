#include "shotgun/client.hpp"

#include "common/text.hpp"
#include "shotgun/filters.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sgcache::shotgun {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string excerpt(std::string_view body) { return text::excerpt(body, 160); }

error::kind kind_of(http::failure_kind k) {
    switch (k) {
        case http::failure_kind::tls: return error::kind::tls;
        case http::failure_kind::protocol:
        case http::failure_kind::too_large: return error::kind::malformed;
        case http::failure_kind::cancelled: return error::kind::cancelled;
        default: return error::kind::unreachable;
    }
}

}  // namespace

std::string api_path_of(const std::string& url) {
    // shotgun_api3 joins "api3/json" onto the base URL with RFC 3986 semantics.
    auto scheme = url.find("://");
    auto path_at = scheme == std::string::npos ? std::string::npos : url.find('/', scheme + 3);
    std::string path = path_at == std::string::npos ? "/" : url.substr(path_at);
    path = path.substr(0, path.find_first_of("?#"));
    path = path.substr(0, path.rfind('/') + 1);
    if (path.empty()) path = "/";
    return path + "api3/json";
}

struct client::impl {
    client_config cfg;
    http::client http;
    std::string api_path;
    limiter slots;
    client_stats stats;
    json::object auth;
    std::function<std::optional<std::int64_t>()> version_source;
    std::optional<std::size_t> max_per_page;  // the site's api_max_entities_per_page, once info() was read

    // api_path is absolute (computed as shotgun_api3 does), so the endpoint adds no prefix.
    static http::endpoint site_endpoint(const std::string& url) {
        auto ep = http::parse_endpoint(url);
        ep.base_path = "/";
        return ep;
    }

    impl(asio::any_io_executor ex, client_config c)
        : cfg(std::move(c)),
          http(ex, site_endpoint(cfg.url), cfg.http),
          api_path(api_path_of(cfg.url)),
          slots(ex, cfg.max_in_flight) {
        if (!cfg.auth.session_token.empty()) {
            auth["session_token"] = cfg.auth.session_token;
            auth["reject_if_expired"] = true;
        } else if (!cfg.auth.script_name.empty() && !cfg.auth.script_key.empty()) {
            auth["script_name"] = cfg.auth.script_name;
            auth["script_key"] = cfg.auth.script_key;
        } else {
            throw std::invalid_argument("shotgun: a script name and key (or a session token) are required for " +
                                        http.target().origin());
        }
    }

    std::string what(const std::string& method) const {
        return "shotgun: " + method + " at " + http.target().origin();
    }

    static asio::awaitable<void> pause(std::chrono::milliseconds d) {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(d);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) throw error(error::kind::cancelled, "shotgun: cancelled while waiting to retry");
    }

    // The outcome of one attempt: a value, or a reason to try again, or an exception.
    struct attempt_outcome {
        std::optional<json::value> results;
        std::string retry_reason;  // empty when results is set
        std::optional<std::chrono::milliseconds> retry_after;
        error::kind retry_kind = error::kind::unreachable;
    };

    // Decides what one HTTP result means. Throws fault/auth_error/error for final outcomes.
    attempt_outcome judge(const std::string& method, const http::result& res, json::storage_ptr sp = {}) {
        attempt_outcome out;
        if (!res) {
            ++stats.outcomes[{"transport", 0}];
            const auto& f = res.error();
            if (!http::is_retryable(f)) throw error(kind_of(f.kind), "shotgun: " + f.message);
            out.retry_reason = f.message;
            return out;
        }
        if (http::is_retryable_status(res->status)) {
            ++stats.outcomes[{"busy", res->status}];
            const auto f = http::status_failure("POST " + http.target().origin() + api_path, *res);
            out.retry_reason = f.message;
            out.retry_after = f.retry_after;
            out.retry_kind = error::kind::busy;
            return out;
        }
        if (res->status < 200 || res->status >= 300) {
            ++stats.outcomes[{"http_error", res->status}];
            // 403 (API access blocked), 500, ...: the site refuses; retrying will not help.
            throw error(error::kind::busy, what(method) + ": HTTP " + std::to_string(res->status) +
                                               (res->body.empty() ? "" : ": " + excerpt(res->body)));
        }
        boost::system::error_code ec;
        json::value v = res->body.empty() ? json::value() : json::parse(res->body, ec, std::move(sp));
        if (ec || res->body.empty()) {
            ++stats.outcomes[{"malformed", res->status}];
            // A proxy's HTML page or a reply cut short: worth another try.
            out.retry_reason = what(method) + ": reply is not JSON: " + (res->body.empty() ? "empty body" : excerpt(res->body));
            out.retry_kind = error::kind::malformed;
            return out;
        }
        if (json::object* o = v.if_object()) {
            const json::value* exc = o->if_contains("exception");
            if (exc && !exc->is_null() && !(exc->is_bool() && !exc->get_bool())) {
                ++stats.faults;
                ++stats.outcomes[{"fault", res->status}];
                int code = 0;
                if (auto c = o->if_contains("error_code"); c && c->is_number()) code = c->to_number<int>();
                std::string message = "Unknown Error";
                if (auto m = o->if_contains("message"); m && m->is_string()) message = m->get_string();
                const std::string text = what(method) + ": fault " + std::to_string(code) + ": " + message;
                if (code == 102 || code == 106 || code == 108 || code == 110) {
                    throw auth_error(code, message,
                                     text + " (check the script name and key for " + http.target().origin() + ")");
                }
                throw fault(code, message, text);
            }
            // The real site wraps results; shotgun_api3 accepts a bare value too.
            if (json::value* r = o->if_contains("results")) {
                ++stats.outcomes[{"ok", res->status}];
                out.results = std::move(*r);  // same storage: no copy of a page of entities
                return out;
            }
        }
        ++stats.outcomes[{"ok", res->status}];
        out.results = std::move(v);
        return out;
    }

    // A version for a read about to be sent; waits while the source cannot issue one.
    asio::awaitable<std::int64_t> stamp() {
        for (int waited = 0;; waited += 50) {
            if (auto v = version_source()) co_return *v;
            if (waited >= 60'000) {
                throw error(error::kind::busy, "shotgun: no read version could be issued for 60 s "
                                               "(the version floor could not be persisted)");
            }
            co_await pause(std::chrono::milliseconds(50));
        }
    }

    // Sends one api3 call with retries. `sent_at` (and `version`, with a version source)
    // receive the send time (and stamp) of the attempt that succeeded.
    // `storage`: where the reply is parsed (the default resource when empty). Pages of
    // entities, read and dropped as a whole, go into one monotonic buffer instead of an
    // allocation per value.
    asio::awaitable<json::value> rpc(std::string method, std::optional<json::value> payload, bool authenticate,
                                     std::chrono::system_clock::time_point* sent_at, std::int64_t* version = nullptr,
                                     json::storage_ptr storage = {}) {
        json::object envelope;
        envelope["method_name"] = method;
        json::array params;
        if (authenticate) params.push_back(auth);
        if (payload) params.push_back(std::move(*payload));
        envelope["params"] = std::move(params);
        const std::string body = json::serialize(envelope);

        for (int attempt = 1;; ++attempt) {
            http::request req;
            req.method = http::verb::post;
            req.target = api_path;
            req.body = body;
            req.content_type = "application/json; charset=utf-8";
            http::result res;
            {
                auto permit = co_await slots.acquire();
                ++stats.requests;
                if (attempt > 1) ++stats.retries;
                if (version && version_source) *version = co_await stamp();
                if (sent_at) *sent_at = std::chrono::system_clock::now();
                res = co_await http.send(std::move(req));
            }
            attempt_outcome outcome = judge(method, res, storage);
            if (outcome.results) co_return std::move(*outcome.results);
            if (!cfg.retry.may_retry(attempt)) {
                throw error(outcome.retry_kind, outcome.retry_reason + " (gave up after " + std::to_string(attempt) +
                                                    " attempts)");
            }
            co_await pause(backoff_delay(cfg.retry, attempt, jitter_rng(), outcome.retry_after));
        }
    }
};

client::client(asio::any_io_executor ex, client_config cfg)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(cfg))) {}

client::~client() = default;

client_stats client::stats() const noexcept { return impl_->stats; }
void client::set_version_source(std::function<std::optional<std::int64_t>()> source) {
    impl_->version_source = std::move(source);
}
const limiter& client::request_limiter() const noexcept { return impl_->slots; }
std::string client::origin() const { return impl_->http.target().origin(); }

asio::awaitable<json::value> client::call(std::string method, std::optional<json::value> payload, bool authenticate) {
    co_return co_await impl_->rpc(std::move(method), std::move(payload), authenticate, nullptr);
}

asio::awaitable<site_info> client::info() {
    std::optional<json::value> none;
    json::value v = co_await impl_->rpc("info", std::move(none), false, nullptr);
    site_info out;
    if (!v.is_object()) throw error(error::kind::malformed, impl_->what("info") + ": reply is not an object");
    out.raw = v.get_object();
    if (auto ver = out.raw.if_contains("version"); ver && ver->is_array()) {
        for (const auto& n : ver->get_array()) {
            if (n.is_number()) out.version.push_back(n.to_number<int>());
        }
    }
    if (auto p = out.raw.if_contains("api_max_entities_per_page"); p && p->is_number()) {
        out.max_entities_per_page = p->to_number<std::size_t>();
    }
    impl_->max_per_page = std::max<std::size_t>(1, out.max_entities_per_page);
    co_return out;
}

asio::awaitable<std::size_t> client::page_size(std::size_t wanted) {
    if (!impl_->max_per_page) co_await info();
    co_return std::max<std::size_t>(1, std::min(wanted, *impl_->max_per_page));
}

asio::awaitable<read_page> client::read(read_request req) {
    json::object payload;
    payload["type"] = req.type;
    json::array fields;
    for (const auto& f : req.fields) fields.push_back(json::string(f));
    payload["return_fields"] = std::move(fields);
    payload["filters"] = req.filters.empty() ? all_of() : req.filters;
    payload["return_only"] = req.retired_only ? "retired" : "active";
    json::object paging;
    paging["entities_per_page"] = req.page_size;
    paging["current_page"] = req.page;
    payload["paging"] = std::move(paging);
    if (!req.sorts.empty()) {
        json::array sorts;
        for (const auto& s : req.sorts) {
            json::object o;
            o["field_name"] = s.field;
            o["direction"] = s.descending ? "desc" : "asc";
            sorts.push_back(std::move(o));
        }
        payload["sorts"] = std::move(sorts);
    }
    payload["api_return_image_urls"] = true;
    payload["return_paging_info_without_counts"] = true;

    const std::string what = "read " + req.type;
    std::chrono::system_clock::time_point sent_at;
    std::int64_t version = 0;
    // A shared buffer lives as long as any value moved out of the reply; an owned one is
    // referenced without counting (json::storage_ptr from a monotonic_resource pointer is
    // "trivially deallocating": values neither count references nor get destroyed one by one).
    std::unique_ptr<json::monotonic_resource> owned;
    json::storage_ptr storage;
    if (req.owned_arena) {
        owned = std::make_unique<json::monotonic_resource>();
        storage = json::storage_ptr(owned.get());
    } else {
        storage = json::make_shared_resource<json::monotonic_resource>();
    }
    json::value v = co_await impl_->rpc("read", json::value(std::move(payload)), true, &sent_at, &version, storage);
    json::object* o = v.if_object();
    json::value* entities = o ? o->if_contains("entities") : nullptr;
    if (!entities || !entities->is_array()) {
        throw error(error::kind::malformed, impl_->what(what) + ": reply has no entities list");
    }
    // Move-constructed, so the entities stay in the reply's buffer: assigning them to an
    // array of another storage would copy every value.
    read_page page{std::move(owned), json::array(std::move(entities->get_array())), false, sent_at, version};
    if (auto info = o->if_contains("paging_info"); info && info->is_object()) {
        if (auto more = info->get_object().if_contains("has_next_page"); more && more->is_bool()) {
            page.has_next_page = more->get_bool();
        }
    }
    co_return page;
}

asio::awaitable<read_page> client::read_after(std::string type, std::vector<std::string> fields, json::object filters,
                                              std::int64_t after, std::int64_t up_to, std::size_t limit,
                                              bool retired_only, bool owned_arena) {
    read_request req;
    req.type = std::move(type);
    req.fields = std::move(fields);
    req.filters = id_range(filters, after, up_to);
    req.sorts.push_back({"id", false});
    req.page_size = limit;
    req.page = 1;
    req.retired_only = retired_only;
    req.owned_arena = owned_arena;
    co_return co_await read(std::move(req));
}

asio::awaitable<json::object> client::summarize(std::string type, json::array summaries, json::object filters,
                                                json::array grouping) {
    json::object payload;
    payload["type"] = type;
    payload["summaries"] = std::move(summaries);
    payload["filters"] = filters.empty() ? all_of() : std::move(filters);
    if (!grouping.empty()) payload["grouping"] = std::move(grouping);
    json::value v = co_await impl_->rpc("summarize", json::value(std::move(payload)), true, nullptr);
    if (!v.is_object()) throw error(error::kind::malformed, impl_->what("summarize " + type) + ": reply is not an object");
    co_return std::move(v.get_object());
}

asio::awaitable<json::object> client::schema_read() {
    std::optional<json::value> none;
    json::value v = co_await impl_->rpc("schema_read", std::move(none), true, nullptr);
    if (!v.is_object()) throw error(error::kind::malformed, impl_->what("schema_read") + ": reply is not an object");
    co_return std::move(v.get_object());
}

asio::awaitable<json::object> client::schema_entity_read() {
    std::optional<json::value> none;
    json::value v = co_await impl_->rpc("schema_entity_read", std::move(none), true, nullptr);
    if (!v.is_object()) {
        throw error(error::kind::malformed, impl_->what("schema_entity_read") + ": reply is not an object");
    }
    co_return std::move(v.get_object());
}

asio::awaitable<json::object> client::schema_field_read(std::string type, std::string field) {
    json::object payload;
    payload["type"] = type;
    if (!field.empty()) payload["field_name"] = field;
    json::value v = co_await impl_->rpc("schema_field_read", json::value(std::move(payload)), true, nullptr);
    if (!v.is_object()) {
        throw error(error::kind::malformed, impl_->what("schema_field_read " + type) + ": reply is not an object");
    }
    co_return std::move(v.get_object());
}

}  // namespace sgcache::shotgun
