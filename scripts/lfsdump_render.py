"""Text, JSON and manifest views of a decoded littlefs image, for lfsdump.

Owns: turning a Filesystem (lfsdump_fs) or a lone BlockLog into the
human-readable dump, the --json document and the golden-manifest-shaped
--manifest document. Pure formatting: no decoding decisions live here,
except the per-tag data interpretations (names, structs, tails, gstate,
CRC/FCRC) that only matter for display.
"""
import os

from lfsdump_format import (
    SUPERBLOCK_FIELDS, T1_NAME, T1_SPLICE, T1_TAIL, T_CTZSTRUCT, T_DIRSTRUCT,
    T_FCRC, T_INLINESTRUCT, T_MOVESTATE, T_SUPERBLOCK, is_commit_crc, le32,
    pair_str, type_name, version_str)
from lfsdump_fs import decode_gstate

MADE_BY = "lfsdump.py (brownout's independent Python decoder)"


# -- per-tag interpretation ---------------------------------------------------

def decode_tag(t, superblock_context):
    """A dict interpreting the tag's data, or None for plain data."""
    d = t.data
    t1 = t.type3 >> 8
    if t.deleted:
        return None
    if t1 == T1_NAME:
        out = {"name": d.decode("utf-8", "backslashreplace")}
        if t.type3 == T_SUPERBLOCK:
            out["magic_ok"] = d == b"littlefs"
        return out
    if t.type3 == T_INLINESTRUCT and superblock_context and t.id == 0 \
            and len(d) == 24:
        return {f: le32(d, 4 * i) for i, f in enumerate(SUPERBLOCK_FIELDS)}
    if (t.type3 == T_DIRSTRUCT or t1 == T1_TAIL) and len(d) >= 8:
        return {"pair": [le32(d, 0), le32(d, 4)]}
    if t.type3 == T_CTZSTRUCT and len(d) >= 8:
        return {"head": le32(d, 0), "size": le32(d, 4)}
    if t.type3 == T_MOVESTATE and len(d) >= 12:
        g = decode_gstate(d[:12])
        return {"sync": g["sync"], "orphans": g["orphans"],
                "needs_superblock": g["needs_superblock"],
                "move": _move_json(g["move"])}
    if is_commit_crc(t.type3) and len(d) >= 4:
        return {"crc": le32(d, 0), "padding": len(d) - 4,
                "next_valid_bit": t.type3 & 1}
    if t.type3 == T_FCRC and len(d) >= 8:
        return {"size": le32(d, 0), "crc": le32(d, 4)}
    return None


def _move_json(move):
    if move is None:
        return None
    return {"type": move["type"], "id": move["id"], "pair": list(move["pair"])}


def _short_hex(b, limit):
    if limit is None or len(b) <= limit:
        return b.hex()
    return "%s..(%d bytes)" % (b[:limit].hex(), len(b))


def tag_text(t, dec, hex_limit):
    """Interpretation of a tag's data for the text dump."""
    if t.deleted:
        return "(deleted)"
    if dec is None:
        if t.type3 >> 8 == T1_SPLICE or not t.data:
            return ""
        return _short_hex(t.data, hex_limit)
    if "name" in dec:
        return repr(dec["name"])
    if "version" in dec:
        return " ".join("%s=%s" % (f, version_str(dec[f]) if f == "version"
                                   else dec[f]) for f in SUPERBLOCK_FIELDS)
    if "pair" in dec:
        return pair_str(dec["pair"])
    if "head" in dec:
        return "head 0x%x size %d" % (dec["head"], dec["size"])
    if "move" in dec:
        return _gstate_text(dec, t.data[:12])
    if "padding" in dec:
        return "crc 0x%08x, %d bytes padding, next valid bit %d" % (
            dec["crc"], dec["padding"], dec["next_valid_bit"])
    if "size" in dec:
        return "fcrc over %d bytes: 0x%08x" % (dec["size"], dec["crc"])
    return ""


def _gstate_text(g, raw):
    move = g["move"]
    m = "no move" if move is None else "move id %d in %s (type 0x%03x)" % (
        move["id"], pair_str(move["pair"]), move["type"])
    return "%s: %s, orphans %d, sync %d, needs-superblock %d" % (
        raw.hex(), m, g["orphans"], g["sync"], g["needs_superblock"])


# -- JSON ---------------------------------------------------------------------

def block_json(log, current):
    sbctx = _superblock_context(log)
    commits = []
    for c in log.commits:
        tags = []
        for t in c.tags:
            tj = {"offset": t.off, "tag": "0x%08x" % t.tag,
                  "type": "0x%03x" % t.type3, "type_name": type_name(t.type3),
                  "id": t.id, "length": t.length, "deleted": t.deleted,
                  "data": t.data.hex()}
            dec = decode_tag(t, sbctx)
            if dec is not None:
                tj["decoded"] = dec
            tags.append(tj)
        commits.append({
            "offset": c.start, "end": c.end, "valid": c.valid,
            "problem": c.problem, "crc_stored": c.crc_stored,
            "crc_computed": c.crc_computed,
            "fcrc": None if c.fcrc is None else {"size": c.fcrc[0],
                                                 "crc": c.fcrc[1]},
            "tags": tags})
    return {"block": log.block, "current": current, "revision": log.revision,
            "commits": commits, "last_valid_commit": log.last_valid,
            "stop": {"offset": log.stop_off, "reason": log.stop},
            "next_erased": log.next_erased,
            "intact_commits_after_bad_one": log.intact_after,
            "cut_short": log.short}


def pair_json(fs, key, ps):
    blocks = []
    for i, b in enumerate(ps.pair):
        log = ps.logs[i]
        if log is None:
            blocks.append({"block": b, "current": False,
                           "problem": ps.block_problems[i]})
        else:
            blocks.append(block_json(log, ps.current == i))
    tail = None
    if ps.tail is not None:
        tail = {"type": "hard" if ps.is_split else "soft",
                "tag_type": "0x%03x" % ps.tail[0], "pair": list(ps.tail[1])}
    return {"pair": list(ps.pair), "reached_via": fs.via.get(key, []),
            "current_block": ps.current_block, "id_count": ps.count,
            "hidden_id": ps.hidden_id, "tail": tail,
            "gdelta": None if ps.gdelta is None else ps.gdelta.hex(),
            "blocks": blocks}


def node_json(node):
    out = {"path": node["path"], "name": node["name"], "type": node["type"],
           "pair": list(node["pair"]), "id": node["id"],
           "attrs": {"%02x" % k: v.hex() for k, v in node["attrs"].items()}}
    if node["type"] == "dir":
        out["dir_pairs"] = [list(p) for p in node["dir_pairs"]]
        out["children"] = [node_json(c) for c in node["children"]]
    else:
        out.update(size=node["size"], storage=node["storage"],
                   sha256=node["sha256"])
        if node["storage"] == "ctz":
            out["ctz_head"] = node["ctz_head"]
            out["blocks"] = node["blocks"]
    return out


def gstate_json(fs):
    g = fs.gstate
    if g is None:
        return None
    return {"raw": g["raw"], "sync": g["sync"], "orphans": g["orphans"],
            "needs_superblock": g["needs_superblock"],
            "move": _move_json(g["move"])}


def full_json(fs, path):
    sb = None
    if fs.superblock is not None:
        sb = dict(fs.superblock)
        sb["version_str"] = version_str(sb["version"])
        sb["pair"] = list(fs.root.pair)
    return {
        "image": path, "image_size": len(fs.data),
        "geometry": {"block_size": fs.block_size,
                     "block_count": fs.block_count,
                     "source": fs.geometry_source},
        "superblock": sb,
        "tail_list": [list(k) for k in fs.chain],
        "root_pair": None if fs.root is None else list(fs.root.pair),
        "gstate": gstate_json(fs),
        "pairs": [pair_json(fs, k, ps) for k, ps in fs.pairs.items()],
        "tree": None if fs.tree is None else node_json(fs.tree),
        "diagnostics": [d.as_dict() for d in fs.diags],
    }


def manifest_json(fs, path):
    """A document in the schema of the golden *.manifest.json files."""
    entries = []
    for node in fs.walk():
        e = {"path": node["path"], "type": node["type"]}
        if node["type"] == "file":
            e["size"] = node["size"]
            e["sha256"] = node["sha256"]
        e["attrs"] = {"%02x" % k: v.hex() for k, v in node["attrs"].items()}
        entries.append(e)
    prog = fs.inferred_prog_size() if fs.block_size else None
    version = fs.superblock["version"] if fs.superblock else 0
    return {
        "image": os.path.basename(path),
        "geometry": {"block_size": fs.block_size,
                     "block_count": fs.block_count,
                     "read_size": prog, "prog_size": prog},
        "disk_version": "0x%08x" % version,
        "made_by": MADE_BY,
        "notes": "decoded from the image alone; read_size and prog_size are "
                 "inferred (FCRC size, else commit alignment)",
        "entries": entries,
    }


# -- text ---------------------------------------------------------------------

def _superblock_context(log):
    first = log.commits[0].tags[0] if log.commits and log.commits[0].tags \
        else None
    return first is not None and first.type3 == T_SUPERBLOCK


def block_text(log, current, hex_limit, indent="  "):
    lines = []
    if log.revision is None:
        lines.append("%sblock 0x%x: %s" % (indent, log.block, log.stop))
        return lines
    nv = len(log.valid_commits)
    state = "CURRENT" if current else "not current"
    erased = {True: ", the rest is erased (FCRC matches)",
              False: ", the rest is NOT cleanly erased (FCRC mismatch)",
              None: ""}[log.next_erased]
    lines.append("%sblock 0x%x  revision %d (0x%08x)  %s  %d valid commit%s, "
                 "log ends at 0x%x: %s%s%s" % (
                     indent, log.block, log.revision, log.revision, state, nv,
                     "" if nv == 1 else "s", log.stop_off, log.stop, erased,
                     " (block cut short by the end of the image file)"
                     if log.short else ""))
    if log.intact_after:
        lines.append("%s  intact commits after the bad one (ignored by readers) "
                     "at %s" % (indent, ", ".join("0x%x" % o
                                                  for o in log.intact_after)))
    sbctx = _superblock_context(log)
    last = log.last_valid
    for i, c in enumerate(log.commits):
        if c.valid:
            status = "crc 0x%08x valid" % c.crc_stored
        elif c.crc_stored is not None:
            status = "INVALID: %s (stored 0x%08x, computed 0x%08x)" % (
                c.problem, c.crc_stored, c.crc_computed)
        else:
            status = "INVALID: %s" % c.problem
        mark = "  <- last valid" if i == last else ""
        lines.append("%s  commit %d  0x%03x-0x%03x  %s%s" % (
            indent, i, c.start, c.end, status, mark))
        for t in c.tags:
            dec = decode_tag(t, sbctx)
            idtxt = "  -  " if t.id == 0x3FF else "%5d" % t.id
            lentxt = "del" if t.deleted else "%4d" % t.length
            line = "%s    0x%03x  %08x  %-16s id %s  len %s  %s" % (
                indent, t.off, t.tag, type_name(t.type3), idtxt, lentxt,
                tag_text(t, dec, hex_limit))
            lines.append(line.rstrip())
    return lines


def pair_text(fs, key, ps, hex_limit):
    lines = ["pair %s  reached via: %s" % (pair_str(ps.pair),
                                          "; ".join(fs.via.get(key, [])))]
    if ps.current is None:
        lines.append("  no valid commit in either block: unreadable")
    else:
        tail = "none"
        if ps.tail is not None:
            tail = "%s %s" % ("hard" if ps.is_split else "soft",
                              pair_str(ps.tail[1]))
        extra = ""
        if ps.hidden_id is not None:
            extra = ", id %d hidden by the pending move" % ps.hidden_id
        gd = "none" if ps.gdelta is None else ps.gdelta.hex()
        lines.append("  current block 0x%x, %d ids%s, tail %s, gstate delta %s"
                     % (ps.current_block, ps.count, extra, tail, gd))
    for i, b in enumerate(ps.pair):
        log = ps.logs[i]
        if log is None:
            lines.append("  block 0x%x: %s" % (b, ps.block_problems[i]))
        else:
            lines.extend(block_text(log, ps.current == i, hex_limit))
    return lines


def tree_text(fs):
    lines = []
    stack = [(fs.tree, 0)]
    while stack:
        node, depth = stack.pop()
        pad = "  " * depth
        attrs = " ".join("%02x=%s" % (k, v.hex()) for k, v in node["attrs"].items())
        attrs = ("  attrs " + attrs) if attrs else ""
        if node["type"] == "dir":
            name = "/" if depth == 0 else node["name"] + "/"
            pairs = " ".join(pair_str(p) for p in node["dir_pairs"]) or "-"
            lines.append("%s%s  dir, pairs %s%s" % (pad, name, pairs, attrs))
            for child in reversed(node["children"]):
                stack.append((child, depth + 1))
            continue
        loc = "[pair %s id %d]" % (pair_str(node["pair"]), node["id"])
        if node["storage"] == "inline":
            store = "inline"
        elif node["storage"] == "ctz":
            store = "ctz head 0x%x, blocks %s" % (
                node["ctz_head"],
                " ".join("0x%x" % b for b in node["blocks"]) or "none")
        else:
            store = "unreadable struct"
        sha = node["sha256"][:16] if node["sha256"] else "unreadable"
        size = "?" if node["size"] is None else node["size"]
        lines.append("%s%s  file, %s bytes, %s, sha256 %s..%s  %s" % (
            pad, node["name"], size, store, sha, attrs, loc))
    return lines


def superblock_text(fs):
    sb = fs.superblock
    lines = ["superblock (root pair %s, id 0):" % pair_str(fs.root.pair),
             "  magic        \"littlefs\"",
             "  version      %s (0x%08x)" % (version_str(sb["version"]),
                                            sb["version"])]
    for f in SUPERBLOCK_FIELDS[1:]:
        lines.append("  %-12s %d" % (f, sb[f]))
    if len(fs.superblocks) > 1:
        lines.append("  superblock entries on %d pairs of the tail list: %s" % (
            len(fs.superblocks),
            " ".join(pair_str(k) for k, _ in fs.superblocks)))
    return lines


def diag_text(diags):
    lines = []
    for sev in ("error", "warning"):
        ds = [d for d in diags if d.severity == sev]
        if ds:
            lines.append("%ss (%d):" % (sev, len(ds)))
            lines.extend("  %s: %s" % (d.where, d.message) for d in ds)
    return lines


def full_text(fs, path, hex_limit):
    lines = ["image %s: %d bytes" % (path, len(fs.data))]
    if fs.block_size is not None:
        lines.append("geometry: block_size %d, block_count %d (%s)" % (
            fs.block_size, fs.block_count, fs.geometry_source))
    if fs.superblock is not None:
        lines.append("")
        lines.extend(superblock_text(fs))
    if fs.chain:
        lines.append("")
        lines.append("tail list: " + " -> ".join(pair_str(k) for k in fs.chain))
    if fs.gstate is not None:
        lines.append("global state (xor of the deltas on the tail list): " +
                     _gstate_text(fs.gstate, bytes.fromhex(fs.gstate["raw"])))
    if fs.pairs:
        lines.append("")
        lines.append("metadata pairs (%d):" % len(fs.pairs))
        for key, ps in fs.pairs.items():
            lines.extend(pair_text(fs, key, ps, hex_limit))
    if fs.tree is not None:
        lines.append("")
        lines.append("tree:")
        lines.extend(tree_text(fs))
    d = diag_text(fs.diags)
    if d:
        lines.append("")
        lines.extend(d)
    if fs.fatal:
        lines.append("")
        lines.append("cannot read the tree: " + fs.fatal)
    return lines

