#!/usr/bin/env python3
"""Measures line and branch coverage of the core (lfs/) with gcov and gcovr.

Runs the unit-test programs and the torture quick run of a --coverage build
(built by `make coverage`), then has gcovr read the counters once and write
an HTML report (OUT/index.html, one page per file), a JSON summary and the
detailed JSON. From those gcovr figures it prints, and writes to
OUT/coverage.txt, the overall and per-file line and branch coverage and, per
file, the largest runs of uncovered lines: where the suites should aim next.

A test that fails still counts for coverage, but is listed and makes the
exit status 1, as does any file of lfs/ that no test reached at all.
"""
import argparse
import glob
import json
import os
import shlex
import subprocess
import sys


def run_tests(units, torture):
    """Runs every program; returns the list of those that failed."""
    failed = []
    for cmd in [[u] for u in units] + ([shlex.split(torture)] if torture else []):
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace")
        tail = proc.stdout.rstrip().splitlines()[-1:] or [""]
        mark = "ok  " if proc.returncode == 0 else "FAIL"
        print(f"{mark} {' '.join(cmd)}: {tail[0]}", flush=True)
        if proc.returncode != 0:
            failed.append(" ".join(cmd))
    return failed


def uncovered_runs(lines):
    """Runs of consecutive uncovered instrumented lines: [(first, last, n)].

    Lines gcov does not instrument (blank, comments, braces) do not break a
    run; a covered line does.
    """
    runs, start, last, n = [], None, None, 0
    for ln in sorted(lines, key=lambda x: x["line_number"]):
        if ln.get("gcovr/noncode"):
            continue
        if ln["count"] == 0:
            if start is None:
                start, n = ln["line_number"], 0
            last, n = ln["line_number"], n + 1
        elif start is not None:
            runs.append((start, last, n))
            start = None
    if start is not None:
        runs.append((start, last, n))
    return runs


def pct(covered, total):
    return 100.0 * covered / total if total else 100.0


def render(summary, detail, top):
    out = []
    files = sorted(summary["files"], key=lambda f: f["filename"])
    width = max([len(f["filename"]) for f in files] + [len("TOTAL")])
    head = f"{'file':<{width}}  {'lines':>17}  {'branches':>17}"
    out += [head, "-" * len(head)]
    for f in files:
        out.append(f"{f['filename']:<{width}}  "
                   f"{f['line_covered']:>5}/{f['line_total']:<5} {f['line_percent']:5.1f}%  "
                   f"{f['branch_covered']:>5}/{f['branch_total']:<5} {f['branch_percent']:5.1f}%")
    out.append("-" * len(head))
    out.append(f"{'TOTAL':<{width}}  "
               f"{summary['line_covered']:>5}/{summary['line_total']:<5} "
               f"{pct(summary['line_covered'], summary['line_total']):5.1f}%  "
               f"{summary['branch_covered']:>5}/{summary['branch_total']:<5} "
               f"{pct(summary['branch_covered'], summary['branch_total']):5.1f}%")
    out.append("")
    out.append(f"largest uncovered regions (up to {top} per file; lines, uncovered count):")
    for f in sorted(detail["files"], key=lambda f: f["file"]):
        runs = sorted(uncovered_runs(f["lines"]), key=lambda r: (-r[2], r[0]))[:top]
        if runs:
            spans = ", ".join(f"{a}-{b} ({n})" if a != b else f"{a} ({n})"
                              for a, b, n in runs)
            out.append(f"  {f['file']}: {spans}")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build/cov", help="the --coverage build directory")
    ap.add_argument("--out", default="build/coverage", help="where the reports go")
    ap.add_argument("--units", default="", help="space-separated unit-test programs")
    ap.add_argument("--torture", default="", help="the torture command line to run")
    ap.add_argument("--filter", default="lfs/", help="source prefix measured (gcovr --filter)")
    ap.add_argument("--top", type=int, default=5, help="uncovered regions listed per file")
    args = ap.parse_args()

    for gcda in glob.glob(os.path.join(args.build, "**", "*.gcda"), recursive=True):
        os.remove(gcda)
    failed = run_tests(args.units.split(), args.torture)

    os.makedirs(args.out, exist_ok=True)
    summary_path = os.path.join(args.out, "summary.json")
    detail_path = os.path.join(args.out, "coverage.json")
    gcovr = ["gcovr", "--root", ".", "--filter", args.filter,
             "--exclude-unreachable-branches",
             "--html-details", os.path.join(args.out, "index.html"),
             "--html-title", "brownout: coverage of the core",
             "--json-summary", summary_path, "--json", detail_path, args.build]
    proc = subprocess.run(gcovr, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace")
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout)
        print("error: gcovr failed", file=sys.stderr)
        return 1
    with open(summary_path) as f:
        summary = json.load(f)
    with open(detail_path) as f:
        detail = json.load(f)

    text = render(summary, detail, args.top)
    with open(os.path.join(args.out, "coverage.txt"), "w") as f:
        f.write(text + "\n")
    print(text)
    print(f"\nHTML: {os.path.join(args.out, 'index.html')}")

    measured = {f["filename"] for f in summary["files"]}
    sources = {p for p in glob.glob(os.path.join(args.filter.rstrip('/'), "*.c"))}
    unreached = sorted(s for s in sources if s not in measured)
    for s in unreached:
        print(f"error: no coverage data for {s}", file=sys.stderr)
    for t in failed:
        print(f"error: failed while measuring: {t}", file=sys.stderr)
    print(f"lines {pct(summary['line_covered'], summary['line_total']):.1f}%, "
          f"branches {pct(summary['branch_covered'], summary['branch_total']):.1f}% "
          f"of {args.filter}")
    return 1 if failed or unreached else 0


if __name__ == "__main__":
    sys.exit(main())
