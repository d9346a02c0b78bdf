"""The status page of `sgcache serve` in a real browser: Debian's headless Chromium, driven by
Playwright, loads it while a slow first download runs (the fake site answers each call
late), and the test reads the DOM: every type listed, build progress bars advancing, the
follower's charts drawn; a screenshot of the page mid-download is kept in the test reports
folder. Also: the page and its data need the control token beyond loopback."""
import shutil
import subprocess
from pathlib import Path

from playwright.sync_api import sync_playwright

from conftest import BUILD, SGCACHE, Scenario, eventually, free_port, http

TYPES = ["Shot", "Task", "Version", "Asset"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root and without network: no sandbox, no background connections (they would all be
# refused here), a profile of its own per run.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPORTS = BUILD / "test-reports"


def build_state(page):
    """{type: (state, loaded or None)} as the page shows it."""
    out = {}
    for row in page.query_selector_all("#types tbody tr"):
        bar = row.query_selector("progress")
        out[row.get_attribute("data-type")] = (row.get_attribute("data-state"),
                                               float(bar.get_attribute("value")) if bar else None)
    return out


def test_the_status_page_shows_a_download_in_progress_in_a_real_browser():
    assert Path(CHROMIUM).exists(), "chromium is missing (Debian package chromium; scripts/install-deps installs it)"
    # 40 ms per api3 call and small ranges: the download takes long enough to watch.
    scenario = Scenario(["--generate", "studio:8000", "--seed", "42", "--fault", "latency_ms=40"], TYPES,
                        "  snapshot_range_size: 300\n  snapshot_workers: 2\n")
    try:
        proc = scenario.serve()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                assert eventually(lambda: http("GET", scenario.metrics + "/healthz")[0] == 200, 30), \
                    scenario.log_tail()
                page.goto(scenario.metrics + "/")
                page.wait_for_selector("body[data-loaded=true]", timeout=30_000)
                # Every configured type is listed, and some are being built.
                assert eventually(lambda: set(build_state(page)) == set(TYPES), 30), build_state(page)
                assert eventually(lambda: any(s == "building" and v is not None for s, v in build_state(page).values()),
                                  60), (build_state(page), scenario.log_tail())
                first = build_state(page)
                # Progress advances without a reload (the page polls status.json).
                def advanced():
                    now = build_state(page)
                    return any(now[t][1] is not None and first[t][1] is not None and now[t][1] > first[t][1]
                               or first[t][0] == "building" and now[t][0] == "following" for t in TYPES)
                assert eventually(advanced, 60), (first, build_state(page))
                # The charts are drawn from the history: two samples make a line.
                assert eventually(lambda: int(page.get_attribute("#lag-chart", "data-points") or 0) >= 2, 30)
                points = page.get_attribute("#rate-chart polyline", "points")
                assert points and len(points.split()) >= 2, points
                REPORTS.mkdir(parents=True, exist_ok=True)
                shot = REPORTS / "status-page.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
                still_building = [t for t, (s, _) in build_state(page).items() if s == "building"]
                print(f"screenshot {shot} taken with {still_building} still building")
                # Until the end of the download, then every type follows.
                assert eventually(lambda: all(s == "following" for s, _ in build_state(page).values()), 180), \
                    (build_state(page), scenario.log_tail())
                follower = page.text_content("#follower")
                assert "following" in follower
                # A validation run shows up as the last validation (read from the stats index).
                out = subprocess.run([str(SGCACHE), "validate", "counts", "--config", str(scenario.config)],
                                     capture_output=True, text=True, timeout=120)
                assert out.returncode == 0, out.stdout + out.stderr
                assert eventually(lambda: "match" in (page.text_content("#validation") or ""), 60), \
                    page.text_content("#validation")
            finally:
                browser.close()
        assert proc.poll() is None, scenario.log_tail()
    finally:
        scenario.close()


def test_beyond_loopback_the_page_needs_the_control_token():
    # Listening on every address: the page and status.json need the token; /metrics does not.
    port = free_port()
    scenario = Scenario(["--generate", "studio:300", "--seed", "43"], ["Shot"],
                        "")
    text = scenario.config.read_text()
    text = text.replace(f"metrics:\n  listen: 127.0.0.1:{scenario.metrics_port}\n", f"metrics:\n  listen: 0.0.0.0:{port}\n")
    text = text.replace("control:\n", "control:\n  token: page-secret\n", 1)
    scenario.config.write_text(text)
    base = f"http://127.0.0.1:{port}"
    try:
        proc = scenario.serve()
        assert eventually(lambda: http("GET", base + "/healthz")[0] == 200, 30), scenario.log_tail()
        assert http("GET", base + "/")[0] == 401
        assert http("GET", base + "/status.json")[0] == 401
        assert http("GET", base + "/status.json?token=wrong")[0] == 401
        status, body = http("GET", base + "/status.json?token=page-secret")
        assert status == 200 and '"types"' in body, body
        status, body = http("GET", base + "/?token=page-secret")
        assert status == 200 and "<title>sgcache status</title>" in body
        assert http("GET", base + "/metrics")[0] == 200
        assert "page-secret" not in scenario.log_tail(100_000)
        assert proc.poll() is None
    finally:
        scenario.close()
