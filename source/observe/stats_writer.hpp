// The stats writer: sgcache's time-series documents in Elasticsearch, for Kibana / OpenSearch
// Dashboards. One document per finished full download, per applied event batch, per
// heartbeat (every stats.heartbeat_interval_s) and per validation run, into daily indices
// with explicit mappings (observe/stats_documents.hpp), older ones deleted after
// stats.retention_days.
//
// It never slows syncing: the engine's callbacks (sync::observer) only serialize a small
// document into a bounded queue and return; a full queue drops the document and counts it.
// A separate coroutine, run(), writes the queue with _bulk on the same io_context. When
// Elasticsearch refuses documents or cannot be reached, they are counted as failed (see
// counters(), shown in /metrics) and the writer tries again later with what comes next;
// syncing goes on regardless.
//
// Threading: one io_context thread; callbacks, run() and counters() all on it.
#pragma once

#include "config/settings.hpp"
#include "observe/stats_documents.hpp"
#include "sync/observer.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace sgcache::elastic {
class client;
}

namespace sgcache::observe {

struct stats_writer_options {
    std::string prefix = "sgcache-";  // the configured index prefix
    int retention_days = 30;
    std::chrono::milliseconds heartbeat_interval{60'000};
    std::size_t queue_size = 1000;
    std::size_t batch_size = 500;  // documents per _bulk request
    /// How often expired daily indices are looked for (also once at start).
    std::chrono::milliseconds retention_interval{3'600'000};
    /// The pause after a failed write or template request before the next attempt.
    std::chrono::milliseconds retry_delay{5'000};
    /// Host, pid, site and version written into every document.
    doc_context context;
};

struct stats_counters {
    std::uint64_t queued = 0;   // documents accepted into the queue
    std::uint64_t written = 0;  // acknowledged by Elasticsearch
    std::uint64_t failed = 0;   // refused by Elasticsearch, or not delivered after retries
    std::uint64_t dropped = 0;  // not queued: the queue was full
    std::uint64_t indices_deleted = 0;  // expired daily indices deleted
    std::size_t queue_length = 0;
    bool template_ready = false;  // the index template is in place (documents wait until it is)
    std::string last_failure;
};

/// Called for each heartbeat document; returns the engine's numbers of the moment.
using heartbeat_source = std::function<heartbeat()>;

/// Who is writing: host name, pid, the site's origin and sgcache's version.
doc_context make_context(const config::settings& s);

/// The writer's options from the configuration.
stats_writer_options writer_options(const config::settings& s);

class stats_writer : public sync::observer {
public:
    /// `es` must outlive the writer and run(). No I/O happens before run().
    stats_writer(elastic::client& es, stats_writer_options opts);
    stats_writer(const stats_writer&) = delete;
    stats_writer& operator=(const stats_writer&) = delete;

    /// Without a source no heartbeat documents are written.
    void set_heartbeat_source(heartbeat_source source);
    /// A reload's new retention, heartbeat interval and queue size (the next heartbeat and
    /// retention sweep use them; a smaller queue drops nothing already queued).
    void reconfigure(int retention_days, std::chrono::milliseconds heartbeat_interval, std::size_t queue_size);

    void download_finished(const sync::download_report& r) override;
    void event_batch_applied(const sync::event_batch_report& r) override;

    /// Queues one finished document (with "@timestamp"); returns false when it was dropped
    /// because the queue is full. Never waits.
    bool enqueue(const boost::json::object& doc);

    /// Puts the index template in place, deletes expired daily indices, writes heartbeats
    /// and whatever is queued, until stop() (then it makes one last attempt at what is
    /// queued and returns) or terminal cancellation (it returns at its next wait, leaving
    /// the queue as it is). Throws only for programming errors: Elasticsearch failures are
    /// counted, logged and retried after retry_delay.
    boost::asio::awaitable<void> run();

    /// Asks run() to write what is queued and return. Idempotent.
    void stop();

    stats_counters counters() const;

private:
    struct pending {
        std::string index;
        std::string id;
        std::string source;
    };
    boost::asio::awaitable<bool> ensure_template();
    boost::asio::awaitable<void> apply_retention();
    boost::asio::awaitable<bool> write_batch();
    void wake();
    void note_failure(std::uint64_t documents, const std::string& why);

    elastic::client& es_;
    stats_writer_options opts_;
    heartbeat_source source_;
    std::deque<pending> queue_;
    stats_counters counters_;
    std::uint64_t sequence_ = 0;
    std::string id_prefix_;
    bool stopping_ = false;
    bool failing_ = false;   // in a streak of failures: logged once, not per batch
    bool dropping_ = false;  // in a streak of drops
    std::optional<boost::asio::steady_timer> wakeup_;
};

/// Puts the stats index template in place (PUT /_index_template/<prefix>stats); idempotent.
/// Throws elastic::error when Elasticsearch refuses it or cannot be reached.
boost::asio::awaitable<void> put_stats_template(elastic::client& es, std::string prefix);

/// For `sgcache validate`: writes one validation document (see validation_document) built
/// from the command's JSON result into today's stats index, putting the template in place
/// first, and refreshes so that it is searchable on return. Does nothing when stats are
/// disabled in `s`. Throws elastic::error when Elasticsearch refuses the document or cannot
/// be reached (the caller should warn and still report its validation). Cancellation:
/// terminal cancellation stops at the next wait with elastic::error (kind cancelled).
/// `es` and `s` must outlive the call.
boost::asio::awaitable<void> write_validation_stats(elastic::client& es, const config::settings& s,
                                                    boost::json::object result);

}  // namespace sgcache::observe
