"""The workload driver: reproducible from its seed, at the asked rate, with every kind of
write, against a generated studio."""
import json
import subprocess
import sys

from conftest import KEY, ROOT, SCRIPT, events_after

DRIVER = ROOT / "tools" / "fake-shotgun" / "fake-shotgun-driver"


def run_driver(site, *args):
    r = subprocess.run([sys.executable, str(DRIVER), "--url", site.url, "--script", f"{SCRIPT}:{KEY}", "--json", *args],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_driver_is_reproducible_and_makes_every_kind_of_write(fake):
    a = fake("--generate", "studio:3000", "--seed", "4", "--now", "1700000000")
    b = fake("--generate", "studio:3000", "--seed", "4", "--now", "1700000000")
    ra = run_driver(a, "--rate", "400", "--seed", "12", "--ops", "400")
    rb = run_driver(b, "--rate", "400", "--seed", "12", "--ops", "400")
    assert ra["failed"] == 0 and rb["failed"] == 0
    assert ra["plan_digest"] == rb["plan_digest"]
    assert ra["by_op"] == rb["by_op"]
    assert set(ra["by_op"]) == {"create_shot", "create_task", "create_version", "create_note", "update_status",
                                "update_fields", "multi_add_remove", "playlist_add", "move_task", "retire", "revive"}
    assert ra["writes"] == 400
    # Different seed, different plan.
    c = fake("--generate", "studio:3000", "--seed", "4", "--now", "1700000000")
    assert run_driver(c, "--ops", "100", "--rate", "400", "--seed", "13")["plan_digest"] != ra["plan_digest"]
    # The site logged it all: some update both added and removed links in one row.
    sg = a.sg()
    ev = events_after(sg, ra["event_ids"][0], ["event_type", "attribute_name", "meta"])
    assert len(ev) > 400
    assert any(e["attribute_name"] == "assets" and e["meta"].get("added") and e["meta"].get("removed") for e in ev)
    kinds = {e["event_type"].rsplit("_", 1)[1] for e in ev}
    assert kinds >= {"New", "Change", "Retirement", "Revival"}


def test_driver_holds_its_rate_and_survives_faults(fake):
    site = fake("--generate", "studio:2000")
    r = run_driver(site, "--rate", "200", "--seed", "1", "--duration", "3")
    assert 550 <= r["writes"] <= 610  # 200/s for 3 s
    site.faults(http_503=0.05)
    r = run_driver(site, "--rate", "300", "--seed", "2", "--ops", "300")
    assert r["writes"] == 300 and 0 < r["failed"] < 60
