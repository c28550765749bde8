"""build/torture --disk-in IMAGE: runs start from an image (the oracle judges
every crash point from the image's state), the geometry comes from the image
without -G and must match it with -G, ids carry the image and its hash (a
replay on other contents is refused), and each failure's failure.img goes
through lfstool fsck into the report and the JSON.

The runner is built with the suite tests/cases-disk-in (and lfstool beside
it) into <build>/test-disk-in/.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CASES = "tests/cases-disk-in"


def golden(name):
    for d in (REPO / "tests" / "data" / "images", REPO.parent / "shared" / "images"):
        if (d / f"{name}.img").exists():
            return d / f"{name}.img"
    pytest.skip(f"golden image {name} not found")


@pytest.fixture(scope="module")
def torture(build_dir):
    out = build_dir / "test-disk-in"
    sanitize = "SANITIZE=1" if build_dir.name == "asan" else "SANITIZE=0"
    args = ["make", "--no-print-directory", f"-j{os.cpu_count() or 1}", f"BUILD={out}",
            f"PYTHON={sys.executable}", sanitize, f"CASES={CASES}",
            str(out / "torture"), str(out / "lfstool")]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "torture"


def run(torture, *args, cwd, env=None, json_name=None):
    argv = [str(torture), "-j4", "--save-failures", "fails", *args]
    if json_name:
        argv += ["--json", json_name]
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, **(env or {})))
    records = []
    if json_name and (pathlib.Path(cwd) / json_name).exists():
        records = [json.loads(line) for line in (pathlib.Path(cwd) / json_name).open()]
    return proc, records


@pytest.fixture
def dump(tmp_path):
    img = tmp_path / "dump.img"
    shutil.copyfile(golden("basic-512"), img)
    img.chmod(0o644)
    return img


def test_geometry_is_derived_from_the_image_and_the_image_is_loaded(torture, dump):
    proc, recs = run(torture, "--disk-in", "dump.img", "sees_image", cwd=dump.parent,
                     json_name="j.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "geometry 16,16,512,256 from the image (block size 512 from its superblock" \
        in proc.stderr
    assert [r["result"] for r in recs] == ["pass"]
    assert recs[0]["geometry"] == "16,16,512,256"
    # the same case on a blank device finds no entries: the image was what it saw
    proc, _ = run(torture, "-G", "default", "sees_image", cwd=dump.parent)
    assert proc.returncode == 1


def test_every_crash_point_from_the_image_is_judged_and_named_with_it(torture, dump):
    proc, recs = run(torture, "--disk-in", "dump.img", "-P", "every", "-F", "atomic,torn-bits",
                     "append_on_image", cwd=dump.parent, json_name="j.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    points = [r for r in recs if r["schedule"].startswith("every=")]
    assert len(points) > 20
    assert all(r["result"] == "pass" for r in recs)
    hashes = {r["id"].rsplit(":disk=", 1)[1] for r in recs}
    assert len(hashes) == 1 and hashes.pop().startswith("dump.img@")
    assert {r["fault"] for r in recs} == {"atomic", "torn-bits"}


def test_a_crash_point_id_replays_and_refuses_other_contents(torture, dump, tmp_path):
    proc, recs = run(torture, "--disk-in", "dump.img", "-P", "every", "append_on_image",
                     cwd=dump.parent, json_name="j.json")
    point = next(r["id"] for r in recs if r["schedule"] == "every=5")
    proc, again = run(torture, point, "-v", cwd=dump.parent, json_name="k.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r["id"] for r in again] == [point]
    # the same path with other contents: refused, naming both hashes
    data = bytearray(dump.read_bytes())
    data[-1] ^= 0x01
    dump.write_bytes(data)
    proc, _ = run(torture, point, cwd=dump.parent)
    assert proc.returncode == 2
    assert "refusing to replay on a different image" in proc.stderr
    # or the original contents elsewhere, given with --disk-in: accepted
    orig = tmp_path / "orig.img"
    shutil.copyfile(golden("basic-512"), orig)
    proc, _ = run(torture, "--disk-in", str(orig), point, cwd=dump.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_image_must_match_the_geometry(torture, dump):
    proc, recs = run(torture, "--disk-in", "dump.img", "-G", "default", "sees_image",
                     cwd=dump.parent, json_name="j.json")
    assert proc.returncode == 1
    assert "131072 bytes, but the geometry's device is 2048 blocks of 512 bytes" \
        in recs[0]["message"]
    proc, recs = run(torture, "--disk-in", "dump.img", "-G", "16,16,256,512", "sees_image",
                     cwd=dump.parent, json_name="k.json")
    assert proc.returncode == 1
    assert "superblock says block size 512, but BLOCK_SIZE is 256" in recs[0]["message"]


def test_no_superblock_and_no_geometry_is_refused(torture, tmp_path):
    (tmp_path / "blank.img").write_bytes(b"\xff" * 65536)
    proc, _ = run(torture, "--disk-in", "blank.img", "sees_image", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no littlefs superblock in block 0 or 1" in proc.stderr
    proc, _ = run(torture, "--disk-in", "missing.img", "sees_image", cwd=tmp_path)
    assert proc.returncode == 2 and "missing.img" in proc.stderr
    # with -G it runs: a case for images mounts, which fails on a blank one
    proc, recs = run(torture, "--disk-in", "blank.img", "-G", "16,16,512,128",
                     "append_on_image", cwd=tmp_path, json_name="j.json")
    assert proc.returncode == 1
    assert "lfs_mount" in recs[0]["message"]
    assert recs[0]["fsck"]["status"] == 3


@pytest.fixture
def corrupt(dump):
    """basic-512 with the pair of /docs/deep/deeper (blocks 0x49, 0x4a)
    zeroed: fsck must say so, and the core cannot mount it."""
    data = bytearray(dump.read_bytes())
    data[0x49 * 512:0x4b * 512] = bytes(1024)
    dump.write_bytes(data)
    return dump


def test_failures_carry_lfstool_fsck_findings(torture, corrupt):
    proc, recs = run(torture, "--disk-in", "dump.img", "append_on_image", cwd=corrupt.parent,
                     json_name="j.json")
    assert proc.returncode == 1
    assert "  fsck:     status 2 (corrupt: data lost or unreachable)" in proc.stdout
    assert "pair 0x49,0x4a has no valid commit" in proc.stdout
    (rec,) = recs
    assert rec["fsck"]["status"] == 2
    assert "/docs/deep/deeper" in rec["fsck"]["output"]
    image = pathlib.Path(corrupt.parent, rec["images"][0])
    assert image.name == "failure.img"
    assert "status 2" in (image.parent / "fsck.txt").read_text()


def test_a_missing_lfstool_does_not_break_the_report(torture, corrupt):
    proc, recs = run(torture, "--disk-in", "dump.img", "append_on_image", cwd=corrupt.parent,
                     json_name="j.json", env={"TORTURE_LFSTOOL": "/nonexistent/lfstool"})
    assert proc.returncode == 1
    assert "fsck:     not run: no lfstool" in proc.stdout
    assert recs[0]["fsck"]["status"] is None
    assert recs[0]["result"] == "fail"
