#include "control/server.hpp"

#include "common/log.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <deque>
#include <list>
#include <stdexcept>
#include <vector>

namespace sgcache::control {

namespace asio = boost::asio;
namespace json = boost::json;

bool is_loopback_endpoint(const std::string& endpoint) {
    const std::string prefix = "tcp://";
    if (endpoint.rfind(prefix, 0) != 0) return false;
    const std::string rest = endpoint.substr(prefix.size());
    return rest.rfind("127.", 0) == 0 || rest.rfind("localhost:", 0) == 0 || rest.rfind("[::1]:", 0) == 0;
}

namespace {

constexpr std::size_t max_in_flight = 64;

struct reply {
    std::string identity;
    bool delimiter = true;  // REQ clients put an empty frame between identity and body
    std::string body;
};

}  // namespace

struct server::impl : std::enable_shared_from_this<impl> {
    asio::any_io_executor ex;
    zmq::socket_t socket;
    std::string token;
    handler handle;
    asio::posix::stream_descriptor fd;
    std::deque<reply> outbox;
    std::size_t in_flight = 0;
    bool waiting = false;  // the loop is in async_wait on fd

    impl(asio::any_io_executor e, zmq::context_t& ctx, std::string tok, handler h)
        : ex(e), socket(ctx, zmq::socket_type::router), token(std::move(tok)), handle(std::move(h)), fd(e) {}

    ~impl() {
        // The descriptor belongs to libzmq: closing it here would break zmq_ctx_term.
        fd.release();
    }

    void post(reply r) {
        outbox.push_back(std::move(r));
        // Wake the loop so that it sends (sending from here would eat the fd's edge).
        if (waiting) fd.cancel();
    }

    void send_outbox() {
        while (!outbox.empty()) {
            reply r = std::move(outbox.front());
            outbox.pop_front();
            try {
                auto flags = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
                if (!socket.send(zmq::buffer(r.identity), flags)) continue;  // peer gone or full
                if (r.delimiter) socket.send(zmq::message_t(), flags);
                socket.send(zmq::buffer(r.body), zmq::send_flags::dontwait);
            } catch (const zmq::error_t& e) {
                log::warning("control", "could not send a reply", {{"error", e.what()}});
            }
        }
    }

    // Reads one multipart message; false when none is waiting.
    bool receive(std::vector<zmq::message_t>& frames) {
        frames.clear();
        for (;;) {
            zmq::message_t m;
            auto got = socket.recv(m, zmq::recv_flags::dontwait);
            if (!got) return !frames.empty();
            const bool more = m.more();
            frames.push_back(std::move(m));
            if (!more) return true;
        }
    }

    static asio::awaitable<void> answer(std::shared_ptr<impl> self, reply r, request req) {
        try {
            json::object out = co_await self->handle(req);
            json::object ordered;  // "ok" first reads better
            ordered["ok"] = true;
            for (auto& [k, v] : out) {
                if (k != "ok") ordered[k] = std::move(v);
            }
            r.body = json::serialize(ordered);
        } catch (const std::exception& e) {
            r.body = error_reply(e.what());
        }
        --self->in_flight;
        self->post(std::move(r));
    }

    // Handlers still running when the server stops are cancelled, so that none outlives the
    // engine it talks to.
    std::list<asio::cancellation_signal> handler_signals;

    void stop_handlers() {
        for (auto& sig : handler_signals) sig.emit(asio::cancellation_type::terminal);
    }

    void dispatch(std::vector<zmq::message_t>& frames) {
        // ROUTER: [identity, (empty delimiter), body]. Anything else is not a client of ours.
        if (frames.size() < 2 || frames.size() > 3) return;
        reply r;
        r.identity = frames[0].to_string();
        std::string body;
        if (frames.size() == 3) {
            if (frames[1].size() != 0) return;
            body = frames[2].to_string();
        } else {
            r.delimiter = false;
            body = frames[1].to_string();
        }
        decoded d = decode(body, token);
        if (!d.req) {
            if (d.auth_failed) log::warning("control", "refused a request", {{"reason", d.error}});
            r.body = error_reply(d.error);
            post(std::move(r));
            return;
        }
        if (in_flight >= max_in_flight) {
            r.body = error_reply("busy: too many requests in flight, try again");
            post(std::move(r));
            return;
        }
        ++in_flight;
        handler_signals.emplace_back();
        auto it = std::prev(handler_signals.end());
        auto self = shared_from_this();
        asio::co_spawn(ex, answer(self, std::move(r), std::move(*d.req)),
                       asio::bind_cancellation_slot(it->slot(), [self, it](std::exception_ptr) {
                           self->handler_signals.erase(it);
                       }));
    }

    asio::awaitable<void> loop() {
        std::vector<zmq::message_t> frames;
        for (;;) {
            send_outbox();
            // Check before waiting: the edge may already have been consumed by a send.
            const auto events = socket.get(zmq::sockopt::events);
            if (events & ZMQ_POLLIN) {
                while (receive(frames)) dispatch(frames);
                continue;
            }
            boost::system::error_code ec;
            waiting = true;
            co_await fd.async_wait(asio::posix::stream_descriptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
            waiting = false;
            auto cs = co_await asio::this_coro::cancellation_state;
            if (cs.cancelled() != asio::cancellation_type::none) {
                stop_handlers();
                co_return;
            }
        }
    }
};

server::server(asio::any_io_executor ex, zmq::context_t& ctx, std::string endpoint, std::string token, handler h)
    : impl_(std::make_shared<impl>(ex, ctx, token, std::move(h))) {
    if (token.empty() && !is_loopback_endpoint(endpoint)) {
        throw std::runtime_error("control endpoint " + endpoint +
                                 " is not on loopback: set control.token (or token_env / token_file) to allow it");
    }
    auto& s = impl_->socket;
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(max_request_bytes));
    s.set(zmq::sockopt::sndhwm, 1000);
    try {
        s.bind(endpoint);
    } catch (const zmq::error_t& e) {
        std::string hint;
        if (e.num() == EADDRINUSE) hint = " (is another sgcache serve running? each needs its own control.endpoint)";
        throw std::runtime_error("cannot bind the control socket to " + endpoint + ": " + e.what() + hint);
    }
    impl_->fd.assign(s.get(zmq::sockopt::fd));
}

server::~server() = default;

asio::awaitable<void> server::run() { co_await impl_->loop(); }

std::string server::endpoint() const { return impl_->socket.get(zmq::sockopt::last_endpoint); }

}  // namespace sgcache::control
