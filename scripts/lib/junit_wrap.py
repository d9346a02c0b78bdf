#!/usr/bin/env python3
"""Runs a command as one test case and writes its outcome as a JUnit XML report, so that
scripts/lib/run_suites.py counts it like any other test.

  junit_wrap.py --name NAME --out REPORT.xml -- COMMAND [ARGS...]
"""
import argparse
import subprocess
import sys
import time
from xml.sax.saxutils import escape, quoteattr


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    took = time.monotonic() - started
    output = (proc.stdout + proc.stderr)[-4000:]
    sys.stdout.write(output)
    failure = ""
    if proc.returncode != 0:
        failure = f'<failure message={quoteattr(f"exit status {proc.returncode}")}>{escape(output)}</failure>'
    with open(args.out, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="wrapped" tests="1" '
                f'failures="{1 if failure else 0}"><testcase classname="wrapped" name={quoteattr(args.name)} '
                f'time="{took:.1f}">{failure}</testcase></testsuite></testsuites>\n')
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
