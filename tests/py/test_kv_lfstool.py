"""A key-value image is an ordinary littlefs image: build/asan/unit/test_kv
saves one (BROWNOUT_KV_IMAGE), and lfstool manifest must show its keys as
files and directories, the values' bytes, and the 0x74 timestamp attribute
(LE uint32 days since the epoch, LE uint64 picoseconds in the day)."""
import hashlib
import json
import os
import struct
import subprocess

import pytest


def tool(build_dir, name):
    path = build_dir / name
    if not path.exists():
        pytest.skip(f"{path} not built")
    return path


@pytest.fixture(scope="module")
def kv_manifest(build_dir, tmp_path_factory):
    unit = tool(build_dir, "unit/test_kv")
    lfstool = tool(build_dir, "lfstool")
    img = tmp_path_factory.mktemp("kv") / "kv.img"
    env = dict(os.environ, BROWNOUT_KV_IMAGE=str(img))
    subprocess.run([str(unit)], env=env, check=True, capture_output=True, timeout=300)
    assert img.stat().st_size == 512 * 256
    out = subprocess.run([str(lfstool), "manifest", str(img)], check=True,
                         capture_output=True, timeout=120).stdout
    return {e["path"]: e for e in json.loads(out)["entries"]}


def stamp(days, ps):
    return struct.pack("<IQ", days, ps).hex()


def test_keys_are_files_and_directories(kv_manifest):
    assert set(kv_manifest) == {"/", "/blob", "/config", "/config/name",
                                "/config/net", "/config/net/ip"}
    for d in ("/", "/config", "/config/net"):
        assert kv_manifest[d]["type"] == "dir"
    for f in ("/blob", "/config/name", "/config/net/ip"):
        assert kv_manifest[f]["type"] == "file"


def test_values(kv_manifest):
    name = kv_manifest["/config/name"]
    assert name["size"] == 8
    assert name["sha256"] == hashlib.sha256(b"brownout").hexdigest()
    ip = kv_manifest["/config/net/ip"]
    assert ip["sha256"] == hashlib.sha256(b"10.0.0.2").hexdigest()
    # four blocks of data: a CTZ skip-list littlefs itself reads back
    assert kv_manifest["/blob"]["size"] == 2048


def test_timestamps_attribute_0x74(kv_manifest):
    assert kv_manifest["/config/name"]["attrs"] == {"74": stamp(19723, 45296789000000)}
    assert kv_manifest["/config/net/ip"]["attrs"] == {"74": stamp(19724, 1)}
    assert kv_manifest["/blob"]["attrs"] == {"74": stamp(0, 0)}
    # directories carry no timestamp, and no temp file is left behind
    assert kv_manifest["/config"]["attrs"] == {}
    assert not any(".kv-tmp" in p for p in kv_manifest)
