"""The self-contained HTML wear report: a table of lifetime and evenness per
run and the PNG figures embedded as base64 data URIs (no external files)."""
import base64
import html


def _num(v, fmt="{:,}"):
    return "&ndash;" if v is None else fmt.format(v)


def _point(p, key, fmt="{:,}"):
    return _num(p.get(key) if p else None, fmt)


def table(data):
    head = ["run", "ended by", "iterations at first bad", "at fs end",
            "app bytes at first bad", "at fs end", "share of ideal at first bad",
            "at fs end", "wear min / mean / max", "max / mean", "std dev", "Gini",
            "write ampl.", "bad blocks"]
    rows = []
    for run in data["runs"]:
        s = run["summary"]
        w = s["wear"]
        fb, fe = s.get("first_bad"), s.get("fs_end")
        ended = {"fs": f"fs error {fe['error_name']}" if fe else "fs",
                 "cap": "iteration cap", "first-bad": "--until first-bad",
                 "returned": "workload returned", "failed": "workload failed"}.get(
                     s["end"], s["end"])
        if s["status"] != "ok":
            ended = f"FAILED: {s['message']}"
        wa = s.get("write_amplification")
        rows.append([
            run["label"], ended, _point(fb, "iteration"), _point(fe, "iteration"),
            _point(fb, "app_bytes"), _point(fe, "app_bytes"),
            _point(fb, "ideal_share", "{:.1%}"), _point(fe, "ideal_share", "{:.1%}"),
            f"{w['min']} / {w['mean']:.1f} / {w['max']}", f"{w['max_over_mean']:.2f}",
            f"{w['stddev']:.1f}", f"{w['gini']:.3f}", _num(wa, "{:.2f}"),
            f"{s['bad_blocks']} of {s['blocks']}"])
    out = ["<table>", "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        cells = [f"<td>{html.escape(c) if '&' not in c else c}</td>" for c in r]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def image(path, alt):
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>")


STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.5em; text-align: right; }
th { background: #eee; } td:first-child, td:nth-child(2) { text-align: left; }
figure { margin: 1.5em 0; } img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.85em; color: #555; }
.problem { color: #a00; } dt { font-weight: bold; } dd { margin-bottom: 0.4em; }
"""

TERMS = """
<dl>
<dt>wear</dt><dd>erases of a block that completed while it was good (the device's
count); a block goes bad when its wear reaches erase_cycles.</dd>
<dt>first bad / fs end</dt><dd>the two end-of-life points: the first block wearing
out, and the filesystem failing (NOSPC, CORRUPT or IO) so the workload cannot go on.
Iterations and application bytes are counted up to each point.</dd>
<dt>share of ideal</dt><dd>blocks' wear summed at the point over blocks &times;
erase_cycles: the lifetime reached over the lifetime if every block were erased
exactly erase_cycles times at the same rate of erases per iteration.</dd>
<dt>max / mean, std dev, Gini</dt><dd>evenness of the final per-block wear
(1, 0, 0 when perfectly even). Gini = &Sigma;(2i&minus;n&minus;1)x<sub>i</sub> /
(n&Sigma;x) over sorted wear; std dev is the population one.</dd>
<dt>write amplification</dt><dd>bytes programmed on the device over bytes the
application wrote (lfs_file_write, and wear_app_bytes()).</dd>
</dl>
"""


def report(data, figures):
    """The whole document; figures: [(path, caption)]."""
    title = f"Wear report: {data['case']}"
    if data["define"]:
        title += f", {data['define']} compared"
    parts = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
             f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    s = data["runs"][0]["summary"]
    defines = ", ".join(f"{k}={v}" for k, v in s.get("defines", {}).items()
                        if k != data["define"])
    parts.append(f"<p>Geometry {html.escape(s['geometry']['name'])}; "
                 f"{s['blocks']} erase blocks under the filesystem; "
                 f"erase_cycles {s['erase_cycles']}; seed {s.get('seed', 0)}.</p>")
    parts.append(f"<p><small>Defines: {html.escape(defines)}</small></p>")
    parts.append(table(data))
    for label, problem in data["problems"]:
        parts.append(f"<p class='problem'>{html.escape(label)}: {html.escape(problem)}</p>")
    for run in data["runs"]:
        if run.get("problem"):
            parts.append(f"<p class='problem'>{html.escape(run['label'])}: "
                         f"{html.escape(run['problem'])}</p>")
    parts.append(TERMS)
    parts.extend(image(p, caption) for p, caption in figures)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
