// The convergence check that ends every sync test: for each cached type, every entity the
// site returns (under the type's filters) has a live document whose fields equal what the
// site returns, no document visible through the live alias is retired or missing on the
// site, and the live alias counts exactly the site's entities.
#pragma once

#include "config/entity_config.hpp"
#include "elastic/client.hpp"
#include "shotgun/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace sgcache::test {

struct convergence_report {
    bool ok = true;
    std::size_t site_entities = 0;
    std::size_t live_documents = 0;
    std::vector<std::string> problems;  // the first few, one line each
    std::string summary() const;
};

boost::asio::awaitable<convergence_report> check_convergence(shotgun::client& sg, elastic::client& es,
                                                             const std::string& prefix,
                                                             const std::vector<config::entity_config>& types);

/// Repeats the check until it passes, `limit` passes or `gone` (when set) returns true
/// (the server under test has exited: waiting longer cannot help); returns the last report.
convergence_report wait_for_convergence(boost::asio::io_context& ioc, shotgun::client& sg, elastic::client& es,
                                        const std::string& prefix, const std::vector<config::entity_config>& types,
                                        std::chrono::seconds limit, const std::function<bool()>& gone = {});

}  // namespace sgcache::test
