#include "support/control.hpp"

#include "support/child_process.hpp"

#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

#include <zmq.hpp>

#include <cstdio>
#include <sys/wait.h>

namespace sgcache::test {

std::string control_ask(const std::string& endpoint, const std::string& body, std::chrono::milliseconds limit) {
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::req);
    s.set(zmq::sockopt::linger, 0);
    s.connect(endpoint);
    s.send(zmq::buffer(body), zmq::send_flags::none);
    zmq::pollitem_t item{static_cast<void*>(s), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, limit);
    if (!(item.revents & ZMQ_POLLIN)) return "";
    zmq::message_t m;
    (void)s.recv(m, zmq::recv_flags::none);
    return m.to_string();
}

boost::json::object control_json(const std::string& endpoint, const std::string& body) {
    const auto reply = control_ask(endpoint, body);
    REQUIRE_MESSAGE(!reply.empty(), "no reply to " << body);
    return boost::json::parse(reply).as_object();
}

int run_sgcache(const std::vector<std::string>& args, std::string& out) {
    std::string cmd = sgcache_binary();
    for (const auto& a : args) cmd += " '" + a + "'";
    cmd += " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    out.clear();
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int st = ::pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace sgcache::test
