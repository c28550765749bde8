"""Reading a whole littlefs image for lfsdump: geometry, superblock, pairs, gstate, tree.

Owns: the bounds-checked block view of the image file, detection of the block
size, the mount walk of the threaded tail list from pair {0,1} (superblock,
root pair, xor of the gstate deltas), the directory tree with littlefs read
semantics (hard tails continue a directory, a pending move hides its source,
the root's attributes live on id 0 of the root pair), CTZ skip-list reading,
and the list of diagnostics. Every pointer is checked before use and every
walk is bounded (visited sets, block-count limits), so any input terminates.
Assumes: nothing about the image; all problems become diagnostics.
"""
import hashlib

from lfsdump_format import (
    MAGIC, MASK_EXACT, MASK_NAME, MASK_STRUCT, NULL_BLOCK, SUPERBLOCK_FIELDS,
    T_CTZSTRUCT, T_DIR, T_DIRSTRUCT, T_INLINESTRUCT, T_REG, T_SUPERBLOCK,
    ctz_block_capacity, ctz_block_count, ctz_pointer_count, le32, pair_key,
    pair_str, pairs_overlap, tag_id, tag_len, tag_type1, tag_type3)
from lfsdump_pair import fetch_pair

NAME_MAX_LIMIT = 1022
MIN_BLOCK_SIZE = 64


class Diag:
    __slots__ = ("severity", "where", "message")

    def __init__(self, severity, where, message):
        self.severity = severity
        self.where = where
        self.message = message

    def as_dict(self):
        return {"severity": self.severity, "where": self.where,
                "message": self.message}

    def __str__(self):
        return "%s: %s: %s" % (self.severity, self.where, self.message)


class Image:
    """Bounds-checked blocks of an image file."""

    def __init__(self, data, block_size, block_count):
        self.data = data
        self.block_size = block_size
        self.block_count = block_count

    @property
    def blocks_in_file(self):
        """Blocks that actually exist in the image file (bounds every walk)."""
        return min(self.block_count,
                   (len(self.data) + self.block_size - 1) // self.block_size)

    def block(self, b):
        """(bytes, None) or (None, why). The bytes may be short at end of file."""
        if b == NULL_BLOCK:
            return None, "null block pointer"
        if b >= self.block_count:
            return None, "block 0x%x is out of range (block count %d)" % (
                b, self.block_count)
        off = b * self.block_size
        if off >= len(self.data):
            return None, "block 0x%x lies beyond the end of the image file" % b
        return self.data[off:off + self.block_size], None


def read_superblock(ps, phys_id=0):
    """The superblock entry on `phys_id` of a fetched pair, or None.

    Returns a dict of the six fields (a short struct is zero-filled, as
    littlefs reads it) plus "struct_len".
    """
    name = ps.get(phys_id, T_SUPERBLOCK, MASK_EXACT)
    if name is None or name.data != MAGIC:
        return None
    st = ps.get(phys_id, T_INLINESTRUCT, MASK_EXACT)
    raw = b"" if st is None else st.data
    padded = (raw + bytes(24))[:24]
    sb = {f: le32(padded, 4 * i) for i, f in enumerate(SUPERBLOCK_FIELDS)}
    sb["struct_len"] = len(raw)
    return sb


def detect_geometry(data):
    """Find (block_size, block_count, diags) from the image alone.

    Tries every power of two dividing the file size with the magic at offset
    8 of block 0 or 1, and reads the superblock of pair {0,1} with it; the
    answer is the size whose superblock states that same block size and a
    block count matching the file size. Returns (None, None, diags) if none
    fits.
    """
    size = len(data)
    diags = []
    exact = []
    same_bs = []
    other = []
    bs = MIN_BLOCK_SIZE
    while bs * 2 <= size:
        if size % bs == 0 and (data[8:16] == MAGIC or
                               data[bs + 8:bs + 16] == MAGIC):
            img = Image(data, bs, size // bs)
            sb = read_superblock_probe(img)
            if sb is not None:
                if sb["block_size"] == bs and sb["block_count"] * bs == size:
                    exact.append((bs, sb))
                elif sb["block_size"] == bs:
                    same_bs.append((bs, sb))
                else:
                    other.append((bs, sb))
        bs *= 2
    if exact:
        bs, sb = exact[0]
        return bs, sb["block_count"], diags
    if same_bs:
        bs, sb = same_bs[0]
        diags.append(Diag("error", "geometry",
                          "superblock says %d blocks of %d bytes (%d bytes) but "
                          "the image file has %d bytes" % (
                              sb["block_count"], bs, sb["block_count"] * bs, size)))
        return bs, sb["block_count"], diags
    if other:
        bs, sb = other[0]
        diags.append(Diag("error", "geometry",
                          "no block size agrees with the superblock (it says "
                          "block_size %d, block_count %d; the file has %d bytes); "
                          "using %d" % (sb["block_size"], sb["block_count"],
                                        size, bs)))
        return bs, size // bs, diags
    diags.append(Diag("error", "geometry",
                      "no littlefs superblock found: the magic \"littlefs\" is "
                      "not at offset 8 of block 0 or 1 for any power-of-two "
                      "block size dividing the file size (%d bytes); give "
                      "--block-size" % size))
    return None, None, diags


def read_superblock_probe(img):
    ps = fetch_pair(img, (0, 1))
    if ps.current is None:
        return None
    return read_superblock(ps)


def decode_gstate(g):
    tag = le32(g, 0)
    size = tag_len(tag)
    out = {
        "raw": g.hex(),
        "sync": tag >> 31,
        "orphans": size & 0x1FF,
        "needs_superblock": (size >> 9) & 1,
        "move": None,
    }
    if tag_type1(tag) != 0:
        out["move"] = {"type": tag_type3(tag), "id": tag_id(tag),
                       "pair": (le32(g, 4), le32(g, 8))}
    return out


def _pair_list(keys, notes=None, limit=8):
    parts = [pair_str(k) + ("" if notes is None else " " + notes[i])
             for i, k in enumerate(keys[:limit])]
    if len(keys) > limit:
        parts.append("and %d more" % (len(keys) - limit))
    return ", ".join(parts)


def _id_list(ids, limit=16):
    text = " ".join(str(i) for i in ids[:limit])
    return text + (" ..." if len(ids) > limit else "")


class Filesystem:
    """Everything lfsdump reads from one image. Build with Filesystem(data, ...)."""

    def __init__(self, data, block_size=None, block_count=None):
        self.data = data
        self.diags = []
        self.fatal = None
        self.pairs = {}         # pair_key -> PairState, in discovery order
        self.via = {}           # pair_key -> [how it was reached]
        self.chain = []         # pair keys of the threaded tail list, in order
        self.dir_of = {}        # pair_key -> directory path it belongs to
        self.owner = {}         # block -> what uses it
        self.superblock = None
        self.superblocks = []   # (pair_key, sb) for each pair on the chain
        self.root = None        # PairState of the root pair
        self.gstate = None
        self.gstate_raw = bytes(12)
        self.tree = None
        self.geometry_source = "given"
        self._ctz_cache = {}    # (head, size) -> (content, blocks)
        self._setup_geometry(block_size, block_count)
        if self.fatal is None:
            self._mount()
        if self.fatal is None:
            self._read_tree()
            self._follow_all_tails()
            self._check_lists()

    # -- diagnostics ---------------------------------------------------------

    def error(self, where, message):
        self.diags.append(Diag("error", where, message))

    def warning(self, where, message):
        self.diags.append(Diag("warning", where, message))

    @property
    def errors(self):
        return [d for d in self.diags if d.severity == "error"]

    # -- geometry -------------------------------------------------------------

    def _setup_geometry(self, block_size, block_count):
        size = len(self.data)
        if block_size is None:
            self.geometry_source = "detected"
            bs, bc, diags = detect_geometry(self.data)
            self.diags.extend(diags)
            if bs is None:
                self.fatal = "no littlefs filesystem found"
                self.block_size = self.block_count = None
                return
        else:
            bs = block_size
            if bs < MIN_BLOCK_SIZE:
                self.error("geometry", "block size %d is below %d" % (
                    bs, MIN_BLOCK_SIZE))
                self.fatal = "unusable block size"
                self.block_size = self.block_count = None
                return
            if size % bs:
                self.warning("geometry", "image size %d is not a multiple of "
                             "block size %d" % (size, bs))
            bc = size // bs
        if block_count is not None:
            if block_count != bc:
                self.geometry_source += ", block count given"
            bc = block_count
        self.block_size = bs
        self.block_count = bc
        self.image = Image(self.data, bs, bc)

    # -- pairs ----------------------------------------------------------------

    def fetch(self, pair, via):
        """Fetch (once) and return the PairState of `pair`, noting how it was reached."""
        key = pair_key(pair)
        if key in self.pairs:
            self.via[key].append(via)
            return self.pairs[key]
        ps = fetch_pair(self.image, pair)
        self.pairs[key] = ps
        self.via[key] = [via]
        where = "pair " + pair_str(pair)
        if pair[0] == pair[1]:
            self.error(where, "both halves of the pair are the same block")
        for i, problem in enumerate(ps.block_problems):
            if problem is not None:
                self.error(where, "block %d: %s" % (i, problem))
        if ps.current is None and all(p is None for p in ps.block_problems):
            self.error(where, "neither block holds a valid commit")
        if ps.tail_problem:
            self.error(where, ps.tail_problem)
        for sev, msg in ps.problems:
            self.diags.append(Diag(sev, where, msg))
        self._apply_move(ps)
        for i, log in enumerate(ps.logs):
            if log is not None:
                self._check_log(where, log, i == ps.current)
        return ps

    def _check_log(self, where, log, current):
        where = "%s block 0x%x" % (where, log.block)
        if log.intact_after:
            bad = log.commits[-1]
            (self.error if current else self.warning)(
                where, "commit at 0x%x fails its CRC but %d later commit(s) "
                "(at %s) are intact: damage, not a torn write; readers ignore "
                "everything from 0x%x on" % (
                    bad.start, len(log.intact_after),
                    ", ".join("0x%x" % o for o in log.intact_after), bad.start))
        if not current:
            return
        for c in log.commits:
            if not c.valid and not log.intact_after:
                self.warning(where, "last commit at 0x%x is not valid (%s): a "
                             "torn write; the commits before it are used"
                             % (c.start, c.problem))
        if log.next_erased is False:
            self.warning(where, "the space after the last commit is not "
                         "erased (its FCRC does not match): a torn program; "
                         "littlefs compacts before writing here again")

    def _apply_move(self, ps):
        move = self.gstate and self.gstate["move"]
        if move and pairs_overlap(ps.pair, move["pair"]):
            ps.hidden_id = move["id"]

    @staticmethod
    def pair_is_null(pair):
        return pair[0] == NULL_BLOCK or pair[1] == NULL_BLOCK

    def _pair_in_range(self, pair, where, what):
        bad = [b for b in pair if b >= self.block_count]
        if bad:
            self.error(where, "%s %s points outside the device (block count %d)"
                       % (what, pair_str(pair), self.block_count))
            return False
        return True

    # -- mount ------------------------------------------------------------

    def _mount(self):
        tail = (0, 1)
        seen = set()
        via = "superblock pair"
        gstate = bytearray(12)
        while True:
            if self.pair_is_null(tail):
                break
            where = "tail list"
            if not self._pair_in_range(tail, where, "tail"):
                break
            if tail[0] in seen or tail[1] in seen:
                self.error(where, "tail %s leads back to a pair already on the "
                           "list: the list loops; stopped there" % pair_str(tail))
                break
            seen.update(tail)
            ps = self.fetch(tail, via)
            if ps.current is None:
                self.error(where, "pair %s on the tail list is unreadable; the "
                           "list ends there" % pair_str(tail))
                break
            key = pair_key(tail)
            self.chain.append(key)
            sb = read_superblock(ps)
            if sb is not None:
                self.superblocks.append((key, sb))
                self.superblock = sb
                self.root = ps
            if ps.gdelta is not None:
                for i in range(12):
                    gstate[i] ^= ps.gdelta[i]
            if ps.tail is None:
                break
            via = "tail of " + pair_str(tail)
            tail = ps.tail[1]
        self.gstate_raw = bytes(gstate)
        self.gstate = decode_gstate(self.gstate_raw)
        if self.root is None:
            self.error("superblock", "no superblock entry found on the tail "
                       "list from pair {0,1}")
            self.fatal = "no readable superblock"
            return
        for ps in self.pairs.values():
            self._apply_move(ps)
        self._check_superblock()
        self._check_gstate()

    def _check_superblock(self):
        sb = self.superblock
        where = "superblock"
        major, minor = sb["version"] >> 16, sb["version"] & 0xFFFF
        if major != 2 or minor > 1:
            self.error(where, "on-disk version %d.%d is not 2.0 or 2.1"
                       % (major, minor))
        if sb["struct_len"] != 24:
            self.error(where, "superblock struct has %d bytes, expected 24"
                       % sb["struct_len"])
        if sb["block_size"] != self.block_size:
            self.error(where, "superblock block_size %d differs from the %d "
                       "used to read the image" % (sb["block_size"],
                                                   self.block_size))
        if sb["block_count"] != self.block_count:
            self.error(where, "superblock block_count %d differs from the %d "
                       "used to read the image" % (sb["block_count"],
                                                   self.block_count))
        if sb["name_max"] > NAME_MAX_LIMIT:
            self.error(where, "name_max %d exceeds %d" % (sb["name_max"],
                                                          NAME_MAX_LIMIT))
        if sb["attr_max"] > NAME_MAX_LIMIT:
            self.error(where, "attr_max %d exceeds %d" % (sb["attr_max"],
                                                          NAME_MAX_LIMIT))
        if sb["file_max"] > 0x7FFFFFFF:
            self.error(where, "file_max %d exceeds 2^31-1" % sb["file_max"])

    def _check_gstate(self):
        g = self.gstate
        if g["move"] is not None:
            m = g["move"]
            self.warning("gstate", "a move is pending: id %d of pair %s is the "
                         "source and is hidden (type 0x%03x)"
                         % (m["id"], pair_str(m["pair"]), m["type"]))
            if m["type"] != 0x4FF:
                self.error("gstate", "move type 0x%03x is not 0x4ff" % m["type"])
        if g["orphans"] or g["sync"]:
            self.warning("gstate", "orphan count %d, sync bit %d: the tail list "
                         "may hold orphaned pairs" % (g["orphans"], g["sync"]))

    # -- tree -----------------------------------------------------------------

    def _read_tree(self):
        root = self.root
        rid = root.phys_of_visible(0)
        self.tree = {
            "path": "/", "name": "/", "type": "dir",
            "pair": root.pair, "id": 0,
            "attrs": root.attrs(rid) if rid is not None else {},
            "dir_pairs": [], "children": [],
        }
        stack = [(self.tree, root.pair)]
        while stack:
            node, head = stack.pop()
            self._read_dir(node, head)
            for child in reversed(node["children"]):
                if child["type"] == "dir" and child.get("head") is not None:
                    stack.append((child, child["head"]))

    def _read_dir(self, node, head):
        path = node["path"]
        p = head
        via = "directory " + path
        names = set()
        while True:
            key = pair_key(p)
            if key in self.dir_of:
                self.error(path, "directory reaches pair %s, which already "
                           "belongs to directory %s (a loop or a shared pair); "
                           "stopped there" % (pair_str(p), self.dir_of[key]))
                break
            ps = self.fetch(p, via)
            self.dir_of[key] = path
            node["dir_pairs"].append(ps.pair)
            if ps.current is None:
                self.error(path, "directory pair %s is unreadable; entries "
                           "stored there are missing" % pair_str(p))
                break
            nameless = []
            for vid, phys in enumerate(ps.visible_ids()):
                child = self._entry(ps, vid, phys, path, nameless)
                if child is None:
                    continue
                if child["name"] in names:
                    self.error(child["path"], "name appears twice in the directory")
                names.add(child["name"])
                node["children"].append(child)
            if nameless:
                self.warning("%s: pair %s" % (path, pair_str(ps.pair)),
                             "%d id(s) below the id count have no name and are "
                             "skipped, as littlefs does: %s" % (
                                 len(nameless), _id_list(nameless)))
            if not ps.is_split:
                break
            nxt = ps.tail[1]
            where = "directory " + path
            if self.pair_is_null(nxt):
                self.error(where, "hard tail of %s is null" % pair_str(ps.pair))
                break
            if not self._pair_in_range(nxt, where, "hard tail"):
                break
            via = "hard tail of " + pair_str(ps.pair)
            p = nxt

    def _entry(self, ps, vid, phys, parent, nameless):
        name_t = ps.get(phys, T_REG, MASK_NAME)
        if name_t is None:
            if ps.get(phys, T_SUPERBLOCK, MASK_EXACT) is None:
                nameless.append(phys)
            return None
        name = name_t.data.decode("utf-8", "backslashreplace")
        path = (parent.rstrip("/") + "/" + name)
        if name_t.type3 not in (T_REG, T_DIR):
            self.error(path, "name tag type 0x%03x is neither a file nor a "
                       "directory; skipped" % name_t.type3)
            return None
        if not name or "/" in name or name in (".", "..") or "\0" in name:
            self.error(path, "invalid file name %r" % name)
        if self.superblock and len(name_t.data) > self.superblock["name_max"]:
            self.error(path, "name is %d bytes, longer than name_max %d"
                       % (len(name_t.data), self.superblock["name_max"]))
        st = ps.get(phys, 0x200, MASK_STRUCT)
        if st is None:
            self.warning(path, "entry has no struct tag; littlefs's directory "
                         "read skips it (pair %s id %d)" % (pair_str(ps.pair), phys))
            return None
        node = {"path": path, "name": name, "pair": ps.pair, "id": vid,
                "phys_id": phys, "attrs": ps.attrs(phys)}
        if self.superblock:
            for t, v in node["attrs"].items():
                if len(v) > self.superblock["attr_max"]:
                    self.error(path, "attribute 0x%02x is %d bytes, longer than "
                               "attr_max %d" % (t, len(v), self.superblock["attr_max"]))
        if name_t.type3 == T_DIR:
            node.update(type="dir", dir_pairs=[], children=[], head=None)
            if st.type3 != T_DIRSTRUCT or len(st.data) < 8:
                self.error(path, "directory has struct 0x%03x of %d bytes, not "
                           "a directory pair" % (st.type3, len(st.data)))
                return node
            head = (le32(st.data, 0), le32(st.data, 4))
            node["head"] = head
            if self.pair_is_null(head) or not self._pair_in_range(
                    head, path, "directory pair"):
                if self.pair_is_null(head):
                    self.error(path, "directory pair is null")
                node["head"] = None
            return node
        node.update(type="file")
        self._file(node, st, path)
        return node

    def _file(self, node, st, path):
        node["content"] = None
        node["blocks"] = []
        if st.type3 == T_INLINESTRUCT:
            node.update(storage="inline", size=len(st.data))
            node["content"] = st.data
        elif st.type3 == T_CTZSTRUCT and len(st.data) >= 8:
            head, size = le32(st.data, 0), le32(st.data, 4)
            node.update(storage="ctz", ctz_head=head, size=size)
            node["content"], node["blocks"] = self._read_ctz(head, size, path)
        else:
            node.update(storage="unknown", size=None)
            self.error(path, "file has struct 0x%03x of %d bytes, neither "
                       "inline nor CTZ" % (st.type3, len(st.data)))
        if self.superblock and node["size"] is not None and \
                node["size"] > self.superblock["file_max"]:
            self.error(path, "size %d exceeds file_max %d" % (
                node["size"], self.superblock["file_max"]))
        if node["content"] is not None:
            node["sha256"] = hashlib.sha256(node["content"]).hexdigest()
        else:
            node["sha256"] = None

    def _read_ctz(self, head, size, path):
        """(content or None, block list) of a CTZ skip-list; problems reported."""
        key = (head, size)
        if key in self._ctz_cache:
            content, blocks = self._ctz_cache[key]
            self._claim_blocks(blocks, "file " + path)
            return content, blocks
        content, blocks = self._read_ctz_uncached(head, size, path)
        self._ctz_cache[key] = (content, blocks)
        return content, blocks

    def _read_ctz_uncached(self, head, size, path):
        bs = self.block_size
        n = ctz_block_count(size, bs, self.image.blocks_in_file)
        if n is None:
            self.error(path, "size %d needs more blocks than the device has"
                       % size)
            return None, []
        if n == 0:
            return b"", []
        blocks = [None] * n
        bufs = [None] * n
        blocks[n - 1] = head
        seen = set()
        for i in range(n - 1, -1, -1):
            b = blocks[i]
            if b in seen:
                self.error(path, "skip-list loops: block 0x%x appears twice"
                           % b)
                return None, [x for x in blocks if x is not None]
            seen.add(b)
            buf, problem = self.image.block(b)
            if buf is None or len(buf) < bs:
                self.error(path, "skip-list block %d (of %d): %s" % (
                    i, n, problem or "block 0x%x is cut short by the end of "
                    "the image file" % b))
                return None, [x for x in blocks if x is not None]
            bufs[i] = buf
            if i > 0:
                blocks[i - 1] = le32(buf, 0)
        self._claim_blocks(blocks, "file " + path)
        for i in range(1, n):
            for k in range(1, ctz_pointer_count(i)):
                got = le32(bufs[i], 4 * k)
                want = blocks[i - (1 << k)]
                if got != want:
                    self.error(path, "skip pointer %d of block %d (0x%x) is "
                               "0x%x, expected 0x%x" % (k, i, blocks[i], got, want))
        parts = []
        left = size
        for i in range(n):
            start = bs - ctz_block_capacity(i, bs)
            take = min(bs - start, left)
            parts.append(bufs[i][start:start + take])
            left -= take
        return b"".join(parts), blocks

    def _claim_blocks(self, blocks, who):
        for b in blocks:
            prev = self.owner.get(b)
            if prev is not None and prev != who:
                self.error(who, "block 0x%x is also used by %s" % (b, prev))
            else:
                self.owner[b] = who

    # -- the rest of the pairs --------------------------------------------

    def _follow_all_tails(self):
        """Fetch every pair reachable through tails from pairs already seen."""
        queue = list(self.pairs.values())
        while queue:
            ps = queue.pop(0)
            if ps.tail is None or self.pair_is_null(ps.tail[1]):
                continue
            nxt = ps.tail[1]
            if pair_key(nxt) in self.pairs:
                continue
            if len(self.pairs) >= self.image.blocks_in_file:
                self.error("pairs", "more pairs than blocks; stopped following tails")
                return
            if not self._pair_in_range(nxt, "pair " + pair_str(ps.pair), "tail"):
                continue
            queue.append(self.fetch(nxt, "tail of " + pair_str(ps.pair)))

    def _check_lists(self):
        for key, ps in self.pairs.items():
            self._claim_blocks([b for b in ps.pair if b < self.block_count],
                               "metadata pair " + pair_str(key))
        chain = set(self.chain)
        root_key = pair_key(self.root.pair)
        before_root = set(self.chain[:self.chain.index(root_key)])
        orphans = [k for k in self.chain
                   if k not in self.dir_of and k not in before_root]
        if orphans:
            self.warning("tail list", "%d pair(s) on the tail list belong to no "
                         "directory (orphans): %s" % (len(orphans),
                                                      _pair_list(orphans)))
        off_list = [(k, p) for k, p in self.dir_of.items() if k not in chain]
        if off_list:
            self.warning("tail list", "%d directory pair(s) are not on the tail "
                         "list, so their gstate deltas are not counted: %s" % (
                             len(off_list), _pair_list(
                                 [k for k, _ in off_list],
                                 ["(%s)" % p for _, p in off_list])))

    # -- views ----------------------------------------------------------------

    def walk(self):
        """Tree nodes in manifest order: root first, depth first, disk order."""
        if self.tree is None:
            return []
        out = []
        stack = [self.tree]
        while stack:
            node = stack.pop()
            out.append(node)
            if node["type"] == "dir":
                stack.extend(reversed(node["children"]))
        return out

    def pair_containing(self, block):
        for ps in self.pairs.values():
            if block in ps.pair:
                return ps
        return None

    def inferred_prog_size(self):
        """The program size the writer likely used, or None.

        littlefs 2.1 writes FCRCs over exactly one program unit; without them,
        the largest power of two dividing every commit end is the best guess.
        """
        fcrc = []
        ends = []
        for ps in self.pairs.values():
            for log in ps.logs:
                if log is None:
                    continue
                for c in log.commits:
                    if c.valid:
                        ends.append(c.end)
                        if c.fcrc is not None:
                            fcrc.append(c.fcrc[0])
        if fcrc:
            return min(fcrc)
        if not ends:
            return None
        p = 1
        while p < self.block_size and all(e % (p * 2) == 0 for e in ends):
            p *= 2
        return p
