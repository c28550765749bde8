#!/usr/bin/env python3
"""bench_runs.py - how long the two torture runs take, for the README.

`make test` runs the suites with `-P every -G default` (atomic cuts) under
ASan; `make torture` runs them with `-P every -F all` on every geometry.
This times, with the optimized runner:

  - the quick run, whole;
  - one shard of the full run (`--shard K/N`), whose time times N estimates
    the whole `make torture` (the shards are disjoint and together exactly
    the full run; the estimate says which shard it came from).

Wall-clock figures from a shared machine are for orders of magnitude, which
is why they live here and never in a test. Usage:

  scripts/bench_runs.py --torture build/torture [--shards N] [--shard K]
"""
import argparse
import re
import subprocess
import sys
import time

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed")


def timed(cmd):
    """Runs cmd; returns (seconds, passed, failed)."""
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    took = time.monotonic() - start
    lines = [l for l in proc.stdout.splitlines() if SUMMARY.match(l)]
    if not lines:
        sys.exit(f"bench_runs: no summary from {' '.join(cmd)} (exit {proc.returncode}):\n"
                 f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    m = SUMMARY.match(lines[-1])
    return took, int(m.group(1)), int(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--torture", required=True, help="the torture runner to time")
    ap.add_argument("--shards", type=int, default=20, help="N of --shard K/N (default 20)")
    ap.add_argument("--shard", type=int, default=1, help="K of --shard K/N (default 1)")
    a = ap.parse_args()
    if not 1 <= a.shard <= a.shards:
        ap.error("--shard must be between 1 and --shards")
    common = ["-q", "--save-failures", "none"]

    t, p, f = timed([a.torture, "-P", "every", "-G", "default"] + common)
    print(f"quick run (make test's: -P every -G default, atomic): "
          f"{t:.0f} s, {p} passed, {f} failed")

    t, p, f = timed([a.torture, "-P", "every", "-F", "all",
                     "--shard", f"{a.shard}/{a.shards}"] + common)
    print(f"full run (make torture's: -P every -F all, every geometry), shard "
          f"{a.shard}/{a.shards}: {t:.0f} s, {p} passed, {f} failed; "
          f"whole run estimated at {t * a.shards / 60:.0f} min and "
          f"{p * a.shards:,} outcomes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
