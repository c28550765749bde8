"""Acceptance tests of `lfstool`'s write commands (format, pack, put, rm,
mkdir).

- pack then unpack gives back the same tree, custom attributes included,
  for deep nesting, 1,000 files in one directory, empty files, files of one
  block and one block + 1 byte, and a file larger than half the device; on
  disk versions 2.1 and 2.0 and on 512- and 4096-byte blocks.
- Every image written decodes with the independent Python decoder
  (scripts/lfsdump.py --manifest) to the entries `lfstool manifest` reports.
- put/rm/mkdir edits show in the manifest; every failing command leaves the
  image file byte-identical (and the same inode: it was not rewritten); an
  edit interrupted while the new image is being written (a file-size limit,
  a read-only directory, SIGKILL) leaves the old image.
"""
import hashlib
import json
import os
import pathlib
import random
import resource
import signal
import stat
import subprocess
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
IMAGES_DIR = REPO / "tests" / "data" / "images"
SANITIZER_MARKS = ("Sanitizer", "runtime error:", "Segmentation fault")
PY = "/usr/bin/python3"


@pytest.fixture(scope="session")
def lfstool(build_dir):
    path = build_dir / "lfstool"
    if not path.exists():
        pytest.fail(f"{path} is not built (make, or make asan with BROWNOUT_BUILD=build/asan)")
    return path


def run(lfstool, *args, expect=0, timeout=600, **kw):
    """Runs lfstool; checks the exit status and that nothing crashed."""
    proc = subprocess.run([str(lfstool), *map(str, args)], capture_output=True,
                          timeout=timeout, **kw)
    err = proc.stderr.decode(errors="replace")
    for mark in SANITIZER_MARKS:
        assert mark not in err, f"lfstool {args} crashed:\n{err}"
    assert proc.returncode >= 0, f"lfstool {args} died of signal {-proc.returncode}"
    if expect is not None:
        assert proc.returncode == expect, (
            f"lfstool {' '.join(map(str, args))}: exit {proc.returncode}, "
            f"expected {expect}\nstderr: {err}")
    if proc.returncode != 0:
        assert err.startswith("lfstool: "), f"no message: {err!r}"
    return proc


def manifest_of(lfstool, img):
    return json.loads(run(lfstool, "manifest", img).stdout)


def lfsdump_manifest(img):
    proc = subprocess.run([PY, str(REPO / "scripts" / "lfsdump.py"), "--manifest",
                           str(img)], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return json.loads(proc.stdout)


def check_decodes_independently(lfstool, img):
    """The independent decoder sees exactly what the core reads back."""
    ours = manifest_of(lfstool, img)
    theirs = lfsdump_manifest(img)
    assert theirs["entries"] == ours["entries"]
    assert theirs["disk_version"] == ours["disk_version"]
    for key in ("block_size", "block_count"):
        assert theirs["geometry"][key] == ours["geometry"][key]
    return ours


def host_tree(root):
    """{relative path: None for a directory, bytes for a file}."""
    root = pathlib.Path(root)
    tree = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            tree["/" + str((pathlib.Path(dirpath) / d).relative_to(root))] = None
        for f in filenames:
            p = pathlib.Path(dirpath) / f
            tree["/" + str(p.relative_to(root))] = p.read_bytes()
    return tree


def write_sidecar(path, attrs):
    """A minimal sidecar: just entries with attributes (no geometry)."""
    entries = [{"path": p, "attrs": {f"{t:02x}": v.hex() for t, v in a.items()}}
               for p, a in attrs.items()]
    pathlib.Path(path).write_text(json.dumps({"entries": entries}, indent=1))


def attrs_of(manifest):
    return {e["path"]: {int(t, 16): bytes.fromhex(v) for t, v in e["attrs"].items()}
            for e in manifest["entries"] if e["attrs"]}


def sha(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


# ---- trees --------------------------------------------------------------------

def tree_deep(root, bs, rng):
    p = root
    for i in range(40):
        p = p / f"level{i:02d}"
        p.mkdir()
        if i % 8 == 0:
            (p / "f").write_bytes(rng.randbytes(i * 7))
    return {"/level00": {0x10: b"top"},
            "/" + "/".join(f"level{i:02d}" for i in range(40)): {0x20: b"bottom"}}


def tree_many(root, bs, rng):
    d = root / "many"
    d.mkdir()
    for i in range(1000):
        (d / f"f{i:04d}").write_bytes(rng.randbytes(i % 13))
    return {"/many/f0000": {0x01: b"\x00"}, "/many/f0999": {0xff: b"last"}}


def tree_edges(root, bs, rng):
    (root / "empty").write_bytes(b"")
    (root / "dir").mkdir()
    (root / "dir" / "also-empty").write_bytes(b"")
    (root / "one-block").write_bytes(rng.randbytes(bs))
    (root / "one-block-plus-1").write_bytes(rng.randbytes(bs + 1))
    (root / "odd name \u00e9 #1").write_bytes(b"x")
    return {"/": {0x00: b"root", 0x7f: bytes(range(64))},
            "/dir": {0x41: b"directory attr"},
            "/empty": {0x42: b""},
            "/one-block": {0x43: rng.randbytes(200)},
            "/one-block-plus-1": {0x44: b"\xff" * 3, 0x45: b"x"}}


def tree_large(root, bs, rng):
    # the device below is 64 blocks; this file takes more than half of it
    (root / "big").write_bytes(rng.randbytes(bs * 36))
    (root / "small").write_bytes(b"small")
    return {"/big": {0x01: b"big"}}


TREES = {"deep": tree_deep, "many": tree_many, "edges": tree_edges, "large": tree_large}
GEOMETRIES = {512: 1024, 4096: 256}    # block size: block count
VERSIONS = {"2.1": "0x00020001", "2.0": "0x00020000"}


# Every tree on both geometries and both versions, except the 1,000-file
# directory: a manifest probes all 256 attribute types of every entry, each
# probe a path lookup through the whole directory (~35 s of CPU under ASan
# for one manifest of it), so it runs once, on 512-byte blocks (the most
# metadata pairs) and version 2.1.
ROUNDTRIPS = [(kind, bs, version) for kind in TREES for bs in GEOMETRIES
              for version in VERSIONS
              if kind != "many" or (bs, version) == (512, "2.1")]


@pytest.mark.parametrize("kind,bs,version", ROUNDTRIPS)
def test_pack_unpack_roundtrip(lfstool, tmp_path, kind, bs, version):
    rng = random.Random(f"{kind}-{bs}-{version}")
    src = tmp_path / "src"
    src.mkdir()
    attrs = TREES[kind](src, bs, rng)
    count = 64 if kind == "large" else GEOMETRIES[bs]
    sidecar = tmp_path / "attrs.json"
    write_sidecar(sidecar, attrs)
    img = tmp_path / "packed.img"
    run(lfstool, "pack", "--block-size", bs, "--block-count", count,
        "--disk-version", version, "--manifest", sidecar, src, img)
    assert img.stat().st_size == bs * count
    if kind == "large":
        assert (src / "big").stat().st_size > bs * count // 2

    out = tmp_path / "out"
    run(lfstool, "unpack", img, out)
    assert host_tree(out) == host_tree(src)
    got = json.loads((tmp_path / "out.manifest.json").read_text())
    assert attrs_of(got) == attrs
    assert got["disk_version"] == VERSIONS[version]
    assert got["geometry"]["block_size"] == bs
    assert got["geometry"]["block_count"] == count

    # unpack's sidecar is `lfstool manifest` of the image: the independent
    # decoder must see the same entries
    theirs = lfsdump_manifest(img)
    assert theirs["entries"] == got["entries"]
    assert theirs["disk_version"] == got["disk_version"]


def test_pack_is_deterministic_and_repacks_from_its_sidecar(lfstool, tmp_path):
    rng = random.Random(7)
    src = tmp_path / "src"
    src.mkdir()
    write_sidecar(tmp_path / "src.manifest.json", tree_edges(src, 4096, rng))
    a, b = tmp_path / "a.img", tmp_path / "b.img"
    for img in (a, b):
        run(lfstool, "pack", "--block-size", 4096, "--block-count", 32,
            "--disk-version", "2.0", src, img)    # default sidecar: src.manifest.json
    assert a.read_bytes() == b.read_bytes()
    # unpack's sidecar carries geometry and version: pack needs no flags
    run(lfstool, "unpack", a, tmp_path / "again")
    c = tmp_path / "c.img"
    run(lfstool, "pack", tmp_path / "again", c)
    assert c.read_bytes() == a.read_bytes()


@pytest.mark.parametrize("name", ["basic-512", "basic-v20", "churn-512"])
def test_golden_image_unpack_pack_unpack(lfstool, tmp_path, name):
    """A real littlefs image's tree, attributes and layout survive the trip."""
    golden = json.loads((IMAGES_DIR / f"{name}.manifest.json").read_text())
    run(lfstool, "unpack", IMAGES_DIR / f"{name}.img", tmp_path / "t")
    img = tmp_path / "re.img"
    run(lfstool, "pack", tmp_path / "t", img)
    got = check_decodes_independently(lfstool, img)
    assert got["disk_version"] == golden["disk_version"]
    key = lambda e: e["path"]
    assert sorted(got["entries"], key=key) == sorted(golden["entries"], key=key)


# ---- format ---------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_format(lfstool, tmp_path, version):
    img = tmp_path / "new.img"
    run(lfstool, "format", "--block-size", 512, "--block-count", 128,
        "--disk-version", version, "--name-max", 64, img)
    assert img.stat().st_size == 512 * 128
    m = check_decodes_independently(lfstool, img)
    assert m["disk_version"] == VERSIONS[version]
    assert [e["path"] for e in m["entries"]] == ["/"]
    info = run(lfstool, "info", img).stdout.decode()
    assert "name max:      64" in info or "name max" in info and " 64" in info


@pytest.mark.parametrize("args", [
    ["--block-size", 512],                          # no block count
    ["--block-count", 64],                          # no block size
    ["--block-size", 512, "--block-count", 64, "--disk-version", "3.0"],
    ["--block-size", 512, "--block-count", 64, "--recursive"],
    ["--block-size", 512, "--block-count", 64, "--bogus"],
])
def test_format_bad_flags(lfstool, tmp_path, args):
    img = tmp_path / "x.img"
    run(lfstool, "format", *args, img, expect=2)
    assert not img.exists()


@pytest.mark.parametrize("args", [
    ["--block-size", 64, "--block-count", 64],      # below littlefs's minimum
    ["--block-size", 512, "--block-count", 1],
    ["--block-size", 512, "--block-count", 64, "--prog-size", 384],
    ["--block-size", 512, "--block-count", 64, "--name-max", 300],
])
def test_format_bad_geometry(lfstool, tmp_path, args):
    img = tmp_path / "x.img"
    run(lfstool, "format", *args, img, expect=1)
    assert not img.exists()


# ---- edits ------------------------------------------------------------------------

@pytest.fixture
def packed(lfstool, tmp_path):
    """A small 2.1 image with a file, a dir with a file, and attributes."""
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    (src / "docs" / "readme").write_bytes(b"hello\n")
    (src / "top").write_bytes(b"top file")
    write_sidecar(tmp_path / "src.manifest.json", {"/top": {0x33: b"keep me"}})
    img = tmp_path / "work" / "fs.img"
    img.parent.mkdir()
    run(lfstool, "pack", "--block-size", 512, "--block-count", 64, src, img)
    return img


def entries(lfstool, img):
    return {e["path"]: e for e in manifest_of(lfstool, img)["entries"]}


def test_put_rm_mkdir_show_in_manifest(lfstool, tmp_path, packed):
    data = random.Random(1).randbytes(3000)
    (tmp_path / "blob").write_bytes(data)
    run(lfstool, "put", packed, tmp_path / "blob", "/docs/blob")
    e = entries(lfstool, packed)
    assert e["/docs/blob"]["size"] == 3000
    assert e["/docs/blob"]["sha256"] == hashlib.sha256(data).hexdigest()

    run(lfstool, "put", packed, tmp_path / "blob", "docs/")     # into a dir
    run(lfstool, "put", packed, tmp_path / "blob", "/")         # into the root
    assert {"/docs/blob", "/blob"} <= set(entries(lfstool, packed))

    # replacing a file keeps its attributes
    (tmp_path / "new-top").write_bytes(b"replaced")
    run(lfstool, "put", packed, tmp_path / "new-top", "/top")
    e = entries(lfstool, packed)["/top"]
    assert e["sha256"] == hashlib.sha256(b"replaced").hexdigest()
    assert e["attrs"] == {"33": b"keep me".hex()}

    run(lfstool, "put", "-p", packed, tmp_path / "blob", "/a/b/c/blob")
    run(lfstool, "mkdir", packed, "/newdir")
    run(lfstool, "mkdir", "-p", packed, "/x/y/z")
    run(lfstool, "mkdir", "-p", packed, "/x/y")                 # exists: fine
    e = entries(lfstool, packed)
    for d in ("/a", "/a/b", "/a/b/c", "/newdir", "/x", "/x/y", "/x/y/z"):
        assert e[d]["type"] == "dir"
    assert e["/a/b/c/blob"]["size"] == 3000

    run(lfstool, "rm", packed, "/docs/readme")
    run(lfstool, "rm", packed, "/newdir")
    run(lfstool, "rm", "-r", packed, "/a")
    run(lfstool, "rm", "-R", packed, "/x/y")
    e = entries(lfstool, packed)
    assert not {"/docs/readme", "/newdir", "/a", "/a/b/c/blob", "/x/y"} & set(e)
    assert {"/", "/docs", "/docs/blob", "/blob", "/top", "/x"} == set(e)
    check_decodes_independently(lfstool, packed)


def test_put_from_stdin(lfstool, tmp_path, packed):
    run(lfstool, "put", packed, "-", "/stdin-file", input=b"from stdin")
    out = run(lfstool, "cat", packed, "/stdin-file").stdout
    assert out == b"from stdin"


def test_edit_keeps_disk_version_2_0(lfstool, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_bytes(b"v2.0")
    img = tmp_path / "v20.img"
    run(lfstool, "pack", "--block-size", 512, "--block-count", 32,
        "--disk-version", "2.0", src, img)
    run(lfstool, "mkdir", img, "/d")
    run(lfstool, "put", img, src / "f", "/d/g")
    run(lfstool, "rm", img, "/f")
    m = check_decodes_independently(lfstool, img)
    assert m["disk_version"] == "0x00020000"
    assert [e["path"] for e in m["entries"]] == ["/", "/d", "/d/g"]


def test_edit_keeps_permissions_and_symlink(lfstool, tmp_path, packed):
    os.chmod(packed, 0o640)
    link = tmp_path / "link.img"
    link.symlink_to(packed)
    run(lfstool, "mkdir", link, "/via-link")
    assert link.is_symlink()
    assert stat.S_IMODE(packed.stat().st_mode) == 0o640
    assert "/via-link" in entries(lfstool, packed)


def snapshot(img):
    st = img.stat()
    return img.read_bytes(), st.st_ino, st.st_mtime_ns


def no_temp_files(img):
    return [p.name for p in img.parent.iterdir() if p.name != img.name] == []


@pytest.mark.parametrize("args,message", [
    (["rm", "{img}", "/missing"], "no such file"),
    (["rm", "{img}", "/docs"], "directory not empty"),
    (["rm", "-r", "{img}", "/"], "root"),
    (["mkdir", "{img}", "/docs"], "already exists"),
    (["mkdir", "{img}", "/no/parent"], "no such file"),
    (["mkdir", "-p", "{img}", "/top/sub"], "not a directory"),
    (["put", "{img}", "{big}", "/big"], "no space left on the image for 100000 bytes"),
    (["put", "{img}", "{missing}", "/x"], "No such file"),
    (["put", "{img}", "{dir}", "/x"], "not a regular file"),
    (["put", "{img}", "{small}", "/no/parent/x"], "no such file"),
    (["put", "{img}", "{small}", "/docs/readme/x"], "not a directory"),
    (["rm", "--block-size", "1024", "{img}", "/top"], "mount"),
])
def test_failed_edit_leaves_image_identical(lfstool, tmp_path, packed, args, message):
    (tmp_path / "big").write_bytes(random.Random(2).randbytes(100000))
    (tmp_path / "small").write_bytes(b"small")
    subs = {"img": packed, "big": tmp_path / "big", "missing": tmp_path / "nope",
            "dir": tmp_path / "src", "small": tmp_path / "small"}
    before = snapshot(packed)
    proc = run(lfstool, *[a.format(**subs) for a in args], expect=1)
    assert message in proc.stderr.decode()
    assert snapshot(packed) == before
    assert no_temp_files(packed)


@pytest.mark.parametrize("args", [
    ["rm", "{img}"],                            # missing PATH
    ["mkdir", "--disk-version", "2.0", "{img}", "/d"],
    ["put", "-r", "{img}", "{img}", "/d"],
    ["rm", "--nope", "{img}", "/top"],
    ["mkdir", "{img}", "/a", "/b"],
])
def test_bad_flags_leave_image_identical(lfstool, packed, args):
    before = snapshot(packed)
    run(lfstool, *[a.format(img=packed) for a in args], expect=2)
    assert snapshot(packed) == before


def _limit_file_size(limit):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_interrupted_write_leaves_old_image(lfstool, tmp_path, packed):
    """The new image's write fails halfway (file-size limit): old image kept,
    temporary file removed."""
    before = snapshot(packed)
    size = packed.stat().st_size
    proc = run(lfstool, "mkdir", packed, "/new", expect=1,
               preexec_fn=_limit_file_size(size // 2))
    assert "unchanged" in proc.stderr.decode()
    assert snapshot(packed) == before
    assert no_temp_files(packed)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_leaves_old_image(lfstool, packed):
    before = snapshot(packed)
    os.chmod(packed.parent, 0o555)
    try:
        run(lfstool, "mkdir", packed, "/new", expect=1)
    finally:
        os.chmod(packed.parent, 0o755)
    assert snapshot(packed) == before
    assert no_temp_files(packed)


def test_killed_edit_leaves_old_or_new_image(lfstool, tmp_path):
    """SIGKILL at several moments of an edit of a 32 MiB image: the image
    file is always exactly the old or exactly the new one."""
    img = tmp_path / "work" / "big.img"
    img.parent.mkdir()
    run(lfstool, "format", "--block-size", 4096, "--block-count", 8192, img)
    old = img.read_bytes()
    (tmp_path / "f").write_bytes(b"payload" * 100)
    ref = tmp_path / "ref" / "big.img"
    ref.parent.mkdir()
    ref.write_bytes(old)
    t0 = time.monotonic()
    run(lfstool, "put", ref, tmp_path / "f", "/f")
    full = time.monotonic() - t0
    new = ref.read_bytes()
    assert new != old
    outcomes = set()
    for i in range(6):
        img.write_bytes(old)
        proc = subprocess.Popen([str(lfstool), "put", str(img), str(tmp_path / "f"), "/f"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full * i / 5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = img.read_bytes()
        assert data in (old, new), f"kill after {full * i / 5:.3f}s: image is neither"
        outcomes.add(data == new)
        for p in img.parent.iterdir():      # a killed save may leave its temp file
            if p != img:
                p.unlink()
    assert False in outcomes                # at least the immediate kill


# ---- pack errors ----------------------------------------------------------------

def test_pack_does_not_fit(lfstool, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(4):
        (src / f"f{i}").write_bytes(random.Random(i).randbytes(6000))
    img = tmp_path / "small.img"
    proc = run(lfstool, "pack", "--block-size", 512, "--block-count", 16, src, img,
               expect=1)
    err = proc.stderr.decode()
    assert "does not fit in 16 blocks of 512 bytes" in err
    assert "4 files, 24000 bytes" in err
    assert not img.exists()
    needed = int(err.split("give --block-count ")[1].split()[0])
    assert needed > 16
    run(lfstool, "pack", "--block-size", 512, "--block-count", needed + 4, src, img)
    assert host_tree(src) == {p: v for p, v in host_tree(src).items()}


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_pack_refuses_special_files(lfstool, tmp_path, kind):
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    (src / "d" / "f").write_bytes(b"f")
    if kind == "symlink":
        (src / "d" / "link").symlink_to("f")
    else:
        os.mkfifo(src / "d" / "link")
    img = tmp_path / "x.img"
    proc = run(lfstool, "pack", "--block-size", 512, "--block-count", 32, src, img,
               expect=1)
    assert "/d/link is a " in proc.stderr.decode()
    assert not img.exists()


def test_pack_name_too_long(lfstool, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / ("n" * 20)).write_bytes(b"")
    img = tmp_path / "x.img"
    proc = run(lfstool, "pack", "--block-size", 512, "--block-count", 32,
               "--name-max", 16, src, img, expect=1)
    assert "name too long (20 bytes; name max is 16)" in proc.stderr.decode()
    assert not img.exists()


@pytest.mark.parametrize("text,message", [
    ("{", "not valid JSON"),
    ('{"entries": [{"path": "/f", "attrs": {"1": "00"}}]}', "two hex digits"),
    ('{"entries": [{"path": "/f", "attrs": {"01": "0"}}]}', "hex byte pairs"),
    ('{"entries": [{"path": "/f", "attrs": {"01": "zz"}}]}', "hex byte pairs"),
    ('{"entries": [{"path": "f"}]}', "absolute path"),
    ('{"disk_version": "0x00030000"}', "disk_version"),
    ('{"geometry": {"block_size": -1}}', "positive 32-bit"),
    ('[]', "not a manifest"),
])
def test_pack_bad_sidecar(lfstool, tmp_path, text, message):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_bytes(b"f")
    (tmp_path / "bad.json").write_text(text)
    img = tmp_path / "x.img"
    proc = run(lfstool, "pack", "--block-size", 512, "--block-count", 32,
               "--manifest", tmp_path / "bad.json", src, img, expect=1)
    assert message in proc.stderr.decode()
    assert not img.exists()


def test_pack_attr_over_attr_max_and_unused_entries(lfstool, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_bytes(b"f")
    write_sidecar(tmp_path / "src.manifest.json", {"/f": {1: b"x" * 40}})
    img = tmp_path / "x.img"
    proc = run(lfstool, "pack", "--block-size", 512, "--block-count", 32,
               "--attr-max", 32, src, img, expect=1)
    assert "more than the image's attr max of 32" in proc.stderr.decode()
    assert not img.exists()
    write_sidecar(tmp_path / "src.manifest.json", {"/gone": {1: b"x"}})
    proc = run(lfstool, "pack", "--block-size", 512, "--block-count", 32, src, img)
    assert "warning" in proc.stderr.decode() and "/gone" in proc.stderr.decode()


def test_pack_usage_errors(lfstool, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    run(lfstool, "pack", src, tmp_path / "x.img", expect=2)     # no geometry anywhere
    run(lfstool, "pack", "--block-size", 512, "--block-count", 32,
        tmp_path / "nope", tmp_path / "x.img", expect=1)
    run(lfstool, "pack", "--block-size", 512, "--block-count", 32,
        "--manifest", tmp_path / "nope.json", src, tmp_path / "x.img", expect=1)
    assert not (tmp_path / "x.img").exists()


@pytest.mark.parametrize("cmd", ["format", "pack", "put", "rm", "mkdir"])
def test_write_command_help(lfstool, cmd):
    text = run(lfstool, cmd, "--help").stdout.decode()
    assert text.startswith(f"usage: lfstool {cmd} ")
    assert "atomically" in text
    assert run(lfstool, "help", cmd).stdout.decode() == text
    assert cmd in run(lfstool, "--help").stdout.decode()
