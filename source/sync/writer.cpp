#include "sync/writer.hpp"

#include "common/log.hpp"
#include "sync/documents.hpp"

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
    if (group) ++group->entities;
    for (std::size_t i = 0; i < indices.size(); ++i) {
        elastic::bulk_op op;
        op.index = indices[i];
        op.id = id;
        // The last target takes the document itself: one index is the rule, two only
        // while a rebuild runs.
        if (i + 1 == indices.size()) {
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
    }
}

asio::awaitable<void> entity_writer::write(const std::string& type, const json::object& entity, std::int64_t version,
                                           std::shared_ptr<ack_group> group) {
    // api3 puts "type" and "id" first in each entity: look there before hashing the key
    // (the lookup by hash was 3 % of a full download's CPU, the object's table cold).
    const json::value* id = nullptr;
    std::size_t looked = 0;
    for (auto it = entity.begin(); it != entity.end() && looked < 2; ++it, ++looked) {
        if (it->key() == "id") id = &it->value();
    }
    if (!id) id = entity.if_contains("id");
    if (!id || !id->is_number()) co_return;  // api3 always sends ids; nothing to key a document on
    co_await add(type, std::to_string(id->to_number<std::int64_t>()), entity_document(entity, version), version, group,
                 false);
}

asio::awaitable<void> entity_writer::tombstone(const std::string& type, std::int64_t id, std::int64_t version,
                                               std::shared_ptr<ack_group> group) {
    co_await add(type, std::to_string(id), tombstone_document(type, id, version), version, group, true);
}

asio::awaitable<void> entity_writer::flush() { co_await indexer_.flush(); }

}  // namespace sgcache::sync
