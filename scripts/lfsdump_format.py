"""littlefs on-disk constants and primitive decoders for lfsdump.

Owns: tag field extraction, tag type names, little/big-endian words, the
littlefs CRC-32, the sequence comparison of revision counts and the CTZ
skip-list block geometry. Written from the littlefs SPEC.md/DESIGN.md; shares
no code with the C core. Pure functions, no I/O.
"""
import binascii
import struct

NULL_BLOCK = 0xFFFFFFFF
ID_NONE = 0x3FF          # tag id for tags that belong to no file
LEN_DELETED = 0x3FF      # tag length that marks the tag as deleted
MAGIC = b"littlefs"

# type3 values (11-bit tag types)
T_CREATE = 0x401
T_DELETE = 0x4FF
T_REG = 0x001
T_DIR = 0x002
T_SUPERBLOCK = 0x0FF
T_DIRSTRUCT = 0x200
T_INLINESTRUCT = 0x201
T_CTZSTRUCT = 0x202
T_SOFTTAIL = 0x600
T_HARDTAIL = 0x601
T_MOVESTATE = 0x7FF
T_FCRC = 0x5FF

# type1 values (top 3 bits of type3)
T1_NAME = 0x0
T1_USERATTR = 0x3
T1_SPLICE = 0x4
T1_CRC = 0x5
T1_TAIL = 0x6

# Masks over type3 that the littlefs lookups use: a lookup matches the latest
# tag whose type3 agrees with the wanted type under the mask.
MASK_NAME = 0x780        # file names: types 0x000-0x07f (not the superblock 0x0ff)
MASK_STRUCT = 0x700      # any struct supersedes any other
MASK_EXACT = 0x7FF

SUPERBLOCK_FIELDS = ("version", "block_size", "block_count",
                     "name_max", "file_max", "attr_max")


def le32(buf, off=0):
    return struct.unpack_from("<I", buf, off)[0]


def be32(buf, off=0):
    return struct.unpack_from(">I", buf, off)[0]


def lfs_crc(crc, data):
    """CRC-32 (polynomial 0x04c11db7, reflected, no final xor) continuing from `crc`.

    binascii.crc32 is the same polynomial but pre- and post-inverts the
    running value; undoing both inversions gives the raw register littlefs
    stores.
    """
    return binascii.crc32(data, crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


def seq_cmp(a, b):
    """Sequence comparison of 32-bit revision counts: >0 if a is newer than b."""
    d = (a - b) & 0xFFFFFFFF
    return d - 0x100000000 if d & 0x80000000 else d


def tag_type3(tag):
    return (tag >> 20) & 0x7FF


def tag_type1(tag):
    return (tag >> 28) & 0x7


def tag_id(tag):
    return (tag >> 10) & 0x3FF


def tag_len(tag):
    return tag & 0x3FF


def tag_is_deleted(tag):
    return tag & 0x3FF == LEN_DELETED


def tag_data_len(tag):
    """Bytes of data following the tag on disk (a deleted tag carries none)."""
    return 0 if tag_is_deleted(tag) else tag & 0x3FF


def is_commit_crc(type3):
    """CRC tags that end a commit: 0x500-0x57f (chunk bit 0 = next valid state)."""
    return type3 & 0x780 == 0x500


def splice_delta(type3):
    """The id shift a splice tag applies: the chunk as a signed byte."""
    c = type3 & 0xFF
    return c - 0x100 if c & 0x80 else c


def type_name(type3):
    """Human name of a tag type."""
    fixed = {
        T_CREATE: "create", T_DELETE: "delete",
        T_REG: "name.reg", T_DIR: "name.dir", T_SUPERBLOCK: "name.superblock",
        T_DIRSTRUCT: "struct.dir", T_INLINESTRUCT: "struct.inline",
        T_CTZSTRUCT: "struct.ctz",
        T_SOFTTAIL: "tail.soft", T_HARDTAIL: "tail.hard",
        T_MOVESTATE: "gstate.move", T_FCRC: "fcrc",
    }
    if type3 in fixed:
        return fixed[type3]
    t1 = type3 >> 8
    chunk = type3 & 0xFF
    if is_commit_crc(type3):
        return "crc%d" % (chunk & 1)
    if t1 == T1_USERATTR:
        return "attr.%02x" % chunk
    if t1 == T1_NAME:
        return "name.%02x" % chunk
    return "unknown.%03x" % type3


def pair_str(pair):
    return "{%s}" % ",".join(
        "null" if b == NULL_BLOCK else "0x%x" % b for b in pair)


def pair_key(pair):
    """Pairs are equal whichever block comes first."""
    return (min(pair), max(pair))


def pairs_overlap(a, b):
    """littlefs treats two pairs as the same pair if they share any block."""
    return a[0] == b[0] or a[0] == b[1] or a[1] == b[0] or a[1] == b[1]


def ctz(n):
    return (n & -n).bit_length() - 1


def ctz_pointer_count(index):
    """Skip pointers at the start of CTZ block `index` (block 0 has none)."""
    return 0 if index == 0 else ctz(index) + 1


def ctz_block_capacity(index, block_size):
    """Data bytes in CTZ block `index`."""
    return block_size - 4 * ctz_pointer_count(index)


def ctz_block_count(size, block_size, limit):
    """Blocks a CTZ file of `size` bytes occupies, or None if more than `limit`.

    Counted block by block (block i holds block_size - 4*(ctz(i)+1) bytes),
    which keeps the arithmetic obvious; `limit` bounds the loop.
    """
    if size == 0:
        return 0
    total = 0
    n = 0
    while total < size:
        if n >= limit:
            return None
        cap = ctz_block_capacity(n, block_size)
        if cap <= 0:
            return None
        total += cap
        n += 1
    return n


def version_str(v):
    return "%d.%d" % (v >> 16, v & 0xFFFF)
