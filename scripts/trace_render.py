#!/usr/bin/env python3
"""Render a device trace written by `build/torture --trace FILE`.

The trace has one line per device operation, in order:
    read|prog|erase|sync BLOCK OFF SIZE RESULT
(erase-block coordinates; a sync is `sync 0 0 0 R`), after `#` header lines
naming the run and the geometry (`# erase_size N erase_count M`).

    trace_render.py FILE -o OUT.png   per-block picture over time: x is the
                                      operation index, y the block; reads,
                                      progs and erases in their own colours,
                                      failed operations marked
    trace_render.py FILE --summary    per-block counts as text

Exit status: 0 success; 1 unreadable or malformed trace; 2 bad usage.
"""
import argparse
import sys

KINDS = ("read", "prog", "erase", "sync")
COLOURS = {"read": "#9ecae1", "prog": "#e6550d", "erase": "#31a354"}


class TraceError(Exception):
    pass


def parse(path):
    """Returns (header lines, erase_size, erase_count, [(kind, block, off, size, result)])."""
    header, ops = [], []
    erase_size = erase_count = None
    try:
        f = open(path, encoding="ascii", errors="replace")
    except OSError as e:
        raise TraceError(f"{path}: {e.strerror}")
    with f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                header.append(line[1:].strip())
                words = line[1:].split()
                if len(words) == 4 and words[0] == "erase_size" and words[2] == "erase_count":
                    try:
                        erase_size, erase_count = int(words[1]), int(words[3])
                    except ValueError:
                        raise TraceError(f"{path}:{n}: bad geometry line")
                continue
            words = line.split()
            if len(words) != 5 or words[0] not in KINDS:
                raise TraceError(f"{path}:{n}: expected 'KIND BLOCK OFF SIZE RESULT', "
                                 f"got {line[:60]!r}")
            try:
                block, off, size, result = (int(w) for w in words[1:])
            except ValueError:
                raise TraceError(f"{path}:{n}: non-numeric field in {line[:60]!r}")
            ops.append((words[0], block, off, size, result))
    return header, erase_size, erase_count, ops


def summary(header, erase_size, erase_count, ops, out):
    for h in header:
        print(f"# {h}", file=out)
    totals = {k: 0 for k in KINDS}
    nbytes = {k: 0 for k in KINDS}
    failed = 0
    per_block = {}
    for kind, block, _off, size, result in ops:
        totals[kind] += 1
        nbytes[kind] += size
        failed += result != 0
        if kind != "sync":
            c = per_block.setdefault(block, {"read": 0, "prog": 0, "erase": 0, "failed": 0})
            c[kind] += 1
            c["failed"] += result != 0
    print(f"operations: {len(ops)} ({', '.join(f'{totals[k]} {k}' for k in KINDS)}), "
          f"{failed} failed", file=out)
    print(f"bytes: {nbytes['read']} read, {nbytes['prog']} programmed, "
          f"{nbytes['erase']} erased", file=out)
    print(f"blocks touched: {len(per_block)}"
          + (f" of {erase_count}" if erase_count else ""), file=out)
    print(f"{'block':>7} {'reads':>7} {'progs':>7} {'erases':>7} {'failed':>7}", file=out)
    for block in sorted(per_block):
        c = per_block[block]
        print(f"{block:>7} {c['read']:>7} {c['prog']:>7} {c['erase']:>7} {c['failed']:>7}",
              file=out)


def render(header, erase_count, ops, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 6), dpi=100)
    for kind in ("read", "prog", "erase"):
        xs = [i for i, op in enumerate(ops) if op[0] == kind]
        ys = [op[1] for op in ops if op[0] == kind]
        if xs:
            ax.scatter(xs, ys, s=6 if kind == "read" else 12, marker="s", c=COLOURS[kind],
                       label=f"{kind} ({len(xs)})", linewidths=0)
    syncs = [i for i, op in enumerate(ops) if op[0] == "sync"]
    for x in syncs:
        ax.axvline(x, color="#bbbbbb", linewidth=0.5, zorder=0)
    bad = [(i, op[1]) for i, op in enumerate(ops) if op[4] != 0]
    if bad:
        ax.scatter([b[0] for b in bad], [b[1] for b in bad], s=40, marker="x", c="black",
                   label=f"failed ({len(bad)})")
    ax.set_xlabel("operation index" + (f" (grey lines: {len(syncs)} syncs)" if syncs else ""))
    ax.set_ylabel("erase block")
    if erase_count:
        ax.set_ylim(-0.5, erase_count - 0.5)
    ax.set_xlim(-0.5, max(len(ops), 1) - 0.5)
    title = header[0] if header else "device trace"
    ax.set_title(title if len(title) < 110 else title[:107] + "...", fontsize=9)
    if ops:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, markerscale=2)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Render a build/torture --trace file: a "
                                 "per-block picture of reads, progs and erases over time, "
                                 "or per-block counts.")
    ap.add_argument("trace", help="the trace file")
    ap.add_argument("-o", "--output", help="PNG to write")
    ap.add_argument("--summary", action="store_true", help="print per-block counts")
    args = ap.parse_args(argv)
    if not args.output and not args.summary:
        ap.error("give -o OUT.png, --summary, or both")
    try:
        header, erase_size, erase_count, ops = parse(args.trace)
    except TraceError as e:
        print(f"trace_render: {e}", file=sys.stderr)
        return 1
    if args.summary:
        summary(header, erase_size, erase_count, ops, sys.stdout)
    if args.output:
        try:
            render(header, erase_count, ops, args.output)
        except OSError as e:
            print(f"trace_render: {args.output}: {e.strerror}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
