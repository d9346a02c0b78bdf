#include "config/reload.hpp"

namespace sgcache::config {

namespace {

bool same(const retry_policy& a, const retry_policy& b) {
    return a.max_attempts == b.max_attempts && a.initial_delay == b.initial_delay && a.max_delay == b.max_delay;
}

}  // namespace

reload_check compare_for_reload(const settings& a, const settings& b) {
    reload_check out;
    // Each key once, by its name in config.yaml; secrets are compared, never printed.
    auto restart = [&](bool changed, const char* key) {
        if (changed) out.need_restart.emplace_back(key);
    };
    auto live = [&](bool changed, const char* key) {
        if (changed) out.live.emplace_back(key);
    };
    restart(a.shotgun.url != b.shotgun.url, "shotgun.url");
    restart(a.shotgun.script_name != b.shotgun.script_name, "shotgun.script_name");
    restart(a.shotgun.script_key.reveal() != b.shotgun.script_key.reveal(), "shotgun.script_key");
    restart(a.shotgun.ca_file != b.shotgun.ca_file, "shotgun.ca_file");
    restart(a.shotgun.connect_timeout != b.shotgun.connect_timeout, "shotgun.connect_timeout_ms");
    restart(a.shotgun.request_timeout != b.shotgun.request_timeout, "shotgun.request_timeout_ms");
    restart(a.shotgun.max_in_flight != b.shotgun.max_in_flight, "shotgun.max_in_flight");
    restart(!same(a.shotgun.retry, b.shotgun.retry), "shotgun.retry");
    live(a.shotgun.page_size != b.shotgun.page_size, "shotgun.page_size");

    const auto& ea = a.elasticsearch;
    const auto& eb = b.elasticsearch;
    restart(ea.hosts != eb.hosts, "elasticsearch.hosts");
    restart(ea.username != eb.username, "elasticsearch.username");
    restart(ea.password.reveal() != eb.password.reveal(), "elasticsearch.password");
    restart(ea.api_key.reveal() != eb.api_key.reveal(), "elasticsearch.api_key");
    restart(ea.ca_file != eb.ca_file, "elasticsearch.ca_file");
    restart(ea.verify_tls != eb.verify_tls, "elasticsearch.verify_tls");
    restart(ea.request_timeout != eb.request_timeout, "elasticsearch.request_timeout_ms");
    restart(ea.index_prefix != eb.index_prefix, "elasticsearch.index_prefix");
    restart(ea.replicas != eb.replicas, "elasticsearch.replicas");
    restart(ea.bulk_max_docs != eb.bulk_max_docs, "elasticsearch.bulk.max_docs");
    restart(ea.bulk_max_bytes != eb.bulk_max_bytes, "elasticsearch.bulk.max_bytes");
    restart(ea.bulk_in_flight != eb.bulk_in_flight, "elasticsearch.bulk.in_flight");
    restart(!same(ea.retry, eb.retry), "elasticsearch.retry");

    restart(a.entity_config_dir != b.entity_config_dir, "entity_config_dir");
    restart(a.control.endpoint != b.control.endpoint, "control.endpoint");
    restart(a.control.token.reveal() != b.control.token.reveal(), "control.token");

    const auto& sa = a.sync;
    const auto& sb = b.sync;
    live(sa.snapshot_workers != sb.snapshot_workers, "sync.snapshot_workers");
    live(sa.snapshot_range_size != sb.snapshot_range_size, "sync.snapshot_range_size");
    live(sa.event_poll_interval != sb.event_poll_interval, "sync.event_poll_interval_ms");
    live(sa.event_batch_size != sb.event_batch_size, "sync.event_batch_size");
    live(sa.gap_timeout != sb.gap_timeout, "sync.gap_timeout_s");
    live(sa.safety_scan_interval != sb.safety_scan_interval, "sync.safety_scan_interval_s");
    live(sa.safety_scan_overlap != sb.safety_scan_overlap, "sync.safety_scan_overlap_s");
    live(sa.lease_ttl != sb.lease_ttl, "sync.lease_ttl_s");
    live(sa.keep_removed_types != sb.keep_removed_types, "sync.keep_removed_types");
    live(sa.stop_timeout != sb.stop_timeout, "sync.stop_timeout_s");

    restart(a.stats.enabled != b.stats.enabled, "stats.enabled");
    live(a.stats.retention_days != b.stats.retention_days, "stats.retention_days");
    live(a.stats.heartbeat_interval != b.stats.heartbeat_interval, "stats.heartbeat_interval_s");
    live(a.stats.queue_size != b.stats.queue_size, "stats.queue_size");

    restart(a.metrics.enabled != b.metrics.enabled, "metrics.enabled");
    restart(a.metrics.listen != b.metrics.listen, "metrics.listen");
    live(a.metrics.ready_max_lag != b.metrics.ready_max_lag, "metrics.ready_max_lag_s");

    live(a.log.level != b.log.level, "log.level");
    live(a.log.format != b.log.format, "log.format");
    return out;
}

void apply_live(settings& running, const settings& fresh) {
    running.shotgun.page_size = fresh.shotgun.page_size;
    running.sync = fresh.sync;
    running.stats.retention_days = fresh.stats.retention_days;
    running.stats.heartbeat_interval = fresh.stats.heartbeat_interval;
    running.stats.queue_size = fresh.stats.queue_size;
    running.metrics.ready_max_lag = fresh.metrics.ready_max_lag;
    running.log = fresh.log;
    running.generate = fresh.generate;
}

}  // namespace sgcache::config
