#!/usr/bin/env python3
"""Benchmark of the fake Shotgun site: pages of 500 realistic entities (Tasks with links,
dates, statuses and assignees) served per second over several keep-alive connections, with
no injected latency.

  bench/fake_shotgun/bench.py [--entities 100000] [--connections 4] [--duration 10]
                              [--mode offset|keyset|both] [--url URL --script NAME:KEY]

Without --url it starts $SGCACHE_BUILD_DIR/tools/fake-shotgun/fake-shotgun (default
build/) with a generated studio and stops it at the end. Each connection is its own
process speaking raw HTTP/1.1 keep-alive with pre-built api3 bodies, so the client costs
little next to the server; entities are counted in the raw answers. Prints the figures and
the command line that reproduces them.

Modes: "offset" reads page P of the whole table (current_page = P, as shotgun_api3's find()
does); "keyset" reads the 500 rows after an id (id > last, sorted by id, page 1), as sgcache's
snapshot does.
"""
import argparse
import http.client
import json
import multiprocessing as mp
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ["content", "entity", "step", "project", "sg_status_list", "task_assignees", "start_date", "due_date",
          "duration", "est_in_mins", "color", "sg_priority", "created_at", "updated_at", "updated_by"]


def body(auth, page, per_page, after=None):
    conditions = [] if after is None else [{"path": "id", "relation": "greater_than", "values": [after]}]
    payload = {"type": "Task", "return_fields": FIELDS,
               "filters": {"logical_operator": "and", "conditions": conditions},
               "return_only": "active", "paging": {"entities_per_page": per_page, "current_page": page},
               "api_return_image_urls": True, "return_paging_info_without_counts": True}
    if after is not None:
        payload["sorts"] = [{"field_name": "id", "direction": "asc"}]
    return json.dumps({"method_name": "read", "params": [auth, payload]}).encode()


def worker(url, bodies, start, deadline, out):
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    n = entities = nbytes = 0
    lat = []
    i = start
    while time.monotonic() < deadline:
        b = bodies[i % len(bodies)]
        i += 1
        t0 = time.monotonic()
        conn.request("POST", "/api3/json", b, {"content-type": "application/json", "connection": "keep-alive"})
        r = conn.getresponse()
        data = r.read()
        lat.append(time.monotonic() - t0)
        if r.status != 200 or b'"exception":true' in data[:40]:
            raise SystemExit(f"bad answer {r.status}: {data[:200]!r}")
        n += 1
        nbytes += len(data)
        entities += data.count(b'"type":"Task","id":')
    out.put((n, entities, nbytes, lat))


def run(url, auth, connections, duration, bodies):
    q = mp.Queue()
    deadline = time.monotonic() + duration
    procs = [mp.Process(target=worker, args=(url, bodies, k * len(bodies) // connections, deadline, q))
             for k in range(connections)]
    started = time.monotonic()
    for p in procs:
        p.start()
    results = [q.get(timeout=duration + 120) for _ in procs]
    for p in procs:
        p.join()
    took = time.monotonic() - started
    n = sum(r[0] for r in results)
    ents = sum(r[1] for r in results)
    nbytes = sum(r[2] for r in results)
    lat = sorted(x for r in results for x in r[3])
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
    return {"pages": n, "pages_per_s": n / took, "entities_per_s": ents / took, "mb_per_s": nbytes / took / 1e6,
            "avg_entities_per_page": ents / max(n, 1), "p50_ms": pct(0.5), "p99_ms": pct(0.99), "seconds": took}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entities", type=int, default=100000, help="size of the generated studio")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--page-size", type=int, default=500)
    ap.add_argument("--mode", choices=["offset", "keyset", "both"], default="both")
    ap.add_argument("--url", help="benchmark this running site instead of starting one")
    ap.add_argument("--script", default="bench:key", help="NAME:KEY (with --url)")
    args = ap.parse_args()

    name, _, key = args.script.partition(":")
    auth = {"script_name": name, "script_key": key}
    proc = None
    url = args.url
    if not url:
        build = Path(os.environ.get("SGCACHE_BUILD_DIR") or ROOT / "build")
        binary = build / "tools" / "fake-shotgun" / "fake-shotgun"
        cmd = [str(binary), "--listen", "127.0.0.1:0", "--script", args.script,
               "--generate", f"studio:{args.entities}", "--seed", str(args.seed)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        url = proc.stdout.readline().strip()
        if not url:
            sys.exit("bench: fake-shotgun did not start: " + proc.stderr.read())
    try:
        # The pages to ask for: every page of the Task table, and the keyset cursors.
        probe = http.client.HTTPConnection(*url.split("//", 1)[1].rsplit(":", 1), timeout=60)
        ids = []
        after = 0
        while True:
            probe.request("POST", "/api3/json", body(auth, 1, 500, after), {"content-type": "application/json"})
            page = json.loads(probe.getresponse().read())["results"]
            got = [e["id"] for e in page["entities"]]
            if not got:
                break
            ids.extend(got)
            after = got[-1]
        pages = max(1, -(-len(ids) // args.page_size))
        offset_bodies = [body(auth, p, args.page_size) for p in range(1, pages + 1)]
        cursors = [0] + [ids[i * args.page_size - 1] for i in range(1, pages)]
        keyset_bodies = [body(auth, 1, args.page_size, c) for c in cursors]
        load = os.getloadavg()[0]
        print(f"fake-shotgun at {url}: {len(ids)} Tasks ({pages} pages of {args.page_size}), "
              f"{args.connections} keep-alive connections, {args.duration:.0f} s per mode, "
              f"{os.cpu_count()} CPUs, load average {load:.2f} before the run")
        modes = ["offset", "keyset"] if args.mode == "both" else [args.mode]
        for mode in modes:
            r = run(url, auth, args.connections, args.duration, offset_bodies if mode == "offset" else keyset_bodies)
            print(f"  {mode:6s}: {r['pages_per_s']:8.1f} pages/s  {r['entities_per_s']:10.0f} entities/s  "
                  f"{r['mb_per_s']:6.1f} MB/s  latency p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
                  f"({r['pages']} pages, {r['avg_entities_per_page']:.0f} entities/page)")
        print("reproduce: " + " ".join(shlex.quote(a) for a in [sys.argv[0], *sys.argv[1:]]))
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
