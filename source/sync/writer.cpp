#include "sync/writer.hpp"

#include "common/log.hpp"
#include "sync/documents.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sgcache::sync {

namespace asio = boost::asio;
namespace json = boost::json;

entity_writer::entity_writer(elastic::client& es, elastic::indexer_options opts)
    : indexer_(es, opts, [this](const elastic::bulk_op& op, const elastic::item_result& r) {
          auto* ctx = static_cast<op_context*>(op.context.get());
          if (!ctx) return;
          auto& st = stats_[ctx->type];
          switch (r.status) {
              case elastic::item_status::written:
                  ++st.written;
                  if (ctx->tombstone) ++st.tombstones;
                  break;
              case elastic::item_status::stale: ++st.stale; break;
              case elastic::item_status::retryable:
              case elastic::item_status::rejected:
                  ++st.rejected;
                  st.last_rejection = r.error_type + ": " + r.reason;
                  // One line per rejected document: rare, and each one needs a human.
                  log::warning("indexer", "Elasticsearch rejected a document",
                               {{"type", ctx->type}, {"id", op.id}, {"index", op.index},
                                {"status", r.http_status}, {"reason", st.last_rejection}});
                  if (ctx->group) ++ctx->group->rejected;
                  break;
          }
          if (ctx->group) ++ctx->group->settled;
      }) {}

void entity_writer::set_targets(const std::string& type, std::vector<std::string> indices) {
    targets_[type] = std::move(indices);
}

std::vector<std::string> entity_writer::targets(const std::string& type) const {
    auto it = targets_.find(type);
    return it == targets_.end() ? std::vector<std::string>{} : it->second;
}

asio::awaitable<void> entity_writer::add(const std::string& type, const std::string& id, std::string source,
                                         std::int64_t version, const std::shared_ptr<ack_group>& group, bool tombstone) {
    // A copy (see targets()): a rebuild may swap them while this coroutine waits for the indexer.
    const std::vector<std::string> indices = targets(type);
    if (indices.empty()) co_return;
    if (group) ++group->entities;
    // Every index chosen counts as "being written" until its operation is queued, also when
    // the wait for the indexer ends with an exception.
    for (const auto& index : indices) ++choosing_[index];
    std::size_t next = 0;
    struct release {
        entity_writer& w;
        const std::vector<std::string>& indices;
        const std::size_t& next;
        ~release() {
            for (std::size_t i = next; i < indices.size(); ++i) w.chosen(indices[i]);
        }
    } guard{*this, indices, next};
    for (; next < indices.size(); ++next) {
        elastic::bulk_op op;
        op.index = indices[next];
        op.id = id;
        // The last target takes the document itself: one index is the rule, two only
        // while a rebuild runs.
        if (next + 1 == indices.size()) {
            op.source = std::move(source);
        } else {
            op.source = source;
        }
        op.external_version = static_cast<std::uint64_t>(version);
        auto ctx = std::make_shared<op_context>();
        ctx->type = type;
        ctx->group = group;
        ctx->tombstone = tombstone;
        op.context = std::move(ctx);
        if (group) ++group->added;
        co_await indexer_.add(std::move(op));
        chosen(indices[next]);
    }
}

void entity_writer::chosen(const std::string& index) {
    auto it = choosing_.find(index);
    if (it == choosing_.end()) return;
    if (--it->second == 0) {
        choosing_.erase(it);
        if (queued_) queued_->cancel();
    }
}

asio::awaitable<void> entity_writer::retire(const std::string& index) {
    while (choosing_.count(index)) {
        // A timer that never expires, used as a condition: chosen() cancels it, which wakes
        // every waiter and leaves its expiry as it was.
        if (!queued_) {
            queued_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor,
                                                           asio::steady_timer::time_point::max());
        }
        boost::system::error_code ec;
        co_await queued_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
            throw boost::system::system_error(asio::error::operation_aborted);
        }
    }
    co_await indexer_.flush();
}

asio::awaitable<void> entity_writer::write(const std::string& type, const json::object& entity, std::int64_t version,
                                           std::shared_ptr<ack_group> group, bool site_retired) {
    // api3 puts "type" and "id" first in each entity: look there before hashing the key
    // (the lookup by hash was 3 % of a full download's CPU, the object's table cold).
    const json::value* id = nullptr;
    std::size_t looked = 0;
    for (auto it = entity.begin(); it != entity.end() && looked < 2; ++it, ++looked) {
        if (it->key() == "id") id = &it->value();
    }
    if (!id) id = entity.if_contains("id");
    if (!id || !id->is_number()) co_return;  // api3 always sends ids; nothing to key a document on
    co_await add(type, std::to_string(id->to_number<std::int64_t>()), entity_document(entity, version, site_retired),
                 version, group, site_retired);
}

asio::awaitable<void> entity_writer::tombstone(const std::string& type, std::int64_t id, std::int64_t version,
                                               std::shared_ptr<ack_group> group) {
    co_await add(type, std::to_string(id), tombstone_document(type, id, version), version, group, true);
}

asio::awaitable<void> entity_writer::flush() { co_await indexer_.flush(); }

}  // namespace sgcache::sync
