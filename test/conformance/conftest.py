"""Fixtures of the conformance suite: each test starts its own fake-shotgun process on a free
port (the URL is the first line it prints) and stops it afterwards, and talks to it with the
real shotgun_api3 client from PyPI.

Environment: SGCACHE_ROOT (the checkout, default: two levels up) and SGCACHE_BUILD_DIR (the
Meson build directory, default: <root>/build); the binary is
$SGCACHE_BUILD_DIR/tools/fake-shotgun/fake-shotgun.
"""
import json
import os
import select
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import shotgun_api3

ROOT = Path(os.environ.get("SGCACHE_ROOT") or Path(__file__).resolve().parents[2])
BUILD = Path(os.environ.get("SGCACHE_BUILD_DIR") or ROOT / "build")
BINARY = BUILD / "tools" / "fake-shotgun" / "fake-shotgun"
SHARED_DATA = ROOT.parent / "shared" / "data"

SCRIPT = "conformance"
KEY = "s3cr3t"


class FakeSite:
    """One running fake-shotgun process."""

    def __init__(self, *args, start_timeout=30.0):
        if not BINARY.exists():
            raise RuntimeError(f"{BINARY} is missing: build it with ./scripts/build")
        argv = [str(BINARY), "--listen", "127.0.0.1:0", "--script", f"{SCRIPT}:{KEY}", *args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + start_timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
                self.stop()
                raise RuntimeError(f"fake-shotgun did not print its URL: {line!r} {err}")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if not chunk:
                    continue
                line += chunk
        self.url = line.decode().strip()
        self.argv = argv

    def sg(self, script=SCRIPT, key=KEY, **kwargs):
        return shotgun_api3.Shotgun(self.url, script_name=script, api_key=key, **kwargs)

    def admin(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST" if data is not None else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def faults(self, **settings):
        return self.admin("/_admin/faults", settings)

    def stats(self):
        return self.admin("/_admin/stats")

    def post_raw(self, body, path="/api3/json", headers=None):
        """POSTs bytes to the site; returns (status, headers, parsed JSON or text)."""
        req = urllib.request.Request(self.url + path, data=body, method="POST",
                                     headers=headers or {"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, hdrs, raw = r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, dict(e.headers), e.read()
        try:
            return status, hdrs, json.loads(raw)
        except ValueError:
            return status, hdrs, raw.decode(errors="replace")

    def call(self, method, payload=None, auth=None):
        """One api3 call as raw JSON-RPC (for shapes the Python client cannot send)."""
        params = [auth if auth is not None else {"script_name": SCRIPT, "script_key": KEY}]
        if payload is not None:
            params.append(payload)
        status, _, body = self.post_raw(json.dumps({"method_name": method, "params": params}).encode())
        assert status == 200
        return body

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()


@pytest.fixture
def fake():
    """Factory: fake(*args) starts a site with extra command-line args; all are stopped
    at the end of the test, and each must still be alive then (no crash)."""
    started = []

    def start(*args, **kwargs):
        s = FakeSite(*args, **kwargs)
        started.append(s)
        return s

    yield start
    crashed = [s.argv for s in started if not s.alive()]
    for s in started:
        s.stop()
    assert not crashed, f"fake-shotgun exited during the test: {crashed}"


@pytest.fixture
def site(fake):
    """A site with the studio schema and no data."""
    return fake()


@pytest.fixture
def sg(site):
    return site.sg()


def events_after(sg, last_id, fields=None):
    """EventLogEntry rows with id > last_id, in id order (the query sgcache's follower makes)."""
    return sg.find("EventLogEntry", [["id", "greater_than", last_id]],
                   fields or ["id", "event_type", "attribute_name", "entity", "meta", "user", "project",
                              "session_uuid", "created_at", "description"],
                   order=[{"field_name": "id", "direction": "asc"}])


def last_event_id(sg):
    e = sg.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
    return e["id"] if e else 0
