"""build/wear and scripts/wear_report.py: the report's numbers against the
device's counters (column sums, statistics recomputed from blocks.csv,
application bytes against what the workload wrote), the design's two wear
properties on the standard workload, the PNGs (header and size) and the
self-contained HTML, usage errors, and the quick run of the same workloads
under build/torture. Devices are small (32-64 blocks, 50-100 erase cycles)
so that every run to end of life takes well under a second."""
import base64
import json
import struct
import subprocess
import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))
import wear_data  # noqa: E402
import wear_plots  # noqa: E402

STANDARD = "wear_mixed"
SMALL = ["-D", "ERASE_CYCLES=50", "-D", "BLOCK_COUNT=32"]
LEVELED = SMALL + ["-D", "BLOCK_CYCLES=10"]


@pytest.fixture(scope="session")
def wear_prog(build_dir):
    prog = build_dir / "wear"
    assert prog.exists(), f"{prog} is not built (make, or make asan)"
    return prog


def run_wear(prog, out, *args, expect=0):
    proc = subprocess.run([str(prog), "--out", str(out), *args], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == expect, f"{proc.args}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def summary(d):
    return json.loads((d / "summary.json").read_text())


@pytest.fixture(scope="module")
def single(wear_prog, tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    run_wear(wear_prog, out, *LEVELED, STANDARD)
    return out


@pytest.fixture(scope="module")
def compared(wear_prog, tmp_path_factory):
    out = tmp_path_factory.mktemp("compared")
    run_wear(wear_prog, out, *SMALL, "-D", "BLOCK_CYCLES=-1,10", STANDARD)
    return out


# ---- the numbers --------------------------------------------------------------------

def test_block_counts_sum_to_the_device_counters(single):
    s = summary(single)
    blocks = wear_data.load_run(single)["blocks"]
    assert len(blocks) == s["blocks"] == 32
    assert [b["block"] for b in blocks] == list(range(32))
    assert sum(b["erases"] for b in blocks) == s["device"]["erases"]
    assert sum(b["progs"] for b in blocks) == s["device"]["progs"]
    assert sum(b["reads"] for b in blocks) == s["device"]["reads"]
    assert s["device"]["bytes_erased"] == s["device"]["erases"] * s["erase_size"]
    assert sum(b["wear"] for b in blocks) == s["wear"]["sum"]
    # wear counts erases while good: never more than the calls, never past the limit
    assert all(b["wear"] <= b["erases"] and b["wear"] <= s["erase_cycles"] for b in blocks)
    assert sum(b["bad"] for b in blocks) == s["bad_blocks"]
    assert all(b["bad"] == (b["wear"] >= s["erase_cycles"]) for b in blocks)


def test_statistics_recomputed_from_the_csv(single):
    s = summary(single)
    wear = [b["wear"] for b in wear_data.load_run(single)["blocks"]]
    w = s["wear"]
    assert (w["min"], w["max"]) == (min(wear), max(wear))
    assert w["mean"] == pytest.approx(sum(wear) / len(wear), rel=1e-12)
    assert w["stddev"] == pytest.approx(wear_data.stddev(wear), rel=1e-9)
    assert w["gini"] == pytest.approx(wear_data.gini(wear), rel=1e-9, abs=1e-12)
    assert w["max_over_mean"] == pytest.approx(max(wear) / (sum(wear) / len(wear)))
    assert s["write_amplification"] == pytest.approx(
        s["device"]["bytes_progged"] / s["app_bytes"], rel=1e-12)
    ideal = s["blocks"] * s["erase_cycles"]
    assert s["ideal_wear"] == ideal
    for point in ("first_bad", "fs_end"):
        assert s[point]["ideal_share"] == pytest.approx(s[point]["wear"] / ideal)


def test_gini_formula_on_known_values():
    assert wear_data.gini([5, 5, 5, 5]) == 0
    assert wear_data.gini([0, 0, 0, 8]) == pytest.approx(0.75)     # (n-1)/n
    assert wear_data.gini([1, 2, 3]) == pytest.approx(2 / 9)


def test_end_of_life_points(single):
    s = summary(single)
    blocks = wear_data.load_run(single)["blocks"]
    assert s["status"] == "ok" and s["end"] == "fs"
    fb, fe = s["first_bad"], s["fs_end"]
    assert fe["error_name"] in ("NOSPC", "CORRUPT", "IO")
    assert 0 < fb["iteration"] < fe["iteration"] == s["iterations"]
    assert fb["wear"] <= fe["wear"] == s["wear"]["sum"]
    assert fe["app_bytes"] == s["app_bytes"]
    assert blocks[fb["block"]]["bad"] and blocks[fb["block"]]["wear"] == s["erase_cycles"]
    # nothing wore out before the first bad block: its wear was below every limit
    assert fb["wear"] < s["ideal_wear"]


def test_series_ends_at_the_final_counts(single):
    s = summary(single)
    run = wear_data.load_run(single)
    wear = [b["wear"] for b in run["blocks"]]
    first, last = run["series"][0], run["series"][-1]
    assert (first["iteration"], first["max"], first["app_bytes"]) == (0, 0, 0)
    assert last["iteration"] == s["iterations"]
    assert (last["min"], last["max"], last["bad"]) == (min(wear), max(wear), s["bad_blocks"])
    assert last["mean"] == pytest.approx(sum(wear) / len(wear))
    its = [r["iteration"] for r in run["series"]]
    assert its == sorted(set(its))
    assert all(a["max"] <= b["max"] and a["app_bytes"] <= b["app_bytes"]
               for a, b in zip(run["series"], run["series"][1:]))
    rows = (single / "series_blocks.csv").read_text().splitlines()
    assert rows[0].split(",") == ["iteration"] + [str(b) for b in range(32)]
    assert [int(x) for x in rows[-1].split(",")] == [s["iterations"]] + wear
    assert len(rows) - 1 == s["series"]["rows"] == len(run["series"])


def test_application_bytes_are_what_the_workload_wrote(wear_prog, tmp_path):
    # wear_rewrite writes SIZE bytes per iteration and nothing else; the cap
    # ends the run after whole iterations
    run_wear(wear_prog, tmp_path, "-D", "ERASE_CYCLES=1000", "-D", "SIZE=40",
             "--max-iterations", "300", "wear_rewrite")
    s = summary(tmp_path)
    assert s["end"] == "cap" and s["iterations"] == 300
    assert s["app_bytes"] == 300 * 40
    assert s["fs_end"] is None and s["first_bad"] is None


def test_same_seed_same_result(wear_prog, single, tmp_path):
    run_wear(wear_prog, tmp_path, *LEVELED, STANDARD)
    assert (tmp_path / "blocks.csv").read_text() == (single / "blocks.csv").read_text()
    assert summary(tmp_path) == summary(single)


def test_until_first_bad_stops_there(wear_prog, single, tmp_path):
    run_wear(wear_prog, tmp_path, *LEVELED, "--until", "first-bad", STANDARD)
    s = summary(tmp_path)
    assert s["end"] == "first-bad" and s["fs_end"] is None
    assert s["first_bad"]["iteration"] == summary(single)["first_bad"]["iteration"]


# ---- the design's properties on the standard workload --------------------------------

def test_wear_leveling_evens_wear_and_lengthens_life(compared):
    comp = json.loads((compared / "comparison.json").read_text())
    assert comp["define"] == "BLOCK_CYCLES"
    runs = {r["value"]: r for r in comp["runs"]}
    assert set(runs) == {-1, 10} and all(r["problem"] is None for r in runs.values())
    off, on = summary(compared / "-1"), summary(compared / "10")
    assert off["block_cycles"] == -1 and on["block_cycles"] == 10
    assert on["wear"]["max_over_mean"] < off["wear"]["max_over_mean"]
    assert runs[10]["max_over_mean"] == pytest.approx(on["wear"]["max_over_mean"])
    assert on["fs_end"]["iteration"] > off["fs_end"]["iteration"]


def test_doubling_the_blocks_doubles_the_lifetime(wear_prog, tmp_path):
    run_wear(wear_prog, tmp_path, "-D", "ERASE_CYCLES=50", "-D", "BLOCK_CYCLES=10",
             "-D", "BLOCK_COUNT=32,64", STANDARD)
    small, large = summary(tmp_path / "32"), summary(tmp_path / "64")
    assert (small["blocks"], large["blocks"]) == (32, 64)
    assert large["fs_end"]["iteration"] >= 1.9 * small["fs_end"]["iteration"]
    assert large["fs_end"]["app_bytes"] >= 1.9 * small["fs_end"]["app_bytes"]


# ---- the report --------------------------------------------------------------------

def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR"), f"{path}: no IHDR first"
    width, height = struct.unpack(">II", data[16:24])
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82", f"{path}: no IEND at the end"
    return width, height


def report(d):
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "wear_report.py"), str(d)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return (d / "report.html").read_text()


@pytest.mark.parametrize("which,pngs", [
    ("single", ["cdf", "heatmap", "timeline"]),
    ("compared", ["cdf", "heatmap", "timeline", "lifetime"]),
])
def test_report_images_and_html(which, pngs, request):
    d = request.getfixturevalue(which)
    html = report(d)
    for name in pngs:
        p = d / f"{name}.png"
        assert png_size(p) == (wear_plots.WIDTH, wear_plots.HEIGHT), p
        uri = "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode()
        assert uri in html, f"{p} is not embedded"
    assert html.count("<img ") == len(pngs)
    assert "src=\"http" not in html and "<link" not in html and "<script" not in html
    assert summary(d if which == "single" else d / "10")["case"] in html


def test_report_table_shows_each_run(compared):
    html = report(compared)
    for value in ("-1", "10"):
        s = summary(compared / value)
        assert f"BLOCK_CYCLES={value}" in html
        assert f"{s['fs_end']['iteration']:,}" in html
        assert f"{s['wear']['gini']:.3f}" in html


def test_report_refuses_a_directory_without_outputs(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "wear_report.py"),
                           str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 1 and "summary.json" in proc.stderr


# ---- usage ---------------------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    (["no_such_case"], "no case named no_such_case"),
    (["-D", "NOPE=1", STANDARD], "no define named NOPE"),
    (["-D", "BLOCK_CYCLES=1,2", "-D", "BLOCK_COUNT=32,64", STANDARD], "only one define"),
    (["-D", "BLOCK_CYCLES=x", STANDARD], "integers"),
    (["-G", "bogus", STANDARD], "unknown geometry"),
    (["--until", "later", STANDARD], "first-bad or end"),
])
def test_bad_usage(wear_prog, tmp_path, args, message):
    proc = run_wear(wear_prog, tmp_path, *args, expect=2)
    assert message in proc.stderr


def test_no_wear_limit_is_refused(wear_prog, tmp_path):
    proc = run_wear(wear_prog, tmp_path, "-D", "ERASE_CYCLES=0", STANDARD, expect=1)
    assert "ERASE_CYCLES is 0" in proc.stderr


def test_workloads_run_quickly_under_torture(build_dir):
    proc = subprocess.run([str(build_dir / "torture"), "wear", "-G", "default", "-G", "nor",
                           "-G", "nand", "--save-failures", "none"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("6 passed, 0 failed"), last


# ---- a user's workload that fails or crashes -----------------------------------------

USER_TOML = '''
code = """
#include "wear.h"
"""
[cases.user_fails]
defines.ERASE_CYCLES = 20
defines.BLOCK_COUNT = 16
code = """
    lfs_t lfs;
    lfs_format(&lfs, cfg) => 0;
    lfs_mount(&lfs, cfg) => 0;
    for (int i = 0;; i++) {
        lfs_mkdir(&lfs, i == 5 ? "a" : "b") => (i == 0 ? 0 : LFS_ERR_EXIST);
        if (!wear_iteration(cfg)) break;
    }
    lfs_unmount(&lfs) => 0;
"""
[cases.user_crashes]
defines.ERASE_CYCLES = 20
defines.BLOCK_COUNT = 16
code = """
    while (wear_iteration(cfg)) {
        if (BLOCK_CYCLES == 7) { volatile int *p = NULL; *p = 1; }
    }
"""
'''


@pytest.fixture(scope="module")
def user_prog(build_dir):
    cases = build_dir / "test-wear-cases"
    cases.mkdir(parents=True, exist_ok=True)
    toml = cases / "user.toml"
    if not toml.exists() or toml.read_text() != USER_TOML:
        toml.write_text(USER_TOML)
    out = build_dir / "test-wear"
    sanitize = "SANITIZE=1" if build_dir.name == "asan" else "SANITIZE=0"
    proc = subprocess.run(["make", "--no-print-directory", "-j8", f"BUILD={out}",
                           f"CASES={cases}", f"PYTHON={sys.executable}", sanitize,
                           str(out / "wear")], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "wear"


def test_a_failing_workload_is_reported_with_its_line(user_prog, tmp_path):
    proc = run_wear(user_prog, tmp_path, "user_fails", expect=1)
    s = summary(tmp_path)
    assert s["status"] == "failed" and s["end"] == "failed" and s["iterations"] == 5
    assert "user.toml:" in s["message"] and "got 0, expected -17" in s["message"]
    assert "the workload failed" in proc.stdout
    assert "FAILED" in report(tmp_path)


def test_a_crash_stays_in_its_run(user_prog, tmp_path):
    proc = run_wear(user_prog, tmp_path, "-D", "BLOCK_CYCLES=7,8", "--max-iterations", "50",
                    "user_crashes", expect=1)
    comp = json.loads((tmp_path / "comparison.json").read_text())
    runs = {r["value"]: r for r in comp["runs"]}
    # a plain build dies of SIGSEGV; under UBSan the sanitizer exits first
    crashed = ("crashed: signal", "exited with status 1 without writing its outputs")
    assert runs[7]["problem"].startswith(crashed) and "iterations" not in runs[7]
    assert runs[8]["problem"] is None and runs[8]["iterations"] == 50
    assert runs[7]["problem"] in proc.stdout
    html = report(tmp_path)
    assert f"BLOCK_CYCLES=7: {runs[7]['problem']}" in html and "BLOCK_CYCLES=8" in html
