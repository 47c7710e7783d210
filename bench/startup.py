"""Start-up and TAB latency of `its-store`, against `python -c "import typer"` on the same machine, as Markdown.

    .venv/bin/python bench/startup.py [--runs 20] [--shell-runs 200] > /tmp/startup.md

Two kinds of rows:
- processes (`--help`, `ls --help`, the names a completion script asks for): the median of N fresh
  processes, wall time and CPU time (user + sys of the child, from getrusage: other work on the machine
  stretches the wall time, much less the CPU time), plus one `python -X importtime` run;
- a TAB in a real shell: the completion function of the script in completions/, called in a loop inside
  bash, zsh and fish, and timed by the shell itself (bash and zsh: $EPOCHREALTIME around the loop; fish:
  `date` around it). bash runs `_its_store_completion` with COMP_LINE/COMP_WORDS set as bash sets them; zsh
  the function its widget calls (`__its_store_candidates`: compadd needs a live line editor); fish
  `complete -C LINE`, its whole completion of the line. The CPU time per TAB is that of the shell process
  (and of the its-store it starts for names), with the loop's N calls against the same shell running 0.

Names are timed warm (in the completion cache) and cold (cache folder emptied before each run, so the
settings, the client and one ListBuckets round trip are paid) against a throwaway SeaweedFS server. The
package is byte-compiled first, as pip does on install (else every run would compile what it imports).
Targets (issue 24): TAB on commands and options <= 10 ms, TAB on a cached name <= 80 ms, `--help` and
`ls --help` <= 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PY = sys.executable
HEAVY = ("typer", "click", "minio", "urllib3", "pydantic", "pydantic_settings", "rich", "zstandard", "lz4",
         "redis", "diskcache")
SCRIPTS = {"bash": "its-store.bash", "zsh": "_its-store", "fish": "its-store.fish"}
LINES = {"commands": "its-store bucket ", "options": "its-store upload f.jpg --t", "cached name": None}


# Marks every completion-cache entry as filed now: a warm run must not find it past its TTL (60 s), nor depend
# on the server answering a refill within the 0.3 s a TAB allows on a loaded machine.
REFRESH = ("import json, sys, time; p = sys.argv[1]; d = json.load(open(p))\n"
           "for e in d['entries'].values(): e['t'] = time.time()\n"
           "open(p, 'w').write(json.dumps(d))")


def fill(cmd: list[str], env: dict[str, str]) -> None:
    """Ask for names until the server's answer is in the cache (a loaded server can miss the 0.3 s deadline)."""
    for _ in range(50):
        if subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout.strip():
            return
    raise RuntimeError(f"no names from the server for {cmd}")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cmd: list[str], env: dict[str, str], runs: int, prepare: str | None = None) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds) of `runs` fresh processes, after one warm-up run."""
    walls, cpus = [], []
    for i in range(runs + 1):
        if prepare:
            subprocess.run(prepare, shell=True, env=env, check=True, stdout=subprocess.DEVNULL)
        cpu, started = children_cpu(), time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if i:
            walls.append(time.perf_counter() - started)
            cpus.append(children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


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


# ------------------------------------------------------------------------------ a TAB in a shell
def shell_loop(shell: str, script: Path, line: str, runs: int) -> str:
    """Shell code that loads `script` and completes `line` `runs` times, then prints the loop's seconds."""
    words = line.split()
    cur = "" if line.endswith(" ") else words.pop()
    if shell == "bash":
        bash_words = line.replace(":", " : ").replace("=", " = ").split() + ([""] if line.endswith(" ") else [])
        return (f"source {shlex.quote(str(script))}\n"
                f"COMP_LINE={shlex.quote(line)}; COMP_POINT=${{#COMP_LINE}}\n"
                f"COMP_WORDS=({' '.join(shlex.quote(w) for w in bash_words)}); COMP_CWORD={len(bash_words) - 1}\n"
                f"t0=$EPOCHREALTIME; for ((i = 0; i < {runs}; i++)); do _its_store_completion its-store; done\n"
                "t1=$EPOCHREALTIME; echo $t0 $t1\n")
    if shell == "zsh":
        return (f"zmodload zsh/datetime; source {shlex.quote(str(script))}; local -a reply; local REPLY\n"
                f"t0=$EPOCHREALTIME; repeat {runs} {{ __its_store_candidates its-store "
                f"{' '.join(shlex.quote(w) for w in [cur, *words[1:]])} }}\n"
                "t1=$EPOCHREALTIME; echo $t0 $t1\n")
    quoted = "'" + line.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return (f"source {shlex.quote(str(script))}\n"
            f"set t0 (date +%s.%N); for i in (seq {runs}); complete -C {quoted} >/dev/null; end\n"
            "set t1 (date +%s.%N); echo $t0 $t1\n")


def shell_tab(shell: str, line: str, env: dict[str, str], runs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) per TAB on `line` in `shell`."""
    script = REPO / "completions" / SCRIPTS[shell]
    argv = {"bash": ["bash", "--norc", "--noprofile"], "zsh": ["zsh", "-f"], "fish": ["fish", "--no-config"]}[shell]
    cpu: list[float] = []
    wall = 0.0
    for count in (0, runs):
        before = children_cpu()
        done = subprocess.run(argv, input=shell_loop(shell, script, line, count), env=env, capture_output=True,
                              text=True, check=True, timeout=600)
        cpu.append(children_cpu() - before)
        t0, t1 = (float(x) for x in done.stdout.split()[-2:])
        wall = t1 - t0 if count else wall
    return wall / runs, (cpu[1] - cpu[0]) / runs


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="fresh processes per process row")
    parser.add_argument("--shell-runs", type=int, default=200, help="TABs per shell row (names: a tenth)")
    args = parser.parse_args()
    import its_store
    from its_store.testing.devserver import SeaweedServer

    exe = str(BIN / "its-store")
    subprocess.run([PY, "-m", "compileall", "-q", str(Path(its_store.__file__).parent)], check=True,
                   stdout=subprocess.DEVNULL)
    with SeaweedServer() as server, tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "_ITS_STORE"))},
               **server.env(), "MINIO_CACHE_DIR": str(cache), "MINIO_AUDIT_LOG": str(Path(tmp) / "audit.log"),
               "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": tmp}
        subprocess.run([exe, "-q", "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        names = {**env, "_ITS_STORE_COMPLETE": "names"}
        name_cmd = [exe, "object", "s3://its-"]
        fill(name_cmd, names)
        refill = shlex.join([PY, "-c", REFRESH, str(cache / "completion.json")])  # the entry stays fresh
        rows = [
            ("`python -c pass`", [PY, "-c", "pass"], env, None, ""),
            ("`python -c \"import typer\"`", [PY, "-c", "import typer"], env, None, ""),
            ("`its-store --version`", [exe, "--version"], env, None, ""),
            ("`its-store --help`", [exe, "--help"], env, None, "≤ 150"),
            ("`its-store ls --help`", [exe, "ls", "--help"], env, None, "≤ 150"),
            ("names a script asks for: `object s3://its-`, warm cache", name_cmd, names, refill, "≤ 80"),
            ("same, cold (no cache: settings, client, ListBuckets)", name_cmd, names, f"rm -rf {cache}", ""),
        ]
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.1f} at the start; median of {args.runs} runs (processes), "
              f"{args.shell_runs} TABs (shells).\n")
        print("| what | wall ms | CPU ms | target ms | import ms | modules | heavy packages loaded |")
        print("|---|---:|---:|---:|---:|---:|---|")
        details = []
        measured: list[dict] = []
        for label, cmd, run_env, prepare, target in rows:
            seconds, cpu = measure(cmd, run_env, args.runs, prepare)
            if prepare:
                subprocess.run(prepare, shell=True, check=True, env=run_env, stdout=subprocess.DEVNULL)
            total, count, heavy, top = importtime(cmd, run_env)
            print(f"| {label} | {seconds * 1000:.0f} | {cpu * 1000:.0f} | {target} | {total:.0f} | {count} | "
                  f"{', '.join(heavy) or '-'} |")
            details.append((label, top))
            measured.append({"entry": label, "wall_ms": round(seconds * 1000, 1), "cpu_ms": round(cpu * 1000, 1),
                             "target_ms": target, "import_ms": round(total, 1), "modules": count, "heavy": heavy})
        fill(name_cmd, names)  # the cache again, for the TABs
        for shell in SCRIPTS:
            if not shutil.which(shell):
                print(f"| TAB in {shell}: not installed | | | | | | |")
                continue
            for what, line in LINES.items():
                runs = args.shell_runs if line else max(5, args.shell_runs // 10)
                subprocess.run(refill, shell=True, env=env, check=True)  # a fresh entry
                seconds, cpu = shell_tab(shell, line or "its-store ls s3://its-", env, runs)
                target = "≤ 10" if line else "≤ 80"
                measured.append({"entry": f"TAB in {shell}: {what}", "wall_ms": round(seconds * 1000, 2),
                                 "cpu_ms": round(cpu * 1000, 2), "target_ms": target})
                print(f"| TAB in {shell}: {what} (`{(line or 'its-store ls s3://its-').strip()}`) | "
                      f"{seconds * 1000:.1f} | {cpu * 1000:.1f} | {target} | | | |")
        save_json(measured, args.runs)
        print("\nCostliest top-level imports (cumulative ms):\n")
        for label, top in details[2:]:
            print(f"- {label}: " + ", ".join(f"{name} {ms:.0f}" for ms, name in top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
