"""The crash oracle under each fault model, on the correct core: every
model reaches the oracle (its crash states differ from the atomic ones) and
nothing fails; bitflip measures silent data corruption and metadata
rollbacks; badblock passes with a block failing at each crash point.

The runner is built with the suites of tests/cases-oracle into
<build>/test-oracle/ (same sanitizer setting as the build under test).
"""
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed")
UNIQUE = re.compile(r"^oracle: (\d+) unique crash states of (\d+) crash points")
MODELS = ["atomic", "torn-prefix", "torn-bits", "metastable", "partial-erase", "ooo"]


@pytest.fixture(scope="session")
def oracle_torture(build_dir):
    out = pathlib.Path(build_dir) / "test-oracle"
    sanitize = "SANITIZE=1" if pathlib.Path(build_dir).name == "asan" else "SANITIZE=0"
    args = ["make", "--no-print-directory", f"-j{os.cpu_count() or 1}", f"BUILD={out}",
            f"PYTHON={sys.executable}", sanitize, "CASES=tests/cases-oracle",
            str(out / "torture")]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "torture"


def run(program, tmp, fault, name):
    js = pathlib.Path(tmp) / f"{name}.json"
    proc = subprocess.run([str(program), "-P", "every", "-F", fault, "-G", "default",
                           "--json", str(js), "-v"], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    lines = proc.stdout.splitlines()
    m = SUMMARY.match(lines[-1])
    assert m, proc.stdout[-2000:] + proc.stderr[-2000:]
    records = [json.loads(l) for l in js.read_text().splitlines()]
    unique = next((UNIQUE.match(l) for l in lines if UNIQUE.match(l)), None)
    return {"passed": int(m[1]), "failed": int(m[2]), "records": records,
            "unique": int(unique[1]) if unique else 0, "out": proc.stdout}


@pytest.fixture(scope="session")
def atomic(oracle_torture, tmp_path_factory):
    return run(oracle_torture, tmp_path_factory.mktemp("atomic"), "atomic", "atomic")


@pytest.mark.parametrize("model", MODELS[1:])
def test_each_fault_model_reaches_the_oracle(oracle_torture, atomic, tmp_path, model):
    r = run(oracle_torture, tmp_path, model, model)
    assert r["failed"] == 0, r["out"][-3000:]
    assert atomic["failed"] == 0
    points = [x for x in r["records"] if x.get("cut")]
    assert points and len(points) == len([x for x in atomic["records"] if x.get("cut")])
    # the model changed what the crashed devices hold: not the atomic states
    assert r["unique"] != atomic["unique"], (model, r["unique"])
    assert all(model in x["id"] for x in points)


def test_bitflip_counts_silent_data_corruption_without_failing(oracle_torture, tmp_path):
    r = run(oracle_torture, tmp_path, "bitflip:4", "bitflip")
    assert r["failed"] == 0, r["out"][-3000:]
    assert sum(x.get("sdc", 0) for x in r["records"]) > 0
    assert re.search(r"^oracle: \d+ silent data corruptions", r["out"], re.M)
    notes = " ".join(x.get("note", "") for x in r["records"])
    assert "silent data corruption of" in notes


def test_badblock_passes_with_a_failing_block_at_each_point(oracle_torture, tmp_path):
    r = run(oracle_torture, tmp_path, "badblock", "badblock")
    assert r["failed"] == 0, r["out"][-3000:]
    notes = [x.get("note", "") for x in r["records"] if x.get("cut")]
    broken = [re.search(r"block (\d+) fails its (progs|erases)", n) for n in notes]
    # before the format no block is in use; after it, one fails at every point
    assert all(m or "no block in use" in n for m, n in zip(broken, notes))
    assert sum(1 for m in broken if m) > len(notes) // 2
    # blocks the core must relocate, not only the fixed superblock pair
    assert any(m and int(m[1]) > 1 for m in broken)
