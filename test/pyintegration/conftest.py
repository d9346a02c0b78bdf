"""Fixtures of the Python integration suite: a real `sgcache serve` against the OpenSearch node
named by SGCACHE_TEST_ES_URL and a fake Shotgun site this suite starts itself, each with a
prefix, ports and a folder of its own, all removed afterwards.

Environment (scripts/lib/run_suites.py sets all three): SGCACHE_TEST_ES_URL, SGCACHE_ROOT
(the checkout) and SGCACHE_BUILD_DIR (the Meson build directory with source/sgcache and
tools/fake-shotgun/fake-shotgun).
"""
import json
import os
import select
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("SGCACHE_ROOT") or Path(__file__).resolve().parents[2])
BUILD = Path(os.environ.get("SGCACHE_BUILD_DIR") or ROOT / "build")
SGCACHE = BUILD / "source" / "sgcache"
FAKE_SHOTGUN = BUILD / "tools" / "fake-shotgun" / "fake-shotgun"
DRIVER = ROOT / "tools" / "fake-shotgun" / "fake-shotgun-driver"

READER = ("sgcache", "reader-key")
WRITER = ("writer", "writer-key")


def es_url():
    url = os.environ.get("SGCACHE_TEST_ES_URL")
    if not url:
        # A missing node is a failure, never a skip: run the suite through ./scripts/test.
        raise RuntimeError("SGCACHE_TEST_ES_URL is not set: run this suite through ./scripts/test")
    return url.rstrip("/")


def _port_walk():
    # Ports below the kernel's ephemeral range: a port bound to 0 and released could be handed
    # to another bind to port 0 (the fake site, a metrics listener) or to the local end of a
    # connection before the server under test binds it (test/support/sync_env.cpp, free_port).
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    first = 10000
    span = low - first
    if span < 1000:
        return
    offset = (os.getpid() * 7919 + 5000) % span  # apart from the C++ suite's stretch
    for i in range(span):
        yield first + (offset + i) % span


_ports = _port_walk()


def free_port():
    """A loopback port free a moment ago, from below the ephemeral range; new on every call."""
    for port in _ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=10):
    """One request; returns (status, text body). Status 0 when nothing answered."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return 0, ""


def eventually(predicate, limit, interval=0.1):
    """Polls until predicate() is truthy (returning its value) or `limit` seconds pass (None)."""
    deadline = time.monotonic() + limit
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class FakeSite:
    """One fake-shotgun process on a free port; its URL is the first line it prints."""

    def __init__(self, *args):
        if not FAKE_SHOTGUN.exists():
            raise RuntimeError(f"{FAKE_SHOTGUN} is missing: build it with ./scripts/build")
        argv = [str(FAKE_SHOTGUN), "--listen", "127.0.0.1:0", "--script", "%s:%s" % READER,
                "--script", "%s:%s" % WRITER, *args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = b""
        deadline = time.monotonic() + 60
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"fake-shotgun did not print its URL: {line!r}")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                line += os.read(self.proc.stdout.fileno(), 1)
        self.url = line.decode().strip()

    def faults(self, **settings):
        status, body = http("POST", self.url + "/_admin/faults", settings)
        assert status == 200, body
        return json.loads(body)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Scenario:
    """A fake site, entity configs generated from it, and a configuration for sgcache serve."""

    def __init__(self, site_args, types, extra_yaml=""):
        self.es = es_url()
        self.dir = Path(tempfile.mkdtemp(prefix="sgct-py-"))
        self.prefix = "sgct-py-%d-%d-" % (os.getpid(), int(time.time() * 1000) % 100_000_000)
        self.site = FakeSite(*site_args)
        self.metrics_port = free_port()
        self.metrics = "http://127.0.0.1:%d" % self.metrics_port
        self.config = self.dir / "config.yaml"
        self.config.write_text(
            f"shotgun:\n  url: {self.site.url}\n  script_name: {READER[0]}\n  script_key: {READER[1]}\n"
            "  retry:\n    max_attempts: 4\n    initial_delay_ms: 100\n    max_delay_ms: 1000\n"
            f"elasticsearch:\n  hosts: [{self.es}]\n  index_prefix: {self.prefix}\n"
            "  retry:\n    max_attempts: 4\n    initial_delay_ms: 100\n    max_delay_ms: 1000\n"
            "entity_config_dir: entityConfig\n"
            f"control:\n  endpoint: tcp://127.0.0.1:{free_port()}\n"
            f"metrics:\n  listen: 127.0.0.1:{self.metrics_port}\n"
            "log:\n  level: debug\n"
            "sync:\n  event_poll_interval_ms: 200\n  lease_ttl_s: 10\n" + extra_yaml)
        out = subprocess.run([str(SGCACHE), "generate-entity-configs", "--config", str(self.config), *types],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        self.serve_proc = None
        self.log = self.dir / "serve.log"

    def serve(self):
        self.serve_proc = subprocess.Popen([str(SGCACHE), "serve", "--config", str(self.config)],
                                           stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        return self.serve_proc

    def log_tail(self, n=3000):
        return self.log.read_text()[-n:] if self.log.exists() else ""

    def driver(self, rate, seed, seconds):
        """Runs the workload driver to the end; returns its JSON summary."""
        out = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(DRIVER), "--url", self.site.url,
                              "--script", "%s:%s" % WRITER, "--rate", str(rate), "--seed", str(seed),
                              "--duration", str(seconds), "--strict", "--json"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        return json.loads(out.stdout)

    def es_count(self, index):
        status, body = http("GET", f"{self.es}/{index}/_count")
        assert status == 200, body
        return json.loads(body)["count"]

    def close(self):
        if self.serve_proc and self.serve_proc.poll() is None:
            self.serve_proc.terminate()
            try:
                self.serve_proc.wait(15)
            except subprocess.TimeoutExpired:
                self.serve_proc.kill()
                self.serve_proc.wait()
        self.site.stop()
        status, body = http("GET", f"{self.es}/_cat/indices/{self.prefix}*?h=index&format=json")
        if status == 200:
            for row in json.loads(body):
                http("DELETE", f"{self.es}/{row['index']}")
        http("DELETE", f"{self.es}/_index_template/{self.prefix}stats")
        shutil.rmtree(self.dir, ignore_errors=True)
