"""Injected faults as the real client experiences them (api3 reference, sections 1.4-1.6),
bad requests answered like a real site, and the HTTP server's robustness against what a
client may send."""
import json
import socket
import ssl
import subprocess
import time

import pytest
import shotgun_api3
from shotgun_api3.shotgun import ProtocolError

from conftest import SCRIPT, KEY, events_after, last_event_id


def test_502_and_504_are_retried_by_the_client(site, sg):
    sg.find("Shot", [])  # connect (info) first
    site.admin("/_admin/stats/reset", {})
    site.faults(fail_next=["502", "504"])
    started = time.monotonic()
    assert sg.find("Shot", []) == []
    took = time.monotonic() - started
    st = site.stats()
    assert st["by_status"] == {"502": 1, "504": 1, "200": 1}
    assert st["by_method"]["read"] == 3
    assert took >= 0.75 + 1.5 - 0.1  # the client's backoff between attempts
    # Three in a row is the client's limit.
    site.faults(fail_next=["502", "502", "502"])
    with pytest.raises(ProtocolError) as err:
        sg.find("Shot", [])
    assert err.value.errcode == 502


def test_503_and_429_are_not_retried(site, sg):
    sg.find("Shot", [])
    site.faults(fail_next=["503"], retry_after_s=7)
    with pytest.raises(ProtocolError) as err:
        sg.find("Shot", [])
    assert err.value.errcode == 503
    site.faults(fail_next=["429"])
    with pytest.raises(ProtocolError) as err:
        sg.find("Shot", [])
    assert err.value.errcode == 429
    assert err.value.headers.get("retry-after") == "7"
    assert sg.find("Shot", []) == []  # back to normal


def test_status_faults_do_not_execute_the_request(site, sg):
    sg.find("Shot", [])
    site.faults(fail_next=["503"])
    with pytest.raises(ProtocolError):
        sg.create("Shot", {"code": "never"})
    assert sg.find("Shot", []) == []


def test_reset_mid_response_executes_but_loses_the_answer(site, sg):
    sg.find("Shot", [])
    site.faults(fail_next=["reset"])
    with pytest.raises(Exception):
        sg.create("Shot", {"code": "written"})
    # The client does not retry (a non-idempotent write may have happened) - and it did.
    assert [s["code"] for s in sg.find("Shot", [], ["code"])] == ["written"]
    site.faults(fail_next=["close"])
    with pytest.raises(Exception):
        sg.find("Shot", [])
    assert len(sg.find("Shot", [])) == 1


def test_stall_past_the_client_timeout(site):
    sg = site.sg(connect=False)
    sg.config.timeout_secs = 1  # read when the connection is made, so before any call
    sg.find("Shot", [])
    site.faults(fail_next=["stall"], stall_ms=5000)
    started = time.monotonic()
    with pytest.raises(Exception):
        sg.find("Shot", [])
    assert time.monotonic() - started < 4
    sg.close()
    assert sg.find("Shot", []) == []


def test_latency_and_probabilities_at_run_time(site, sg):
    sg.find("Shot", [])
    site.faults(latency_ms=200, jitter_ms=0)
    started = time.monotonic()
    sg.find("Shot", [])
    assert time.monotonic() - started >= 0.2
    site.faults(latency_ms=0, http_502=1.0, methods=["create"])
    assert sg.find("Shot", []) == []  # reads are not affected
    with pytest.raises(ProtocolError):
        sg.create("Shot", {"code": "x"})
    site.admin("/_admin/faults/reset", {})
    assert site.admin("/_admin/faults")["http_502"] == 0
    sg.create("Shot", {"code": "x"})


def test_fault_settings_are_validated(site):
    status, _, body = site.post_raw(json.dumps({"http_502": 3}).encode(), path="/_admin/faults")
    assert status == 400 and "probability" in body["error"]
    status, _, body = site.post_raw(b"{nope", path="/_admin/faults")
    assert status == 400


def test_writes_without_events_still_move_updated_at(fake):
    site = fake("--script", "quiet:k2:noevents")
    sg = site.sg()
    quiet = site.sg(script="quiet", key="k2")
    a = sg.create("Asset", {"code": "a"})
    before = last_event_id(sg)
    first = sg.find_one("Asset", [["id", "is", a["id"]]], ["updated_at"])["updated_at"]
    time.sleep(1.1)
    quiet.update("Asset", a["id"], {"code": "changed quietly"})
    assert events_after(sg, before) == []
    row = sg.find_one("Asset", [["id", "is", a["id"]]], ["code", "updated_at"])
    assert row["code"] == "changed quietly" and row["updated_at"] > first
    site.faults(no_events=True)
    sg.create("Asset", {"code": "b"})
    assert events_after(sg, before) == []


def test_out_of_order_event_commits(site, sg):
    before = last_event_id(sg)
    site.faults(event_delay_probability=1.0, event_delay_ms=1500)
    sg.create("Asset", {"code": "late"})
    site.faults(event_delay_probability=0.0)
    sg.create("Asset", {"code": "early"})
    seen = events_after(sg, before)
    assert seen and seen[0]["id"] > before + 1  # a gap: the late ids are not visible yet
    time.sleep(1.6)
    later = events_after(sg, before)
    assert later[0]["id"] == before + 1
    assert len(later) > len(seen)
    # Delayed events can also be committed on demand.
    site.faults(event_delay_probability=1.0, event_delay_ms=600000)
    sg.create("Asset", {"code": "much later"})
    n = len(events_after(sg, before))
    assert site.admin("/_admin/events/commit", {})["committed"] > 0
    assert len(events_after(sg, before)) > n


def test_dropped_event_ids_leave_gaps(site, sg):
    before = last_event_id(sg)
    site.faults(event_drop_probability=1.0)
    sg.create("Asset", {"code": "a"})
    ev = events_after(sg, before)
    assert ev[0]["id"] > before + 1


def test_bad_requests_get_faults_not_crashes(site):
    auth = {"script_name": SCRIPT, "script_key": KEY}
    status, hdrs, body = site.post_raw(b"{this is not json")
    assert status == 200 and body["exception"] is True and body["error_code"] == 103
    assert hdrs["Content-Type"].startswith("application/json")
    assert site.call("frobnicate")["message"] == "API frobnicate() unknown method 'frobnicate'"
    assert site.call("read", {"type": "NoSuchType"})["message"] == "API read() entity type 'NoSuchType' doesn't exist."
    bad_type = site.call("read", {"type": "Shot", "filters": {"logical_operator": "and", "conditions": [
        {"path": "sg_cut_in", "relation": "is", "values": ["ten"]}]}})
    assert bad_type["exception"] is True and "expected [Integer, NilClass]" in bad_type["message"]
    unknown_field = site.call("read", {"type": "Shot", "filters": {"logical_operator": "and", "conditions": [
        {"path": "sg_nope", "relation": "is", "values": [1]}]}})
    assert unknown_field["message"] == "API read() Shot.sg_nope doesn't exist."
    assert site.call("read", {"type": "Shot"}, auth={"script_name": SCRIPT, "script_key": "bad"})["error_code"] == 102
    assert site.call("read", {"type": "Shot"}, auth="nonsense")["error_code"] == 102
    for body in (b"", b"null", b"[]", b"{}", b'{"method_name": null}', b'{"method_name": "read", "params": 5}',
                 json.dumps({"method_name": "read", "params": [auth, {"type": "Shot", "paging": "x"}]}).encode(),
                 json.dumps({"method_name": "update", "params": [auth, {"type": "Shot", "id": "x"}]}).encode(),
                 json.dumps({"method_name": "batch", "params": [auth, [1, 2]]}).encode(),
                 b"[" * 100000, "\u00e9\u00e8".encode("latin-1"), b'{"method_name": "read"' + b" " * 100):
        status, _, answer = site.post_raw(body)
        assert status == 200 and answer["exception"] is True, body[:60]
    status, _, _ = site.post_raw(b"{}", path="/nowhere")
    assert status == 404
    assert site.sg().find("Shot", []) == []  # still serving


def raw_exchange(url, data, read_timeout=5.0):
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=read_timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
        except socket.timeout:
            pass
        return b"".join(chunks)


def test_http_server_keep_alive_pipelining_and_limits(fake):
    site = fake("--max-body-bytes", "100000")
    info = json.dumps({"method_name": "info", "params": []}).encode()
    one = b"POST /api3/json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(info), info)
    # Two pipelined requests on one keep-alive connection, then close.
    out = raw_exchange(site.url, one + one.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n"))
    assert out.count(b"HTTP/1.1 200 OK") == 2
    assert out.count(b"api_max_entities_per_page") == 2
    # Garbage, oversized header and body, unknown method: answered, never a crash.
    assert raw_exchange(site.url, b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400")
    big_header = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n"
    assert raw_exchange(site.url, big_header).startswith(b"HTTP/1.1 431")
    big_body = b"POST /api3/json HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + b"x" * 200000
    assert raw_exchange(site.url, big_body).startswith(b"HTTP/1.1 413")
    assert raw_exchange(site.url, b"PATCH / HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 501")
    # A client that sends half a request and hangs up.
    raw_exchange(site.url, b"POST /api3/json HTTP/1.1\r\nContent-Length: 50\r\n\r\n{", read_timeout=0.5)
    # Expect: 100-continue gets its interim answer.
    out = raw_exchange(site.url, b"POST /api3/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(info), info))
    assert out.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    st = site.stats()
    assert st["active_connections"] >= 1
    assert site.sg().find("Shot", []) == []


def test_https_with_a_self_signed_certificate(fake, tmp_path, monkeypatch):
    # The client retries TLS errors with a 3 s pause; the untrusted case below need not wait.
    monkeypatch.setenv("SHOTGUN_API_RETRY_INTERVAL", "0")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    site = fake("--tls-cert", str(cert), "--tls-key", str(key))
    assert site.url.startswith("https://127.0.0.1:")
    sg = shotgun_api3.Shotgun(site.url, script_name=SCRIPT, api_key=KEY, ca_certs=str(cert))
    a = sg.create("Asset", {"code": "secure"})
    assert sg.find_one("Asset", [["id", "is", a["id"]]], ["code"])["code"] == "secure"
    # A client that does not trust the certificate fails the handshake; the server lives on.
    with pytest.raises(Exception):
        shotgun_api3.Shotgun(site.url, script_name=SCRIPT, api_key=KEY).find("Asset", [])
    ctx = ssl.create_default_context(cafile=str(cert))
    host, port = site.url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"GET /_admin/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert b"ok" in s.recv(4096) + s.recv(4096)
    assert sg.find_one("Asset", [])["id"] == a["id"]


def test_bad_command_lines_exit_with_a_message():
    from conftest import BINARY
    for args in (["--script"], ["--listen", "nowhere"], ["--script", "x"], ["--generate", "planet:5", "--script", "a:b"],
                 ["--fault", "http_502=7", "--script", "a:b"], ["--tls-cert", "x", "--script", "a:b"],
                 ["--schema", "/nonexistent.json", "--script", "a:b"], ["--bogus"]):
        r = subprocess.run([str(BINARY), *args], capture_output=True, timeout=10)
        assert r.returncode != 0, args
        assert b"fake-shotgun:" in r.stderr, args
    r = subprocess.run([str(BINARY), "--help"], capture_output=True, timeout=10)
    assert r.returncode == 0 and b"--generate studio:N" in r.stdout


def test_gzip_answers_when_asked(fake):
    site = fake("--gzip", "--generate", "studio:2000")
    sg = site.sg()
    tasks = sg.find("Task", [], ["content", "entity"])  # httplib2 sends accept-encoding: gzip
    assert len(tasks) > 500
    body = json.dumps({"method_name": "read", "params": [{"script_name": SCRIPT, "script_key": KEY},
                                                         {"type": "Task", "return_fields": ["content"]}]}).encode()
    status, hdrs, raw = site.post_raw(body, headers={"content-type": "application/json", "accept-encoding": "gzip"})
    assert status == 200 and hdrs.get("Content-Encoding") == "gzip"
    status, hdrs, plain = site.post_raw(body)
    assert "Content-Encoding" not in hdrs and plain["results"]["entities"]
