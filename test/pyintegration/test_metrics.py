"""The metrics endpoint of a running `sgcache serve`, judged by prometheus_client's own parser
of the Prometheus text format, and /readyz watched from the first moment of a slow first
full download (the fake site answers each api3 call late)."""
import json
import threading
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import Scenario, eventually, http

TYPES = ["Shot", "Task", "Version"]


def scrape(scenario):
    """Parses /metrics into {family name: family} and {(sample name, labels): value}."""
    status, text = http("GET", scenario.metrics + "/metrics")
    assert status == 200, text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    values = {}
    for f in families.values():
        for s in f.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return families, values


def value(values, name, **labels):
    return values.get((name, tuple(sorted(labels.items()))))


def total(values, name, **match):
    """Sum of a sample over every label set that contains `match`."""
    return sum(v for (n, labels), v in values.items()
               if n == name and all(dict(labels).get(k) == w for k, w in match.items()))


class ReadyWatch(threading.Thread):
    """Polls /readyz and /healthz every 50 ms from before serve starts, recording each answer."""

    def __init__(self, scenario):
        super().__init__(daemon=True)
        self.scenario = scenario
        self.history = []  # (seconds since start, readyz status, readyz body, healthz status)
        self.done = threading.Event()
        self.started = time.monotonic()

    def run(self):
        while not self.done.is_set():
            status, body = http("GET", self.scenario.metrics + "/readyz", timeout=2)
            health, _ = http("GET", self.scenario.metrics + "/healthz", timeout=2)
            self.history.append((time.monotonic() - self.started, status, body, health))
            if status == 200:
                return
            time.sleep(0.05)


@pytest.fixture(scope="module")
def served():
    # Pages of 100 entities each answered 300 ms late: the first download takes seconds,
    # long enough to watch /readyz say 503 while it runs.
    scenario = Scenario(["--generate", "studio:1500", "--seed", "51"], TYPES,
                        "stats:\n  heartbeat_interval_s: 1\n")
    text = scenario.config.read_text().replace("  script_key: reader-key\n",
                                               "  script_key: reader-key\n  page_size: 100\n")
    scenario.config.write_text(text)
    scenario.site.faults(latency_ms=300)
    watch = ReadyWatch(scenario)
    watch.start()
    scenario.serve()
    watch.join(180)
    watch.done.set()
    scenario.site.faults(latency_ms=0)
    scenario.watch = watch
    try:
        yield scenario
    finally:
        scenario.close()


def test_readyz_turns_ready_only_after_the_first_full_download(served):
    history = served.watch.history
    assert history and history[-1][1] == 200, served.log_tail()
    # Before the process listened nothing answered; then 503 with reasons, then 200.
    answered = [h for h in history if h[1] != 0]
    not_ready = [h for h in answered if h[1] == 503]
    assert not_ready, "never saw /readyz not ready"
    assert all(h[1] in (200, 503) for h in answered)
    assert [h[1] for h in answered] == [503] * len(not_ready) + [200]
    reasons = [json.loads(h[2])["reason"] for h in not_ready]
    assert any("has no active generation yet (building" in r for r in reasons), reasons
    # /healthz says alive from the first answer on, ready or not.
    assert all(h[3] == 200 for h in answered)
    ready = json.loads(answered[-1][2])
    assert ready["ready"] is True
    assert all(t["active_generation"] >= 1 for t in ready["types"].values())
    assert sorted(ready["types"]) == sorted(TYPES)
    # The download was seen running: readiness waited for it, several polls long.
    assert answered[-1][0] - not_ready[0][0] > 1.0

    # Ready means every type's documents are in: the counters say what the node holds.
    _, values = scrape(served)
    assert value(values, "sgcache_ready") == 1
    for t in TYPES:
        live = served.es_count(f"{served.prefix}entity-{t.lower()}")
        assert value(values, "sgcache_type_active_generation", type=t) == 1
        assert value(values, "sgcache_snapshot_progress_ratio", type=t) == 1
        assert value(values, "sgcache_type_phase", type=t, phase="following") == 1
        assert value(values, "sgcache_entities_indexed_total", type=t, outcome="written") >= live > 0


def test_metrics_parse_and_counters_move(served):
    eventually(lambda: http("GET", served.metrics + "/readyz")[0] == 200, 60)
    families, before = scrape(served)
    types = {name: f.type for name, f in families.items()}
    # prometheus_client names counter families without _total.
    assert types["sgcache_events_applied"] == "counter"
    assert types["sgcache_shotgun_requests"] == "counter"
    assert types["sgcache_entities_indexed"] == "counter"
    assert types["sgcache_follower_lag_seconds"] == "gauge"
    assert types["sgcache_follower_open_gaps"] == "gauge"
    assert types["sgcache_snapshot_progress_ratio"] == "gauge"
    assert types["sgcache_elasticsearch_bulk_duration_seconds"] == "histogram"
    assert types["process_resident_memory_bytes"] == "gauge"
    assert types["sgcache_stats_documents"] == "counter"
    assert value(before, "process_resident_memory_bytes") > 1 << 20
    assert value(before, "sgcache_follower_following") == 1

    # Two refused requests (sgcache's follower polls meet them: the driver starts after),
    # then some writes on the site.
    busy_before = value(before, "sgcache_shotgun_requests_total", outcome="busy", status="503") or 0
    served.site.faults(fail_next=["503", "503"])
    assert eventually(lambda: value(scrape(served)[1], "sgcache_shotgun_requests_total",
                                    outcome="busy", status="503") == busy_before + 2, 20)
    summary = served.driver(rate=15, seed=52, seconds=3)
    assert summary["writes"] > 0
    last_event = summary["event_ids"][1]

    def caught_up():
        _, v = scrape(served)
        return v if value(v, "sgcache_follower_last_event_id") >= last_event else None

    after = eventually(caught_up, 60)
    assert after, served.log_tail()

    # Counters never go down, and these moved.
    for key, v in before.items():
        if key[0].endswith("_total") or key[0].endswith("_count") or key[0].endswith("_bucket"):
            assert after.get(key, 0) >= v, key
    assert value(after, "sgcache_events_applied_total") > value(before, "sgcache_events_applied_total")
    assert total(after, "sgcache_shotgun_requests_total", outcome="ok", status="200") > \
        total(before, "sgcache_shotgun_requests_total", outcome="ok", status="200")
    assert value(after, "sgcache_shotgun_requests_total", outcome="busy", status="503") == busy_before + 2
    assert value(after, "sgcache_shotgun_retries_total") >= value(before, "sgcache_shotgun_retries_total") + 2
    assert total(after, "sgcache_entities_indexed_total") > total(before, "sgcache_entities_indexed_total")
    assert value(after, "sgcache_uptime_seconds") > value(before, "sgcache_uptime_seconds")

    # The follower's bulk latency histogram: more requests observed, cumulative buckets,
    # +Inf equal to the count, and the request counter in step with it.
    def bulk(values):
        return value(values, "sgcache_elasticsearch_bulk_duration_seconds_count", writer="follower")

    assert bulk(after) > bulk(before)
    buckets = sorted(((float(dict(labels)["le"]), v) for (n, labels), v in after.items()
                      if n == "sgcache_elasticsearch_bulk_duration_seconds_bucket"
                      and dict(labels)["writer"] == "follower"))
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert buckets[-1] == (float("inf"), bulk(after))
    assert value(after, "sgcache_elasticsearch_bulk_duration_seconds_sum", writer="follower") > 0
    assert value(after, "sgcache_elasticsearch_bulk_requests_total", writer="follower") >= bulk(after)

    # Stats documents were written (heartbeats every second), none failed or dropped.
    assert eventually(lambda: value(scrape(served)[1], "sgcache_stats_documents_total", outcome="written") >
                      value(before, "sgcache_stats_documents_total", outcome="written"), 10)
    assert value(after, "sgcache_stats_documents_total", outcome="failed") == 0
    assert value(after, "sgcache_stats_documents_total", outcome="dropped") == 0


def test_endpoint_status_codes(served):
    assert http("GET", served.metrics + "/healthz")[0] == 200
    assert http("GET", served.metrics + "/nowhere")[0] == 404
    assert http("POST", served.metrics + "/metrics", b"")[0] == 405
    status, body = http("GET", served.metrics + "/metrics?name[]=sgcache_ready")
    assert status == 200 and "sgcache_ready 1" in body
