#include "app/control_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <zmq.hpp>

#include <cstdlib>
#include <fstream>

namespace sgcache::app {

namespace json = boost::json;

void apply_control_options(const parsed_args& args, control_target& t) {
    if (auto endpoint = args.value("--endpoint")) {
        if (endpoint->rfind("tcp://", 0) != 0) throw usage_error("--endpoint must look like tcp://HOST:PORT");
        t.endpoint = *endpoint;
    }
    if (auto f = args.value("--token-file")) {
        std::ifstream in(*f);
        if (!in) throw std::runtime_error("cannot read the token file " + *f);
        std::getline(in, t.token);
    } else if (const char* env = std::getenv("SGCACHE_CONTROL_TOKEN"); env && *env) {
        t.token = env;
    }
}

json::object ask(const control_target& t, json::object request, std::chrono::milliseconds limit) {
    if (!t.token.empty()) request["token"] = t.token;
    zmq::context_t ctx;
    zmq::socket_t sock(ctx, zmq::socket_type::req);
    sock.set(zmq::sockopt::linger, 0);
    sock.connect(t.endpoint);
    const std::string body = json::serialize(request);
    sock.send(zmq::buffer(body), zmq::send_flags::none);
    zmq::pollitem_t item{static_cast<void*>(sock), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, limit);
    if (!(item.revents & ZMQ_POLLIN)) {
        throw std::runtime_error("no answer from " + t.endpoint + " within " + std::to_string(limit.count() / 1000) +
                                 " s (is sgcache serve running, with this control endpoint?)");
    }
    zmq::message_t reply;
    (void)sock.recv(reply, zmq::recv_flags::none);
    boost::system::error_code ec;
    json::value v = json::parse(reply.to_string(), ec);
    if (ec || !v.is_object()) throw std::runtime_error("the server at " + t.endpoint + " sent a reply that is not JSON");
    auto& o = v.get_object();
    if (auto ok = o.if_contains("ok"); !ok || !ok->is_bool() || !ok->get_bool()) {
        const json::value* err = o.if_contains("error");
        throw control_refused(err && err->is_string() ? std::string(err->get_string()) : "the server refused the request, giving no reason");
    }
    return std::move(o);
}

}  // namespace sgcache::app
