#!/usr/bin/env python3
"""Draws the output directory of build/wear (one run, or a comparison):
cdf.png (cumulative wear distribution), heatmap.png (per-block wear as a
grid), timeline.png (max/mean/min wear over time), lifetime.png (a
comparison's lifetime per setting), and report.html, one self-contained page
with all of them and a table of lifetime and evenness.

    scripts/wear_report.py DIR [--html FILE]
"""
import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import wear_data  # noqa: E402
import wear_html  # noqa: E402
import wear_plots  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="the --out directory of build/wear")
    ap.add_argument("--html", help="the report (default DIR/report.html)")
    args = ap.parse_args(argv)
    try:
        data = wear_data.load(args.dir)
    except wear_data.WearDataError as e:
        print(f"wear_report: {e}", file=sys.stderr)
        return 1
    d = pathlib.Path(args.dir)
    figures = [(d / "cdf.png", "Cumulative wear distribution: the fraction of blocks "
                "whose wear is at most x (steep near erase_cycles = even wear)"),
               (d / "heatmap.png", "Per-block wear laid out as a grid, block 0 top left"),
               (d / "timeline.png", "Wear over time: max, mean and min erase count")]
    wear_plots.cdf(data, figures[0][0])
    wear_plots.heatmap(data, figures[1][0])
    wear_plots.timeline(data, figures[2][0])
    if data["define"]:
        figures.append((d / "lifetime.png", "Lifetime per setting, in iterations"))
        wear_plots.lifetime(data, figures[3][0])
    out = pathlib.Path(args.html) if args.html else d / "report.html"
    out.write_text(wear_html.report(data, figures))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
