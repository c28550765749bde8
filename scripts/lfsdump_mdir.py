"""Parsing of one littlefs metadata block into its commits, for lfsdump.

Owns: walking the log of a metadata block (revision count, then commits of
xor-chained big-endian tags each ended by a CRC tag), checking each commit's
CRC, and the FCRC check of the space after the last valid commit.
Assumes: the caller hands in the bytes of one block (possibly fewer than
block_size if the image file is truncated) and never trusts anything read
from it: every length is checked against the block end.

CRC coverage (as checked here): a commit's CRC covers, from the start of the
commit (offset 0, i.e. including the revision count, for the first commit),
every tag word as stored on disk and every tag's data, up to and including
the CRC tag's own 4 tag bytes; not the CRC value and not its padding.
The next commit starts after the CRC tag's data (CRC value + padding), with
the running CRC reset to 0xffffffff and the expected valid bit flipped by
bit 0 of the CRC tag's chunk. A decoded tag of 0x00000000 is invalid by the
spec and ends the log (it is what an erased first word of a block gives).
"""
from lfsdump_format import (
    T_FCRC, be32, is_commit_crc, le32, lfs_crc, tag_data_len, tag_id, tag_len,
    tag_type3)


class Tag:
    """One tag as decoded from a block (data excludes the 4 tag bytes)."""
    __slots__ = ("off", "tag", "type3", "id", "length", "data")

    def __init__(self, off, tag, data):
        self.off = off
        self.tag = tag
        self.type3 = tag_type3(tag)
        self.id = tag_id(tag)
        self.length = tag_len(tag)
        self.data = data

    @property
    def deleted(self):
        return self.length == 0x3FF


class Commit:
    """A run of tags ended (if valid) by a CRC tag.

    valid: the CRC tag was found and its CRC matched. crc_stored and
    crc_computed are None when no CRC tag was reached. fcrc is
    (size, crc) if the commit carried an FCRC tag.
    """
    __slots__ = ("start", "end", "tags", "crc_stored", "crc_computed",
                 "valid", "problem", "fcrc")

    def __init__(self, start):
        self.start = start
        self.end = start
        self.tags = []
        self.crc_stored = None
        self.crc_computed = None
        self.valid = False
        self.problem = None
        self.fcrc = None


class BlockLog:
    """The decoded log of one metadata block.

    commits: valid commits first, then at most one invalid (torn) commit.
    stop: why parsing stopped after the last valid commit.
    next_erased: for the last valid commit with an FCRC, whether the bytes
    after it still hold the checksum recorded when they were erased
    (True/False), or None without an FCRC.
    intact_after: offsets of valid-looking commits found past a commit whose
    CRC mismatched (evidence of damage rather than a torn write).
    """
    __slots__ = ("block", "revision", "commits", "stop", "stop_off",
                 "next_erased", "short", "intact_after")

    def __init__(self, block):
        self.block = block
        self.revision = None
        self.commits = []
        self.stop = None
        self.stop_off = None
        self.next_erased = None
        self.short = False
        self.intact_after = []

    @property
    def valid_commits(self):
        return [c for c in self.commits if c.valid]

    @property
    def has_valid_commit(self):
        return any(c.valid for c in self.commits)

    @property
    def last_valid(self):
        """Index of the last valid commit, or None."""
        idx = None
        for i, c in enumerate(self.commits):
            if c.valid:
                idx = i
        return idx


def parse_block(buf, block, block_size):
    """Decode the metadata log in `buf` (the bytes of block `block`)."""
    log = BlockLog(block)
    limit = min(len(buf), block_size)
    log.short = len(buf) < block_size
    if limit < 4:
        log.stop = "block holds no revision count"
        log.stop_off = 0
        return log
    log.revision = le32(buf, 0)
    crc = lfs_crc(0xFFFFFFFF, buf[0:4])
    log.commits, log.stop, log.stop_off = _walk(
        buf, 4, 0xFFFFFFFF, crc, limit, block_size)
    _check_fcrc(log, buf, limit)
    _look_past_corruption(log, buf, limit, block_size)
    return log


def _walk(buf, off, ptag, crc, limit, block_size):
    """Commits from `off` until the first invalid one: (commits, stop, stop_off).

    All returned commits are valid except possibly the last.
    """
    commits = []
    commit = Commit(0 if off == 4 else off)  # the first commit covers the revision
    while True:
        if off + 4 > limit:
            stop = "end of block"
            break
        raw = buf[off:off + 4]
        tag = be32(raw) ^ ptag
        if tag >> 31:
            stop = "unwritten (valid bit set)"
            break
        if tag == 0:
            stop = ("unwritten (erased)" if raw == b"\xff\xff\xff\xff"
                    else "null tag 0x00000000")
            break
        dsize = 4 + tag_data_len(tag)
        if off + dsize > limit:
            stop = ("tag overruns the end of the image file"
                    if limit < block_size and off + dsize <= block_size
                    else "tag overruns the block")
            break
        crc = lfs_crc(crc, raw)
        ptag = tag
        data = buf[off + 4:off + dsize]
        t = Tag(off, tag, data)
        commit.tags.append(t)
        if is_commit_crc(t.type3):
            if len(data) < 4:
                commit.problem = "CRC tag too short for a CRC"
                stop = "bad CRC tag"
                break
            commit.crc_stored = le32(data, 0)
            commit.crc_computed = crc
            commit.end = off + dsize
            if crc != commit.crc_stored:
                commit.problem = "CRC mismatch"
                stop = "CRC mismatch"
                break
            commit.valid = True
            commits.append(commit)
            ptag ^= (t.type3 & 1) << 31
            crc = 0xFFFFFFFF
            off += dsize
            commit = Commit(off)
            continue
        if t.type3 == T_FCRC and len(data) >= 8:
            commit.fcrc = (le32(data, 0), le32(data, 4))
        crc = lfs_crc(crc, data)
        off += dsize
        commit.end = off
    if commit.tags:
        if commit.problem is None:
            commit.problem = "no CRC tag (%s)" % stop
        commits.append(commit)
    return commits, stop, off


def _look_past_corruption(log, buf, limit, block_size):
    """Note valid commits after a commit whose CRC mismatched.

    A power loss can only tear the last commit, so intact commits after a
    bad one mean the bad one was damaged later (readers ignore them all).
    """
    if not log.commits or log.commits[-1].valid or \
            log.commits[-1].crc_stored is None:
        return
    bad = log.commits[-1]
    crc_tag = bad.tags[-1]
    ptag = crc_tag.tag ^ ((crc_tag.type3 & 1) << 31)
    later, _, _ = _walk(buf, bad.end, ptag, 0xFFFFFFFF, limit, block_size)
    log.intact_after = [c.start for c in later if c.valid]


def _check_fcrc(log, buf, limit):
    idx = log.last_valid
    if idx is None:
        return
    last = log.commits[idx]
    if last.fcrc is None:
        return
    size, want = last.fcrc
    if last.end + size > limit:
        log.next_erased = False
        return
    log.next_erased = lfs_crc(0xFFFFFFFF, buf[last.end:last.end + size]) == want
