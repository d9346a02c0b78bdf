#include "app/setup.hpp"

#include <boost/asio/co_spawn.hpp>

#include <exception>

namespace sgcache::app {

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
