#!/usr/bin/env python3
"""Runs every kind of test brownout has and prints one closing line.

The kinds are CMocka unit-test programs, the pytest suite and, once the
runner exists, a quick power-loss run of build/torture. Each reports its own
counts; this script adds them up so that the last line of `make test` is
`N passed, N failed[, N skipped]` covering all of them. A program that
crashes without reporting counts as one failure, never as zero tests.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def add(self, name, passed, failed, skipped=0):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped
        mark = "ok  " if failed == 0 else "FAIL"
        print(f"{mark} {name}: {passed} passed, {failed} failed"
              + (f", {skipped} skipped" if skipped else ""), flush=True)

    def line(self):
        s = f"{self.passed} passed, {self.failed} failed"
        return s + (f", {self.skipped} skipped" if self.skipped else "")


CMOCKA_COUNT = re.compile(r"^\[\s*(PASSED|FAILED|SKIPPED)\s*\]\s+(\d+) test", re.M)


def run_cmocka(tally, program):
    proc = subprocess.run([program], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace")
    counts = {"PASSED": 0, "FAILED": 0, "SKIPPED": 0}
    for kind, n in CMOCKA_COUNT.findall(proc.stdout):
        counts[kind] += int(n)
    failed = counts["FAILED"]
    if proc.returncode != 0 and failed == 0:
        failed = 1  # crashed, or failed without a count: never zero
    if failed:
        sys.stdout.write(proc.stdout)
    tally.add(os.path.basename(program), counts["PASSED"], failed, counts["SKIPPED"])


def run_pytest(tally, path):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "junit.xml")
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               f"--junitxml={report}", path],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace")
        passed = failed = skipped = 0
        if os.path.exists(report):
            for suite in ET.parse(report).getroot().iter("testsuite"):
                n = int(suite.get("tests", 0))
                f = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
                s = int(suite.get("skipped", 0))
                passed += n - f - s
                failed += f
                skipped += s
    if proc.returncode not in (0, 5) and failed == 0:
        failed = 1  # pytest itself broke (collection error, crash)
    if failed:
        sys.stdout.write(proc.stdout)
    tally.add(f"pytest {path}", passed, failed, skipped)


SUMMARY = re.compile(r"^(?:\w+:\s*)?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$")


def run_summary_program(tally, command):
    proc = subprocess.run(shlex.split(command), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace")
    lines = proc.stdout.rstrip().splitlines()
    m = SUMMARY.match(lines[-1]) if lines else None
    if m:
        passed, failed, skipped = int(m[1]), int(m[2]), int(m[3] or 0)
    else:
        passed, failed, skipped = 0, 1, 0
    if proc.returncode != 0 and failed == 0:
        failed = 1
    if failed:
        sys.stdout.write(proc.stdout)
    tally.add(command, passed, failed, skipped)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", default="", help="space-separated CMocka programs")
    ap.add_argument("--pytest", action="append", default=[], help="a pytest path")
    ap.add_argument("--summary-program", action="append", default=[],
                    help="a command whose last line is 'N passed, N failed'")
    args = ap.parse_args()

    tally = Tally()
    for program in args.units.split():
        run_cmocka(tally, program)
    for path in args.pytest:
        run_pytest(tally, path)
    for command in args.summary_program:
        run_summary_program(tally, command)
    print(tally.line())
    return 1 if tally.failed or tally.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
