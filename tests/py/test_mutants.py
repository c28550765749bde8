"""Tests of the mutation driver (scripts/mutants.py) itself, on mutants made
here from the current core so that they always apply: a trivial bug must be
killed, a change that alters nothing must survive (the unmodified core is not
"killed"), a patch that no longer matches is reported stale and one that does
not compile is a build error, never a kill. The kill test is one fast unit
program, so one run of the driver (one small ASan build) covers all four."""
import difflib
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DRIVER = REPO / "scripts" / "mutants.py"
CORE_FILE = "lfs_util.c"


def make_patch(description, old, new):
    src = (REPO / "lfs" / CORE_FILE).read_text()
    assert src.count(old) == 1, f"{old!r} must occur once in lfs/{CORE_FILE}"
    mutated = src.replace(old, new)
    diff = difflib.unified_diff(src.splitlines(keepends=True), mutated.splitlines(keepends=True),
                                f"lfs/{CORE_FILE}", f"lfs/{CORE_FILE}")
    return f"Description: {description}\n\n" + "".join(diff)


@pytest.fixture(scope="module")
def driver_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mutants")
    mutants = tmp / "patches"
    mutants.mkdir()
    (mutants / "crc_inverted.patch").write_text(
        make_patch("the CRC comes back inverted", "    return crc;\n}", "    return ~crc;\n}"))
    (mutants / "comment_only.patch").write_text(
        make_patch("only a comment changes", "#include \"lfs_util.h\"\n",
                   "#include \"lfs_util.h\"\n/* nothing else changes */\n"))
    (mutants / "does_not_compile.patch").write_text(
        make_patch("a syntax error", "    return crc;\n}", "    return crc\n}"))
    stale = make_patch("context that is not in the core", "    return crc;\n}", "    return 0;\n}")
    (mutants / "stale.patch").write_text(stale.replace("data[i] >> 4", "data[i] >> 5"))
    root = tmp / "work"
    proc = subprocess.run(
        [sys.executable, str(DRIVER), "-j", "2", "--dir", str(mutants), "--root", str(root),
         "--kill-test", "test_lfs_crc"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    rows = {}
    for line in (root / "report.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 4 and cells[0] != "mutant":
            rows[cells[0]] = cells
    return proc, rows, (root / "report.md").read_text()


def test_trivial_mutant_is_killed_with_its_first_failing_test(driver_run):
    _, rows, _ = driver_run
    assert rows["crc_inverted"][2] == "killed"
    assert rows["crc_inverted"][3].startswith("test_lfs_crc:")
    assert rows["crc_inverted"][1] == "the CRC comes back inverted"


def test_a_change_that_alters_nothing_survives(driver_run):
    _, rows, _ = driver_run
    assert rows["comment_only"][2] == "survived"
    assert rows["comment_only"][3] == ""


def test_build_failure_and_stale_patch_are_errors_not_kills(driver_run):
    proc, rows, report = driver_run
    assert rows["does_not_compile"][2] == "build-error"
    assert rows["stale"][2] == "stale"
    assert "patch does not apply" in rows["stale"][3]
    # the kill rate counts only the mutants that were judged
    assert "kill rate: 1/2 (50%); 2 mutant(s) in error (not counted)" in report
    assert proc.returncode == 1, proc.stdout


def test_unknown_mutant_is_a_usage_error():
    proc = subprocess.run([sys.executable, str(DRIVER), "--only", "no_such_mutant"],
                          cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 2
    assert "no such mutant: no_such_mutant" in proc.stdout
