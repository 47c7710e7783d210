"""The benchmark tables as charts (SVG) for the docs: `make bench` runs this last.

    .venv/bin/python bench/charts.py [--results bench/RESULTS.json] [--startup bench/STARTUP.json]
                                     [--out docs/benchmarks]

Reads what bench/run.py and bench/startup.py wrote and draws, with matplotlib (the `bench` extra):

    floors.svg          each workload's ratio (best peer's wall time ÷ its-store's) against its floor
    workloads-http.svg  per workload, each tool's median wall time (whisker: fastest to slowest run) and,
    workloads-tls.svg   inside it, its client CPU seconds
    memory.svg          per workload, each tool's peak RSS
    cold-start.svg      W1: start-up of each command
    startup.svg         bench/STARTUP.json: start-up and completion per entry point

The data is read defensively: a tool or workload more (a new peer, a second round of the same rows: their
samples pool into one bar), a field missing, or a chart without data (skipped) need no change here. To add
a chart, write a function that returns a Figure (or None) and list it in CHARTS. The SVGs are written
byte-for-byte reproducibly (fixed ids, no date, text as text) so that a rerun on the same data is no diff.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OURS = "its-store"
# a fixed colour per known tool, so that a tool looks the same in every chart; others take the next free one
COLOURS = {OURS: "#1f77b4", "s5cmd": "#ff7f0e", "rclone": "#2ca02c", "aws": "#d62728", "minio-py": "#9467bd"}
SPARE = ("#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
OWN_CHARTS = ("W1", "RSS1", "RSS4")  # keys drawn elsewhere (cold-start.svg) or of one tool only


def colour(tool: str) -> str:
    if tool not in COLOURS:
        COLOURS[tool] = SPARE[(len(COLOURS) - 5) % len(SPARE)]
    return COLOURS[tool]


# ------------------------------------------------------------------------------------------- data
def load(path: Path) -> dict[str, Any]:
    """A JSON file's object, or {} when it is absent (a chart without data is skipped)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def values(samples: list[dict[str, Any]], metric: str) -> list[float]:
    return [float(s[metric]) for s in samples if isinstance(s, dict) and isinstance(s.get(metric), int | float)]


def workloads(results: dict[str, Any], transport: str | None = None) -> dict[str, dict[str, list[dict]]]:
    """{workload title: {tool: samples}} in file order; the rows of one tool in one workload (rounds) pool
    their samples; failed rows (no samples) are left out."""
    found: dict[str, dict[str, list[dict]]] = {}
    for row in results.get("results", []):
        if not isinstance(row, dict) or not row.get("samples") or not row.get("workload"):
            continue
        if transport is not None and row.get("transport", "http") != transport:
            continue
        tools = found.setdefault(str(row["workload"]), {})
        tools.setdefault(str(row.get("tool", "?")), []).extend(row["samples"])
    return found


def key_of(results: dict[str, Any], workload: str) -> str:
    return next((str(r.get("key", "")) for r in results.get("results", []) if r.get("workload") == workload), "")


def ordered(tools: dict[str, list[dict]]) -> list[str]:
    """its-store first, then the peers in the order the data lists them."""
    return sorted(tools, key=lambda tool: tool != OURS)


# ----------------------------------------------------------------------------------------- charts
def new_figure(rows: int, cols: int, height_per_row: float) -> tuple[Any, list[Any]]:
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(rows, cols, figsize=(11, 0.8 + height_per_row * rows), squeeze=False)
    return fig, [ax for line in axes for ax in line]


def bars(ax: Any, labels: list[str], samples: list[list[dict]], metric: str, unit: str, scale: float = 1.0,
         inner: str | None = None, colours: list[str] | None = None) -> None:
    """Horizontal bars of the median of `metric` per label (whisker: min to max; `inner`: a second metric's
    median drawn as a thinner dark bar inside), each with its value written at the end."""
    medians, lows, highs = [], [], []
    for got in samples:
        nums = [v * scale for v in values(got, metric)] or [0.0]
        medians.append(statistics.median(nums))
        lows.append(statistics.median(nums) - min(nums))
        highs.append(max(nums) - statistics.median(nums))
    ys = list(range(len(labels)))
    spread = [lows, highs] if any(lows) or any(highs) else None
    ax.barh(ys, medians, xerr=spread, color=colours or [colour(t) for t in labels], height=0.7,
            error_kw={"ecolor": "#555555", "capsize": 2, "elinewidth": 0.8})
    if inner:
        inside = [statistics.median([v * scale for v in values(got, inner)] or [0.0]) for got in samples]
        ax.barh(ys, inside, color="#000000", alpha=0.35, height=0.25)
    right = max((m + h for m, h in zip(medians, highs, strict=True)), default=1.0) or 1.0
    for y, median, high in zip(ys, medians, highs, strict=True):  # the value after the whisker's end
        ax.text(median + high + right * 0.02, y, f"{median:.3g} {unit}", va="center", fontsize=8)
    ax.set_xlim(0, right * 1.3)
    ax.set_yticks(ys, labels, fontsize=8)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)


def panels(results: dict[str, Any], transport: str | None, metric: str, unit: str, title: str,
           inner: str | None = None) -> Any:
    """One panel per workload that has peers to compare with."""
    groups = {w: tools for w, tools in workloads(results, transport).items()
              if key_of(results, w) not in OWN_CHARTS and len(tools) > 1}
    if not groups:
        return None
    cols = 2
    rows = math.ceil(len(groups) / cols)
    fig, axes = new_figure(rows, cols, 0.45 + 0.28 * max(len(t) for t in groups.values()))
    for ax, (workload, tools) in zip(axes, groups.items(), strict=False):
        names = ordered(tools)
        bars(ax, names, [tools[n] for n in names], metric, unit, inner=inner)
        ax.set_title(workload, fontsize=9, loc="left")
    for ax in axes[len(groups):]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    return fig


def workloads_http(results: dict[str, Any], startup: dict[str, Any]) -> Any:
    return panels(results, "http", "wall", "s", "Wall time over HTTP, median of the runs (bar; whisker: fastest "
                  "to slowest) and client CPU seconds (dark inner bar); shorter is better", inner="cpu")


def workloads_tls(results: dict[str, Any], startup: dict[str, Any]) -> Any:
    return panels(results, "tls", "wall", "s", "Wall time over TLS, median of the runs (bar; whisker: fastest "
                  "to slowest) and client CPU seconds (dark inner bar); shorter is better", inner="cpu")


def memory(results: dict[str, Any], startup: dict[str, Any]) -> Any:
    return panels(results, "http", "rss_mib", "MiB", "Peak resident memory (VmHWM) over HTTP, median of the "
                  "runs; smaller is better")


def cold_start(results: dict[str, Any], startup: dict[str, Any]) -> Any:
    group = next((tools for w, tools in workloads(results).items() if key_of(results, w) == "W1"), None)
    if not group:
        return None
    names = list(group)
    fig, (ax,) = new_figure(1, 1, 0.35 * len(names) + 0.4)
    bars(ax, names, [group[n] for n in names], "wall", "ms", scale=1000.0,
         colours=[COLOURS[OURS] if n.startswith(OURS) else "#9a9a9a" for n in names])
    ax.set_title("W1 cold start: wall time of one command, ms (median; whisker: fastest to slowest)",
                 fontsize=10, loc="left")
    return fig


def startup_chart(results: dict[str, Any], startup: dict[str, Any]) -> Any:
    rows = [r for r in startup.get("rows", []) if isinstance(r, dict) and isinstance(r.get("wall_ms"), int | float)]
    if not rows:
        return None
    labels = [str(r.get("entry", "?")).replace("`", "") for r in rows]
    fig, (ax,) = new_figure(1, 1, 0.35 * len(rows) + 0.6)
    fake = [[{"wall": float(r["wall_ms"])}] for r in rows]  # one value each: no whisker
    baseline = [label.startswith("python") for label in labels]  # `python -c pass`, `... "import typer"`
    bars(ax, labels, fake, "wall", "ms", colours=["#9a9a9a" if b else COLOURS[OURS] for b in baseline])
    for label, row in zip(labels, rows, strict=True):
        if "import typer" in label:  # the baseline the time targets are set against
            ax.axvline(float(row["wall_ms"]), color="#555555", linestyle="--", linewidth=0.8)
    meta = ", ".join(str(startup[k]) for k in ("when", "timer") if startup.get(k))
    meta += f", Python {startup['python']}" if startup.get("python") else ""
    ax.set_title(f"Start-up and completion: wall ms, median of {startup.get('runs', '?')} runs; dashed: "
                 f"python -c \"import typer\"\n{meta}", fontsize=9, loc="left")
    return fig


_THRESHOLD = re.compile(r">=\s*([0-9.]+)")


def floors(results: dict[str, Any], startup: dict[str, Any]) -> Any:
    """The floors whose ratio is "best peer ÷ its-store, at least X": a bar each, the floor a black tick."""
    rows = [r for r in results.get("floors", []) if isinstance(r, dict) and isinstance(r.get("ratio"), int | float)
            and _THRESHOLD.search(str(r.get("floor", "")))]
    if not rows:
        return None
    fig, (ax,) = new_figure(1, 1, 0.32 * len(rows) + 0.6)
    ys = list(range(len(rows)))
    ratios = [float(r["ratio"]) for r in rows]
    floor = [float(_THRESHOLD.search(str(r["floor"])).group(1)) for r in rows]  # type: ignore[union-attr]
    ax.barh(ys, ratios, color=["#2ca02c" if r.get("met") else "#d62728" for r in rows], height=0.6)
    ax.scatter(floor, ys, marker="|", s=250, color="#000000", zorder=3, label="floor")
    for y, ratio in zip(ys, ratios, strict=True):
        ax.text(ratio + 0.02, y, f"{ratio:.2f}", va="center", fontsize=8)
    ax.axvline(1.0, color="#555555", linewidth=0.8)
    ax.set_yticks(ys, [str(r.get("workload", "?")).replace("`", "") for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max([*ratios, *floor, 1.0]) * 1.15)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Best peer's wall time ÷ its-store's (above 1: its-store is faster); green: floor met, "
                 "red: missed", fontsize=10, loc="left")
    return fig


CHARTS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Any]] = {
    "floors.svg": floors, "workloads-http.svg": workloads_http, "workloads-tls.svg": workloads_tls,
    "memory.svg": memory, "cold-start.svg": cold_start, "startup.svg": startup_chart,
}


def draw(results: dict[str, Any], startup: dict[str, Any], out: Path) -> list[Path]:
    """Write every chart that has data into `out`; return the files written."""
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot as plt
    # fixed ids (svg.hashsalt) and text as text (smaller, searchable; the viewer's sans-serif draws it)
    matplotlib.rcParams.update({"svg.hashsalt": "its-store-bench", "svg.fonttype": "none",
                                "font.family": "sans-serif"})
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, chart in CHARTS.items():
        fig = chart(results, startup)
        if fig is None:
            continue
        fig.tight_layout()
        fig.savefig(out / name, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
        written.append(out / name)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.json")
    ap.add_argument("--startup", type=Path, default=HERE / "STARTUP.json")
    ap.add_argument("--out", type=Path, default=HERE.parent / "docs" / "benchmarks")
    args = ap.parse_args(argv)
    written = draw(load(args.results), load(args.startup), args.out)
    print(f"charts: {', '.join(p.name for p in written) or 'none (no data)'} in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
