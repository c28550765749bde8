"""The figures of a wear report, drawn with matplotlib's Agg backend into PNG
files of a fixed size (WIDTH x HEIGHT pixels): the cumulative wear
distribution, a per-block heat map, wear over time and, for a comparison,
lifetime per setting. Each function takes the runs of wear_data.load()."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402

DPI = 100
WIDTH, HEIGHT = 960, 600
COLORS = plt.get_cmap("tab10").colors


def _figure(**kw):
    return plt.subplots(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, **kw)


def _save(fig, path):
    fig.savefig(path, dpi=DPI, format="png")
    plt.close(fig)


def _color(i):
    return COLORS[i % len(COLORS)]


def _title(data, what):
    s = data["runs"][0]["summary"]
    geo = s["geometry"]["name"]
    return (f"{what}: {data['case']}, {s['blocks']} blocks of {s['erase_size']} B "
            f"({geo}), erase_cycles {s['erase_cycles']}")


def cdf(data, path):
    """Fraction of blocks whose wear is at most x, per run, at the end."""
    fig, ax = _figure()
    cycles = max(r["summary"]["erase_cycles"] for r in data["runs"])
    for i, run in enumerate(data["runs"]):
        wear = np.sort([b["wear"] for b in run["blocks"]])
        frac = np.arange(1, len(wear) + 1) / len(wear)
        xs = np.concatenate(([0], wear))
        ys = np.concatenate(([0], frac))
        ax.step(xs, ys, where="post", color=_color(i), linewidth=2,
                label=f"{run['label']} (Gini {run['summary']['wear']['gini']:.2f})")
    ax.axvline(cycles, color="0.4", linestyle=":", linewidth=1)
    ax.text(cycles, 0.5, "erase_cycles ", color="0.3", rotation=90, va="center", ha="right",
            fontsize=9)
    ax.set_xlim(0, cycles * 1.05)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("erase count (wear) of a block")
    ax.set_ylabel("fraction of blocks with at most this wear")
    ax.set_title(_title(data, "Cumulative wear distribution at end of run"), fontsize=11)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    _save(fig, path)


def _grid_shape(n):
    cols = 1 << max(0, math.ceil(math.log2(math.sqrt(max(n, 1)))))
    return math.ceil(n / cols), cols


def heatmap(data, path):
    """Per-block wear as a grid (row-major from block 0), one panel per run;
    worn-out (bad) blocks are crossed."""
    runs = data["runs"]
    k = len(runs)
    pcols = min(k, 3)
    prows = math.ceil(k / pcols)
    fig, axes = _figure(nrows=prows, ncols=pcols, squeeze=False, layout="constrained")
    cycles = max(r["summary"]["erase_cycles"] for r in runs)
    image = None
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.axis("off")
            continue
        run = runs[i]
        n = len(run["blocks"])
        rows, cols = _grid_shape(n)
        grid = np.full(rows * cols, np.nan)
        grid[:n] = [b["wear"] for b in run["blocks"]]
        image = ax.imshow(grid.reshape(rows, cols), cmap="viridis", vmin=0, vmax=cycles,
                          aspect="equal", interpolation="nearest")
        bad = [b["block"] for b in run["blocks"] if b["bad"]]
        if bad and n <= 1024:
            ax.scatter([b % cols for b in bad], [b // cols for b in bad], marker="x",
                       color="white", s=max(4, 600 / max(rows, cols) ** 1.3), linewidths=0.8)
        ax.set_title(f"{run['label']}\nmax wear {run['summary']['wear']['max']}, "
                     f"{len(bad)} of {n} bad", fontsize=9)
        step = max(1, rows // 4)
        ax.set_yticks(range(0, rows, step))
        ax.set_yticklabels([str(r * cols) for r in range(0, rows, step)], fontsize=7)
        ax.set_xticks([])
        ax.set_ylabel("first block of row", fontsize=7)
    fig.suptitle(_title(data, "Per-block wear (x: worn out)"), fontsize=11)
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="erase count (wear)")
    _save(fig, path)


def timeline(data, path):
    """Max, mean and min wear over iterations; first bad block (x) and the
    filesystem's end (o) marked."""
    fig, ax = _figure()
    single = len(data["runs"]) == 1
    for i, run in enumerate(data["runs"]):
        s = run["series"]
        it = [r["iteration"] for r in s]
        c = _color(i)
        if single:
            ax.fill_between(it, [r["min"] for r in s], [r["max"] for r in s], color=c,
                            alpha=0.15, label="min..max")
        ax.plot(it, [r["max"] for r in s], color=c, linestyle="--", linewidth=1.3,
                label="max" if single else None)
        ax.plot(it, [r["mean"] for r in s], color=c, linewidth=2,
                label="mean" if single else run["label"])
        ax.plot(it, [r["min"] for r in s], color=c, linestyle=":", linewidth=1,
                label="min" if single else None)
        fb, fe = run["summary"].get("first_bad"), run["summary"].get("fs_end")
        if fb:
            ax.plot([fb["iteration"]], [run["summary"]["erase_cycles"]], marker="x",
                    color=c, markersize=10, markeredgewidth=2,
                    label="first bad block" if single else None)
        if fe:
            ax.plot([fe["iteration"]], [s[-1]["mean"]], marker="o", color=c, markersize=7,
                    label="filesystem end" if single else None)
    ax.set_xlabel("iterations of the workload")
    ax.set_ylabel("erase count (wear)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    note = "" if single else "  (solid: mean, dashed: max, dotted: min; x: first bad, o: end)"
    ax.set_title(_title(data, "Wear over time") + ("\n" + note.strip() if note else ""),
                 fontsize=10)
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    _save(fig, path)


def lifetime(data, path):
    """Iterations reached at the first bad block and at the filesystem's
    end, per run, with the share of the ideal lifetime at the end."""
    fig, ax = _figure()
    runs = data["runs"]
    x = np.arange(len(runs))
    first = [(r["summary"]["first_bad"] or {}).get("iteration", 0) for r in runs]
    end = [(r["summary"]["fs_end"] or {}).get("iteration", r["summary"]["iterations"])
           for r in runs]
    ax.bar(x - 0.2, first, width=0.4, color=_color(0), label="first bad block")
    bars = ax.bar(x + 0.2, end, width=0.4, color=_color(1), label="filesystem end")
    for bar, r in zip(bars, runs):
        fe = r["summary"]["fs_end"]
        text = f"{fe['ideal_share']:.0%} of ideal" if fe else r["summary"]["end"]
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                    textcoords="offset points")
    ax.set_xticks(x)
    ax.set_xticklabels([r["label"] for r in runs], fontsize=9)
    ax.set_ylabel("iterations of the workload")
    ax.set_title(_title(data, "Lifetime per setting"), fontsize=11)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    _save(fig, path)
