#!/usr/bin/env python3
"""Applies seeded bugs to a copy of the core and reports which tests kill them.

Each mutant is a unified diff against lfs/ under tests/mutants/ (NAME.patch;
its first line `Description: ...` says what bug it seeds). For each mutant
the driver:

  1. makes a copy of lfs/ and applies the patch with `patch -p1 -F0`
     (no fuzz: a patch that no longer matches the core is reported as
     stale, never applied somewhere else);
  2. builds the torture runner and the unit tests against that copy
     (make LFS_DIR=copy BUILD=dir SANITIZE=1); a build failure is an error
     in the mutant, not a kill;
  3. runs the kill tests, cheapest first (order and time limits come from a
     baseline run on the unmodified core) and stops at the first failure:
     the mutant is killed, and the failing torture id or unit test is
     recorded. A test that outlives its time limit kills it too (a hang).

Kill tests that already fail on the unmodified core cannot tell a mutant
apart; they are left out of every run, and reported.

Everything is built from a snapshot of the sources (ROOT/tree), taken when
the driver starts, so edits made meanwhile cannot be mistaken for a mutant's
doing. Builds are incremental: there is one work directory per job (ROOT/slotK);
before each mutant its copy of the core is made equal to lfs/ again,
touching only the files that differ, so make rebuilds just what the patch
changes. The patched copy of each mutant is kept in ROOT/NAME/lfs and its
log in ROOT/NAME/log.

Exit status: 0 when every mutant was judged (killed or survived), 1 when a
mutant is stale or does not build, or the baseline is broken, 2 on usage.
"""
import argparse
import concurrent.futures
import os
import pathlib
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
TORTURE = "torture"
TABLE_BEGIN = "<!-- mutants-table: written by scripts/mutants.py --readme -->"
TABLE_END = "<!-- /mutants-table -->"


class Mutant:
    def __init__(self, path):
        self.path = path
        self.name = path.stem
        self.description = ""
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("Description:"):
                self.description = line.split(":", 1)[1].strip()
                break
            if line.startswith("--- "):
                break
        self.result = None      # killed, survived, stale, build-error
        self.first = ""         # first failing id, or the error
        self.seconds = 0.0


def sync_tree(src, dst, skip=()):
    """Makes directory dst a copy of src (less the names in skip), rewriting
    (and so re-dating) only the files whose contents differ, so that make
    rebuilds only what changed."""
    dst.mkdir(parents=True, exist_ok=True)
    want = {p.name: p for p in src.iterdir()
            if p.name not in skip and (p.is_file() or p.is_dir())}
    for p in dst.iterdir():
        if p.name not in want or p.is_dir() != want[p.name].is_dir():
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    for name, p in sorted(want.items()):
        target = dst / name
        if p.is_dir():
            sync_tree(p, target)
            continue
        data = p.read_bytes()
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
            shutil.copymode(p, target)


def run(cmd, log, timeout=None, cwd=None):
    """Runs cmd in its own process group; returns (returncode, output).
    returncode is None when it ran out of time (the group is then killed)."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace", start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        rc = None
    log.write(f"$ {' '.join(map(str, cmd))}\n{out}\n[exit {rc}]\n\n")
    log.flush()
    return rc, out


CMOCKA_FAILED = re.compile(r"^\[\s*FAILED\s*\]\s+(?!\d+ test)(\S+)", re.M)
CMOCKA_RUN = re.compile(r"^\[\s*RUN\s*\]\s+(\S+)", re.M)
TORTURE_FAIL = re.compile(r"^FAIL (\S+)", re.M)
TORTURE_WHY = re.compile(r"^\s+failure:\s+(.*)$", re.M)


class Workspace:
    """A work directory (copy of the core + build tree) used by one job at a time."""

    def __init__(self, root, index, args):
        self.dir = root / f"slot{index}"
        self.lfs = self.dir / "lfs"
        self.build = self.dir / "build"
        self.args = args

    def prepare(self, mutant, log):
        """Resets the copy of the core and applies mutant (None: unmodified).
        Returns an error message, or None."""
        sync_tree(self.args.tree / "lfs", self.lfs)
        if mutant is None:
            return None
        rc, out = run(["patch", "-p1", "-F0", "--batch", "--forward",
                       "--no-backup-if-mismatch", "-r", "-", "-d", str(self.lfs),
                       "-i", str(mutant.path.resolve())], log)
        if rc != 0:
            return "patch does not apply: " + " ".join(out.split())[:200]
        keep = self.args.root / mutant.name / "lfs"
        if keep.exists():
            shutil.rmtree(keep)
        shutil.copytree(self.lfs, keep)
        return None

    def targets(self, tests):
        out = []
        for t in tests:
            out.append(str(self.build / (TORTURE if t == TORTURE else f"unit/{t}")))
        return out

    def build_for(self, tests, log, jobs, keep_going=False):
        cmd = ["make", "--no-print-directory", f"-j{jobs}", f"BUILD={self.build}",
               f"LFS_DIR={self.lfs}", "SANITIZE=1"] + (["-k"] if keep_going else [])
        rc, out = run(cmd + self.targets(tests), log, cwd=self.args.tree)
        if rc != 0:
            errs = [l for l in out.splitlines()
                    if "error:" in l or "undefined reference" in l]
            return "build failed: " + (errs[0].strip() if errs else f"make exited {rc}")[:200]
        return None

    def torture_cmd(self, fail_fast=True, jobs=1):
        cmd = [str(self.build / TORTURE), "-P", "every", "-G", "default", "-q",
               "--save-failures", "none", "-j", str(jobs),
               "--timeout", str(self.args.torture_timeout)]
        return cmd + (["--fail-fast"] if fail_fast else []) + self.args.torture_cases

    def run_test(self, test, log, timeout):
        """Runs one kill test. Returns None if it passed, else the first
        failing id."""
        if test == TORTURE:
            cmd = self.torture_cmd()
        else:
            cmd = [str(self.build / "unit" / test)]
        rc, out = run(cmd, log, timeout=timeout)
        if rc == 0:
            return None
        if rc is None:
            return f"{test}: no end after {timeout:.0f} s (hang)"
        if test == TORTURE:
            m, why = TORTURE_FAIL.search(out), TORTURE_WHY.search(out)
            if m:
                return m[1] + (f" ({why[1].strip()[:100]})" if why else "")
            return f"{TORTURE}: exit {rc} without a failing id"
        m = CMOCKA_FAILED.search(out)
        if m:
            return f"{test}:{m[1]}"
        runs = CMOCKA_RUN.findall(out)
        how = f"signal {-rc}" if rc < 0 else f"exit {rc}"
        return f"{test}:{runs[-1]} ({how})" if runs else f"{test} ({how})"


def torture_baseline(ws, log, args, broken):
    """Runs every torture case on the unmodified core; the cases that fail
    there are left out (the kill runs name the others)."""
    rc, out = run(ws.torture_cmd(fail_fast=False, jobs=args.jobs), log,
                  timeout=args.baseline_timeout)
    if rc == 0:
        return
    failing = sorted({m.split(":", 1)[0] for m in TORTURE_FAIL.findall(out)})
    _, listing = run([str(ws.build / TORTURE), "-L"], log)
    cases = [l.split()[0] for l in listing.splitlines() if l.strip()]
    passing = [c for c in cases if c not in failing]
    if rc is None or not failing or not passing:
        return  # nothing to single out: the whole run counts as failing
    args.torture_cases = passing
    broken.append((f"{TORTURE} ({len(failing)} of {len(cases)} cases)",
                   ", ".join(failing)))


def baseline(ws, tests, args):
    """Runs every kill test on the unmodified core; returns (usable tests in
    order of cost with their time limits, tests left out)."""
    log_path = args.root / "baseline.log"
    with open(log_path, "w") as log:
        ws.prepare(None, log)
        for target in ws.targets(tests):
            pathlib.Path(target).unlink(missing_ok=True)
        # -k: a kill test that does not build is left out, not fatal
        ws.build_for(tests, log, args.jobs, keep_going=True)
        usable, broken = [], []
        for t, target in zip(tests, ws.targets(tests)):
            if not os.path.exists(target):
                broken.append((t, f"does not build (see {log_path})"))
                continue
            if t == TORTURE:
                torture_baseline(ws, log, args, broken)
            start = time.monotonic()
            first = ws.run_test(t, log, timeout=args.baseline_timeout)
            took = time.monotonic() - start
            if first is None:
                usable.append((t, took))
            else:
                broken.append((t, first))
    usable.sort(key=lambda x: x[1])
    limits = [(t, max(args.min_timeout, args.timeout_factor * took)) for t, took in usable]
    return limits, broken


def judge(mutant, ws, kill_tests, args):
    start = time.monotonic()
    log_dir = args.root / mutant.name
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "log", "w") as log:
        err = ws.prepare(mutant, log)
        if err:
            mutant.result, mutant.first = "stale", err
        else:
            err = ws.build_for([t for t, _ in kill_tests], log, 1)
            if err:
                mutant.result, mutant.first = "build-error", err
            else:
                mutant.result = "survived"
                for test, limit in kill_tests:
                    first = ws.run_test(test, log, timeout=limit)
                    if first is not None:
                        mutant.result, mutant.first = "killed", first
                        break
    mutant.seconds = time.monotonic() - start


def table(mutants, broken):
    lines = ["| mutant | description | result | first failing id |",
             "|---|---|---|---|"]
    for m in mutants:
        first = m.first.replace("|", "\\|")
        lines.append(f"| {m.name} | {m.description} | {m.result} | {first} |")
    judged = [m for m in mutants if m.result in ("killed", "survived")]
    killed = sum(m.result == "killed" for m in judged)
    rate = 100.0 * killed / len(judged) if judged else 0.0
    lines.append("")
    lines.append(f"kill rate: {killed}/{len(judged)} ({rate:.0f}%)"
                 + (f"; {len(mutants) - len(judged)} mutant(s) in error (not counted)"
                    if len(judged) != len(mutants) else ""))
    for t, why in broken:
        lines.append(f"left out (fails on the unmodified core): {t}: {why}")
    return "\n".join(lines)


def update_readme(path, text):
    body = path.read_text()
    if TABLE_BEGIN not in body or TABLE_END not in body:
        raise SystemExit(f"error: {path} lacks the markers {TABLE_BEGIN} ... {TABLE_END}")
    head, rest = body.split(TABLE_BEGIN, 1)
    _, tail = rest.split(TABLE_END, 1)
    path.write_text(f"{head}{TABLE_BEGIN}\n{text}\n{TABLE_END}{tail}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-j", "--jobs", type=int, default=2, help="mutants judged at once")
    ap.add_argument("--dir", type=pathlib.Path, default=REPO / "tests" / "mutants",
                    help="where the NAME.patch files are")
    ap.add_argument("--root", type=pathlib.Path, default=REPO / "build" / "mutants",
                    help="work directory (copies, builds, logs, report.md)")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help="judge only these mutants (repeatable)")
    ap.add_argument("--kill-test", action="append", default=[], metavar="TEST",
                    help="use only these kill tests: 'torture' or a unit program name")
    ap.add_argument("--readme", type=pathlib.Path,
                    help="also write the table into this file, between the markers")
    ap.add_argument("--timeout-factor", type=float, default=5.0,
                    help="a kill test's time limit, times its baseline time")
    ap.add_argument("--min-timeout", type=float, default=30.0, help="seconds")
    ap.add_argument("--baseline-timeout", type=float, default=900.0, help="seconds")
    ap.add_argument("--torture-timeout", type=int, default=10,
                    help="torture --timeout: seconds without progress for one permutation")
    args = ap.parse_args()
    args.torture_cases = []     # all of them, unless the baseline fails some
    args.root = args.root.resolve()
    args.root.mkdir(parents=True, exist_ok=True)

    mutants = [Mutant(p) for p in sorted(args.dir.glob("*.patch"))]
    if args.only:
        unknown = set(args.only) - {m.name for m in mutants}
        if unknown:
            ap.error(f"no such mutant: {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m.name in args.only]
    if not mutants:
        ap.error(f"no mutants (*.patch) in {args.dir}")

    # a snapshot of the sources: edits made to the tree while the mutants
    # run do not reach them
    args.tree = args.root / "tree"
    sync_tree(REPO, args.tree, skip={"build", ".git"})

    units = sorted(p.stem for p in (args.tree / "tests" / "unit").glob("test_*.c"))
    tests = units + [TORTURE]
    if args.kill_test:
        unknown = set(args.kill_test) - set(tests)
        if unknown:
            ap.error(f"no such kill test: {', '.join(sorted(unknown))}")
        tests = [t for t in tests if t in args.kill_test]

    slots = queue.Queue()
    for i in range(max(1, args.jobs)):
        slots.put(Workspace(args.root, i, args))
    ws0 = slots.get()
    print(f"baseline: unmodified core, {len(tests)} kill tests", flush=True)
    kill_tests, broken = baseline(ws0, tests, args)
    slots.put(ws0)
    for t, why in broken:
        print(f"  left out (fails on the unmodified core): {t}: {why}", flush=True)
    if not kill_tests:
        print("error: no kill test builds and passes on the unmodified core", file=sys.stderr)
        return 1
    print("  kill order: " + ", ".join(f"{t} ({s:.0f}s limit)" for t, s in kill_tests), flush=True)

    lock = threading.Lock()

    def one(m):
        ws = slots.get()
        try:
            judge(m, ws, kill_tests, args)
        finally:
            slots.put(ws)
        with lock:
            print(f"{m.result:<11} {m.name} ({m.seconds:.0f}s) {m.first}", flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(one, mutants))

    text = table(mutants, broken)
    (args.root / "report.md").write_text(text + "\n")
    print()
    print(text)
    if args.readme:
        update_readme(args.readme, text)
    return 1 if any(m.result in ("stale", "build-error") for m in mutants) else 0


if __name__ == "__main__":
    sys.exit(main())
