#include "app/setup.hpp"

#include <boost/asio/co_spawn.hpp>

#include <exception>

namespace sgcache::app {

shotgun::client_config shotgun_config(const config::settings& s) {
    shotgun::client_config c;
    c.url = s.shotgun.url;
    c.auth.script_name = s.shotgun.script_name;
    c.auth.script_key = s.shotgun.script_key.reveal();
    c.http.ca_file = s.shotgun.ca_file;
    c.http.connect_timeout = s.shotgun.connect_timeout;
    c.http.request_timeout = s.shotgun.request_timeout;
    c.http.user_agent = "sgcache";
    c.retry = s.shotgun.retry;
    c.max_in_flight = s.shotgun.max_in_flight;
    return c;
}

elastic::client_config elastic_config(const config::settings& s) {
    elastic::client_config c;
    c.hosts = s.elasticsearch.hosts;
    c.username = s.elasticsearch.username;
    c.password = s.elasticsearch.password.reveal();
    c.api_key = s.elasticsearch.api_key.reveal();
    c.http.ca_file = s.elasticsearch.ca_file;
    c.http.verify_peer = s.elasticsearch.verify_tls;
    c.http.request_timeout = s.elasticsearch.request_timeout;
    c.http.user_agent = "sgcache";
    c.retry = s.elasticsearch.retry;
    return c;
}

int run_to_completion(boost::asio::io_context& ioc, boost::asio::awaitable<int> work) {
    int status = 1;
    std::exception_ptr failure;
    boost::asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e, int rc) {
        failure = e;
        status = rc;
    });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    return status;
}

}  // namespace sgcache::app
