#!/usr/bin/env python3
"""Runs sgcache's test suites and prints one total line: "N passed, N failed".

Every suite writes a JUnit XML report (doctest's junit reporter, pytest's --junitxml); the
counts come from those reports, so a test case is counted once whatever prints it. A suite
that crashes before writing its report counts as one failed test, never as zero. Skipped
test cases are reported separately and are not counted as passed.
"""
import argparse
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Suite:
    name: str
    command: list          # argv; "{junit}" is replaced by the report path
    timeout: int           # seconds before the suite is killed and counted as failed
    engine: str = ""       # the search engine it talks to ("" for none)


# The engines the node-backed suites run against, and where scripts/test put each node.
ENGINES = {
    "opensearch": "SGCACHE_TEST_OPENSEARCH_URL",
    "elasticsearch": "SGCACHE_TEST_ELASTICSEARCH_URL",
}


@dataclass
class Result:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list = field(default_factory=list)


def suites(build: Path):
    py = str(ROOT / ".venv" / "bin" / "python")
    # doctest: --reporters=junit writes the report to --out; console output goes to stderr
    # through a second reporter so a human still sees failures.
    def doctest(exe):
        return [str(build / exe), "--reporters=junit", "--out={junit}", "--no-intro=true"]

    # The integration suite (sync, control, validate, the clients) runs against each engine,
    # counted separately; the Python suites below talk to OpenSearch only.
    found = [
        Suite("unit", doctest("test/sgcache-unit-tests"), 300),
        Suite("integration", doctest("test/sgcache-integration-tests"), 900, engine="opensearch"),
        Suite("integration-es", doctest("test/sgcache-integration-tests"), 900, engine="elasticsearch"),
    ]
    # A short fuzzing run of the control socket's request decoder (libFuzzer, clang 14).
    found.append(Suite("fuzz", [sys.executable, str(ROOT / "scripts" / "lib" / "junit_wrap.py"),
                                "--name", "control request decoder survives 20 s of libFuzzer", "--out", "{junit}",
                                "--", str(ROOT / "scripts" / "fuzz-control"), "--seconds", "20"], 300))
    # And of the proxy's request path: the api3 envelope and a read's plan (libFuzzer, clang 14).
    found.append(Suite("fuzz-proxy", [sys.executable, str(ROOT / "scripts" / "lib" / "junit_wrap.py"),
                                      "--name", "proxy request decoder and read planner survive 20 s of libFuzzer",
                                      "--out", "{junit}",
                                      "--", str(ROOT / "scripts" / "fuzz-proxy"), "--seconds", "20"], 300))
    conformance = ROOT / "test" / "conformance"
    if conformance.is_dir():
        found.append(Suite("conformance",
                           [py, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "--junitxml={junit}", str(conformance)], 900))
    python_integration = ROOT / "test" / "pyintegration"
    if python_integration.is_dir():
        found.append(Suite("pyintegration",
                           [py, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "--junitxml={junit}", str(python_integration)], 900, engine="opensearch"))
    return found


def parse_junit(path: Path) -> Result:
    res = Result()
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        if case.find("skipped") is not None:
            res.skipped += 1
        elif case.find("failure") is not None or case.find("error") is not None:
            res.failed += 1
            name = f"{path.stem}: {name}"
            detail = []
            for f in list(case.iter("failure")) + list(case.iter("error")):
                text = "\n".join(filter(None, [f.get("message"), (f.text or "").strip()]))
                # Whole enough to diagnose from CI's output alone (the report files are
                # not kept there): a failure's summary and log tail run to a few KB.
                detail.append(text[:8000].replace("\n", "\n    "))
            res.failures.append(name + (":\n    " + "\n    ".join(detail[:3]) if detail else ""))
        else:
            res.passed += 1
    return res


def suites_needing(selected, build: Path):
    """The engines the selected suites need (for scripts/test, which starts their nodes)."""
    return sorted({s.engine for s in suites(build) if s.engine and (not selected or s.name in selected)})


def run(suite: Suite, reports: Path, env: dict) -> Result:
    junit = reports / f"{suite.name}.xml"
    junit.unlink(missing_ok=True)
    argv = [a.replace("{junit}", str(junit)) for a in suite.command]
    print(f"== {suite.name}: {' '.join(argv)}", flush=True)
    started = time.monotonic()
    try:
        rc = subprocess.run(argv, env=env, cwd=ROOT, timeout=suite.timeout).returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    except OSError as e:
        rc = f"could not start: {e}"
    took = time.monotonic() - started
    if junit.exists() and junit.stat().st_size > 0:
        try:
            res = parse_junit(junit)
        except ET.ParseError as e:
            res = Result(failed=1, failures=[f"{suite.name}: unreadable report ({e})"])
    else:
        res = Result(failed=1, failures=[f"{suite.name}: no report (exit {rc})"])
    if rc != 0 and res.failed == 0:
        # The runner itself failed although every recorded case passed (a crash after the
        # last case, a leak check): that is a failure too.
        res.failed += 1
        res.failures.append(f"{suite.name}: exited with {rc}")
    print(f"== {suite.name}: {res.passed} passed, {res.failed} failed, "
          f"{res.skipped} skipped in {took:.1f}s", flush=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--suite", action="append", help="run only these suites")
    ap.add_argument("--engines-needed", action="store_true",
                    help="print the engines the selected suites need, one a line, and exit")
    args = ap.parse_args()
    build = Path(args.build)
    known = [s.name for s in suites(build)]
    for name in args.suite or []:
        if name not in known:
            print(f"run_suites: unknown suite '{name}' (suites: {', '.join(known)})", file=sys.stderr)
            return 2
    if args.engines_needed:
        for e in suites_needing(args.suite, build):
            print(e)
        return 0
    reports = build / "test-reports"
    reports.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ)
    env["SGCACHE_ROOT"] = str(ROOT)
    env["SGCACHE_BUILD_DIR"] = str(build)

    total = Result()
    for suite in suites(build):
        if args.suite and suite.name not in args.suite:
            continue
        suite_env = dict(env)
        if suite.engine:
            url = env.get(ENGINES[suite.engine])
            if not url:
                total.failed += 1
                total.failures.append(f"{suite.name}: {ENGINES[suite.engine]} is not set (no {suite.engine} node)")
                continue
            suite_env["SGCACHE_TEST_ES_URL"] = url
            suite_env["SGCACHE_TEST_ENGINE"] = suite.engine
        res = run(suite, reports, suite_env)
        total.passed += res.passed
        total.failed += res.failed
        total.skipped += res.skipped
        total.failures += res.failures

    if total.failures:
        print("failed:")
        for f in total.failures:
            print(f"  {f}")
    if total.skipped:
        print(f"({total.skipped} skipped, not counted as passed)")
    print(f"{total.passed} passed, {total.failed} failed")
    return 0 if total.failed == 0 and total.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
