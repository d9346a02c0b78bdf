#include "config/clients.hpp"

namespace sgcache::config {

shotgun::client_config shotgun_client(const settings& s) {
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

elastic::client_config elastic_client(const settings& s) {
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

}  // namespace sgcache::config
