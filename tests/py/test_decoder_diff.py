"""Differential check of the two decoders of the on-disk format: the Python
scripts/lfsdump.py (no code shared with the C core) and `build/lfstool
manifest` (the core). On every golden image and on images our core writes
(lfstool pack of a generated tree, on-disk 2.1 and 2.0; a KV image when
build/.../unit/test_kv is built) their manifest entries must be equal: a
format bug in either shows up as a difference.

Then the decoder alone on a seeded sample of the corrupted variants of
issue 4's sweep (tests/unit/test_corrupt_sweep.c: flip, smear, blank,
truncate, swap, stack of those): it must return one of its documented exit
statuses, never raise (run in-process with LFSDUMP_DEBUG set, so a bug is a
traceback here, not its internal-error status).
"""
import io
import json
import os
import pathlib
import random
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import lfsdump  # noqa: E402

PYTHON = sys.executable
DOCUMENTED = (lfsdump.EXIT_OK, lfsdump.EXIT_DAMAGED, lfsdump.EXIT_NO_FS)
SWEEP_VARIANTS = int(os.environ.get("DECODER_SWEEP_VARIANTS", "240"))


def golden_dir():
    for d in (REPO / "tests" / "data" / "images", REPO.parent / "shared" / "images"):
        if d.is_dir() and any(d.glob("*.img")):
            return d
    return None


GOLDEN_DIR = golden_dir()
GOLDEN = sorted(p.stem for p in GOLDEN_DIR.glob("*.img")) if GOLDEN_DIR else []


@pytest.fixture(scope="module")
def lfstool(build_dir):
    path = build_dir / "lfstool"
    if not path.exists():
        pytest.skip(f"{path} not built")
    return path


def core_entries(lfstool, image):
    proc = subprocess.run([str(lfstool), "manifest", str(image)], capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return json.loads(proc.stdout)["entries"]


def decoder_entries(image):
    proc = subprocess.run([PYTHON, str(REPO / "scripts" / "lfsdump.py"), "--manifest",
                           str(image)], capture_output=True, timeout=120)
    assert proc.returncode == lfsdump.EXIT_OK, proc.stderr.decode(errors="replace")
    return json.loads(proc.stdout)["entries"]


def assert_same(core, mine):
    cpaths = [e["path"] for e in core]
    mpaths = [e["path"] for e in mine]
    assert cpaths == mpaths, (f"only in lfstool: {sorted(set(cpaths) - set(mpaths))}, "
                              f"only in lfsdump: {sorted(set(mpaths) - set(cpaths))}")
    for c, m in zip(core, mine):
        assert c == m, f"{c['path']}: lfstool {c} != lfsdump {m}"


@pytest.mark.skipif(not GOLDEN, reason="no golden images")
@pytest.mark.parametrize("name", GOLDEN)
def test_golden_images_agree(lfstool, name):
    image = GOLDEN_DIR / f"{name}.img"
    assert_same(core_entries(lfstool, image), decoder_entries(image))


def make_tree(root, seed):
    """A seeded tree: nested directories, empty, inline, one-block and
    multi-block files, long names."""
    rng = random.Random(seed)
    dirs = [root]
    for i in range(6):
        d = rng.choice(dirs) / f"dir{i}-{'x' * rng.randrange(0, 40)}"
        d.mkdir()
        dirs.append(d)
    for i in range(14):
        size = rng.choice([0, 1, 17, 63, 200, 511, 512, 513, 1500, 4096, 9000])
        (rng.choice(dirs) / f"f{i:02d}.bin").write_bytes(rng.randbytes(size))


@pytest.mark.parametrize("version", ["2.1", "2.0"])
@pytest.mark.parametrize("block_size", [512, 4096])
def test_images_written_by_our_core_agree(lfstool, tmp_path, version, block_size):
    tree = tmp_path / "tree"
    tree.mkdir()
    make_tree(tree, seed=block_size + (version == "2.0"))
    image = tmp_path / "ours.img"
    proc = subprocess.run([str(lfstool), "pack", "--block-size", str(block_size),
                           "--block-count", str(256 * 512 // block_size * 2),
                           "--disk-version", version, str(tree), str(image)],
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    core = core_entries(lfstool, image)
    assert len(core) == 1 + 6 + 14
    assert_same(core, decoder_entries(image))


def test_kv_image_agrees(lfstool, build_dir, tmp_path):
    unit = build_dir / "unit" / "test_kv"
    if not unit.exists():
        pytest.skip(f"{unit} not built")
    image = tmp_path / "kv.img"
    env = dict(os.environ, BROWNOUT_KV_IMAGE=str(image))
    subprocess.run([str(unit)], env=env, check=True, capture_output=True, timeout=300)
    core = core_entries(lfstool, image)
    assert len(core) > 1
    assert_same(core, decoder_entries(image))


# ---- the corrupted-image sweep, through the decoder ------------------------------

def used_blocks(data, bs):
    blank = (b"\xff" * bs, b"\x00" * bs)
    return [b for b in range(len(data) // bs) if data[b * bs:(b + 1) * bs] not in blank]


def corrupt_once(data, bs, used, kind, rng, desc):
    """One corruption of issue 4's kinds (as tests/unit/test_corrupt_sweep.c)."""
    count = len(data) // bs

    def pick():
        return rng.choice(used) if used and rng.randrange(4) else rng.randrange(count)

    if kind == "flip":
        for _ in range(rng.randint(1, 4)):
            block, bit = pick(), rng.randrange(bs * 8)
            data[block * bs + bit // 8] ^= 1 << (bit % 8)
            desc.append(f"flip block {block} bit {bit}")
    elif kind == "smear":
        block, off = pick(), rng.randrange(bs)
        n = 1 + rng.randrange(min(64, bs - off))
        mode = rng.randrange(4)
        value = 0x00 if mode == 0 else 0xff if mode == 1 else rng.randrange(256)
        for i in range(n):
            data[block * bs + off + i] = rng.randrange(256) if mode == 3 else value
        desc.append(f"smear block {block} off {off} len {n} mode {mode}")
    elif kind == "blank":
        block, value = pick(), rng.choice((0xff, 0x00))
        data[block * bs:(block + 1) * bs] = bytes([value]) * bs
        desc.append(f"blank block {block} to {value:#x}")
    elif kind == "truncate":
        block, off = pick(), rng.randrange(bs)
        value = 0xff if rng.randrange(4) else 0x00
        start = block * bs + off
        data[start:] = bytes([value]) * (len(data) - start)
        desc.append(f"truncate at block {block} off {off}, rest {value:#x}")
    elif kind == "swap":
        a, b = pick(), pick()
        if a == b:
            b = (a + 1 + rng.randrange(count - 1)) % count
        blk_a, blk_b = data[a * bs:(a + 1) * bs], data[b * bs:(b + 1) * bs]
        data[a * bs:(a + 1) * bs], data[b * bs:(b + 1) * bs] = blk_b, blk_a
        desc.append(f"swap blocks {a} and {b}")
    else:   # stack
        for _ in range(rng.randint(2, 3)):
            corrupt_once(data, bs, used, rng.choice(KINDS[:-1]), rng, desc)


KINDS = ("flip", "smear", "blank", "truncate", "swap", "stack")


def decode_in_process(image, args):
    out, err = io.StringIO(), io.StringIO()
    parsed = lfsdump.build_parser().parse_args(args + [str(image)])
    return lfsdump.run(parsed, out, err), out.getvalue(), err.getvalue()


@pytest.mark.skipif(not GOLDEN, reason="no golden images")
def test_decoder_never_crashes_on_the_corrupted_sweep(tmp_path, monkeypatch):
    monkeypatch.setenv("LFSDUMP_DEBUG", "1")
    rng = random.Random(9)
    goldens = {}
    for name in GOLDEN:
        man = json.loads((GOLDEN_DIR / f"{name}.manifest.json").read_text())
        data = (GOLDEN_DIR / f"{name}.img").read_bytes()
        bs = man["geometry"]["block_size"]
        goldens[name] = (data, bs, used_blocks(data, bs))
    statuses = {}
    image = tmp_path / "variant.img"
    for index in range(SWEEP_VARIANTS):
        name = GOLDEN[index % len(GOLDEN)]
        kind = KINDS[index // len(GOLDEN) % len(KINDS)]
        data, bs, used = goldens[name]
        variant, desc = bytearray(data), []
        corrupt_once(variant, bs, used, kind, rng, desc)
        image.write_bytes(variant)
        what = f"variant {index} of {name}: {'; '.join(desc)}"
        for args in ([], ["--json"] if index % 2 else ["--manifest"]):
            try:
                rc, out, err = decode_in_process(image, args)
            except Exception as e:  # a decoder bug: name the variant
                raise AssertionError(f"{what}: lfsdump {args} raised {e!r}") from e
            assert rc in DOCUMENTED, f"{what}: lfsdump {args} exit {rc}: {err[-300:]}"
            if args and rc != lfsdump.EXIT_NO_FS:
                json.loads(out)
        statuses[rc] = statuses.get(rc, 0) + 1
    # the sweep reaches damaged and undecodable images, not only clean ones
    assert statuses.get(lfsdump.EXIT_DAMAGED, 0) > 0, statuses
    assert sum(statuses.values()) == SWEEP_VARIANTS


def test_decoder_cli_reports_instead_of_crashing(tmp_path):
    """Through the command line, on a few variants: no traceback on stderr,
    a documented status."""
    if not GOLDEN:
        pytest.skip("no golden images")
    man = json.loads((GOLDEN_DIR / f"{GOLDEN[0]}.manifest.json").read_text())
    bs = man["geometry"]["block_size"]
    data = bytearray((GOLDEN_DIR / f"{GOLDEN[0]}.img").read_bytes())
    rng = random.Random(4)
    for i in range(5):
        variant = bytearray(data)
        corrupt_once(variant, bs, used_blocks(data, bs), "stack", rng, [])
        image = tmp_path / f"v{i}.img"
        image.write_bytes(variant)
        proc = subprocess.run([PYTHON, str(REPO / "scripts" / "lfsdump.py"), str(image)],
                              capture_output=True, timeout=120)
        assert proc.returncode in DOCUMENTED, proc.stderr[-300:]
        assert b"Traceback" not in proc.stderr
