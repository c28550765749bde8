"""Acceptance tests of `lfstool`'s read commands on the golden littlefs
images: every image must give exactly its manifest, and info/ls/cat/unpack
must agree with it. Error paths must end with a message and a clean non-zero
exit, never a crash or a sanitizer report. Read commands must leave the image
file untouched."""
import hashlib
import json
import os
import pathlib
import random
import shutil
import subprocess
import zlib

import pytest

IMAGES_DIR = pathlib.Path(__file__).resolve().parents[1] / "data" / "images"
IMAGES = sorted(p.name[: -len(".manifest.json")]
                for p in IMAGES_DIR.glob("*.manifest.json"))
SANITIZER_MARKS = ("Sanitizer", "runtime error:", "Segmentation fault")


@pytest.fixture(scope="session")
def lfstool(build_dir):
    path = build_dir / "lfstool"
    if not path.exists():
        pytest.fail(f"{path} is not built (make, or make asan with BROWNOUT_BUILD=build/asan)")
    return path


def run(lfstool, *args, expect=0, timeout=120):
    """Runs lfstool; checks the exit status and that nothing crashed."""
    proc = subprocess.run([str(lfstool), *map(str, args)], capture_output=True,
                          timeout=timeout)
    err = proc.stderr.decode(errors="replace")
    for mark in SANITIZER_MARKS:
        assert mark not in err, f"lfstool {args} crashed:\n{err}"
    assert proc.returncode >= 0, f"lfstool {args} died of signal {-proc.returncode}"
    if expect is not None:
        assert proc.returncode == expect, (
            f"lfstool {' '.join(map(str, args))}: exit {proc.returncode}, "
            f"expected {expect}\nstderr: {err}")
    if proc.returncode != 0:
        assert err.startswith("lfstool: ") or "usage:" in err, f"no message: {err!r}"
    return proc


def manifest(name):
    return json.loads((IMAGES_DIR / f"{name}.manifest.json").read_text())


def image(name):
    return IMAGES_DIR / f"{name}.img"


def parent_of(path):
    return path.rsplit("/", 1)[0] or "/"


# ---- manifest ----------------------------------------------------------------

@pytest.mark.parametrize("name", IMAGES)
def test_manifest_matches_golden(lfstool, name):
    golden = manifest(name)
    out = run(lfstool, "manifest", image(name)).stdout.decode()
    got = json.loads(out)
    assert got["entries"] == golden["entries"]
    assert got["disk_version"] == golden["disk_version"]
    for key in ("block_size", "block_count"):
        assert got["geometry"][key] == golden["geometry"][key]
    assert set(got) == set(golden)
    assert got["image"] == f"{name}.img"
    # laid out exactly like the golden files (Python's json.dumps(indent=1))
    assert out == json.dumps(got, indent=1) + "\n"


@pytest.mark.parametrize("name", IMAGES)
def test_manifest_with_explicit_geometry(lfstool, name):
    golden = manifest(name)
    g = golden["geometry"]
    got = json.loads(run(lfstool, "manifest", image(name),
                         "--block-size", g["block_size"],
                         f"--block-count={g['block_count']}",
                         "--read-size", g["read_size"],
                         "--prog-size", g["prog_size"]).stdout)
    assert got["geometry"] == golden["geometry"]
    assert got["entries"] == golden["entries"]


def test_manifest_sha256_matches_python(lfstool, tmp_path):
    """The manifest's sha256 is SHA-256: check it against hashlib on the
    bytes that cat returns, for files of every size class."""
    got = json.loads(run(lfstool, "manifest", image("basic-512")).stdout)
    files = [e for e in got["entries"] if e["type"] == "file"]
    assert {e["size"] for e in files} >= {0, 13, 50, 170, 2683, 18951}
    for e in files:
        data = run(lfstool, "cat", image("basic-512"), e["path"]).stdout
        assert hashlib.sha256(data).hexdigest() == e["sha256"]


# ---- info --------------------------------------------------------------------

def parse_info(text):
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


@pytest.mark.parametrize("name", IMAGES)
def test_info(lfstool, name):
    golden = manifest(name)
    info = parse_info(run(lfstool, "info", image(name)).stdout.decode())
    g = golden["geometry"]
    files = [e for e in golden["entries"] if e["type"] == "file"]
    dirs = [e for e in golden["entries"] if e["type"] == "dir"]
    assert int(info["block size"]) == g["block_size"]
    assert int(info["block count"]) == g["block_count"]
    assert info["geometry from"] == "superblock"
    assert info["disk version"].endswith(f"({golden['disk_version']})")
    major, minor = int(golden["disk_version"], 16) >> 16, int(golden["disk_version"], 16) & 0xffff
    assert info["disk version"].startswith(f"{major}.{minor} ")
    assert int(info["image bytes"]) == g["block_size"] * g["block_count"]
    assert int(info["files"]) == len(files)
    assert int(info["directories"]) == len(dirs) - 1  # not counting the root
    assert int(info["file bytes"]) == sum(e["size"] for e in files)
    used, free = int(info["blocks used"]), int(info["blocks free"])
    # at least the superblock pair; every directory is a pair of its own
    assert used >= 2 * len(dirs)
    assert used + free == g["block_count"]
    big = sum(-(-e["size"] // g["block_size"]) for e in files if e["size"] > g["block_size"])
    assert used >= big


# ---- ls ----------------------------------------------------------------------

def parse_ls(text):
    rows = []
    for line in text.splitlines():
        kind, size, name = line.split(maxsplit=2)
        rows.append((kind, size, name))
    return rows


def expected_row(entry, shown):
    if entry["type"] == "dir":
        return ("d", "-", shown)
    return ("-", str(entry["size"]), shown)


@pytest.mark.parametrize("name", IMAGES)
def test_ls_root(lfstool, name):
    entries = manifest(name)["entries"]
    want = [expected_row(e, e["path"][1:]) for e in entries[1:]
            if parent_of(e["path"]) == "/"]
    assert parse_ls(run(lfstool, "ls", image(name)).stdout.decode()) == want
    assert parse_ls(run(lfstool, "ls", image(name), "/").stdout.decode()) == want


@pytest.mark.parametrize("name", IMAGES)
def test_ls_recursive(lfstool, name):
    entries = manifest(name)["entries"]
    want = [expected_row(e, e["path"]) for e in entries[1:]]
    assert parse_ls(run(lfstool, "ls", "-R", image(name)).stdout.decode()) == want


def test_ls_subdirectory_and_file(lfstool):
    entries = manifest("basic-512")["entries"]
    want = [expected_row(e, e["path"][len("/docs/"):]) for e in entries
            if parent_of(e["path"]) == "/docs"]
    assert len(want) >= 3
    for path in ("/docs", "docs", "/docs/"):
        assert parse_ls(run(lfstool, "ls", image("basic-512"), path).stdout.decode()) == want
    deep = [expected_row(e, e["path"]) for e in entries
            if e["path"].startswith("/docs/deep/")]
    got = parse_ls(run(lfstool, "ls", "--recursive", image("basic-512"), "/docs/deep").stdout.decode())
    assert got == deep
    appended = next(e for e in entries if e["path"] == "/docs/appended")
    assert parse_ls(run(lfstool, "ls", image("basic-512"), "/docs/appended").stdout.decode()) \
        == [expected_row(appended, "/docs/appended")]
    assert run(lfstool, "ls", image("basic-512"), "/empty").stdout == b""


# ---- cat ---------------------------------------------------------------------

@pytest.mark.parametrize("name", IMAGES)
def test_cat_matches_manifest(lfstool, name):
    files = [e for e in manifest(name)["entries"] if e["type"] == "file"]
    if len(files) > 40:  # many-512: a seeded sample keeps the run short
        files = random.Random(name).sample(files, 40)
    for e in files:
        data = run(lfstool, "cat", image(name), e["path"]).stdout
        assert len(data) == e["size"], e["path"]
        assert hashlib.sha256(data).hexdigest() == e["sha256"], e["path"]


# ---- unpack ------------------------------------------------------------------

@pytest.mark.parametrize("name", IMAGES)
def test_unpack(lfstool, name, tmp_path):
    golden = manifest(name)
    out = tmp_path / "tree"
    run(lfstool, "unpack", image(name), out)
    got = set()
    for root, dirs, files in os.walk(out):
        for d in dirs:
            got.add(("/" + os.path.relpath(os.path.join(root, d), out), "dir", None))
        for f in files:
            p = os.path.join(root, f)
            data = pathlib.Path(p).read_bytes()
            got.add(("/" + os.path.relpath(p, out), "file",
                     (len(data), hashlib.sha256(data).hexdigest())))
    want = {(e["path"], e["type"], (e["size"], e["sha256"]) if e["type"] == "file" else None)
            for e in golden["entries"][1:]}
    assert got == want
    sidecar = json.loads((tmp_path / "tree.manifest.json").read_text())
    assert sidecar["entries"] == golden["entries"]
    assert sidecar["disk_version"] == golden["disk_version"]


def test_unpack_manifest_option_and_existing_empty_dir(lfstool, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    side = tmp_path / "attrs.json"
    run(lfstool, "unpack", "--manifest", side, image("churn-512"), str(out) + "/")
    assert json.loads(side.read_text())["entries"] == manifest("churn-512")["entries"]
    assert not (tmp_path / "out.manifest.json").exists()


def test_unpack_refuses_non_empty_dir(lfstool, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep").write_text("mine")
    proc = run(lfstool, "unpack", image("basic-512"), out, expect=1)
    assert b"not empty" in proc.stderr
    assert os.listdir(out) == ["keep"]


def test_unpack_needs_manifest_name_for_dot(lfstool, tmp_path):
    proc = subprocess.run([str(lfstool), "unpack", str(image("basic-512")), "."],
                          capture_output=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert b"--manifest" in proc.stderr
    assert os.listdir(tmp_path) == []


# ---- read-only ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["basic-512", "cutrename-512"])
def test_read_commands_never_write(lfstool, name, tmp_path):
    img = tmp_path / f"{name}.img"
    shutil.copyfile(image(name), img)
    os.chmod(img, 0o644)
    before = (img.read_bytes(), img.stat().st_mtime_ns)
    run(lfstool, "info", img)
    run(lfstool, "ls", "-R", img)
    run(lfstool, "cat", img, "/docs/appended")
    run(lfstool, "manifest", img)
    run(lfstool, "unpack", img, tmp_path / "tree")
    assert (img.read_bytes(), img.stat().st_mtime_ns) == before
    # and a read-only image file is enough
    os.chmod(img, 0o444)
    run(lfstool, "manifest", img)


# ---- help ----------------------------------------------------------------------

COMMANDS = ["info", "ls", "cat", "unpack", "manifest"]


def test_help(lfstool):
    text = run(lfstool, "--help").stdout.decode()
    for cmd in COMMANDS:
        assert f"\n  {cmd} " in text
    for opt in ("--block-size", "--block-count", "--read-size", "--prog-size"):
        assert opt in text
    assert "Exit status" in text


@pytest.mark.parametrize("cmd", COMMANDS)
def test_command_help(lfstool, cmd):
    text = run(lfstool, cmd, "--help").stdout.decode()
    assert text.startswith(f"usage: lfstool {cmd} ")
    assert "--block-size" in text
    assert run(lfstool, "help", cmd).stdout.decode() == text
    assert run(lfstool, "-h", cmd).stdout.decode() == text


def test_help_documents_sidecar_and_options(lfstool):
    unpack = run(lfstool, "unpack", "--help").stdout.decode()
    assert "DIR.manifest.json" in unpack and "--manifest" in unpack
    assert "attrs" in unpack
    assert "-R, --recursive" in run(lfstool, "ls", "--help").stdout.decode()
    assert "sha256" in run(lfstool, "manifest", "--help").stdout.decode()


# ---- errors ----------------------------------------------------------------------

def test_not_littlefs(lfstool, tmp_path):
    rng = random.Random(4)
    cases = {
        "random.img": bytes(rng.getrandbits(8) for _ in range(65536)),
        "zeros.img": bytes(65536),
        "erased.img": b"\xff" * 65536,
        "empty.img": b"",
        "tiny.img": b"littlefs",
        "odd.img": bytes(rng.getrandbits(8) for _ in range(1000)),
    }
    for fname, data in cases.items():
        (tmp_path / fname).write_bytes(data)
        for cmd in (["info"], ["ls"], ["manifest"], ["cat"], ["unpack"]):
            extra = {"cat": ["/x"], "unpack": [tmp_path / "u"]}.get(cmd[0], [])
            proc = run(lfstool, *cmd, tmp_path / fname, *extra, expect=1)
            assert b"not a littlefs image" in proc.stderr, (fname, proc.stderr)
            assert proc.stdout == b""
    assert not (tmp_path / "u").exists()


def test_magic_but_corrupt_superblock(lfstool, tmp_path):
    """The magic is there but the rest of both superblock blocks is noise."""
    data = bytearray(image("basic-512").read_bytes())
    rng = random.Random(7)
    for block in (0, 1):
        for i in range(block * 512 + 16, block * 512 + 512):
            data[i] = rng.getrandbits(8)
    (tmp_path / "bad.img").write_bytes(data)
    proc = run(lfstool, "info", tmp_path / "bad.img", expect=1)
    assert b"lfstool: " in proc.stderr


@pytest.mark.parametrize("size", [100000, 65536, 131072 - 1, 512])
def test_truncated(lfstool, tmp_path, size):
    img = tmp_path / "cut.img"
    img.write_bytes(image("basic-512").read_bytes()[:size])
    proc = run(lfstool, "manifest", img, expect=1)
    assert b"truncated" in proc.stderr
    assert b"131072" in proc.stderr  # what the superblock says


def test_wrong_explicit_geometry(lfstool):
    for args in (["--block-size", "4096"], ["--block-count", "512"]):
        proc = run(lfstool, "ls", *args, image("basic-512"), expect=1)
        assert b"mount" in proc.stderr
    proc = run(lfstool, "ls", "--block-size", "1000", image("basic-512"), expect=1)
    assert b"multiple" in proc.stderr
    proc = run(lfstool, "ls", "--block-size", "64", image("basic-512"), expect=1)
    assert b"minimum" in proc.stderr
    proc = run(lfstool, "ls", "--read-size", "24", image("basic-512"), expect=1)
    assert b"divide" in proc.stderr


@pytest.mark.parametrize("args,message", [
    (["--bogus", "info", "x.img"], b"unknown option '--bogus'"),
    (["info", "--block-size", "abc", "x.img"], b"not a size"),
    (["info", "--block-size=0", "x.img"], b"not a size"),
    (["info", "--block-size=-512", "x.img"], b"not a size"),
    (["info", "--block-size=99999999999", "x.img"], b"not a size"),
    (["info", "x.img", "--block-size"], b"needs a value"),
    (["cat", "-R", "x.img", "/a"], b"does not take --recursive"),
    (["-R", "info", "x.img"], b"does not take --recursive"),
    (["info", "--recursive=yes", "x.img"], b"takes no value"),
    (["info"], b"usage: lfstool info"),
    (["info", "a.img", "b.img"], b"usage: lfstool info"),
    (["cat", "x.img"], b"usage: lfstool cat"),
    (["frobnicate", "x.img"], b"unknown command 'frobnicate'"),
    ([], b"no command given"),
])
def test_bad_command_line(lfstool, args, message):
    proc = run(lfstool, *args, expect=2)
    assert message in proc.stderr, proc.stderr
    assert proc.stdout == b""


def test_missing_image_file(lfstool, tmp_path):
    proc = run(lfstool, "info", tmp_path / "nope.img", expect=1)
    assert b"No such file" in proc.stderr
    proc = run(lfstool, "info", tmp_path, expect=1)
    assert b"not a regular file" in proc.stderr


@pytest.mark.parametrize("cmd,path,message", [
    ("cat", "/nope", b"no such file or directory"),
    ("cat", "/docs/nope", b"no such file or directory"),
    ("cat", "/docs", b"is a directory"),
    ("cat", "/", b"is a directory"),
    ("ls", "/nope", b"no such file or directory"),
    ("ls", "/docs/appended/x", b"lfstool: "),
])
def test_missing_path(lfstool, cmd, path, message):
    proc = run(lfstool, cmd, image("basic-512"), path, expect=1)
    assert message in proc.stderr
    assert path.encode() in proc.stderr
    assert proc.stdout == b""


def test_corrupted_images_fail_cleanly(lfstool, tmp_path):
    """A few seeded corruptions through the whole tool: it either reads
    the image or says why not, and never crashes (the C sweep in
    tests/unit/test_corrupt_sweep.c does thousands through the core)."""
    golden = image("basic-512").read_bytes()
    rng = random.Random(2024)
    for i in range(12):
        data = bytearray(golden)
        for _ in range(rng.randint(1, 6)):
            block = rng.randrange(0, 40)
            off = block * 512 + rng.randrange(512)
            data[off] ^= 1 << rng.randrange(8)
        img = tmp_path / f"c{i}.img"
        img.write_bytes(data)
        proc = run(lfstool, "manifest", img, expect=None)
        assert proc.returncode in (0, 1), (i, proc.stderr)
        if proc.returncode == 0:
            json.loads(proc.stdout)
        else:
            assert proc.stdout == b""


# ---- geometry detection ------------------------------------------------------------

@pytest.mark.parametrize("name,block_size", [("basic-512", 512), ("basic-nor4k", 4096)])
@pytest.mark.parametrize("erased", [0, 1])
def test_detects_with_one_superblock_block_erased(lfstool, tmp_path, name, block_size, erased):
    """The superblock pair may have only one readable block: detection
    must find the block size from the other one."""
    data = bytearray(image(name).read_bytes())
    data[erased * block_size:(erased + 1) * block_size] = b"\xff" * block_size
    img = tmp_path / "one.img"
    img.write_bytes(data)
    info = parse_info(run(lfstool, "info", img).stdout.decode())
    assert int(info["block size"]) == block_size
    assert int(info["block count"]) == manifest(name)["geometry"]["block_count"]


def test_padded_image(lfstool, tmp_path):
    img = tmp_path / "padded.img"
    img.write_bytes(image("basic-512").read_bytes() + b"\xff" * 512)
    proc = run(lfstool, "info", img, expect=1)
    assert b"truncated or padded" in proc.stderr


def test_one_geometry_flag_derives_the_other(lfstool):
    golden = manifest("basic-nor4k")
    for args in (["--block-size", "4K"], ["--block-count", "0x40"]):
        got = json.loads(run(lfstool, "manifest", *args, image("basic-nor4k")).stdout)
        assert got["geometry"]["block_size"] == 4096
        assert got["geometry"]["block_count"] == 64
        assert got["entries"] == golden["entries"]
    info = parse_info(run(lfstool, "info", "--block-size=512", image("basic-512")).stdout.decode())
    assert info["geometry from"] == "command line"


# ---- names no golden image has ---------------------------------------------------------

def lfs_crc(data):
    """littlefs's CRC-32: zlib's without the final inversion."""
    return zlib.crc32(data) ^ 0xffffffff


def rename_in_block(data, block, block_size, old, new):
    """Rewrites the name tag `old` as `new` (same length) in every commit of
    a metadata block and fixes those commits' CRCs, following the tag chain
    as the on-disk spec lays it out. Returns how many names it rewrote."""
    assert len(old) == len(new)
    base = block * block_size
    b = data[base:base + block_size]
    off, ptag, start, patched, count = 4, 0xffffffff, 0, False, 0
    while off + 4 <= block_size:
        tag = int.from_bytes(b[off:off + 4], "big") ^ ptag
        if tag >> 31:
            break
        kind, size = (tag >> 20) & 0x7ff, tag & 0x3ff
        dsize = 4 + (0 if size == 0x3ff else size)
        if kind in (0x500, 0x501):
            stored = int.from_bytes(b[off + 4:off + 8], "little")
            if patched:
                b[off + 4:off + 8] = lfs_crc(bytes(b[start:off + 4])).to_bytes(4, "little")
            else:
                assert stored == lfs_crc(bytes(b[start:off + 4])), "tag walk lost its way"
            start, patched = off + dsize, False
            ptag = tag ^ ((kind & 1) << 31)
        else:
            if kind & 0x700 == 0 and size == len(old) and b[off + 4:off + 4 + size] == old:
                b[off + 4:off + 4 + size] = new
                patched, count = True, count + 1
            ptag = tag
        off += dsize
    data[base:base + block_size] = b
    return count


@pytest.fixture
def renamed(tmp_path):
    """basic-512 with the root file "zero2" renamed in place."""
    def make(new):
        data = bytearray(image("basic-512").read_bytes())
        assert rename_in_block(data, 0, 512, b"zero2", new) >= 1
        img = tmp_path / "renamed.img"
        img.write_bytes(data)
        return img
    return make


def test_manifest_escapes_names_like_python(lfstool, renamed):
    for new in ("z\u00e9r2".encode(), "\U0001f600z".encode(), b"\xffero2",
                b'z"\\\t2', b"\x01\x7fro2"):
        img = renamed(new)
        out = run(lfstool, "manifest", img).stdout.decode()
        got = json.loads(out)
        assert out == json.dumps(got, indent=1) + "\n"
        want = "/" + new.decode("utf-8", "surrogateescape")
        assert want in [e["path"] for e in got["entries"]]


def test_ls_escapes_control_characters(lfstool, renamed):
    lines = run(lfstool, "ls", renamed(b"z\n\\x2")).stdout.decode().splitlines()
    assert any(line.endswith("  z\\x0a\\\\x2") for line in lines)


def test_unpack_refuses_names_with_a_slash(lfstool, renamed, tmp_path):
    img = renamed(b"../x2")
    proc = run(lfstool, "unpack", img, tmp_path / "out", expect=1)
    assert b"'/'" in proc.stderr
    assert not (tmp_path / "x2").exists()
    run(lfstool, "manifest", img, expect=1)
