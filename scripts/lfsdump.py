#!/usr/bin/env python3
"""lfsdump: an independent reader of littlefs images (on-disk versions 2.0 and 2.1).

Decodes a raw littlefs image with nothing but the Python standard library,
written from the littlefs specification and sharing no code with brownout's
C core, so that each can check the other. Read-only: the image is never
modified. The work is split into modules next to this file:
lfsdump_format (tags, CRC, CTZ arithmetic), lfsdump_mdir (one metadata
block's commits), lfsdump_pair (current block and replay of a pair),
lfsdump_fs (geometry, tail list, gstate, tree, files) and lfsdump_render
(text/JSON/manifest output).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lfsdump_fs import Filesystem  # noqa: E402
from lfsdump_mdir import parse_block  # noqa: E402
import lfsdump_render as render  # noqa: E402

EXIT_OK = 0
EXIT_DAMAGED = 1
EXIT_USAGE = 2
EXIT_NO_FS = 3
EXIT_INTERNAL = 4

DESCRIPTION = """\
Decode a littlefs image (on-disk version 2.0 or 2.1) and show what is in it.

Without a view option, prints everything: the superblock, the tail list, the
global state, every metadata pair reachable from the superblock pair {0,1}
through soft and hard tails and directory structs (both blocks, revisions,
which block is current, each commit with its tags and CRC status, the last
valid commit, the FCRC check of the space after it), the directory tree with
each file's size, storage (inline or CTZ head and block list) and user
attributes, and every error and warning found.
"""

EPILOG = """\
geometry:
  Without --block-size the block size is detected from the image: every power
  of two (>= 64) dividing the file size is tried; the "littlefs" magic must sit
  at offset 8 of block 0 or 1 and the superblock must state that block size
  and a block count matching the file size. --block-count overrides the block
  count (default: the superblock's, or file size / block size).

semantics (as littlefs reads an image):
  A pair's current block is the one with the newer revision (sequence
  comparison) that holds a valid commit; a commit is valid if its CRC matches,
  and reading stops at the first invalid one. Creates/deletes shift ids, later
  tags supersede earlier ones, a hard tail continues a directory, the global
  state is the xor of the latest gstate delta of each pair on the tail list, a
  pending move hides its source entry. The root pair is the last pair on the
  tail list holding a superblock entry (the superblock chain can grow in front
  of it), and the root's attributes are those of id 0 (the superblock entry)
  of the root pair. A CTZ file is read through the first pointer of each
  block; its other skip pointers are checked. Unknown tags are shown but
  otherwise ignored.

output:
  --json     the same information as one JSON document
  --tree     only the directory tree (diagnostics go to stderr)
  --block N  only the pair containing block N, or, if no reachable pair has
             it, block N decoded on its own as a metadata block
  --manifest a manifest in the schema of the golden *.manifest.json files:
             image, geometry (read_size/prog_size inferred), disk_version,
             made_by, notes, entries (path, type, size, sha256, attrs as
             {"hex type": "hex bytes"}), root first, depth first in on-disk
             order; a file whose contents cannot be read has "sha256": null;
             diagnostics go to stderr

exit status:
  0  the image was read without errors (warnings, such as a torn last commit
     or a pending move left by a power loss, are normal)
  1  errors were found: parts of the image are corrupt or unreadable; the
     output shows everything that could be read
  2  bad command line, unreadable image file or block number out of range
  3  no littlefs filesystem found: no superblock, or geometry unknown
  4  internal error in lfsdump (a bug; please report it with the image;
     set LFSDUMP_DEBUG=1 to get the Python traceback)
"""


def build_parser():
    p = argparse.ArgumentParser(
        prog="lfsdump.py", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("image", help="raw littlefs image file")
    p.add_argument("--block-size", "-b", type=_positive_int, metavar="BYTES",
                   help="block size in bytes (default: detect)")
    p.add_argument("--block-count", "-c", type=_positive_int, metavar="N",
                   help="number of blocks (default: from the superblock)")
    view = p.add_mutually_exclusive_group()
    view.add_argument("--tree", action="store_true",
                      help="show only the directory tree")
    view.add_argument("--block", type=_nonneg_int, metavar="N",
                      help="show only the pair containing block N (or block N "
                      "decoded alone)")
    view.add_argument("--manifest", action="store_true",
                      help="print a golden-style manifest (JSON)")
    p.add_argument("--json", action="store_true",
                   help="print JSON instead of text (for the full dump, "
                   "--tree and --block)")
    p.add_argument("--hex-limit", type=_nonneg_int, default=32, metavar="BYTES",
                   help="bytes of tag data shown in hex in text output before "
                   "eliding (default 32; 0 shows everything)")
    return p


def _positive_int(s):
    v = int(s, 0)
    if v <= 0:
        raise argparse.ArgumentTypeError("must be positive: %s" % s)
    return v


def _nonneg_int(s):
    v = int(s, 0)
    if v < 0:
        raise argparse.ArgumentTypeError("must not be negative: %s" % s)
    return v


def status_of(fs):
    """Exit status for a decoded Filesystem."""
    if fs.fatal:
        return EXIT_NO_FS
    if fs.errors:
        return EXIT_DAMAGED
    return EXIT_OK


def decode(data, block_size=None, block_count=None):
    """Decode image bytes; never raises on bad images (the API for tests)."""
    return Filesystem(data, block_size=block_size, block_count=block_count)


def run(args, out, err):
    """Execute parsed arguments, writing to the `out`/`err` text streams."""
    try:
        with open(args.image, "rb") as f:
            data = f.read()
    except OSError as e:
        err.write("lfsdump: cannot read %s: %s\n" % (args.image, e.strerror))
        return EXIT_USAGE
    fs = decode(data, args.block_size, args.block_count)
    hex_limit = args.hex_limit or None
    if args.manifest:
        out.write(json.dumps(render.manifest_json(fs, args.image), indent=1))
        out.write("\n")
        _write_diags(fs, err)
        return status_of(fs)
    if args.block is not None:
        return _run_block(fs, args, out, err, hex_limit)
    if args.tree:
        if fs.tree is not None:
            if args.json:
                out.write(json.dumps(render.node_json(fs.tree), indent=1) + "\n")
            else:
                out.write("\n".join(render.tree_text(fs)) + "\n")
        _write_diags(fs, err)
        return status_of(fs)
    if args.json:
        doc = render.full_json(fs, args.image)
        doc["exit_status"] = status_of(fs)
        out.write(json.dumps(doc, indent=1) + "\n")
    else:
        out.write("\n".join(render.full_text(fs, args.image, hex_limit)) + "\n")
    return status_of(fs)


def _run_block(fs, args, out, err, hex_limit):
    n = args.block
    if fs.block_size is None:
        _write_diags(fs, err)
        return EXIT_NO_FS
    if n >= fs.block_count:
        err.write("lfsdump: block %d is out of range (block count %d)\n" % (
            n, fs.block_count))
        return EXIT_USAGE
    ps = fs.pair_containing(n)
    if ps is not None:
        key = (min(ps.pair), max(ps.pair))
        if args.json:
            out.write(json.dumps(render.pair_json(fs, key, ps), indent=1) + "\n")
        else:
            out.write("\n".join(render.pair_text(fs, key, ps, hex_limit)) + "\n")
        return EXIT_OK
    buf, problem = fs.image.block(n)
    if buf is None:
        err.write("lfsdump: block %d: %s\n" % (n, problem))
        return EXIT_USAGE
    log = parse_block(buf, n, fs.block_size)
    if args.json:
        doc = render.block_json(log, False)
        doc["note"] = "not part of any reachable pair; decoded alone"
        out.write(json.dumps(doc, indent=1) + "\n")
    else:
        out.write("block 0x%x is not part of any reachable pair; decoded alone "
                  "as a metadata block:\n" % n)
        out.write("\n".join(render.block_text(log, False, hex_limit)) + "\n")
    return EXIT_OK


def _write_diags(fs, err):
    lines = render.diag_text(fs.diags)
    if fs.fatal:
        lines.append("cannot read the tree: " + fs.fatal)
    if lines:
        err.write("\n".join(lines) + "\n")


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return run(args, sys.stdout, sys.stderr)
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # a bug: report it plainly instead of a traceback
        if os.environ.get("LFSDUMP_DEBUG"):
            raise
        sys.stderr.write("lfsdump: internal error: %s: %s\n" % (
            type(e).__name__, e))
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
