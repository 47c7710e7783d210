"""Cold start of `its-store`: wall time and `python -X importtime` per entry point, as Markdown.

    .venv/bin/python bench/startup.py [--runs 20] > /tmp/startup.md

Wall times are the median of N runs of a fresh process (hyperfine when installed, else a timing loop),
next to `python -c pass` and `python -c "import typer"` on the same interpreter. Completion is timed
warm (answer in the completion cache) and cold (cache folder emptied before each run, so the settings,
the client and one ListBuckets round trip are paid) against a throwaway SeaweedFS server, through the
console script (cli/fastcomplete.py) and, for comparison, through the Typer app itself. The package is
byte-compiled first, as pip does on install (else every run would compile the modules it imports).
Results move with machine load: compare the rows of one run, not runs of different days.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PY = sys.executable
HEAVY = ("typer", "minio", "urllib3", "pydantic", "pydantic_settings", "rich", "zstandard", "lz4", "redis",
         "diskcache")
TYPER_APP = "import sys; sys.argv[0] = 'its-store'\nfrom its_store.cli.app import run\nrun()"  # no fast path


def bash_request(line: str) -> dict[str, str]:
    words = line.replace(":", " : ").split()
    return {"_ITS_STORE_COMPLETE": "complete_bash", "COMP_WORDS": "\n".join(words),
            "COMP_CWORD": str(len(words) - 1), "COMP_LINE": line, "COMP_POINT": str(len(line))}


def wall(cmd: list[str], env: dict[str, str], runs: int, prepare: str | None = None) -> float:
    """Median wall seconds of `runs` runs (after one warm-up run that fills the OS page cache)."""
    if shutil.which("hyperfine"):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            args = ["hyperfine", "-N", "--warmup", "1", "--runs", str(runs), "--export-json", out.name,
                    "--style", "none"]
            if prepare:
                args += ["--prepare", prepare]
            subprocess.run([*args, " ".join(_quote(c) for c in cmd)], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return json.loads(Path(out.name).read_text())["results"][0]["median"]
    times = []
    for i in range(runs + 1):
        if prepare:
            subprocess.run(prepare, shell=True, env=env, check=True, stdout=subprocess.DEVNULL)
        started = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if i:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def _quote(text: str) -> str:
    import shlex
    return shlex.quote(text)


def importtime(cmd: list[str], env: dict[str, str]) -> tuple[float, int, list[str], list[tuple[float, str]]]:
    """(total import ms, modules, heavy top packages loaded, 5 costliest top-level imports)."""
    out = subprocess.run(cmd, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, capture_output=True, text=True)
    top: list[tuple[float, str]] = []
    names = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        names.append(name.strip())
        if name.startswith(" ") and not name.startswith("  "):
            top.append((int(cumulative) / 1000, name.strip()))
    heavy = sorted({n.split(".")[0] for n in names if n.split(".")[0] in HEAVY})
    return sum(ms for ms, _ in top), len(names), heavy, sorted(top, reverse=True)[:5]


def save_json(rows: list[dict], runs: int, path: Path = Path(__file__).with_name("STARTUP.json")) -> None:
    """The table as data (bench/STARTUP.json), for the chart bench/charts.py draws into docs/benchmarks/."""
    path.write_text(json.dumps({"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                "python": sys.version.split()[0], "cores": os.cpu_count(), "runs": runs,
                                "timer": "hyperfine" if shutil.which("hyperfine") else "timing loop",
                                "rows": rows}, indent=1) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    import its_store
    from its_store.testing.devserver import SeaweedServer

    exe = str(BIN / "its-store")
    subprocess.run([PY, "-m", "compileall", "-q", str(Path(its_store.__file__).parent)], check=True,
                   stdout=subprocess.DEVNULL)
    with SeaweedServer() as server, tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "_ITS_STORE"))},
               **server.env(), "MINIO_CACHE_DIR": str(cache), "MINIO_AUDIT_LOG": str(Path(tmp) / "audit.log")}
        subprocess.run([exe, "-q", "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        complete = {**env, **bash_request("its-store ls s3://its-")}
        subprocess.run([exe], env=complete, check=True, stdout=subprocess.DEVNULL)  # fills the cache
        refill = _quote(exe)  # one warm completion before each run: the entry stays younger than its TTL
        rows = [
            ("`python -c pass`", [PY, "-c", "pass"], env, None),
            ("`python -c \"import typer\"`", [PY, "-c", "import typer"], env, None),
            ("`its-store --version`", [exe, "--version"], env, None),
            ("`its-store --help`", [exe, "--help"], env, None),
            ("`its-store ls --help`", [exe, "ls", "--help"], env, None),
            ("complete `bucket c` (subcommands)", [exe], {**env, **bash_request("its-store bucket c")}, None),
            ("complete `ls s3://its-`, warm cache", [exe], complete, refill),
            ("same, through the Typer app", [PY, "-c", TYPER_APP], complete, refill),
            ("complete `ls s3://its-`, cold (no cache)", [exe], complete, f"rm -rf {cache}"),
        ]
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.runs} runs"
              f" ({'hyperfine' if shutil.which('hyperfine') else 'timing loop'}).\n")
        print("| entry point | wall ms (median) | × `python -c pass` | import ms | modules | heavy packages loaded |")
        print("|---|---:|---:|---:|---:|---|")
        base = None
        details = []
        measured: list[dict] = []
        for label, cmd, run_env, prepare in rows:
            seconds = wall(cmd, run_env, args.runs, prepare)
            base = base or seconds
            if prepare:
                subprocess.run(prepare, shell=True, check=True, env=run_env, stdout=subprocess.DEVNULL)
            total, count, heavy, top = importtime(cmd, run_env)
            print(f"| {label} | {seconds * 1000:.0f} | {seconds / base:.1f} | {total:.0f} | {count} | "
                  f"{', '.join(heavy) or '-'} |")
            details.append((label, top))
            measured.append({"entry": label, "wall_ms": round(seconds * 1000, 1), "import_ms": round(total, 1),
                             "modules": count, "heavy": heavy})
        save_json(measured, args.runs)
        print("\nCostliest top-level imports (cumulative ms):\n")
        for label, top in details[2:]:
            print(f"- {label}: " + ", ".join(f"{name} {ms:.0f}" for ms, name in top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
