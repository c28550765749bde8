"""build/torture --trace FILE and scripts/trace_render.py: the trace holds
every device op of one permutation's uninterrupted run (the same ops with
-P none and -P every: judging crash states is not traced), several
permutations are refused, and the renderer's summary counts what the file
holds and its PNG is a PNG."""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
RENDER = REPO / "scripts" / "trace_render.py"


@pytest.fixture(scope="module")
def torture(build_dir):
    out = build_dir / "test-disk-in"
    sanitize = "SANITIZE=1" if build_dir.name == "asan" else "SANITIZE=0"
    args = ["make", "--no-print-directory", f"-j{os.cpu_count() or 1}", f"BUILD={out}",
            f"PYTHON={sys.executable}", sanitize, "CASES=tests/cases-disk-in",
            str(out / "torture"), str(out / "lfstool")]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "torture"


def trace(torture, cwd, *args):
    proc = subprocess.run([str(torture), "--save-failures", "none", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    return proc


def ops(path):
    return [line.split() for line in path.read_text().splitlines()
            if line and not line.startswith("#")]


def test_trace_of_a_run_from_scratch_and_from_an_image(torture, tmp_path):
    p = trace(torture, tmp_path, "-G", "default", "append_on_image", "--trace", "a.trace")
    assert p.returncode == 0, p.stdout + p.stderr
    text = (tmp_path / "a.trace").read_text()
    assert text.startswith("# brownout trace: append_on_image:default:N=4,SIZE=40:none:")
    assert "# erase_size 512 erase_count 2048" in text
    fresh = ops(tmp_path / "a.trace")
    kinds = {o[0] for o in fresh}
    assert kinds == {"read", "prog", "erase", "sync"}
    assert all(len(o) == 5 and o[4] == "0" for o in fresh)
    # a format: blocks 0 and 1 are erased before anything is programmed there
    first_prog0 = next(i for i, o in enumerate(fresh) if o[:2] == ["prog", "0"])
    assert any(o[:2] == ["erase", "0"] for o in fresh[:first_prog0])

    for name in ("basic-512.img",):
        src = next((d / name for d in (REPO / "tests" / "data" / "images",
                                       REPO.parent / "shared" / "images")
                    if (d / name).exists()), None)
        if not src:
            pytest.skip("no golden image")
        shutil.copyfile(src, tmp_path / "dump.img")
    p = trace(torture, tmp_path, "--disk-in", "dump.img", "append_on_image", "--trace",
              "b.trace")
    assert p.returncode == 0, p.stdout + p.stderr
    image_ops = ops(tmp_path / "b.trace")
    # mounting an image reads blocks beyond the superblock pair; no format erases 0/1
    assert not any(o[:2] == ["erase", "0"] for o in image_ops)
    assert len({o[1] for o in image_ops if o[0] == "read"}) > 2
    # with every crash point judged, the traced run is the same uninterrupted run
    p = trace(torture, tmp_path, "--disk-in", "dump.img", "-P", "every", "append_on_image",
              "--trace", "c.trace")
    assert p.returncode == 0, p.stdout + p.stderr
    assert ops(tmp_path / "c.trace") == image_ops


def test_several_permutations_are_refused(torture, tmp_path):
    p = trace(torture, tmp_path, "-G", "default", "-D", "N=1,2", "append_on_image",
              "--trace", "x.trace")
    assert p.returncode == 2
    assert "--trace records one permutation, but the selection has 2" in p.stderr
    assert not (tmp_path / "x.trace").exists()


def test_render_summary_and_png(torture, tmp_path):
    p = trace(torture, tmp_path, "-G", "default", "append_on_image", "--trace", "a.trace")
    assert p.returncode == 0
    all_ops = ops(tmp_path / "a.trace")
    r = subprocess.run([sys.executable, str(RENDER), "a.trace", "--summary", "-o", "a.png"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    counts = {k: sum(o[0] == k for o in all_ops) for k in ("read", "prog", "erase", "sync")}
    assert (f"operations: {len(all_ops)} ({counts['read']} read, {counts['prog']} prog, "
            f"{counts['erase']} erase, {counts['sync']} sync), 0 failed") in lines
    rows = {int(line.split()[0]): [int(x) for x in line.split()[1:]]
            for line in lines if line.strip() and line.split()[0].isdigit()}
    for block, (reads, progs, erases, failed) in rows.items():
        assert progs == sum(o[:2] == ["prog", str(block)] for o in all_ops)
        assert erases == sum(o[:2] == ["erase", str(block)] for o in all_ops)
    assert sum(r[0] for r in rows.values()) == counts["read"]
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_refuses_bad_traces(tmp_path):
    (tmp_path / "bad.trace").write_text("# x\nprog 1 2\n")
    r = subprocess.run([sys.executable, str(RENDER), "bad.trace", "--summary"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "bad.trace:2" in r.stderr
    r = subprocess.run([sys.executable, str(RENDER), "missing.trace", "--summary"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "missing.trace" in r.stderr
    r = subprocess.run([sys.executable, str(RENDER), "bad.trace"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
