"""The crash oracle has teeth: build/torture built against deliberately
broken copies of the core (tests/broken-cores/*.patch) fails with a clear
diff, and the unpatched core passes exactly the same runs.

Each variant is a copy of lfs/ under <build>/test-broken-cores/<name>/lfs,
patched with `patch -p1 -F0` (no fuzz: a patch that no longer matches the
core fails its test by name). Files are rewritten only when their contents
change, so make rebuilds nothing in a second session.
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
PATCHES = REPO / "tests" / "broken-cores"
CASES = "tests/broken-cores/cases"

# (patch, torture arguments that must catch it)
RENAME = ("rename_two_commits", ["-P", "every", "-G", "default", "bc_rename"])
FETCH = ("fetch_skips_crc", ["-P", "every", "-G", "nand", "-F", "torn-bits,metastable",
                             "--seed", "3"])
SYNC = ("sync_before_commit", ["-P", "every", "-G", "default", "bc_write_sync"])


def sync_tree(files, dest):
    """Makes dest hold exactly `files` (name -> bytes), touching only what differs."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.iterdir():
        if old.name not in files:
            old.unlink()
    for name, data in files.items():
        p = dest / name
        if not p.exists() or p.read_bytes() != data:
            p.write_bytes(data)


def patched_core(build_dir, name):
    """The contents of lfs/ with tests/broken-cores/<name>.patch applied
    (name None: unpatched), kept in <build>/test-broken-cores/<name>/lfs."""
    root = build_dir / "test-broken-cores" / (name or "correct")
    files = {p.name: p.read_bytes() for p in (REPO / "lfs").iterdir() if p.is_file()}
    if name:
        scratch = root / "scratch"
        sync_tree(files, scratch)
        proc = subprocess.run(["patch", "-p1", "-F0", "--batch", "--forward",
                               "--no-backup-if-mismatch", "-i", str(PATCHES / f"{name}.patch")],
                              cwd=scratch, capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail(f"tests/broken-cores/{name}.patch no longer applies to lfs/ "
                        f"(regenerate it with diff -u):\n{proc.stdout}{proc.stderr}")
        files = {p.name: p.read_bytes() for p in scratch.iterdir() if p.is_file()}
        assert files != {p.name: p.read_bytes() for p in (REPO / "lfs").iterdir()
                         if p.is_file()}, f"{name}.patch changed nothing"
    core = root / "lfs"
    sync_tree(files, core)
    return root, core


def build(build_dir, name):
    """build/torture over the broken-cores suite, against the variant `name`."""
    root, core = patched_core(build_dir, name)
    out = root / "build"
    sanitize = "SANITIZE=1" if pathlib.Path(build_dir).name == "asan" else "SANITIZE=0"
    args = ["make", "--no-print-directory", f"-j{os.cpu_count() or 1}", f"BUILD={out}",
            f"PYTHON={sys.executable}", sanitize, f"CASES={CASES}", f"LFS_DIR={core}",
            str(out / "torture")]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return out / "torture"


def run(program, args, tmp):
    proc = subprocess.run([str(program), "--save-failures", str(tmp / "failures"), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="session")
def correct(build_dir):
    return build(build_dir, None)


def failure_blocks(out):
    """The printed FAIL blocks, each as one string."""
    return ["FAIL " + b for b in re.split(r"^FAIL ", out, flags=re.M)[1:]]


@pytest.mark.parametrize("args", [RENAME[1], FETCH[1], SYNC[1]],
                         ids=["rename", "fetch", "sync"])
def test_the_correct_core_passes_the_runs_that_catch_the_broken_ones(correct, args, tmp_path):
    rc, out = run(correct, args, tmp_path)
    assert rc == 0, out
    assert re.search(r"^\d+ passed, 0 failed", out.splitlines()[-1]), out


def test_a_rename_in_two_commits_shows_both_names(build_dir, tmp_path):
    rc, out = run(build(build_dir, RENAME[0]), RENAME[1], tmp_path)
    assert rc == 1, out
    blocks = failure_blocks(out)
    assert blocks, out
    first = blocks[0]
    # the crash between the two commits: both names, a diff against each side
    assert "(lfs_rename), a fresh mount shows a state that is neither" in first, first
    assert re.search(r"against the state before:\n\s+extra:\s+/new \(file, 10 bytes", first), first
    assert re.search(r"against the state after:\n\s+extra:\s+/old \(file, 10 bytes", first), first
    # and the id replays it
    fid = re.match(r"FAIL (\S+)", first)[1]
    rc, again = run(build(build_dir, RENAME[0]), [fid], tmp_path)
    assert rc == 1 and "extra:         /old" in again, again


def test_a_fetch_that_skips_the_crc_trusts_a_torn_commit(build_dir, tmp_path):
    rc, out = run(build(build_dir, FETCH[0]), FETCH[1], tmp_path)
    assert rc == 1, out
    blocks = failure_blocks(out)
    assert blocks, out
    # every failure is a torn or metastable cut, judged by the oracle
    for b in blocks:
        assert re.search(r"\(fault (torn-bits|metastable),", b), b
        assert "failure:  oracle: after a crash inside op" in b, b
    # and at least one prints the diff of a state that never was
    diffs = [b for b in blocks
             if re.search(r"^\s+(missing|extra|size differs|data differs):", b, re.M)]
    assert diffs, out


def test_a_sync_that_returns_before_its_commit_is_caught(build_dir, tmp_path):
    """Needs the oracle's sync-promise check: a file synced with success must
    show at least its synced size after any later crash. Before/after alone
    cannot see this break (the state before the close equals the state after
    the sync that did nothing)."""
    rc, out = run(build(build_dir, SYNC[0]), SYNC[1], tmp_path)
    assert rc == 1, out
    blocks = failure_blocks(out)
    assert blocks, out
    assert all("bc_write_sync" in b for b in blocks)
    # the report names the sync whose promise was broken and the file
    assert any("lfs_file_sync" in b and "/log" in b for b in blocks), out
