#include "control/protocol.hpp"

#include "common/text.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace sgcache::control {

namespace json = boost::json;

namespace {

constexpr const char* command_list = "ping, status, rebuild, cancel_rebuild, reread, reload";

decoded fail(std::string why, bool auth = false) {
    decoded d;
    d.error = std::move(why);
    d.auth_failed = auth;
    return d;
}

// Every key of the request must be one the command knows: a typo is an error, not a no-op.
std::optional<std::string> unknown_key(const json::object& o, std::initializer_list<std::string_view> allowed) {
    for (const auto& [k, v] : o) {
        bool ok = k == "command" || k == "token";
        for (auto a : allowed) ok = ok || k == a;
        if (!ok) return std::string(k);
    }
    return std::nullopt;
}

std::string quoted(std::string_view s) {
    // At most 64 bytes, never ending inside a UTF-8 sequence: the error goes back in a JSON
    // reply, which must stay valid UTF-8 (the request was valid, its cut need not be).
    const std::size_t cut = text::utf8_cut(s, 64);
    std::string out(s.substr(0, cut));
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == '\'') c = '?';
    }
    return "'" + out + (cut < s.size() ? "...'" : "'");
}

}  // namespace

bool same_secret(std::string_view a, std::string_view b) noexcept {
    unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
    unsigned int la = 0, lb = 0;
    if (!EVP_Digest(a.data(), a.size(), da, &la, EVP_sha256(), nullptr)) return false;
    if (!EVP_Digest(b.data(), b.size(), db, &lb, EVP_sha256(), nullptr)) return false;
    return la == lb && CRYPTO_memcmp(da, db, la) == 0;
}

std::string error_reply(std::string_view message) {
    json::object o;
    o["ok"] = false;
    o["error"] = message;
    return json::serialize(o);
}

decoded decode(std::string_view message, const std::string& token) {
    if (message.size() > max_request_bytes) {
        return fail("request too large (" + std::to_string(message.size()) + " bytes; the limit is " +
                    std::to_string(max_request_bytes) + ")");
    }
    boost::system::error_code ec;
    json::value v = json::parse(message, ec);
    if (ec) return fail("malformed JSON: " + ec.message());
    const json::object* o = v.if_object();
    if (!o) return fail("a request must be a JSON object such as {\"command\": \"status\"}");

    // The token first: without it, say nothing more about the request.
    if (!token.empty()) {
        const json::value* t = o->if_contains("token");
        if (!t) return fail("authentication required: this server needs a \"token\"", true);
        if (!t->is_string() || !same_secret(t->get_string(), token)) return fail("wrong token", true);
    }

    const json::value* c = o->if_contains("command");
    if (!c || !c->is_string()) return fail(std::string("missing \"command\" (one of ") + command_list + ")");
    request r;
    r.command = c->get_string();

    if (r.command == "ping" || r.command == "status" || r.command == "reload") {
        if (auto k = unknown_key(*o, {})) return fail("unknown key " + quoted(*k) + " for command " + r.command);
    } else if (r.command == "rebuild" || r.command == "cancel_rebuild") {
        if (auto k = unknown_key(*o, {"entity_types"})) return fail("unknown key " + quoted(*k) + " for command " + r.command);
        const json::value* types = o->if_contains("entity_types");
        const std::string shape = "\"entity_types\" must be a list of entity type names, or \"all\"";
        if (!types) return fail(r.command + " needs " + shape);
        if (types->is_string() && types->get_string() == "all") {
            r.all_types = true;
        } else if (const json::array* list = types->if_array()) {
            if (list->empty()) return fail(r.command + ": \"entity_types\" is empty");
            for (const auto& t : *list) {
                if (!t.is_string() || t.get_string().empty() || t.get_string().size() > 128) return fail(r.command + ": " + shape);
                r.entity_types.emplace_back(t.get_string());
            }
        } else {
            return fail(r.command + ": " + shape);
        }
    } else if (r.command == "reread") {
        if (auto k = unknown_key(*o, {"entities"})) return fail("unknown key " + quoted(*k) + " for command reread");
        const json::value* e = o->if_contains("entities");
        const std::string shape = "\"entities\" must map entity type names to lists of ids, e.g. {\"Shot\": [12, 13]}";
        if (!e || !e->is_object() || e->get_object().empty()) return fail("reread: " + shape);
        std::size_t total = 0;
        for (const auto& [type, ids] : e->get_object()) {
            const json::array* list = ids.if_array();
            if (type.empty() || !list) return fail("reread: " + shape);
            auto& out = r.entities[std::string(type)];
            for (const auto& id : *list) {
                // A uint64 above the int64 range is not an entity id (and would not convert).
                if (!id.is_int64()) return fail("reread: ids must be positive integers");
                const auto n = id.get_int64();
                if (n <= 0) return fail("reread: ids must be positive integers");
                out.push_back(n);
            }
            total += list->size();
            if (total > max_reread_ids) return fail("reread: at most " + std::to_string(max_reread_ids) + " ids per request");
        }
    } else {
        return fail("unknown command " + quoted(r.command) + " (commands: " + command_list + ")");
    }
    decoded d;
    d.req = std::move(r);
    return d;
}

}  // namespace sgcache::control
