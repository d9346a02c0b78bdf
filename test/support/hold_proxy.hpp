// An HTTP proxy in front of the OpenSearch node, for tests that need a request to reach the
// node late on purpose: a request that matches the hold rule is read whole and then held
// back, and reaches the node only when the test releases it, even when the client that sent
// it is long dead (as a write already on the wire does when its sender is killed). Every
// other request is forwarded at once. Only the body, the method, the target and the
// Content-Type go upstream; the reply's status, Content-Type and body come back.
//
// It runs on an io_context thread of its own, so it keeps serving while the test thread
// sleeps or waits for a child process. All member functions may be called from the test
// thread.
#pragma once

#include "http/message.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace sgcache::test {

class hold_proxy {
public:
    /// Listens on 127.0.0.1 (a free port) and forwards to `upstream` ("http://127.0.0.1:9200").
    explicit hold_proxy(const std::string& upstream);
    ~hold_proxy();
    hold_proxy(const hold_proxy&) = delete;
    hold_proxy& operator=(const hold_proxy&) = delete;

    /// "http://127.0.0.1:PORT".
    std::string url() const;

    /// From now on, also holds requests with this method whose target contains `target_part`.
    void hold(http::verb method, std::string target_part);
    /// Holds nothing new; requests already held stay held.
    void stop_holding();

    /// Requests held now.
    std::size_t held() const;

    /// Sends the oldest held request upstream and waits until the node answered it (or
    /// `limit` passed). Returns the node's HTTP status, 0 when none came in time or when
    /// nothing was held.
    unsigned release_oldest(std::chrono::milliseconds limit = std::chrono::seconds(30));

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace sgcache::test
