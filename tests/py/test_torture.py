"""build/torture, the runner: ids that replay failures exactly, the same
results whatever -j or --shard, crashes and hangs contained per permutation,
schedules, defines and their precedence, output and JSON, and building
against another littlefs-API core with LFS_DIR.

Runner variants (other suites via CASES=, another core via LFS_DIR=) are
built with make into <build>/test-torture/, with the sanitizer setting of
the build under test (BROWNOUT_BUILD; a directory named "asan" means
SANITIZE=1). make is incremental: a second session rebuilds nothing.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BROKEN = "tests/cases-broken/runner"
DEVICE = ["log", "record", "geometry"]     # the device suites of cases/device
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")
IMAGE_BYTES = 512 * 2048    # the default geometry


# ---- building and running ---------------------------------------------------------

def make_runner(build_dir, out, cases=None, lfs_dir=None):
    """Builds <out>/torture with make; returns (path, make's output)."""
    out = pathlib.Path(out)
    sanitize = "SANITIZE=1" if pathlib.Path(build_dir).name == "asan" else "SANITIZE=0"
    args = ["make", "--no-print-directory", f"-j{os.cpu_count() or 1}", f"BUILD={out}",
            f"PYTHON={sys.executable}", sanitize]
    if cases:
        args.append(f"CASES={cases}")
    if lfs_dir:
        args.append(f"LFS_DIR={lfs_dir}")
    args.append(str(out / "torture"))
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return out / "torture", proc.stdout + proc.stderr


class Run:
    """A finished run: exit status, stdout lines, JSON records."""

    def __init__(self, proc, json_path):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.lines = proc.stdout.rstrip("\n").splitlines()
        self.json_text = json_path.read_text() if json_path and json_path.exists() else ""
        self.records = [json.loads(l) for l in self.json_text.splitlines()]

    @property
    def summary(self):
        m = SUMMARY.match(self.lines[-1]) if self.lines else None
        assert m, f"last line is not 'N passed, N failed': {self.lines[-1:]}"
        return int(m[1]), int(m[2]), int(m[3] or 0)

    def by_id(self):
        return {r["id"]: r for r in self.records}

    def failed(self):
        return [r for r in self.records if r["result"] == "fail"]


def run(program, *args, tmp=None, name="r", timeout=600, judge="restart"):
    """Runs program with --json and --save-failures under tmp. These tests
    cover the runner's mechanics with upstream's restart judge (the device
    suites assert on rerun); the oracle has tests/py/test_oracle.py."""
    json_path, extra = None, ["--judge", judge] if judge else []
    if tmp is not None:
        json_path = pathlib.Path(tmp) / f"{name}.json"
        extra += ["--json", str(json_path), "--save-failures", str(pathlib.Path(tmp) / "failures")]
    proc = subprocess.run([str(program), *extra, *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)
    return Run(proc, json_path)


@pytest.fixture(scope="session")
def torture(build_dir):
    """The runner with the device suites of cases/device (the other suites
    of cases/ belong to the core's tests; `make test` runs them all)."""
    path, _ = make_runner(build_dir, build_dir / "test-torture" / "device", cases="cases/device")
    return path


@pytest.fixture(scope="session")
def broken(build_dir):
    """The runner with the broken suites of tests/cases-broken/runner."""
    path, _ = make_runner(build_dir, build_dir / "test-torture" / "broken", cases=BROKEN)
    return path


def replay(program, rec, tmp, name):
    """Replays one record's id; returns the single record it produces."""
    r = run(program, rec["id"], tmp=tmp, name=name)
    assert len(r.records) == 1, r.out
    return r, r.records[0]


SAME_FIELDS = ("id", "result", "message", "cut", "schedule", "fault", "defines", "seed")


# ---- the basics -------------------------------------------------------------------------

def test_help_documents_every_option_and_the_id_format(torture):
    r = run(torture, "--help")
    assert r.rc == 0
    for opt in ["-l", "-L", "-D NAME=V", "-G GEOMETRY", "-P SCHEDULE", "every", "depth:N",
                "random:N", "linear", "log", "A,B,C", "-F FAULT", "-j N", "--shard K/N",
                "--seed S", "--json FILE", "--save-failures DIR", "--keep-going",
                "--fail-fast", "-v", "-q", "--timeout S", "--judge",
                "CASE:GEOMETRY:DEFINES:SCHEDULE:FAULT:seed=SEED"]:
        assert opt in r.out, opt


def test_lists_suites_and_cases(torture):
    r = run(torture, "-l")
    assert r.rc == 0
    assert re.search(r"^log\s+2 cases\s+3 permutations\s+cases/device/log.toml$",
                     r.out, re.M), r.out
    r = run(torture, "-L", "append*", "geometry")
    assert re.search(r"^append_log\s+log\s+cases/device/log.toml:\d+\s+"
                     r"2 permutations\s+reentrant$", r.out, re.M), r.out
    assert re.search(r"^lazy_defines\s+geometry\s+cases/device/geometry.toml:\d+\s+"
                     r"4 permutations$", r.out, re.M), r.out


def test_summary_line_exit_status_and_json(torture, tmp_path):
    r = run(torture, "-G", "default", *DEVICE, tmp=tmp_path)
    assert r.rc == 0, r.out
    passed, failed, skipped = r.summary
    assert failed == 0 and passed == len(r.records) - skipped
    assert r.lines[-2].startswith(f"{len(r.records)} permutations")
    for rec in r.records:
        assert {"id", "case", "suite", "result"} <= set(rec)
        assert rec["id"].startswith(rec["case"] + ":default:")
    # not a terminal: nothing but the summary when all pass
    assert len(r.lines) == 2


def test_bad_usage_is_refused_with_a_reason(torture):
    for args, reason in [
            (["--frobnicate"], "unknown option '--frobnicate'"),
            (["-G", "floppy"], "unknown geometry 'floppy'"),
            (["-P", "sometimes"], "unknown power-loss schedule 'sometimes'"),
            (["-P", "5,3"], "must be strictly increasing"),
            (["-F", "gentle"], "unknown fault model 'gentle'"),
            (["-D", "NOPE=1"], "unknown define 'NOPE'"),
            (["-D", "N=x"], "bad value in -D 'N=x'"),
            (["--shard", "3/2"], "bad --shard '3/2'"),
            (["no_such_case"], "no suite or case matches 'no_such_case'"),
            (["append_log:default"], "is not an id"),
            (["append_log:default:-:none:atomic:seed=0:extra"], "is not an id"),
            (["append_log:default:-:every=0:atomic:seed=0"], "bad write-index list"),
            (["append_log:default:-:none:atomic:seed=x"], "bad seed"),
            (["nosuch:default:-:none:atomic:seed=0"], "no case named 'nosuch'")]:
        r = run(torture, *args)
        assert r.rc == 2, (args, r.out, r.err)
        assert reason in r.err, (args, r.err)


# ---- every crash point, and ids that replay exactly ---------------------------------------

def test_every_write_op_is_a_judged_crash_point(torture, tmp_path):
    r = run(torture, "-P", "every", "-G", "default", "-D", "N=10", "append_log", tmp=tmp_path)
    assert r.rc == 0, r.out
    scheds = [rec["schedule"] for rec in r.records]
    assert scheds[0] == "none"
    points = [int(s.split("=")[1]) for s in scheds[1:]]
    # 10 records: an erase, then a prog and a sync each
    assert points == list(range(1, 22))
    kinds = [rec["cut"]["op"] for rec in r.records[1:]]
    assert kinds == ["erase"] + ["prog", "sync"] * 10
    assert r.records[2]["cut"] == {"write": 2, "op": "prog", "block": 0, "off": 0, "size": 16}
    assert r.lines[-2].startswith("1 permutations, 21 crash points checked")


def test_the_restart_check_catches_an_unsafe_update(broken, tmp_path):
    r = run(broken, "-P", "every", "-G", "default", "unsafe_in_place_record", tmp=tmp_path)
    assert r.rc == 1
    bad = [rec["id"] for rec in r.failed()]
    # the prog after each in-place erase of the record finds it gone
    assert bad == [f"unsafe_in_place_record:default:N=4:every={k}:atomic:seed=0"
                   for k in (8, 11, 14)]
    for rec in r.failed():
        assert rec["cut"]["op"] == "prog" and rec["cut"]["block"] == 1
        assert rec["message"].startswith(
            f"{BROKEN}/unsafe_record.toml:25: assertion failed: version >= 1 && version <= N")
        names = [pathlib.Path(p).name for p in rec["images"]]
        assert names == ["before.img", "after.img", "failure.img"]
        for p in rec["images"]:
            assert pathlib.Path(p).stat().st_size == IMAGE_BYTES
        before, after = (pathlib.Path(p).read_bytes() for p in rec["images"][:2])
        assert before == after      # atomic: the cut prog did not happen
    # the printed block: id, defines, cut, message, images, replay command
    out = r.out
    fid = bad[0]
    block = out[out.index(f"FAIL {fid}"):]
    assert "\n  defines:  N=4 READ_SIZE=16" in block
    assert "\n  cut:      power cut at write 8, prog block 1 off 0 size 16 (fault atomic" in block
    assert f"\n  failure:  {BROKEN}/unsafe_record.toml:25: assertion failed" in block
    assert f"\n  replay:   {broken} '{fid}'" in block


@pytest.mark.parametrize("args,case", [
    (["-P", "every"], "unsafe_in_place_record"),                  # snapshot construction
    (["-P", "every", "-F", "ooo"], "unsafe_in_place_record"),     # replay construction
    (["-P", "every", "-F", "torn-bits", "--seed", "7"], "unsafe_in_place_record"),
    (["-P", "depth:2"], "unsafe_in_place_record"),                # nested crash points
    (["-P", "log"], "unsafe_in_place_record"),                    # restart on the same disk
    (["-P", "2,13"], "unsafe_in_place_record"),                   # an explicit list
    (["-P", "every"], "crash_in_recovery"),                       # a crashing worker
    ([], "fail_define_cycle"),                                    # defines never evaluated
    ([], "fail_memcmp"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else a)
def test_a_failure_id_replays_the_identical_failure(broken, tmp_path, args, case):
    r = run(broken, "-G", "default", *args, case, tmp=tmp_path, name="all")
    failures = r.failed()
    assert failures, r.out
    for i, rec in enumerate(failures[:4]):
        rr, again = replay(broken, rec, tmp_path, f"replay{i}")
        assert rr.rc == 1
        for field in SAME_FIELDS:
            assert again.get(field) == rec.get(field), (field, rec, again)
        # the printed replay command is exactly this
        assert f"replay:   {broken} '{rec['id']}'" in r.out
        if rec.get("images"):
            for a, b in zip(rec["images"], again["images"]):
                assert pathlib.Path(a).name == pathlib.Path(b).name


def test_a_passing_crash_point_id_replays_just_that_point(torture, tmp_path):
    r = run(torture, "append_log:nor:N=10:every=7:torn-prefix:seed=3", "-v", tmp=tmp_path)
    assert r.rc == 0 and len(r.records) == 1
    rec = r.records[0]
    assert rec["result"] == "pass" and rec["cut"]["write"] == 7
    assert rec["geometry"] == "nor" and rec["fault"] == "torn-prefix" and rec["seed"] == 3
    # past the last write op there is no such crash point
    r = run(torture, "append_log:nor:N=10:every=999:atomic:seed=0", tmp=tmp_path, name="x")
    assert r.rc == 1
    assert "crash point every=999 does not exist" in r.records[0]["message"]


# ---- determinism: -j and --shard ------------------------------------------------------------

def results(run_):
    return sorted(run_.json_text.splitlines())


@pytest.mark.parametrize("which", ["real", "broken"])
def test_jobs_and_shards_give_the_same_results(torture, broken, tmp_path, which):
    if which == "real":
        prog, args = torture, ["-P", "every", "-G", "default", "-G", "nor", "-F", "atomic,ooo",
                               *DEVICE]
    else:
        prog, args = broken, ["-P", "every", "-G", "default", "-G", "eeprom",
                              "unsafe*", "assertions", "crash_segv", "crash_in_recovery"]
    one = run(prog, "-j", "1", *args, tmp=tmp_path, name="j1")
    two = run(prog, "-j", "2", *args, tmp=tmp_path, name="j2")
    s1 = run(prog, "-j", "2", "--shard", "1/2", *args, tmp=tmp_path, name="s1")
    s2 = run(prog, "-j", "2", "--shard", "2/2", *args, tmp=tmp_path, name="s2")
    assert one.records, one.out
    # same content in the same order, whatever -j
    assert one.json_text == two.json_text
    # (but for timing, and workers' captured output: sanitizer stack
    # addresses vary from run to run)
    def stable(lines):
        return [l for l in lines if not re.match(r"^(\d+ permutations|    \| |  output:)", l)]
    assert stable(one.lines) == stable(two.lines)
    # shards: disjoint, non-empty, and together exactly the whole
    assert s1.records and s2.records
    assert not {r["id"] for r in s1.records} & {r["id"] for r in s2.records}
    assert sorted(s1.json_text.splitlines() + s2.json_text.splitlines()) == results(one)
    p1, f1, k1 = s1.summary
    p2, f2, k2 = s2.summary
    assert (p1 + p2, f1 + f2, k1 + k2) == one.summary
    # without --json, passes are counted rather than kept: same totals
    plain = run(prog, "-j", "2", "--save-failures", tmp_path / "failures", *args)
    assert plain.summary == one.summary
    assert stable(plain.lines)[:-1] == stable(one.lines)[:-1]


# ---- crashes and hangs --------------------------------------------------------------------

def test_a_segfault_and_a_hang_fail_with_their_ids_and_the_run_goes_on(broken, tmp_path):
    r = run(broken, "-G", "default", "--timeout", "2", "crashes", tmp=tmp_path)
    assert r.rc == 1
    got = {rec["id"]: rec for rec in r.records}
    assert set(got) == {
        "crash_segv:default:N=1:none:atomic:seed=0", "crash_segv:default:N=2:none:atomic:seed=0",
        "crash_segv:default:N=3:none:atomic:seed=0", "crash_hang:default:-:none:atomic:seed=0",
        "crash_passes:default:N=1:none:atomic:seed=0",
        "crash_passes:default:N=2:none:atomic:seed=0",
        "crash_in_recovery:default:-:none:atomic:seed=0"}
    failed = {i for i, rec in got.items() if rec["result"] == "fail"}
    assert failed == {"crash_segv:default:N=2:none:atomic:seed=0",
                      "crash_hang:default:-:none:atomic:seed=0"}
    segv = got["crash_segv:default:N=2:none:atomic:seed=0"]["message"]
    assert re.match(r"worker crashed: killed by signal 11|worker exited with status \d+, "
                    rf"sanitizer: {BROKEN}/crashes.toml:10:\d+: runtime error", segv), segv
    assert got["crash_hang:default:-:none:atomic:seed=0"]["message"] == \
        "timed out: no progress for 2 s (killed)"
    assert r.summary == (5, 2, 0)
    assert "FAIL crash_segv:default:N=2:none:atomic:seed=0" in r.out
    assert "FAIL crash_hang:default:-:none:atomic:seed=0" in r.out


def test_a_crash_while_judging_one_crash_point_spares_the_others(broken, tmp_path):
    r = run(broken, "-P", "every", "-G", "default", "crash_in_recovery", tmp=tmp_path)
    assert r.rc == 1
    res = {rec["schedule"]: rec["result"] for rec in r.records}
    assert res == {"none": "pass", "every=1": "pass", "every=2": "pass", "every=3": "fail",
                   "every=4": "pass", "every=5": "pass"}
    bad = r.failed()[0]
    assert bad["cut"] == {"write": 3, "op": "prog", "block": 0, "off": 32, "size": 16}


def test_fail_fast_stops_at_the_first_failure(broken, tmp_path):
    r = run(broken, "-j", "1", "-G", "default", "--fail-fast", "assertions", tmp=tmp_path)
    assert r.rc == 1
    assert r.summary[1] == 1
    assert "(stopped early)" in r.lines[-2]


# ---- assertion messages ---------------------------------------------------------------------

def test_assertion_failures_name_the_toml_line_and_the_values(broken, tmp_path):
    r = run(broken, "-G", "default", "assertions", tmp=tmp_path)
    msg = {rec["case"]: rec.get("message") for rec in r.records if rec["result"] == "fail"}
    f = f"{BROKEN}/assertions.toml"
    assert msg["fail_eq"] == f"{f}:6: assertion failed: x => 3: got 2, expected 3"
    assert msg["fail_memcmp"].startswith(
        f"{f}:12: assertion failed: memcmp(a, b, 8) => 0: got ")
    assert msg["fail_memcmp"].endswith(
        "expected 0; first difference at byte 4 of 8: a[0..8] = 61 62 63 64 65 66 67 68, "
        "b[0..8] = 61 62 63 64 58 66 67 68")
    assert msg["fail_strcmp"].startswith(f"{f}:17: assertion failed: "
                                         'strcmp("littlefs", "littlefx") => 0: got ')
    assert msg["fail_strcmp"].endswith('a = "littlefs", b = "littlefx"')
    assert msg["fail_assert_cmp"] == f"{f}:24: assertion failed: x < LIMIT: 5 < 2 is false"
    assert msg["fail_define_cycle"] == "define cycle: A -> B -> A"
    cyc = next(rec for rec in r.records if rec["case"] == "fail_define_cycle")
    assert cyc["id"] == "fail_define_cycle:default:#0:none:-:seed=0"
    skips = [rec["id"] for rec in r.records if rec["result"] == "skip"]
    assert skips == ["fail_if_skips:default:N=2:none:atomic:seed=0"]
    assert r.lines[-1].endswith(", 1 skipped")


# ---- defines ----------------------------------------------------------------------------------

def test_defines_precedence_and_lazy_references(torture, tmp_path):
    # -D lists multiply permutations and appear in the ids
    r = run(torture, "-G", "default", "-D", "N=3,7", "append_log", tmp=tmp_path, name="d")
    assert r.rc == 0
    assert [rec["defines"] for rec in r.records] == ["N=3", "N=7"]
    # -D beats the geometry (PROG_SIZE) which beats the implicit default
    # (READ_SIZE = PROG_SIZE would give 32 without the geometry's 16)
    r = run(torture, "-G", "default", "-D", "PROG_SIZE=32", "-v", "config_follows_defines",
            tmp=tmp_path, name="g")
    assert r.rc == 0, r.out
    assert r.records[0]["defines"] == "PROG_SIZE=32"
    # the case beats the geometry: BLOCK_SIZE = ERASE_SIZE * 2, BLOCK_COUNT follows
    r = run(torture, "-G", "default", "block_spans_erase_blocks", tmp=tmp_path, name="c")
    assert r.rc == 0 and r.records[0]["defines"] == "BLOCK_SIZE=1024"
    # lazy values that refer to later ones, per product group
    r = run(torture, "-G", "default", "lazy_defines", tmp=tmp_path, name="l")
    assert r.rc == 0
    assert [rec["defines"] for rec in r.records] == [
        "HALF=256,QUARTER=128,SHIFT=0", "HALF=256,QUARTER=128,SHIFT=1",
        "HALF=256,QUARTER=66,SHIFT=2", "HALF=256,QUARTER=67,SHIFT=3"]
    # the id's values beat the case's expressions...
    r = run(torture, "lazy_defines:default:HALF=256,QUARTER=7,SHIFT=0:none:atomic:seed=0",
            tmp=tmp_path, name="i")
    assert r.rc == 1
    assert "QUARTER => BLOCK_SIZE / 4: got 7, expected 128" in r.records[0]["message"]
    # ...and -D beats the id
    r = run(torture, "lazy_defines:default:HALF=256,QUARTER=7,SHIFT=0:none:atomic:seed=0",
            "-D", "QUARTER=128", tmp=tmp_path, name="o")
    assert r.rc == 0 and r.records[0]["defines"] == "HALF=256,QUARTER=128,SHIFT=0"


def test_geometries_and_fault_models_are_permutations(torture, tmp_path):
    r = run(torture, "-F", "all", "atomic_record", "-D", "N=2", tmp=tmp_path)
    assert r.rc == 0
    combos = {(rec["geometry"], rec["fault"]) for rec in r.records}
    geos = ["default", "eeprom", "emmc", "nor", "nand"]
    faults = ["atomic", "torn-prefix", "torn-bits", "metastable", "partial-erase", "ooo"]
    assert combos == {(g, f) for g in geos for f in faults}
    r = run(torture, "-G", "8,8,1024,64", "atomic_record", "-D", "N=2", tmp=tmp_path, name="c")
    assert r.rc == 0 and r.records[0]["id"].startswith("atomic_record:8,8,1024,64:")


# ---- schedules ----------------------------------------------------------------------------------

def test_the_schedules_and_their_ids(torture, tmp_path):
    base = ["-G", "default", "-D", "N=10", "append_log"]
    for sched, ids in [("linear", ["linear"]), ("log", ["log"]),
                       ("3,17,42", ["cuts=3.17.42"]), ("none", ["none"])]:
        r = run(torture, "-P", sched, *base, tmp=tmp_path, name=sched.replace(",", "_"))
        assert r.rc == 0, r.out
        assert [rec["schedule"] for rec in r.records] == ids
    lin = run(torture, "-P", "linear", *base, tmp=tmp_path, name="lin")
    # 21 writes with cuts after 1, +2, +3, ...: restarts redo some writes
    assert lin.records[0]["cuts"] >= 5
    lst = run(torture, "-P", "3,17,42", *base, tmp=tmp_path, name="lst")
    assert lst.records[0]["cuts"] == 2
    assert lst.records[0]["note"].startswith("only 2 of 3 cuts happened")
    dep = run(torture, "-P", "depth:2", *base, tmp=tmp_path, name="dep")
    nested = [rec["schedule"] for rec in dep.records if rec["schedule"].count(".") == 1]
    assert dep.rc == 0 and "every=5.1" in nested and len(nested) > 100


def test_a_cases_judge_key_applies_unless_judge_overrides_it(broken, tmp_path):
    def results(judge, name):
        r = run(broken, "-P", "every", "-G", "default", "judge", tmp=tmp_path, name=name,
                judge=judge)
        res = {}
        for rec in r.records:
            res.setdefault(rec["case"], set()).add(rec["result"])
        return r, res
    # no --judge: the key's restart for one, the oracle for the other
    r, res = results(None, "own")
    assert r.rc == 1 and res == {"judge_key_restart": {"pass", "fail"},
                                 "judge_key_none": {"pass"}}, r.out
    bad = r.failed()[0]
    assert "assertion failed: lfs_mkdir(&lfs, \"a\") => 0: got -17" in bad["message"]
    assert any(l.startswith("oracle: ") for l in r.lines)
    # --judge overrides the key either way
    r, res = results("oracle", "oracle")
    assert r.rc == 0 and res == {"judge_key_restart": {"pass"}, "judge_key_none": {"pass"}}
    r, res = results("restart", "restart")
    assert r.rc == 1 and res == {"judge_key_restart": {"pass", "fail"},
                                 "judge_key_none": {"pass", "fail"}}
    # -L shows the key
    r = run(broken, "-L", "judge", judge=None)
    assert re.search(r"^judge_key_restart\s+judge\s+\S+:\d+\s+1 permutations\s+reentrant"
                     r"\s+judge restart$", r.out, re.M), r.out
    assert re.search(r"^judge_key_none\s+.*reentrant$", r.out, re.M), r.out


def test_random_crash_points_follow_the_seed(torture, tmp_path):
    def picks(seed, name):
        r = run(torture, "-P", "random:5", "--seed", seed, "-G", "default", "-D", "N=40",
                "append_log", tmp=tmp_path, name=name)
        assert r.rc == 0
        return [rec["schedule"] for rec in r.records if rec["schedule"] != "none"]
    a, b, c = picks("1", "a"), picks("1", "b"), picks("2", "c")
    assert len(a) == 5 and a == b and a != c
    assert all(re.match(r"every=\d+$", p) for p in a)


def test_non_reentrant_cases_run_once_without_power_loss(torture, tmp_path):
    r = run(torture, "-P", "every", "-G", "default", "erase_value", tmp=tmp_path)
    assert r.rc == 0
    assert [rec["schedule"] for rec in r.records] == ["none", "none"]
    assert all(rec["note"] == "not reentrant: ran once without power loss instead of every"
               for rec in r.records)


def test_the_device_range_checks_ignore_the_cases_cfg(broken, tmp_path):
    """A case that sets cfg->block_count = 0 mounts (the core takes the count
    from disk); cfg fields the case changes neither widen nor narrow the
    range of blocks the device accepts. On every geometry."""
    r = run(broken, "case_config", tmp=tmp_path)
    assert r.rc == 0, r.out
    passed, failed, _ = r.summary
    assert failed == 0 and passed >= 2 * 2, r.out
    assert {rec["case"] for rec in r.records} == {"block_count_from_disk",
                                                  "device_range_ignores_cfg"}


# ---- another core: LFS_DIR -----------------------------------------------------------------

def test_builds_and_runs_against_a_copy_of_the_core(build_dir, tmp_path):
    copy = build_dir / "test-torture" / "lfs-copy"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(REPO / "lfs", copy)
    prog, log = make_runner(build_dir, build_dir / "test-torture" / "lfs-dir",
                            cases="cases/device", lfs_dir=copy)
    core = [l for l in log.splitlines() if re.search(r"-c \S+/lfs\.c ", l)]
    if core:    # compiled this time: from the copy, not from lfs/
        assert all(str(copy) in l for l in core), core
    objs = list((build_dir / "test-torture" / "lfs-dir" / "obj" / "lfs-core").glob("*.o"))
    assert {o.stem for o in objs} == {p.stem for p in copy.glob("*.c")}
    r = run(prog, "-P", "every", "-G", "default", *DEVICE, tmp=tmp_path)
    assert r.rc == 0 and r.summary[0] > 100, r.out


# Appended to a copy of our core's lfs.c: a static function that only a case
# compiled inside that file can call (the extern caller keeps it used).
IN_CORE_SECRET = '''
/* test_torture.py: reachable only from inside this file. */
static int stand_in_secret(void) {
    return 42;
}

int lfs_stand_in_answer(void);
int lfs_stand_in_answer(void) {
    return stand_in_secret();
}
'''


def test_a_case_compiled_inside_a_core_file(build_dir, tmp_path):
    core = build_dir / "test-torture" / "in-core-lfs"
    core.mkdir(parents=True, exist_ok=True)
    # rewritten only when changed, so a second session rebuilds nothing
    for src in (REPO / "lfs").iterdir():
        data = src.read_bytes()
        if src.name == "lfs.c":
            data += IN_CORE_SECRET.encode()
        if not (core / src.name).exists() or (core / src.name).read_bytes() != data:
            (core / src.name).write_bytes(data)
    prog, _ = make_runner(build_dir, build_dir / "test-torture" / "in-core",
                          cases="tests/cases-broken/in_core", lfs_dir=core)
    r = run(prog, "-G", "default", tmp=tmp_path)
    assert r.rc == 0, r.out
    assert [rec["id"] for rec in r.records] == ["in_core_static:default:-:none:atomic:seed=0"]
    # its API calls are the oracle's operations like any case's
    r = run(prog, "-G", "default", "-P", "every", tmp=tmp_path, name="oracle", judge="oracle")
    assert r.rc == 0, r.out
    assert len(r.records) > 5 and all(rec["result"] == "pass" for rec in r.records)
    assert any(l.startswith("oracle: ") for l in r.lines), r.out
