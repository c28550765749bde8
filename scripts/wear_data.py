"""Reading what build/wear writes: one run's directory (summary.json,
blocks.csv, series.csv, series_blocks.csv) or a comparison's (comparison.json
and one run directory per value). Raises WearDataError with the file at fault
when something is missing or malformed."""
import csv
import json
import math
import pathlib


class WearDataError(Exception):
    pass


BLOCK_COLUMNS = ["block", "erases", "wear", "progs", "reads", "bad"]
SERIES_COLUMNS = ["iteration", "app_bytes", "bytes_progged", "min", "mean", "max", "bad"]


def _read_csv(path, columns):
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise WearDataError(f"{path}: {e.strerror}") from None
    if not rows:
        raise WearDataError(f"{path}: no rows")
    missing = [c for c in columns if c not in rows[0]]
    if missing:
        raise WearDataError(f"{path}: missing columns {', '.join(missing)}")
    out = []
    for n, row in enumerate(rows, start=2):
        try:
            out.append({c: float(row[c]) if c == "mean" else int(row[c]) for c in columns})
        except (TypeError, ValueError):
            raise WearDataError(f"{path}:{n}: not a number in {row}") from None
    return out


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise WearDataError(f"{path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise WearDataError(f"{path}: {e}") from None


def load_run(directory, label=None):
    """One run: {'dir', 'label', 'summary', 'blocks', 'series'}."""
    d = pathlib.Path(directory)
    summary = _read_json(d / "summary.json")
    for key in ("case", "blocks", "erase_cycles", "wear", "device", "iterations"):
        if key not in summary:
            raise WearDataError(f"{d / 'summary.json'}: no '{key}'")
    blocks = _read_csv(d / "blocks.csv", BLOCK_COLUMNS)
    series = _read_csv(d / "series.csv", SERIES_COLUMNS)
    return {"dir": d, "label": label or summary["case"], "summary": summary,
            "blocks": blocks, "series": series}


def load(directory):
    """A directory of build/wear's: {'case', 'define', 'runs', 'problems'}.
    define is None for a single run; problems lists runs without figures."""
    d = pathlib.Path(directory)
    if not d.is_dir():
        raise WearDataError(f"{d}: not a directory")
    if not (d / "comparison.json").exists():
        run = load_run(d)
        return {"case": run["summary"]["case"], "define": None, "runs": [run], "problems": []}
    comp = _read_json(d / "comparison.json")
    runs, problems = [], []
    for entry in comp.get("runs", []):
        label = f"{comp['define']}={entry['value']}"
        if (d / entry["dir"] / "summary.json").exists():
            run = load_run(d / entry["dir"], label)
            run["problem"] = entry.get("problem")
            runs.append(run)
        else:
            problems.append((label, entry.get("problem") or "no outputs"))
    if not runs:
        raise WearDataError(f"{d}: no run has outputs")
    return {"case": comp["case"], "define": comp["define"], "runs": runs, "problems": problems}


def gini(values):
    """Gini coefficient: sum_i (2i - n - 1) x_i / (n sum x), x sorted, i from 1."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    return sum((2 * i - n - 1) * x for i, x in enumerate(xs, start=1)) / (n * total)


def stddev(values):
    """Population standard deviation."""
    n = len(values)
    if n == 0:
        return 0.0
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / n)
