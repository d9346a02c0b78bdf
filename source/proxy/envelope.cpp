#include "proxy/envelope.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace json = boost::json;

namespace sgcache::proxy {

std::optional<api_request> decode(std::string_view body, std::string& error) {
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 64;
    json::value v = json::parse(body, ec, {}, opts);
    if (ec) {
        error = "the body is not JSON (" + ec.message() + ")";
        return std::nullopt;
    }
    const auto* o = v.if_object();
    const auto* m = o ? o->if_contains("method_name") : nullptr;
    if (!m || !m->is_string() || m->get_string().empty()) {
        error = "the body has no method_name";
        return std::nullopt;
    }
    api_request r;
    r.method = std::string(m->get_string());
    if (const auto* p = o->if_contains("params"); p && !p->is_null()) {
        const auto* a = p->if_array();
        if (!a || a->size() > 2) {
            error = "params is not a list of at most two values";
            return std::nullopt;
        }
        if (!a->empty()) {
            if (!(*a)[0].is_object()) {
                error = "params[0] (the credentials) is not an object";
                return std::nullopt;
            }
            r.auth = (*a)[0].get_object();
        }
        if (a->size() == 2) r.payload = (*a)[1];
    }
    return r;
}

std::optional<script_caller> script_of(const json::object& auth) {
    const auto* n = auth.if_contains("script_name");
    const auto* k = auth.if_contains("script_key");
    if (!n || !n->is_string() || !k || !k->is_string() || n->get_string().empty()) return std::nullopt;
    for (const auto& kv : auth) {
        if (kv.key() != "script_name" && kv.key() != "script_key") return std::nullopt;
    }
    return script_caller{std::string(n->get_string()), std::string(k->get_string())};
}

std::string fault_body(int code, std::string_view message) {
    json::object o;
    o["exception"] = true;
    o["error_code"] = code;
    o["message"] = message;
    return json::serialize(o);
}

std::optional<std::int64_t> fault_code(const json::value& reply) {
    const auto* o = reply.if_object();
    if (!o) return std::nullopt;
    const auto* e = o->if_contains("exception");
    if (!e || *e != json::value(true)) return std::nullopt;
    const auto* c = o->if_contains("error_code");
    return c && c->is_int64() ? c->get_int64() : 0;
}

}  // namespace sgcache::proxy
