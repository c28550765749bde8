"""Tests of `lfstool fsck`, `fsck --repair` and `salvage`.

Clean images (golden ones and ones our core writes) must check clean. Each
kind of corruption is built here by patching bytes of a golden image (with
the commit CRC recomputed where the patch is inside a commit), and fsck must
give the right status and name the right block. The small decoder below
finds what to patch; it only follows the format (tests/data/images and
docs of the on-disk format), not lfstool's code.
"""
import binascii
import hashlib
import json
import pathlib
import shutil
import struct
import subprocess

import pytest

IMAGES_DIR = pathlib.Path(__file__).resolve().parents[1] / "data" / "images"
IMAGES = sorted(p.name[: -len(".img")] for p in IMAGES_DIR.glob("*.img"))
SANITIZER_MARKS = ("Sanitizer", "runtime error:", "Segmentation fault")


@pytest.fixture(scope="session")
def lfstool(build_dir):
    path = build_dir / "lfstool"
    if not path.exists():
        pytest.fail(f"{path} is not built")
    return path


def run(lfstool, *args, expect=None):
    proc = subprocess.run([str(lfstool), *map(str, args)], capture_output=True,
                          timeout=300)
    err = proc.stderr.decode(errors="replace")
    for mark in SANITIZER_MARKS:
        assert mark not in err, f"lfstool {args} crashed:\n{err}"
    assert proc.returncode >= 0, f"lfstool {args} died of signal {-proc.returncode}"
    if expect is not None:
        assert proc.returncode == expect, (
            f"lfstool {args}: status {proc.returncode}, wanted {expect}\n"
            f"{proc.stdout.decode(errors='replace')}\n{err}")
    return proc


def fsck_json(lfstool, image, expect=None):
    proc = run(lfstool, "fsck", "--json", image, expect=expect)
    report = json.loads(proc.stdout)
    assert report["status"] == proc.returncode
    return report


def kinds_at(report, kind):
    return {f["block"] for f in report["findings"] if f["kind"] == kind}


# ---- a minimal decoder, from the format --------------------------------------

def crc32(data, init=0xffffffff):
    """Reflected CRC-32 continued from init, no final xor."""
    return (~binascii.crc32(data, ~init & 0xffffffff)) & 0xffffffff


def le32(b, off=0):
    return struct.unpack_from("<I", b, off)[0]


def be32(b, off=0):
    return struct.unpack_from(">I", b, off)[0]


def is_crc(tag):
    return (tag >> 20) & 0x780 == 0x500


def decode_block(blk):
    """(rev, commits): each commit {start, end, ok, crc_off, tags: [(off, tag)], ptag}."""
    rev = le32(blk)
    off, start, ptag, c, tags, out = 4, 0, 0xffffffff, crc32(blk[:4]), [], []
    while off + 4 <= len(blk):
        tag = be32(blk, off) ^ ptag
        if tag & 0x80000000:
            break
        size = tag & 0x3ff
        dsize = 4 + (0 if size == 0x3ff else size)
        if off + dsize > len(blk):
            break
        c = crc32(blk[off:off + 4], c)
        if is_crc(tag):
            ptag = tag ^ ((((tag >> 20) & 1)) << 31)
            out.append(dict(start=start, end=off + dsize, crc_off=off,
                            ok=le32(blk, off + 4) == c, tags=tags, ptag=ptag))
            off = start = off + dsize
            c, tags = 0xffffffff, []
            continue
        c = crc32(blk[off + 4:off + dsize], c)
        tags.append((off, tag))
        ptag = tag
        off += dsize
    return rev, out


class Image:
    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.data = bytearray(self.path.read_bytes())
        self.bs = le32(self.data, 24)       # the superblock in block 0
        assert self.data[8:16] == b"littlefs"

    def block(self, b):
        return self.data[b * self.bs:(b + 1) * self.bs]

    def put(self, b, off, raw):
        self.data[b * self.bs + off:b * self.bs + off + len(raw)] = raw

    def save(self, path):
        pathlib.Path(path).write_bytes(bytes(self.data))
        return path

    def current(self, pair):
        best = None
        for b in pair:
            rev, commits = decode_block(self.block(b))
            if commits and commits[0]["ok"]:
                if best is None or ((rev - best[1]) & 0xffffffff) < 0x80000000:
                    best = (b, rev, commits)
        return best

    def valid_commits(self, b):
        _, commits = decode_block(self.block(b))
        good = []
        for c in commits:
            if not c["ok"]:
                break
            good.append(c)
        return good

    def tags(self, b):
        """(commit, off, tag) for every tag of the good commits, in order."""
        return [(c, off, tag) for c in self.valid_commits(b) for off, tag in c["tags"]]

    def fix_crc(self, b, commit):
        blk = self.block(b)
        value = crc32(bytes(blk[commit["start"]:commit["crc_off"] + 4]))
        self.put(b, commit["crc_off"] + 4, struct.pack("<I", value))

    def patch_tag_data(self, b, commit, off, rel, raw):
        self.put(b, off + 4 + rel, raw)
        self.fix_crc(b, commit)

    def thread(self):
        """[(pair, current block)] from {0,1} through the tails."""
        out, pair = [], (0, 1)
        while pair[0] != 0xffffffff:
            cur = self.current(pair)
            out.append((pair, cur[0]))
            tail = None
            for _, off, tag in self.tags(cur[0]):
                if (tag >> 20) & 0x7fe == 0x600:
                    tail = (le32(self.block(cur[0]), off + 4), le32(self.block(cur[0]), off + 8))
            if tail is None:
                break
            pair = tail
        return out

    def find_entry(self, name, struct_type):
        """(block, commit, struct tag off, struct data) of the named entry."""
        found = None
        for _, b in self.thread():
            blk = self.block(b)
            names = {}      # id -> name (splices ignored: fine for these images)
            for c in self.valid_commits(b):
                for off, tag in c["tags"]:
                    t3, tid, size = (tag >> 20) & 0x7ff, (tag >> 10) & 0x3ff, tag & 0x3ff
                    if t3 in (0x001, 0x002):
                        names[tid] = bytes(blk[off + 4:off + 4 + size])
                    if t3 == struct_type and names.get(tid) == name:
                        found = (b, c, off, bytes(blk[off + 4:off + 4 + size]))
            if found:
                return found
        raise AssertionError(f"no entry {name!r}")

    def append_commit(self, b, tags):
        """Appends a commit of (type, id, data) tags after the last good one."""
        good = self.valid_commits(b)
        ptag, off = good[-1]["ptag"], good[-1]["end"]
        raw, c = b"", 0xffffffff
        for t3, tid, data in tags:
            tag = (t3 << 20) | (tid << 10) | len(data)
            enc = struct.pack(">I", tag ^ ptag) + data
            raw += enc
            ptag = tag
        prog = 16
        end = off + len(raw) + 8
        pad = (-end) % prog
        crctag = (0x500 << 20) | (0x3ff << 10) | (4 + pad)
        raw += struct.pack(">I", crctag ^ ptag)
        value = crc32(raw, c)
        raw += struct.pack("<I", value) + b"\xff" * pad
        assert all(x == 0xff for x in self.block(b)[off:off + len(raw)])
        self.put(b, off, raw)

    def gdelta(self, b):
        delta = bytes(12)
        for _, off, tag in self.tags(b):
            if (tag >> 20) & 0x7ff == 0x7ff:
                delta = bytes(self.block(b)[off + 4:off + 16])
        return delta


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


@pytest.fixture
def basic(tmp_path):
    return Image(IMAGES_DIR / "basic-512.img"), tmp_path


def manifest(lfstool, image):
    return json.loads(run(lfstool, "manifest", image, expect=0).stdout)["entries"]


# ---- clean images --------------------------------------------------------------

@pytest.mark.parametrize("name", IMAGES)
def test_golden_images_are_clean(lfstool, name):
    report = fsck_json(lfstool, IMAGES_DIR / f"{name}.img", expect=0)
    assert not [f for f in report["findings"] if f["severity"] != "info"]
    assert report["stats"]["fs_size"] == report["stats"]["blocks_used"]


def test_text_output_has_a_summary(lfstool):
    out = run(lfstool, "fsck", IMAGES_DIR / "basic-512.img", expect=0).stdout.decode()
    assert out.strip().splitlines()[-1].endswith("status 0")


def test_images_written_by_our_core_are_clean(lfstool, tmp_path):
    img = tmp_path / "ours.img"
    run(lfstool, "format", "--block-size", 512, "--block-count", 128, img, expect=0)
    run(lfstool, "fsck", img, expect=0)
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 40)
    small = tmp_path / "small.txt"
    small.write_bytes(b"hello\n")
    run(lfstool, "put", "-p", img, big, "/d/e/big.bin", expect=0)
    run(lfstool, "put", "-p", img, small, "/d/small.txt", expect=0)
    run(lfstool, "mkdir", img, "/empty", expect=0)
    run(lfstool, "rm", img, "/d/small.txt", expect=0)
    report = fsck_json(lfstool, img, expect=0)
    assert report["stats"]["files"] == 1 and report["stats"]["dirs"] == 3


def test_not_littlefs_is_status_3(lfstool, tmp_path):
    junk = tmp_path / "junk.img"
    junk.write_bytes(bytes(range(256)) * 64)
    report = fsck_json(lfstool, junk, expect=3)
    assert report["findings"][0]["severity"] == "fatal"
    run(lfstool, "fsck", tmp_path / "missing.img", expect=3)


# ---- corruption, one kind at a time --------------------------------------------

def test_bad_commit_before_good_ones(lfstool, basic):
    img, tmp = basic
    # a block whose current state has at least two commits
    for _, b in img.thread():
        good = img.valid_commits(b)
        if len(good) >= 2:
            break
    first = good[0]
    off, tag = first["tags"][-1]
    img.put(b, off + 4 - 1 if (tag & 0x3ff) == 0 else off + 4, b"\x5a")
    report = fsck_json(lfstool, img.save(tmp / "crc.img"), expect=2)
    assert b in kinds_at(report, "commit-crc")
    line = [f for f in report["findings"] if f["kind"] == "commit-crc"][0]
    assert line["off"] == first["start"]


def test_torn_final_commit_is_only_a_note(lfstool, basic):
    img, tmp = basic
    pair, b = img.thread()[0]
    # an unfinished commit after the last good one: a tag with no CRC tag
    good = img.valid_commits(b)
    tag = (0x301 << 20) | (0 << 10) | 4        # an attribute on the root, then cut
    img.put(b, good[-1]["end"], struct.pack(">I", tag ^ good[-1]["ptag"]) + b"abcd")
    report = fsck_json(lfstool, img.save(tmp / "torn.img"), expect=0)
    assert b in kinds_at(report, "commit-torn")


def test_tail_loop(lfstool, tmp_path):
    img = Image(IMAGES_DIR / "many-512.img")
    thread = img.thread()
    assert len(thread) > 3
    _, b = thread[-1]
    # the last pair gets a tail back to the second pair of the thread
    img.append_commit(b, [(0x600, 0x3ff, struct.pack("<II", *thread[1][0]))])
    report = fsck_json(lfstool, img.save(tmp_path / "loop.img"), expect=2)
    assert b in kinds_at(report, "tail-loop")


def test_dir_entry_to_missing_and_invalid_pairs(lfstool, basic):
    img, tmp = basic
    b, commit, off, _ = img.find_entry(b"docs", 0x200)
    img.patch_tag_data(b, commit, off, 0, struct.pack("<II", 0x7fff0000, 0x7fff0001))
    report = fsck_json(lfstool, img.save(tmp / "missing.img"), expect=2)
    assert b in kinds_at(report, "dir-missing")

    img = Image(IMAGES_DIR / "basic-512.img")
    count = len(img.data) // img.bs
    b, commit, off, _ = img.find_entry(b"docs", 0x200)
    img.patch_tag_data(b, commit, off, 0, struct.pack("<II", count - 2, count - 1))
    report = fsck_json(lfstool, img.save(tmp / "invalid.img"), expect=2)
    assert b in kinds_at(report, "dir-invalid")


def ctz_file(img, name):
    b, commit, off, data = img.find_entry(name, 0x202)
    head, size = struct.unpack("<II", data)
    return b, commit, off, head, size


def test_skip_list_pointer_outside_and_looping(lfstool, basic):
    img, tmp = basic
    _, _, _, head, size = ctz_file(img, b"big.bin")
    img.put(head, 0, struct.pack("<I", 0x00ffffff))
    report = fsck_json(lfstool, img.save(tmp / "range.img"), expect=2)
    assert head in kinds_at(report, "ctz-range")

    img = Image(IMAGES_DIR / "basic-512.img")
    img.put(head, 0, struct.pack("<I", head))
    report = fsck_json(lfstool, img.save(tmp / "loop.img"), expect=2)
    assert head in kinds_at(report, "ctz-loop")


def test_block_referenced_twice(lfstool, basic):
    img, tmp = basic
    _, _, _, head, size = ctz_file(img, b"ctz.bin")
    b, commit, off, _, _ = ctz_file(img, b"appended")
    img.patch_tag_data(b, commit, off, 0, struct.pack("<II", head, size))
    report = fsck_json(lfstool, img.save(tmp / "twice.img"), expect=2)
    assert head in kinds_at(report, "double-ref")
    # a file pointing into metadata
    img = Image(IMAGES_DIR / "basic-512.img")
    b, commit, off, _, size = ctz_file(img, b"ctz.bin")
    img.patch_tag_data(b, commit, off, 0, struct.pack("<II", 1, size))
    report = fsck_json(lfstool, img.save(tmp / "meta.img"), expect=2)
    assert 1 in kinds_at(report, "double-ref")


def test_size_that_does_not_match_the_skip_list(lfstool, basic):
    img, tmp = basic
    b, commit, off, head, size = ctz_file(img, b"big.bin")
    img.patch_tag_data(b, commit, off, 4, struct.pack("<I", size + 3 * img.bs))
    report = fsck_json(lfstool, img.save(tmp / "size.img"), expect=2)
    bad = [f for f in report["findings"]
           if f["kind"] in ("ctz-skip", "ctz-range", "ctz-size", "ctz-loop")]
    assert bad, report
    assert "big.bin" in bad[0]["message"]


def test_pending_move_and_repair(lfstool, basic):
    img, tmp = basic
    pair, b = img.thread()[0]
    # gstate: a move of root id 1 that never finished
    move = struct.pack("<III", (0x4ff << 20) | (1 << 10), *pair)
    img.append_commit(b, [(0x7ff, 0x3ff, xor(img.gdelta(b), move))])
    bad = img.save(tmp / "move.img")
    report = fsck_json(lfstool, bad, expect=1)
    assert pair[0] in kinds_at(report, "pending-move")
    before = bad.read_bytes()
    out = tmp / "fixed.img"
    run(lfstool, "fsck", "--repair", bad, out, expect=0)
    assert bad.read_bytes() == before
    run(lfstool, "fsck", out, expect=0)
    assert manifest(lfstool, out) == manifest(lfstool, bad)


def test_orphans_and_repair(lfstool, basic):
    img, tmp = basic
    pair, b = img.thread()[0]
    # the orphan count in gstate
    img.append_commit(b, [(0x7ff, 0x3ff, xor(img.gdelta(b), struct.pack("<III", 1, 0, 0)))])
    report = fsck_json(lfstool, img.save(tmp / "count.img"), expect=1)
    assert kinds_at(report, "orphan-count")

    # a directory pair on the thread that no entry references
    img = Image(IMAGES_DIR / "basic-512.img")
    b, commit, off, data = img.find_entry(b"empty", 0x200)
    orphan = struct.unpack("<II", data)
    tid = None
    for _, o, tag in img.tags(b):
        if (tag >> 20) & 0x7ff == 0x002 and bytes(img.block(b)[o + 4:o + 9]) == b"empty":
            tid = (tag >> 10) & 0x3ff
    img.append_commit(b, [(0x4ff, tid, b"")])
    bad = img.save(tmp / "orphan.img")
    report = fsck_json(lfstool, bad, expect=1)
    assert kinds_at(report, "orphan") & set(orphan)
    out = tmp / "fixed.img"
    run(lfstool, "fsck", "--repair", bad, out, expect=0)
    run(lfstool, "fsck", out, expect=0)


def test_repair_of_corrupt_image_keeps_every_readable_file(lfstool, basic):
    img, tmp = basic
    _, _, _, head, _ = ctz_file(img, b"big.bin")
    img.put(head, 0, struct.pack("<I", 0x00ffffff))
    bad = img.save(tmp / "bad.img")
    before = bad.read_bytes()
    out = tmp / "fixed.img"
    proc = run(lfstool, "fsck", "--repair", bad, out, expect=0)
    assert b"dropped /docs/deep/deeper/big.bin" in proc.stdout
    assert bad.read_bytes() == before
    run(lfstool, "fsck", out, expect=0)
    golden = json.loads((IMAGES_DIR / "basic-512.manifest.json").read_text())["entries"]
    want = [e for e in golden if e["path"] != "/docs/deep/deeper/big.bin"]
    got = manifest(lfstool, out)
    key = lambda e: e["path"]
    assert sorted(got, key=key) == sorted(want, key=key)


def test_repair_of_clean_image_is_clean(lfstool, tmp_path):
    out = tmp_path / "out.img"
    run(lfstool, "fsck", "--repair", IMAGES_DIR / "churn-512.img", out, expect=0)
    assert manifest(lfstool, out) == manifest(lfstool, IMAGES_DIR / "churn-512.img")


# ---- salvage ---------------------------------------------------------------------

def sha(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def test_salvage_clean_image(lfstool, tmp_path):
    out = tmp_path / "out"
    run(lfstool, "salvage", IMAGES_DIR / "basic-512.img", out, expect=0)
    golden = json.loads((IMAGES_DIR / "basic-512.manifest.json").read_text())["entries"]
    for e in golden:
        p = out / e["path"].lstrip("/")
        if e["type"] == "file":
            assert sha(p) == e["sha256"], e["path"]
        else:
            assert p.is_dir()
    assert not (out / "lost+found").exists()


def test_salvage_without_superblock_pair(lfstool, basic):
    img, tmp = basic
    img.data[: 2 * img.bs] = b"\xff" * (2 * img.bs)
    bad = img.save(tmp / "nosb.img")
    report = fsck_json(lfstool, bad, expect=2)
    assert 0 in kinds_at(report, "superblock")
    out = tmp / "out"
    proc = run(lfstool, "salvage", bad, out)
    assert b"geometry from scan" in proc.stdout
    golden = {e["path"]: e for e in
              json.loads((IMAGES_DIR / "basic-512.manifest.json").read_text())["entries"]}
    found = {}
    for p in out.rglob("*"):
        if p.is_file():
            found[p.name] = sha(p)
    # every file below /docs lived outside the destroyed pair
    for path, e in golden.items():
        if e["type"] == "file" and path.startswith("/docs/"):
            assert found.get(path.rsplit("/", 1)[1]) == e["sha256"], path
    lf = out / "lost+found"
    assert lf.is_dir() and all(p.name.startswith("pair-0x") for p in lf.iterdir())


def test_salvage_refuses_a_nonempty_target(lfstool, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "x").write_text("x")
    run(lfstool, "salvage", IMAGES_DIR / "basic-512.img", out, expect=1)


def test_salvage_refuses_dangerous_names(lfstool, basic):
    img, tmp = basic
    b, commit, off, _, _ = ctz_file(img, b"ctz.bin")
    # rename "hello-moved.txt" in place to a same-length name with a '/'
    for c in img.valid_commits(b):
        for o, tag in c["tags"]:
            if (tag >> 20) & 0x7ff == 0x001 and \
                    bytes(img.block(b)[o + 4:o + 4 + (tag & 0x3ff)]) == b"hello-moved.txt":
                img.patch_tag_data(b, c, o, 0, b"../../evil.txt!")
    out = tmp / "out"
    proc = run(lfstool, "salvage", img.save(tmp / "evil.img"), out, expect=1)
    assert b"name refused" in proc.stderr
    assert not (tmp / "evil.txt!").exists()
    assert not list(tmp.rglob("evil.txt!"))
