"""A littlefs metadata pair: choosing the current block and replaying it, for lfsdump.

Owns: picking which block of a pair is current (the one with the newer
revision by sequence comparison that has at least one valid commit, else the
other), and replaying the valid commits of the current block into per-id
state with littlefs semantics:
  - create/delete tags are splices: they insert/remove an id and shift the
    ids above it (a splice's chunk is the signed shift);
  - a later tag supersedes an earlier one of the same kind on the same id
    (a tag of length 0x3ff deletes it); lookups use littlefs's type masks,
    so any struct supersedes any other struct, any file-name tag
    (0x000-0x07f) any other, user attributes per exact type;
  - the id count is bumped by name tags past it and moved by splices;
  - the tail is the latest tail tag of any kind, the gstate delta the
    latest movestate tag (both independent of ids).
Assumes: blocks come from an Image that bounds-checks block numbers.
"""
from lfsdump_format import (
    ID_NONE, MASK_EXACT, T1_CRC, T1_NAME, T1_SPLICE, T1_TAIL, T1_USERATTR,
    T_MOVESTATE, le32, seq_cmp, splice_delta)
from lfsdump_mdir import parse_block


class Entry:
    """Latest tag per exact type3 for one id: type3 -> (sequence, Tag)."""
    __slots__ = ("tags",)

    def __init__(self):
        self.tags = {}


class PairState:
    """A fetched metadata pair.

    logs[i] is the BlockLog of pair[i] or None if the block is unreadable
    (block_problems[i] says why). current is 0/1 or None if neither block
    holds a valid commit.
    """

    def __init__(self, pair):
        self.pair = tuple(pair)
        self.logs = [None, None]
        self.block_problems = [None, None]
        self.current = None
        self.entries = []
        self.count = 0
        self.tail = None          # (type3, (b0, b1)) or None
        self.tail_problem = None
        self.gdelta = None        # 12 bytes or None
        self.problems = []        # (severity, message) found while replaying
        self.hidden_id = None     # physical id hidden by a pending move

    @property
    def current_block(self):
        return None if self.current is None else self.pair[self.current]

    @property
    def current_log(self):
        return None if self.current is None else self.logs[self.current]

    @property
    def is_split(self):
        """True if the tail continues this directory (a hard tail)."""
        return self.tail is not None and self.tail[0] & 1 == 1

    def get(self, phys_id, want, mask):
        """Latest tag on `phys_id` whose type3 matches `want` under `mask`.

        Returns None if there is none or the latest one is a deletion.
        """
        if phys_id < 0 or phys_id >= len(self.entries):
            return None
        best = None
        for type3, (seq, t) in self.entries[phys_id].tags.items():
            if type3 & mask == want & mask and (best is None or seq > best[0]):
                best = (seq, t)
        if best is None or best[1].deleted:
            return None
        return best[1]

    def attrs(self, phys_id):
        """User attributes of `phys_id`: {attr type: bytes}, sorted by type."""
        if phys_id < 0 or phys_id >= len(self.entries):
            return {}
        out = {}
        for type3 in sorted(self.entries[phys_id].tags):
            if type3 >> 8 == T1_USERATTR:
                t = self.get(phys_id, type3, MASK_EXACT)
                if t is not None:
                    out[type3 & 0xFF] = t.data
        return out

    def visible_ids(self):
        """Physical ids as a reader sees them, in order (move source hidden)."""
        n = max(self.count, 0)
        return [i for i in range(n) if i != self.hidden_id]

    def phys_of_visible(self, vid):
        ids = self.visible_ids()
        return ids[vid] if 0 <= vid < len(ids) else None


def choose_current(logs):
    """Index of the block a reader uses, or None.

    The block with the newer revision is tried first (ties: the first
    block); a block counts only if it holds at least one valid commit.
    """
    order = [0, 1]
    if logs[0] is not None and logs[1] is not None and \
            logs[0].revision is not None and logs[1].revision is not None and \
            seq_cmp(logs[1].revision, logs[0].revision) > 0:
        order = [1, 0]
    for i in order:
        if logs[i] is not None and logs[i].has_valid_commit:
            return i
    return None


def fetch_pair(image, pair):
    """Read both blocks of `pair` from `image` and replay the current one."""
    ps = PairState(pair)
    for i, b in enumerate(pair):
        buf, problem = image.block(b)
        if buf is None:
            ps.block_problems[i] = problem
            continue
        ps.logs[i] = parse_block(buf, b, image.block_size)
    ps.current = choose_current(ps.logs)
    if ps.current is not None:
        _replay(ps, ps.logs[ps.current])
    return ps


def _replay(ps, log):
    seq = 0
    entries = ps.entries
    count = 0
    for commit in log.valid_commits:
        for t in commit.tags:
            seq += 1
            t1 = t.type3 >> 8
            if t1 == T1_CRC:
                continue
            if t.type3 == T_MOVESTATE:
                ps.gdelta = None if t.deleted else (t.data[:12] + bytes(12))[:12]
                continue
            if t1 == T1_TAIL:
                if t.deleted or len(t.data) < 8:
                    ps.tail = None
                    ps.tail_problem = "tail tag at 0x%x has %d bytes of data, " \
                        "not a pair" % (t.off, len(t.data))
                else:
                    ps.tail = (t.type3, (le32(t.data, 0), le32(t.data, 4)))
                    ps.tail_problem = None
                continue
            if t1 == T1_SPLICE:
                n = splice_delta(t.type3)
                if n > 0:
                    while len(entries) < t.id:
                        entries.append(Entry())
                    for _ in range(n):
                        entries.insert(t.id, Entry())
                elif n < 0:
                    del entries[t.id:t.id - n]
                count += n
                continue
            if t.id == ID_NONE:
                ps.problems.append(("warning", "tag %s at 0x%x has no id and an "
                                    "unknown meaning; ignored" %
                                    (hex(t.type3), t.off)))
                continue
            if t1 == T1_NAME and t.id >= count:
                count = t.id + 1
            while len(entries) <= t.id:
                entries.append(Entry())
            entries[t.id].tags[t.type3] = (seq, t)
    if count < 0:
        ps.problems.append(("error", "deletes outnumber the ids in the pair "
                            "(id count %d)" % count))
    ps.count = count
