"""Images written by our filesystem core decode with the independent Python
decoder (scripts/lfsdump.py) to the same tree our core reads back.

The unit test program test_lfs_write_tree runs seeded workloads (splits,
skip-lists, inline files, renames, removes, truncates, attributes, on
2.1 and 2.0 disk versions) and, with BROWNOUT_IMAGE_OUT set, saves each
final image next to a manifest of what our core read from it after a
remount.  This is our stand-in for "littlefs reads our images".
"""
import json
import os
import subprocess
import sys

import pytest

WORKLOADS = ["core-512", "core-nor4k", "core-v20", "core-cycles"]


@pytest.fixture(scope="module")
def core_images(build_dir, tmp_path_factory):
    prog = build_dir / "unit" / "test_lfs_write_tree"
    if not prog.exists():
        pytest.skip(f"{prog} not built")
    out = tmp_path_factory.mktemp("core-images")
    env = dict(os.environ, BROWNOUT_IMAGE_OUT=str(out))
    res = subprocess.run([str(prog)], env=env, capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    return out


def ours(path):
    entries = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        entry = {"type": fields[1], "attrs": {}}
        for field in fields[2:]:
            key, value = field.split("=", 1)
            if key == "size":
                entry["size"] = int(value)
            elif key == "sha256":
                entry["sha256"] = value
            elif key.startswith("attr"):
                entry["attrs"][key[4:]] = value
        entries[fields[0]] = entry
    return entries


def decoded(repo_root, image):
    res = subprocess.run(
        [sys.executable, str(repo_root / "scripts" / "lfsdump.py"),
         "--manifest", str(image)],
        capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    manifest = json.loads(res.stdout)
    entries = {}
    for e in manifest["entries"]:
        entry = {"type": e["type"], "attrs": e.get("attrs", {})}
        if e["type"] == "file":
            entry["size"] = e["size"]
            entry["sha256"] = e["sha256"]
        entries[e["path"]] = entry
    return manifest, entries


@pytest.mark.parametrize("name", WORKLOADS)
def test_decoder_agrees(core_images, repo_root, name):
    manifest, theirs = decoded(repo_root, core_images / f"{name}.img")
    mine = ours(core_images / f"{name}.ours.txt")
    assert sorted(theirs) == sorted(mine)
    for path, entry in mine.items():
        assert theirs[path] == entry, path
    want = "0x00020000" if name == "core-v20" else "0x00020001"
    assert manifest["disk_version"] == want


@pytest.mark.parametrize("name", WORKLOADS)
def test_decoder_finds_no_errors(core_images, repo_root, name):
    res = subprocess.run(
        [sys.executable, str(repo_root / "scripts" / "lfsdump.py"), "--json",
         str(core_images / f"{name}.img")],
        capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    dump = json.loads(res.stdout)
    assert dump["diagnostics"] == []
    assert dump["exit_status"] == 0
    # every pair we wrote is a valid log whose FCRC (2.1) checks
    assert dump["pairs"]
