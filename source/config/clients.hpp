// The Shotgun and Elasticsearch client configurations a service configuration describes:
// one place for every command and for the sync engine, so that a setting added to
// config.yaml reaches every client that talks to that service.
#pragma once

#include "config/settings.hpp"
#include "elastic/client.hpp"
#include "shotgun/client.hpp"

namespace sgcache::config {

/// The site, the script and its key, TLS, timeouts, retries, requests in flight.
shotgun::client_config shotgun_client(const settings& s);
/// The hosts, credentials, TLS, timeout and retries of the cluster.
elastic::client_config elastic_client(const settings& s);

}  // namespace sgcache::config
