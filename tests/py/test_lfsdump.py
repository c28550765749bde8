"""Tests of scripts/lfsdump.py, the independent Python littlefs decoder.

- Ground truth: on every golden image its --manifest equals the golden
  manifest's entries (paths, types, sizes, sha256, attrs) and geometry.
- Robustness: a seeded sweep of corrupted golden images (bit flips, byte
  smears, zeroed/erased blocks, truncation, swapped and duplicated blocks)
  never raises and always ends with a documented status; each failure names
  the (image, seed, index) that replays it via make_variant().
- Semantics on small hand-built images: torn last commit, revision
  wrap-around, tail loops, splices, pending moves, root attributes,
  skip-list damage.
Runs in-process except for a few subprocess checks of the command line.
"""
import hashlib
import json
import os
import pathlib
import random
import struct
import subprocess
import sys
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "lfsdump.py"
sys.path.insert(0, str(REPO / "scripts"))

import lfsdump  # noqa: E402
import lfsdump_render  # noqa: E402
from lfsdump_format import lfs_crc  # noqa: E402

PYTHON = sys.executable  # the interpreter running pytest (/usr/bin/python3)
STATUSES = (lfsdump.EXIT_OK, lfsdump.EXIT_DAMAGED, lfsdump.EXIT_NO_FS)


def images_dir():
    """Golden images: the project's copy, else the shared folder next to the repo."""
    for d in (REPO / "tests" / "data" / "images", REPO.parent / "shared" / "images"):
        if d.is_dir() and any(d.glob("*.manifest.json")):
            return d
    return None


IMAGES_DIR = images_dir()
IMAGES = sorted(p.name[:-len(".manifest.json")]
                for p in IMAGES_DIR.glob("*.manifest.json")) if IMAGES_DIR else []

_cache = {}


def golden(name):
    """(image bytes, manifest dict) of a golden image, read once."""
    if name not in _cache:
        data = (IMAGES_DIR / (name + ".img")).read_bytes()
        man = json.loads((IMAGES_DIR / (name + ".manifest.json")).read_text())
        _cache[name] = (data, man)
    return _cache[name]


def entries_of(fs):
    return lfsdump_render.manifest_json(fs, "x.img")["entries"]


def test_golden_images_present():
    assert IMAGES, "no golden images found in tests/data/images or ../shared/images"


# -- ground truth -------------------------------------------------------------

@pytest.mark.parametrize("name", IMAGES)
def test_manifest_matches_golden(name):
    data, man = golden(name)
    fs = lfsdump.decode(data)
    assert [str(d) for d in fs.errors] == []
    assert lfsdump.status_of(fs) == lfsdump.EXIT_OK
    doc = lfsdump_render.manifest_json(fs, name + ".img")
    assert list(doc) == list(man), "top-level keys differ from the golden schema"
    assert doc["geometry"] == man["geometry"]
    assert doc["disk_version"] == man["disk_version"]
    assert doc["entries"] == man["entries"]


@pytest.mark.parametrize("name", IMAGES)
def test_given_geometry_matches_detected(name):
    data, man = golden(name)
    g = man["geometry"]
    fs = lfsdump.decode(data, block_size=g["block_size"],
                        block_count=g["block_count"])
    assert fs.geometry_source == "given"
    assert entries_of(fs) == man["entries"]


@pytest.mark.parametrize("name", IMAGES)
def test_every_pair_fully_dumped(name):
    """Every pair on the tail list has a current block whose last commit is valid."""
    data, _ = golden(name)
    fs = lfsdump.decode(data)
    assert fs.chain and fs.chain[0] == (0, 1)
    for key in fs.chain:
        ps = fs.pairs[key]
        log = ps.current_log
        assert log is not None and log.last_valid is not None
        assert all(c.valid for c in log.commits), key
    doc = json.loads(json.dumps(lfsdump_render.full_json(fs, name)))
    assert len(doc["pairs"]) == len(fs.pairs)


# -- command line ---------------------------------------------------------------

def cli(*args, timeout=60):
    proc = subprocess.run([PYTHON, str(SCRIPT), *map(str, args)],
                          capture_output=True, timeout=timeout)
    err = proc.stderr.decode(errors="replace")
    assert "Traceback" not in err, err
    return proc.returncode, proc.stdout.decode(errors="replace"), err


def test_cli_help_documents_everything():
    rc, out, _ = cli("--help")
    assert rc == 0
    for word in ("--block-size", "--block-count", "--json", "--tree", "--block",
                 "--manifest", "--hex-limit", "exit status", "geometry"):
        assert word in out, word


def test_cli_manifest_and_views():
    name = IMAGES[0]
    path = IMAGES_DIR / (name + ".img")
    _, man = golden(name)
    rc, out, _ = cli("--manifest", path)
    assert rc == 0
    assert json.loads(out)["entries"] == man["entries"]
    rc, out, _ = cli("--json", path)
    assert rc == 0
    doc = json.loads(out)
    assert doc["exit_status"] == 0 and doc["tree"]["path"] == "/"
    rc, out, _ = cli("--tree", path)
    assert rc == 0 and out.startswith("/  dir")
    rc, out, _ = cli("--tree", "--json", path)
    assert rc == 0 and json.loads(out)["type"] == "dir"
    rc, out, _ = cli("--block", 1, path)
    assert rc == 0 and out.startswith("pair {0x0,0x1}")
    rc, out, _ = cli(path)
    assert rc == 0
    for part in ("superblock", "tail list", "global state", "metadata pairs",
                 "tree:", "last valid"):
        assert part in out, part


def test_cli_bad_inputs(tmp_path):
    rc, _, err = cli(tmp_path / "missing.img")
    assert rc == lfsdump.EXIT_USAGE and "cannot read" in err
    junk = tmp_path / "junk.img"
    junk.write_bytes(bytes(range(256)) * 64)
    rc, out, err = cli(junk)
    assert rc == lfsdump.EXIT_NO_FS and "no littlefs" in out
    rc, out, err = cli("--manifest", junk)
    assert rc == lfsdump.EXIT_NO_FS and json.loads(out)["entries"] == []
    rc, _, _ = cli("--block-size", "0", junk)
    assert rc == lfsdump.EXIT_USAGE
    rc, _, err = cli("--block", 999999, IMAGES_DIR / (IMAGES[0] + ".img"))
    assert rc == lfsdump.EXIT_USAGE and "out of range" in err


def test_cli_block_not_in_a_pair():
    name = "basic-512" if "basic-512" in IMAGES else IMAGES[0]
    data, _ = golden(name)
    fs = lfsdump.decode(data)
    free = next(b for b in range(fs.block_count) if fs.pair_containing(b) is None)
    rc, out, _ = cli("--block", free, IMAGES_DIR / (name + ".img"))
    assert rc == 0 and "decoded alone" in out
    rc, out, _ = cli("--block", free, "--json", IMAGES_DIR / (name + ".img"))
    assert rc == 0 and json.loads(out)["block"] == free


# -- hand-built images ------------------------------------------------------------

BS = 512
BC = 32


def mktag(type3, id_, length):
    return (type3 << 20) | (id_ << 10) | length


def block_bytes(rev, commits, prog=16, torn=False):
    """A metadata block: `rev`, then each commit (a list of (type3, id, data))
    ended by a CRC tag padded to `prog`. data None makes a deleted tag. With
    torn, the last commit's CRC value is wrong."""
    buf = bytearray(b"\xff" * BS)
    buf[0:4] = struct.pack("<I", rev)
    crc = lfs_crc(0xFFFFFFFF, bytes(buf[0:4]))
    off, ptag = 4, 0xFFFFFFFF
    for n, commit in enumerate(commits):
        for type3, id_, data in commit:
            t = mktag(type3, id_, 0x3FF if data is None else len(data))
            raw = struct.pack(">I", t ^ ptag)
            buf[off:off + 4] = raw
            crc = lfs_crc(crc, raw)
            off += 4
            if data:
                buf[off:off + len(data)] = data
                crc = lfs_crc(crc, data)
                off += len(data)
            ptag = t
        end = (off + 8 + prog - 1) // prog * prog
        t = mktag(0x500, 0x3FF, end - off - 4)
        raw = struct.pack(">I", t ^ ptag)
        crc = lfs_crc(crc, raw)
        if torn and n == len(commits) - 1:
            crc ^= 1
        buf[off:off + 4] = raw
        buf[off + 4:off + 8] = struct.pack("<I", crc)
        ptag, off, crc = t, end, 0xFFFFFFFF
    assert len(buf) == BS, "commits overflow the block"
    return bytes(buf)


def pair_le(a, b):
    return struct.pack("<II", a, b)


def superblock_tags(block_count=BC):
    return [(0x0FF, 0, b"littlefs"),
            (0x201, 0, struct.pack("<6I", 0x00020001, BS, block_count, 255,
                                   0x7FFFFFFF, 1022))]


def new_file(id_, name, content):
    return [(0x401, id_, b""), (0x001, id_, name), (0x201, id_, content)]


def image(blocks, block_count=BC):
    img = bytearray(b"\xff" * (BS * block_count))
    for n, data in blocks.items():
        img[n * BS:(n + 1) * BS] = data
    return bytes(img)


def tree_files(fs):
    out = {}
    for node in fs.walk():
        if node["type"] == "file":
            out[node["path"]] = node["content"]
        else:
            out[node["path"]] = "dir"
    return out


def test_handbuilt_basic_image_reads():
    root = block_bytes(1, [superblock_tags(),
                           new_file(1, b"a.txt", b"hello"),
                           [(0x37F, 0, b"\x01\x02")]])
    fs = lfsdump.decode(image({0: root}))
    assert lfsdump.status_of(fs) == 0, [str(d) for d in fs.diags]
    assert fs.block_size == BS and fs.block_count == BC
    assert tree_files(fs) == {"/": "dir", "/a.txt": b"hello"}
    assert fs.tree["attrs"] == {0x7F: b"\x01\x02"}


def test_torn_last_commit_last_valid_wins():
    older = block_bytes(1, [superblock_tags(), new_file(1, b"f", b"old")])
    newer = block_bytes(2, [superblock_tags(), new_file(1, b"f", b"mid"),
                            [(0x201, 1, b"torn")]], torn=True)
    fs = lfsdump.decode(image({0: older, 1: newer}))
    ps = fs.root
    assert ps.current_block == 1
    log = ps.current_log
    assert [c.valid for c in log.commits] == [True, True, False]
    assert log.last_valid == 1 and log.commits[2].problem == "CRC mismatch"
    assert tree_files(fs)["/f"] == b"mid"
    assert lfsdump.status_of(fs) == 0
    assert any("not valid" in d.message for d in fs.diags)


def test_damaged_middle_commit_is_an_error_not_a_torn_write():
    good = block_bytes(1, [superblock_tags(), new_file(1, b"f", b"one"),
                           [(0x201, 1, b"two")], [(0x201, 1, b"three")]])
    bad = bytearray(good)
    at = bad.index(b"two")
    bad[at] ^= 0x20                      # damage commit 2's data only
    fs = lfsdump.decode(image({0: bytes(bad)}))
    log = fs.root.current_log
    assert log.last_valid == 1 and len(log.intact_after) == 1
    assert tree_files(fs)["/f"] == b"one"
    assert any("not a torn write" in d.message for d in fs.errors)
    assert lfsdump.status_of(fs) == lfsdump.EXIT_DAMAGED


def test_newer_block_without_valid_commit_falls_back():
    older = block_bytes(7, [superblock_tags(), new_file(1, b"f", b"old")])
    newer = block_bytes(8, [superblock_tags()], torn=True)
    fs = lfsdump.decode(image({0: older, 1: newer}))
    assert fs.root.current_block == 0
    assert tree_files(fs)["/f"] == b"old"


@pytest.mark.parametrize("old_rev,new_rev", [(0xFFFFFFFF, 0x00000000),
                                             (0x7FFFFFFF, 0x80000000),
                                             (0xFFFFFFF0, 0x00000005)])
def test_revision_wraparound(old_rev, new_rev):
    a = block_bytes(old_rev, [superblock_tags(), new_file(1, b"f", b"old")])
    b = block_bytes(new_rev, [superblock_tags(), new_file(1, b"f", b"new")])
    for blocks, newer in (({0: a, 1: b}, 1), ({0: b, 1: a}, 0)):
        fs = lfsdump.decode(image(blocks))
        assert fs.root.current_block == newer
        assert tree_files(fs)["/f"] == b"new"


def test_tail_loop_is_reported_not_followed():
    p01 = block_bytes(1, [superblock_tags(), [(0x600, 0x3FF, pair_le(2, 3))]])
    p23 = block_bytes(1, [[(0x600, 0x3FF, pair_le(1, 0))]])
    start = time.time()
    fs = lfsdump.decode(image({0: p01, 2: p23}))
    assert time.time() - start < 5
    assert fs.chain == [(0, 1), (2, 3)]
    assert any("loops" in d.message for d in fs.errors)
    assert lfsdump.status_of(fs) == lfsdump.EXIT_DAMAGED
    assert tree_files(fs) == {"/": "dir"}


def test_hard_tail_loop_in_directory():
    p01 = block_bytes(1, [superblock_tags(), new_file(1, b"x", b"1"),
                          [(0x601, 0x3FF, pair_le(2, 3))]])
    p23 = block_bytes(1, [new_file(0, b"y", b"2"), [(0x601, 0x3FF, pair_le(0, 1))]])
    fs = lfsdump.decode(image({0: p01, 2: p23}))
    assert tree_files(fs) == {"/": "dir", "/x": b"1", "/y": b"2"}
    assert any("already" in d.message for d in fs.errors)


def test_directory_struct_loop():
    p01 = block_bytes(1, [superblock_tags(),
                          [(0x401, 1, b""), (0x002, 1, b"d"), (0x200, 1, pair_le(2, 3)),
                           (0x600, 0x3FF, pair_le(2, 3))]])
    p23 = block_bytes(1, [[(0x401, 0, b""), (0x002, 0, b"up"),
                           (0x200, 0, pair_le(0, 1))]])
    fs = lfsdump.decode(image({0: p01, 2: p23}))
    assert tree_files(fs) == {"/": "dir", "/d": "dir", "/d/up": "dir"}
    assert any("belongs to directory" in d.message for d in fs.errors)


def test_splices_shift_ids_and_later_tags_supersede():
    root = block_bytes(1, [superblock_tags(),
                           new_file(1, b"b", b"B"),
                           new_file(1, b"a", b"A"),          # inserted before b
                           new_file(3, b"c", b"C"),
                           [(0x201, 2, b"B2")],               # b is now id 2
                           [(0x4FF, 1, b"")],                 # delete a: b->1, c->2
                           [(0x374, 2, b"\x07"), (0x374, 2, None),
                            (0x375, 2, b"\x08")]])
    fs = lfsdump.decode(image({0: root}))
    assert lfsdump.status_of(fs) == 0, [str(d) for d in fs.diags]
    assert tree_files(fs) == {"/": "dir", "/b": b"B2", "/c": b"C"}
    node = [n for n in fs.walk() if n["path"] == "/c"][0]
    assert node["attrs"] == {0x75: b"\x08"}
    assert fs.root.count == 3


def test_pending_move_hides_source():
    # /f was copied into /d (pair 2,3); the gstate says id 1 of {0,1} is
    # the move source, so readers must not see /f.
    move = struct.pack("<III", mktag(0x4FF, 1, 0), 0, 1)
    p01 = block_bytes(1, [superblock_tags(), new_file(1, b"f", b"data"),
                          [(0x401, 2, b""), (0x002, 2, b"g"), (0x200, 2, pair_le(2, 3)),
                           (0x600, 0x3FF, pair_le(2, 3))]])
    p23 = block_bytes(1, [new_file(0, b"f", b"data"), [(0x7FF, 0x3FF, move)]])
    fs = lfsdump.decode(image({0: p01, 2: p23}))
    assert fs.gstate["move"] == {"type": 0x4FF, "id": 1, "pair": (0, 1)}
    assert fs.root.hidden_id == 1
    assert tree_files(fs) == {"/": "dir", "/g": "dir", "/g/f": b"data"}
    assert lfsdump.status_of(fs) == 0
    assert any("move is pending" in d.message for d in fs.diags)


def test_gstate_is_xor_of_latest_deltas():
    d1 = struct.pack("<III", 0x12345678, 5, 6)
    d2 = struct.pack("<III", 0x80000001, 0, 0)
    p01 = block_bytes(1, [superblock_tags(), [(0x7FF, 0x3FF, b"\x00" * 12)],
                          [(0x7FF, 0x3FF, d1), (0x600, 0x3FF, pair_le(2, 3))]])
    p23 = block_bytes(1, [[(0x7FF, 0x3FF, d2)]])
    fs = lfsdump.decode(image({0: p01, 2: p23}))
    want = bytes(a ^ b for a, b in zip(d1, d2))
    assert fs.gstate_raw == want
    assert fs.gstate["sync"] == 1


def ctz_file_blocks(content, first_block):
    """Blocks of a CTZ skip-list holding `content`: {block: bytes}, head."""
    blocks = {}
    pos, i, prev = 0, 0, []
    while pos < len(content) or i == 0:
        n = first_block + i
        ptrs = b""
        if i:
            k = (i & -i).bit_length()
            ptrs = b"".join(struct.pack("<I", prev[i - (1 << j)]) for j in range(k))
        room = BS - len(ptrs)
        body = ptrs + content[pos:pos + room]
        blocks[n] = body + b"\xff" * (BS - len(body))
        prev.append(n)
        pos += room
        i += 1
    return blocks, prev[-1]


def ctz_image(content, mutate=None):
    blocks, head = ctz_file_blocks(content, 4)
    if mutate:
        mutate(blocks)
    root = block_bytes(1, [superblock_tags(),
                           [(0x401, 1, b""), (0x001, 1, b"big"),
                            (0x202, 1, struct.pack("<II", head, len(content)))]])
    blocks[0] = root
    return image(blocks)


def test_ctz_file_reads():
    content = bytes(random.Random(5).randrange(256) for _ in range(BS * 9))
    fs = lfsdump.decode(ctz_image(content))
    assert lfsdump.status_of(fs) == 0, [str(d) for d in fs.diags]
    node = [n for n in fs.walk() if n["path"] == "/big"][0]
    assert node["content"] == content
    assert node["sha256"] == hashlib.sha256(content).hexdigest()
    assert node["blocks"] == list(range(4, 4 + len(node["blocks"])))


def test_ctz_loop_and_bad_skip_pointer_reported():
    content = bytes(range(256)) * 20

    def loop(blocks):
        last = max(blocks)
        b = bytearray(blocks[last])
        b[0:4] = struct.pack("<I", last)
        blocks[last] = bytes(b)
    fs = lfsdump.decode(ctz_image(content, loop))
    assert any("loops" in d.message for d in fs.errors)
    node = [n for n in fs.walk() if n["path"] == "/big"][0]
    assert node["sha256"] is None

    def skip(blocks):
        b = bytearray(blocks[6])            # index 2: pointers to 1 and 0
        b[4:8] = struct.pack("<I", 9)
        blocks[6] = bytes(b)
    fs = lfsdump.decode(ctz_image(content, skip))
    assert any("skip pointer 1 of block 2" in d.message for d in fs.errors)


def test_ctz_pointer_out_of_range():
    content = bytes(BS * 3)

    def bad(blocks):
        last = max(blocks)
        b = bytearray(blocks[last])
        b[0:4] = struct.pack("<I", 0xFFFFFF00)
        blocks[last] = bytes(b)
    fs = lfsdump.decode(ctz_image(content, bad))
    assert any("out of range" in d.message for d in fs.errors)
    assert lfsdump.status_of(fs) == lfsdump.EXIT_DAMAGED


def test_fcrc_mismatch_reported_in_dump():
    root = bytearray(block_bytes(1, [superblock_tags() + [
        (0x5FF, 0x3FF, struct.pack("<II", 16, lfs_crc(0xFFFFFFFF, b"\xff" * 16)))]]))
    fs = lfsdump.decode(image({0: bytes(root)}))
    assert fs.root.current_log.next_erased is True
    root[0x48] = 0x00
    fs = lfsdump.decode(image({0: bytes(root)}))
    assert fs.root.current_log.next_erased is False
    assert "NOT cleanly erased" in "\n".join(lfsdump_render.full_text(fs, "x", 32))


def test_truncated_image_detected_and_reported():
    root = block_bytes(1, [superblock_tags(), new_file(1, b"a", b"x")])
    data = image({0: root})[:BS * 8]
    fs = lfsdump.decode(data)
    assert fs.block_size == BS
    assert any("image file has" in d.message for d in fs.errors)
    assert tree_files(fs) == {"/": "dir", "/a": b"x"}


# -- corruption sweep ---------------------------------------------------------

SWEEP_SEED = int(os.environ.get("LFSDUMP_SWEEP_SEED", "1"))
SWEEP_PER_IMAGE = int(os.environ.get("LFSDUMP_SWEEP_PER_IMAGE", "500"))
_layout = {}


def layout(name):
    """(block_size, metadata blocks, data blocks) of a clean golden image."""
    if name not in _layout:
        data, man = golden(name)
        fs = lfsdump.decode(data)
        meta = sorted({b for ps in fs.pairs.values() for b in ps.pair})
        files = sorted({b for n in fs.walk() if n["type"] == "file"
                        for b in n.get("blocks", [])})
        _layout[name] = (man["geometry"]["block_size"], meta, files or meta)
    return _layout[name]


def make_variant(name, seed, index):
    """The corrupted image `index` of the sweep with `seed` over golden `name`.

    Deterministic: replay a failure with make_variant(name, seed, index).
    Returns (bytes, description, block size to give or None to detect).
    """
    data, _ = golden(name)
    bs, meta, files = layout(name)
    rng = random.Random("lfsdump-sweep:%s:%d:%d" % (name, seed, index))
    img = bytearray(data)
    nblocks = len(img) // bs
    kind = rng.choice(["flip", "flip", "smear", "zero", "erase", "truncate",
                       "swap", "copy", "word"])

    def target_block():
        pool = rng.choice([meta, meta, files, range(nblocks)])
        return rng.choice(list(pool))
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            b = target_block()
            pos = b * bs + rng.randrange(bs)
            img[pos] ^= 1 << rng.randrange(8)
    elif kind == "smear":
        b = target_block()
        pos = b * bs + rng.randrange(bs)
        n = rng.randint(1, 64)
        fill = rng.choice([None, 0x00, 0xFF])
        for i in range(pos, min(pos + n, len(img))):
            img[i] = rng.randrange(256) if fill is None else fill
    elif kind in ("zero", "erase"):
        b = target_block()
        img[b * bs:(b + 1) * bs] = bytes([0 if kind == "zero" else 0xFF]) * bs
    elif kind == "truncate":
        cut = rng.choice([rng.randrange(len(img)), rng.randrange(nblocks) * bs,
                          rng.randrange(64)])
        del img[cut:]
    elif kind in ("swap", "copy"):
        a, b = target_block(), target_block()
        ba = bytes(img[a * bs:(a + 1) * bs])
        bb = bytes(img[b * bs:(b + 1) * bs])
        img[a * bs:(a + 1) * bs] = bb
        if kind == "swap":
            img[b * bs:(b + 1) * bs] = ba
    else:
        b = rng.choice(meta)
        pos = b * bs + rng.randrange(0, bs - 4, 4)
        img[pos:pos + 4] = struct.pack("<I", rng.choice(
            [0, 1, 0xFFFFFFFF, 0x7FFFFFFF, rng.randrange(1 << 32),
             rng.randrange(nblocks), b]))
    given = None
    if rng.randrange(10) == 0:
        given = rng.choice([64, 128, 256, 512, 1024, 4096, 8192, 3 * 512])
    return bytes(img), kind, given


def exercise(img, full_render, block_size=None):
    """Decode and render like the command line does; returns the status."""
    fs = lfsdump.decode(img, block_size=block_size)
    status = lfsdump.status_of(fs)
    json.dumps(lfsdump_render.manifest_json(fs, "v.img"))
    lfsdump_render.tree_text(fs) if fs.tree is not None else None
    if full_render:
        "\n".join(lfsdump_render.full_text(fs, "v.img", 32))
        json.dumps(lfsdump_render.full_json(fs, "v.img"))
    return status


@pytest.mark.parametrize("name", IMAGES)
def test_corruption_sweep_never_raises(name):
    failures = []
    count = SWEEP_PER_IMAGE // (4 if name.startswith("many") else 1)
    for index in range(count):
        img, kind, given = make_variant(name, SWEEP_SEED, index)
        start = time.time()
        try:
            status = exercise(img, not name.startswith("many") or index % 8 == 0,
                              given)
        except Exception as e:  # collected so that every failure is named
            failures.append("make_variant(%r, %d, %d) [%s]: %s: %s" % (
                name, SWEEP_SEED, index, kind, type(e).__name__, e))
            continue
        took = time.time() - start
        if status not in STATUSES:
            failures.append("make_variant(%r, %d, %d) [%s]: status %d" % (
                name, SWEEP_SEED, index, kind, status))
        if took > 5:
            failures.append("make_variant(%r, %d, %d) [%s]: took %.1f s" % (
                name, SWEEP_SEED, index, kind, took))
    assert not failures, "%d failures, first: \n%s" % (
        len(failures), "\n".join(failures[:10]))


def test_corruption_sweep_finds_damage():
    """The sweep is not vacuous: many variants are reported as damaged."""
    name = "basic-512" if "basic-512" in IMAGES else IMAGES[0]
    statuses = []
    for i in range(200):
        img, _, given = make_variant(name, SWEEP_SEED, i)
        statuses.append(exercise(img, False, given))
    assert statuses.count(lfsdump.EXIT_DAMAGED) > 20
    assert statuses.count(lfsdump.EXIT_OK) > 20


def test_corrupt_variants_through_the_command_line(tmp_path):
    name = "basic-512" if "basic-512" in IMAGES else IMAGES[0]
    for index in range(6):
        img, kind, given = make_variant(name, SWEEP_SEED, index)
        path = tmp_path / ("v%d.img" % index)
        path.write_bytes(img)
        want = exercise(img, False, given)
        extra = () if given is None else ("--block-size", given)
        for args in ((path,), ("--json", path), ("--manifest", path),
                     ("--tree", path)):
            rc, out, err = cli(*extra, *args)
            assert rc == want, (name, SWEEP_SEED, index, kind, args, err)
            if "--json" in args or "--manifest" in args:
                json.loads(out)


def test_run_reports_internal_errors_without_traceback(monkeypatch, capsys):
    def boom(*a, **k):
        raise RuntimeError("synthetic")
    monkeypatch.setattr(lfsdump, "run", boom)
    monkeypatch.delenv("LFSDUMP_DEBUG", raising=False)
    assert lfsdump.main(["x.img"]) == lfsdump.EXIT_INTERNAL
    assert "internal error: RuntimeError: synthetic" in capsys.readouterr().err


# -- structured fuzz: garbage with valid CRCs -------------------------------------

def random_tags(rng):
    """A few tags: either one random tag or a coherent file/dir creation."""
    ident = rng.randrange(1, 5)
    shape = rng.randrange(4)
    if shape == 0:
        return [(0x401, ident, b""), (0x001, ident, rng.choice([b"f", b"g", b"h"])),
                rng.choice([(0x201, ident, b"inline"), (0x202, ident, struct.pack(
                    "<II", rng.randrange(8, 24), rng.choice([1, BS, 3 * BS])))])]
    if shape == 1:
        return [(0x401, ident, b""), (0x002, ident, rng.choice([b"d", b"e"])),
                (0x200, ident, pair_le(*rng.choice([(2, 3), (4, 5), (6, 7), (0, 1)])))]
    return [random_tag(rng)]


def random_tag(rng):
    kind = rng.randrange(12)
    ident = rng.choice([0, 1, 2, 3, 4, 0x3FF, rng.randrange(0x400)])
    pair = pair_le(rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 0xFFFFFFFF, rng.randrange(40)]),
                   rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 0xFFFFFFFF, rng.randrange(40)]))
    blob = bytes(rng.randrange(256) for _ in range(rng.randrange(24)))
    if kind == 0:
        return (rng.choice([0x401, 0x4FF, 0x400 | rng.randrange(256)]), ident, b"")
    if kind == 1:
        return (rng.choice([0x001, 0x002, 0x0FF, rng.randrange(0x100)]), ident,
                rng.choice([b"a", b"b", b"littlefs", b"", b"x/y", blob]))
    if kind == 2:
        return (0x200, ident, rng.choice([pair, blob]))
    if kind == 3:
        return (0x201, ident, rng.choice([blob, b"", struct.pack(
            "<6I", 0x00020001, BS, BC, 255, 0x7FFFFFFF, 1022)]))
    if kind == 4:
        return (0x202, ident, rng.choice([blob, struct.pack(
            "<II", rng.randrange(40), rng.choice(
                [0, 1, BS, 3 * BS, rng.randrange(1 << 32)]))]))
    if kind == 5:
        return (0x300 | rng.randrange(256), ident, rng.choice([blob, None]))
    if kind == 6:
        return (rng.choice([0x600, 0x601, 0x600 | rng.randrange(256)]), 0x3FF,
                rng.choice([pair, pair, blob]))
    if kind == 7:
        return (0x7FF, 0x3FF, rng.choice([blob, struct.pack(
            "<III", mktag(rng.choice([0x4FF, 0]), rng.randrange(6), 0) |
            rng.choice([0, 1 << 31]), rng.randrange(8), rng.randrange(8))]))
    if kind == 8:
        return (0x5FF, 0x3FF, rng.choice([blob, struct.pack("<II", 16, 0)]))
    if kind == 9:
        return (rng.choice([0x100, 0x7FE, 0x1FF]) , ident, blob)
    if kind == 10:
        return (rng.choice([0x001, 0x002, 0x201]), ident, None)
    return (0x401, ident, b"")


def random_block(rng, with_superblock):
    commits, used = [], 4
    if with_superblock:
        commits.append(superblock_tags())
        used += 60
    for _ in range(rng.randrange(1, 6)):
        commit = [t for _ in range(rng.randrange(1, 5)) for t in random_tags(rng)]
        size = sum(4 + len(d or b"") for _, _, d in commit) + 24
        if used + size > BS - 8:
            break
        commits.append(commit)
        used += size
    return block_bytes(rng.randrange(1 << 32) if rng.randrange(4) == 0
                       else rng.randrange(4), commits,
                       torn=rng.randrange(6) == 0)


def random_image(seed):
    rng = random.Random("lfsdump-structured:%d" % seed)
    blocks = {}
    for b in range(0, 8):
        if rng.randrange(3):
            blocks[b] = random_block(rng, b < 2 and rng.randrange(5) != 0)
    for b in range(8, 24):
        blocks[b] = bytes(rng.randrange(256) for _ in range(8)) * (BS // 8)
    return image(blocks)


def test_structured_fuzz_never_raises():
    failures = []
    for seed in range(int(os.environ.get("LFSDUMP_FUZZ_COUNT", "400"))):
        img = random_image(seed)
        start = time.time()
        try:
            status = exercise(img, True)
            if status not in STATUSES:
                failures.append("random_image(%d): status %d" % (seed, status))
        except Exception as e:
            failures.append("random_image(%d): %s: %s" % (seed, type(e).__name__, e))
        if time.time() - start > 5:
            failures.append("random_image(%d): slow" % seed)
    assert not failures, "%d failures:\n%s" % (len(failures), "\n".join(failures[:10]))
