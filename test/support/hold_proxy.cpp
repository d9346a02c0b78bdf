#include "support/hold_proxy.hpp"

#include "http/client.hpp"
#include "http/server.hpp"
#include "http/url.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace sgcache::test {

namespace asio = boost::asio;

namespace {

// One request held back: its handler waits on `gate` (a timer that never expires) until
// release_oldest() cancels it, then reports the node's status through `answered`.
struct held_request {
    std::shared_ptr<asio::steady_timer> gate;
    std::shared_ptr<std::promise<unsigned>> answered;
};

}  // namespace

struct hold_proxy::impl {
    asio::io_context ioc{1};
    http::client upstream;
    std::optional<http::server> server;
    std::thread thread;

    // Touched on the proxy's thread only (the test thread posts to it), except the counter.
    std::vector<std::pair<http::verb, std::string>> rules;
    std::deque<held_request> queue;
    bool closing = false;  // requests woken by the destructor are answered 503, not sent
    mutable std::mutex count_mutex;
    std::size_t held_now = 0;

    explicit impl(const std::string& url) : upstream(ioc.get_executor(), http::parse_endpoint(url)) {}

    asio::awaitable<http::reply> handle(const http::request& in) {
        std::shared_ptr<std::promise<unsigned>> answered;
        const auto matches = [&](const auto& r) { return in.method == r.first && in.target.find(r.second) != std::string::npos; };
        if (std::any_of(rules.begin(), rules.end(), matches)) {
            held_request h{std::make_shared<asio::steady_timer>(ioc, asio::steady_timer::time_point::max()),
                           std::make_shared<std::promise<unsigned>>()};
            queue.push_back(h);
            {
                std::lock_guard lock(count_mutex);
                ++held_now;
            }
            boost::system::error_code ec;
            co_await h.gate->async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (closing) {
                http::reply dropped;
                dropped.res.status = 503;
                co_return dropped;
            }
            answered = h.answered;
        }
        http::request out;
        out.method = in.method;
        out.target = in.target;
        out.body = in.body;
        out.content_type = in.content_type;
        out.idempotent = false;  // a held write reaches the node once, as the original would
        auto res = co_await upstream.send(std::move(out));
        http::reply r;
        if (res) {
            r.res.status = res->status;
            if (auto ct = res->header("Content-Type"); !ct.empty()) r.res.fields.push_back({"Content-Type", std::string(ct)});
            r.res.body = std::move(res->body);
        } else {
            r.res.status = 502;
            r.res.body = res.error().message;
        }
        if (answered) answered->set_value(r.res.status);
        co_return r;
    }
};

hold_proxy::hold_proxy(const std::string& upstream) : impl_(std::make_shared<impl>(upstream)) {
    http::server_options so;
    so.address = "127.0.0.1";
    so.port = 0;
    so.server_name = "hold-proxy";
    auto* self = impl_.get();
    auto handler = [self](const http::request& req) { return self->handle(req); };
    impl_->server.emplace(impl_->ioc.get_executor(), so, handler);
    auto task = impl_->server->run();
    asio::co_spawn(impl_->ioc, std::move(task), [](std::exception_ptr) {});
    impl_->thread = std::thread([self] { self->ioc.run(); });
}

hold_proxy::~hold_proxy() {
    auto* self = impl_.get();
    asio::post(impl_->ioc, [self] {
        // Requests still held are dropped unsent: the test no longer wants them.
        self->closing = true;
        for (auto& h : self->queue) h.gate->cancel();
        self->queue.clear();
        self->server->stop();
        self->upstream.close_idle();
    });
    // The server and the client must go only after their coroutines finished (see
    // http::server): the io_context runs out of work once every connection is closed.
    impl_->thread.join();
}

std::string hold_proxy::url() const { return "http://127.0.0.1:" + std::to_string(impl_->server->port()); }

void hold_proxy::hold(http::verb method, std::string target_part) {
    auto* self = impl_.get();
    std::promise<void> set;
    asio::post(impl_->ioc, [self, method, part = std::move(target_part), &set] {
        self->rules.emplace_back(method, part);
        set.set_value();
    });
    set.get_future().wait();
}

void hold_proxy::stop_holding() {
    auto* self = impl_.get();
    std::promise<void> set;
    asio::post(impl_->ioc, [self, &set] {
        self->rules.clear();
        set.set_value();
    });
    set.get_future().wait();
}

std::size_t hold_proxy::held() const {
    std::lock_guard lock(impl_->count_mutex);
    return impl_->held_now;
}

unsigned hold_proxy::release_oldest(std::chrono::milliseconds limit) {
    auto* self = impl_.get();
    std::promise<std::shared_ptr<std::promise<unsigned>>> taken;
    asio::post(impl_->ioc, [self, &taken] {
        if (self->queue.empty()) {
            taken.set_value(nullptr);
            return;
        }
        auto h = self->queue.front();
        self->queue.pop_front();
        {
            std::lock_guard lock(self->count_mutex);
            --self->held_now;
        }
        h.gate->cancel();
        taken.set_value(h.answered);
    });
    auto answered = taken.get_future().get();
    if (!answered) return 0;
    auto status = answered->get_future();
    if (status.wait_for(limit) != std::future_status::ready) return 0;
    return status.get();
}

}  // namespace sgcache::test
