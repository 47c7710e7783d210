"""bench/RESULTS.md and bench/RESULTS.json: the benchmark's report and its data.

    .venv/bin/python bench/report.py          # print the goals table of bench/RESULTS.json (`make bench` ends so)

bench/run.py (W1-W6, RSS, SIG, POOL), bench/w7_sync.py (W7) and bench/verify_bench.py (V1) measure, then
store their rows here: the rows of every workload they did not measure are kept as they were, and the goals
table at the top of RESULTS.md (between `<!-- goals:begin -->` and `<!-- goals:end -->`) is written again
from all of them.

RESULTS.json, the data (bench/charts.py draws from it; fields are added, never renamed):

    {"format": 2,
     "results": [                          one row per workload x tool x transport x round
       {"workload": "W4 upload 2,000 x 100 KB",   the table's title; "... (TLS)" over HTTPS
        "key": "W4",                       W1..W7, V1; W5b: W5 of the objects s5cmd uploaded; W4-0, W5-0: the
                                           same commands with nothing to move (start-up and fixed cost, for
                                           the per-object CPU); RSS1, RSS4
        "tool": "its-store",               its-store, minio-py (bench/sdk_baseline.py), s5cmd, rclone, aws
        "transport": "http",               "http" or "tls"
        "round": 1,                        the same-run round (1, 2): each round is --runs runs, medians
        "bytes": 200000000, "unit": "1,000 objects", "units": 2.0,   what CPU is also counted per
        "error": "",                       this tool's last failure here (a failed run has no sample)
        "samples": [{"wall": s, "cpu": user+sys s, "rss_mib": peak MiB, "server_cpu": s,
                     "cache_dropped": true,       the page cache was dropped just before the command (W2, W3
                                                  when run as root with /proc/sys/vm writable); false: could
                                                  not be; null: not tried (other workloads, older rows)
                     "mem_free_mib": MiB, "cached_mib": MiB}, ...]}],   MemFree, Cached just before it
     "goals": [                            the headline table: one row per workload and transport
       {"key": "W4", "workload": "...", "transport": "http",
        "goal": 0.9,                       best peer's wall ÷ its-store's must be at least this in every round
        "cpu_goal": 1.1,                   W4, W5: per-object CPU ÷ minio-py's at most this (else null)
        "rounds": [{"round": 1, "best_peer": "s5cmd",
                    "ratio": 0.61,         best peer's wall ÷ its-store's (above 1: its-store is faster)
                    "cpu_ratio": 1.30,     its-store's CPU ÷ minio-py's, whole command (null: no minio-py row)
                    "per_object_cpu_ratio": 1.20}],   the same with each command's W4-0/W5-0 CPU taken off
        "met": false, "cpu_met": false}],  every round at its goal (cpu_met: null without a CPU goal)
     "floors": [...],                      the verdicts in the older shape, for charts: workload, ours, peer,
                                           ratio (the worse round), floor (">= 0.9"), met; W1, RSS, signing too
     "signing": {...}, "pool": {...},      SIG (bench/sigcheck.py) and POOL (bench/pool_vs_procs.py)
     "runs": {title: "when, `command`"}, "last": {"when", "command", "versions"}}
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_MD = HERE / "RESULTS.md"
PEERS = ("s5cmd", "rclone", "aws")
OURS, SDK = "its-store", "minio-py"
COLUMNS = (*PEERS, SDK, OURS)
# issue 22: best peer's wall time ÷ its-store's, at least, in every round; per-object CPU ÷ minio-py's, at most
GOALS = {"W2": 0.95, "W3": 0.8, "W4": 0.9, "W5": 0.8, "W6": 0.6, "W7": 0.8, "V1": 0.8}
CPU_GOALS = {"W4": 1.1, "W5": 1.1}
ORDER = {"W1": 1, "W2": 2, "W3": 3, "W4": 4, "W4-0": 4.1, "W5": 5, "W5-0": 5.1, "W5b": 5.5, "W6": 6, "W7": 6.5,
         "V1": 6.7, "RSS1": 7, "RSS4": 7}
BEGIN, END = "<!-- goals:begin -->", "<!-- goals:end -->"


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mib: float
    server_cpu: float = 0.0
    # the page cache just before the command (bench/pagecache.py): dropped (True), not allowed (False), not
    # tried (None: workloads other than W2/W3, and rows measured before this was recorded); MiB, -1 unknown
    cache_dropped: bool | None = None
    mem_free_mib: float = -1.0
    cached_mib: float = -1.0


@dataclass
class Result:
    workload: str  # the table's title, e.g. "W2 upload 1GiB (TLS)"
    tool: str
    bytes: int = 0
    samples: list[Sample] = field(default_factory=list)
    key: str = ""  # W1..W7, V1, W5b, W4-0, W5-0, RSS1, RSS4: which goal applies
    transport: str = "http"  # "http" or "tls"
    unit: str = ""  # what CPU is counted per: "GiB" or "1,000 objects"
    units: float = 0.0  # how many of them the workload moves
    error: str = ""  # the last failure of this tool here, if any (its failed runs have no sample)
    round: int = 1  # the same-run round

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)

    def cpu_per_unit(self) -> float | None:
        return self.median("cpu") / self.units if self.units else None


# ------------------------------------------------------------------------------------------ data
def load(path: Path) -> dict:
    """RESULTS.json's object ({} when absent or not one)."""
    json_path = path.with_suffix(".json")
    if not json_path.exists():
        return {}
    data = json.loads(json_path.read_text())
    return data if isinstance(data, dict) else {}


def rows_of(data: dict) -> list[Result]:
    out = []
    for item in data.get("results", []):
        item = dict(item)
        samples = [Sample(**{k: v for k, v in s.items() if k in Sample.__dataclass_fields__})
                   for s in item.pop("samples", [])]
        out.append(Result(**{k: v for k, v in item.items() if k in Result.__dataclass_fields__}, samples=samples))
    return out


def merged(fresh: list[Result], data: dict) -> list[Result]:
    """The fresh rows, and the stored rows of every workload title they do not measure."""
    measured = {r.workload for r in fresh}
    kept = [r for r in rows_of(data) if r.workload not in measured]
    return sorted(kept + fresh, key=lambda r: (r.transport == "tls", ORDER.get(r.key, 9), r.round))


def dump(path: Path, data: dict, results: list[Result]) -> None:
    data["format"] = 2
    data["results"] = [{"workload": r.workload, "tool": r.tool, "bytes": r.bytes, "key": r.key,
                        "transport": r.transport, "unit": r.unit, "units": r.units, "error": r.error,
                        "round": r.round, "samples": [vars(s) for s in r.samples]} for r in results]
    data["goals"] = goal_rows(results)
    path.with_suffix(".json").write_text(json.dumps(data, indent=1))


def store(path: Path, fresh: list[Result], run_note: str) -> None:
    """Keep `fresh` (a W7 or V1 script's rows) in RESULTS.json with everything else, and write the goals
    table of RESULTS.md again. `run_note`: when and with what command they were measured."""
    data = load(path)
    results = merged(fresh, data)
    runs = data.setdefault("runs", {})
    for title in dict.fromkeys(r.workload for r in fresh):
        runs[title] = run_note
    dump(path, data, results)
    refresh(path, data)


# ----------------------------------------------------------------------------------------- goals
def _by_round(results: list[Result], title: str) -> dict[int, dict[str, Result]]:
    out: dict[int, dict[str, Result]] = {}
    for r in results:
        if r.workload == title and r.samples:
            out.setdefault(r.round, {})[r.tool] = r
    return out


def _fixed(results: list[Result], key: str, transport: str, rnd: int) -> dict[str, Result]:
    return {r.tool: r for r in results if r.key == f"{key}-0" and r.transport == transport and r.round == rnd
            and r.samples}


def goal_rows(results: list[Result]) -> list[dict]:
    """One row per workload with a goal (and transport): each round's best peer, ratios and verdicts."""
    rows = []
    titles = dict.fromkeys((r.workload, r.key, r.transport) for r in results if r.key in GOALS or r.key == "W5b")
    for title, key, transport in titles:
        rounds = []
        for rnd, tools in sorted(_by_round(results, title).items()):
            ours, sdk = tools.get(OURS), tools.get(SDK)
            peers = [tools[t] for t in PEERS if t in tools]
            if ours is None:
                continue
            best = min(peers, key=lambda r: r.median("wall")) if peers else None
            entry: dict = {"round": rnd, "best_peer": best.tool if best else None,
                           "ratio": round(best.median("wall") / ours.median("wall"), 3) if best else None,
                           "cpu_ratio": round(ours.median("cpu") / sdk.median("cpu"), 3) if sdk else None,
                           "per_object_cpu_ratio": None}
            fixed = _fixed(results, key, transport, rnd)
            if sdk and OURS in fixed and SDK in fixed:
                mine = ours.median("cpu") - fixed[OURS].median("cpu")
                theirs = sdk.median("cpu") - fixed[SDK].median("cpu")
                entry["per_object_cpu_ratio"] = round(mine / theirs, 3) if theirs > 0 else None
            rounds.append(entry)
        if not rounds:
            continue
        goal, cpu_goal = GOALS.get(key), CPU_GOALS.get(key)
        ratios = [e["ratio"] for e in rounds]
        per_object = [e["per_object_cpu_ratio"] for e in rounds]
        rows.append({"key": key, "workload": title, "transport": transport, "goal": goal, "cpu_goal": cpu_goal,
                     "rounds": rounds,
                     "met": None if goal is None else all(r is not None and r >= goal for r in ratios),
                     "cpu_met": None if cpu_goal is None else all(p is not None and p <= cpu_goal for p in per_object)})
    return rows


def _span(values: list[float], digits: int = 2) -> str:
    """'2.09–2.34' (the rounds' lowest and highest), or one number when they agree."""
    if not values:
        return ""
    low, high = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
    return low if low == high else f"{low}–{high}"


def goal_lines(results: list[Result]) -> list[str]:
    """The headline table (issue 22): per workload each tool's wall and CPU (the rounds' medians), the
    ratio to the best peer, and its-store's CPU against the plain minio-py script."""
    lines = ["| workload | " + " | ".join(COLUMNS) + " | best peer ÷ its-store (goal) | its-store CPU ÷ "
             "minio-py CPU | per object, fixed cost off (goal) |",
             "|---|" + "---:|" * len(COLUMNS) + "---|---:|---|"]
    for row in goal_rows(results):
        rounds = _by_round(results, row["workload"])
        cells = []
        for tool in COLUMNS:
            got = [tools[tool] for tools in rounds.values() if tool in tools]
            if not got:
                failed = [r for r in results if r.workload == row["workload"] and r.tool == tool and r.error]
                cells.append("failed" if failed else "")
                continue
            walls, cpus = [r.median("wall") for r in got], [r.median("cpu") for r in got]
            cells.append(f"{_span(walls)} s, {_span(cpus)} CPU-s")
        ratios = [e["ratio"] for e in row["rounds"] if e["ratio"] is not None]
        best = ", ".join(dict.fromkeys(e["best_peer"] for e in row["rounds"] if e["best_peer"]))
        verdict = {True: "met", False: "**missed**", None: ""}[row["met"]]
        goal = f" (>= {row['goal']}: {verdict})" if row["goal"] is not None else ""
        ratio = f"{_span(ratios)} ({best}){goal}" if ratios else ""
        cpu = _span([e["cpu_ratio"] for e in row["rounds"] if e["cpu_ratio"] is not None])
        per = _span([e["per_object_cpu_ratio"] for e in row["rounds"] if e["per_object_cpu_ratio"] is not None])
        if per and row["cpu_goal"] is not None:
            per += f" (<= {row['cpu_goal']}: {'met' if row['cpu_met'] else '**missed**'})"
        lines.append(f"| {row['workload']} | " + " | ".join(cells) + f" | {ratio} | {cpu} | {per} |")
    return lines


def goals_block(results: list[Result]) -> list[str]:
    rounds = sorted({r.round for r in results if r.key in GOALS})
    return [BEGIN, "## Goals", "",
            f"Each cell: the medians of {len(rounds) or 'the'} same-run rounds (lowest–highest when they differ), "
            "wall seconds and client CPU seconds (user+sys) of the whole command. `best peer ÷ its-store`: the "
            "fastest of s5cmd, rclone and aws-cli against its-store, per round (above 1: its-store is faster); "
            "the goal must hold in every round. `its-store CPU ÷ minio-py CPU`: against bench/sdk_baseline.py, "
            "the same transfers on the same SDK with nothing else (whole commands, start-up included); `per "
            "object, fixed cost off`: the same with the CPU of each command run on nothing (an empty folder, "
            "an empty prefix: start-up, client set-up, the listing) taken off first. Every tool signs its "
            "payloads over HTTP (*Payload signing* below).", "",
            *goal_lines(results), "", END]


def refresh(path: Path, data: dict | None = None) -> None:
    """Write the goals table of RESULTS.md again from RESULTS.json (in place, between its markers)."""
    data = data if data is not None else load(path)
    block = "\n".join(goals_block(rows_of(data)))
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        first = text.find("\n## ")
        text = text + "\n" + block + "\n" if first < 0 else text[:first + 1] + block + "\n\n" + text[first + 1:]
    path.write_text(text)


# ------------------------------------------------------------------------------------ the report
RSS_LIMIT_MIB = 96.0
RSS_FLAT_MIB = 8.0  # "flat": the 4x upload may peak at most this much above the 1x upload
STARTUP_LIMIT = 1.3  # `its-store --version` / `python -c "import typer"`


def signing_lines(signing: dict[str, dict]) -> list[str]:
    if not signing:
        return []
    lines = ["## Payload signing, seen on the wire", "",
             "Each tool (minio-py: bench/sdk_baseline.py) ran its W2 and W4 upload command lines (a 72 MiB file, "
             "multipart for every tool; 20 files of 100 KB) once through a logging proxy on loopback "
             "(`bench/sigcheck.py`), which relays the bytes unchanged, records each request's `x-amz-content-"
             "sha256` header and hashes the body it forwarded. `signed` = the header is the SHA-256 of exactly the"
             " bytes sent; `signed-chunks` = aws-chunked with a signature per chunk; `UNSIGNED` = UNSIGNED-PAYLOAD"
             " or STREAMING-UNSIGNED-PAYLOAD-TRAILER. Over TLS the proxy terminates TLS with the server's "
             "certificate (each tool trusting it as in the TLS runs) and forwards plain HTTP. Counts are requests "
             "with a body: parts/large PUTs (>= 1 MiB) and small bodies (100 KB PUTs, CompleteMultipartUpload "
             "XML). Over TLS, unsigned payloads are expected: TLS protects them.", "",
             "TLS trust: its-store through MINIO_CA_BUNDLE, aws-cli through AWS_CA_BUNDLE, s5cmd through "
             "AWS_CA_BUNDLE or SSL_CERT_FILE (either suffices), rclone through `--ca-cert`. Checked by hand once: "
             "without them each tool refuses the server (its-store: TLS handshake failed; s5cmd and rclone: x509 "
             "certificate signed by unknown authority; aws-cli: CERTIFICATE_VERIFY_FAILED), so none skips "
             "verification.", "",
             "| transport | tool | parts, large PUTs | small bodies | payloads signed |", "|---|---|---|---|---|"]
    for transport, per_tool in signing.items():
        for tool, verdicts in per_tool.items():
            kinds = set(verdicts["parts"]) | set(verdicts["small"])
            ok = "all" if kinds <= {"signed", "signed-chunks"} else ("none" if kinds == {"UNSIGNED"} else "some")
            lines.append(f"| {transport.upper()} | {tool} | {_verdicts(verdicts['parts'])} | "
                         f"{_verdicts(verdicts['small'])} | {ok} |")
    return [*lines, ""]


def _verdicts(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())) or "-"



def floors(results: list[Result], signing: dict | None = None) -> list[dict]:
    """The verdicts in the shape bench/charts.py draws: whether every tool signed every payload over plain
    HTTP (the condition for comparing the HTTP rows at all), W1's start-up, each goal of goal_rows() with
    the worse round's ratio, and the RSS floor."""
    rows = []
    if signing and signing.get("http"):
        unsigned = [tool for tool, v in signing["http"].items()
                    if not (set(v["parts"]) | set(v["small"])) <= {"signed", "signed-chunks"}]
        rows.append({"workload": "equal security: payloads signed over HTTP", "ours": "",
                     "peer": "", "ratio": None, "floor": "every tool, every payload",
                     "met": not unsigned, "note": ", ".join(unsigned)})
    failed = [r for r in results if not r.samples]
    w1 = {r.tool: r for r in results if r.key == "W1" and r.samples}
    if "its-store --version" in w1 and 'python3 -c "import typer"' in w1:
        ours, typer = w1["its-store --version"].median("wall"), w1['python3 -c "import typer"'].median("wall")
        rows.append({"workload": "W1 `its-store --version`", "ours": f"{ours * 1000:.0f} ms",
                     "peer": f"`python -c \"import typer\"` {typer * 1000:.0f} ms", "ratio": ours / typer,
                     "floor": f"<= {STARTUP_LIMIT}x typer", "met": ours / typer <= STARTUP_LIMIT})
    for goal in goal_rows(results):
        worst = min((e for e in goal["rounds"] if e["ratio"] is not None), key=lambda e: e["ratio"], default=None)
        if worst is None:
            continue
        by = _by_round(results, goal["workload"])[worst["round"]]
        ours, best = by[OURS], by[worst["best_peer"]]
        unit = ours.unit.replace("1,000 objects", "1k obj")
        cpu = f", {ours.cpu_per_unit():.2f} CPU-s/{unit}" if ours.units else ""
        peer_cpu = f", {best.cpu_per_unit():.2f} CPU-s/{unit}" if best.units else ""
        rows.append({"workload": goal["workload"], "ours": f"{ours.median('wall'):.2f} s{cpu}",
                     "peer": f"{best.tool} {best.median('wall'):.2f} s{peer_cpu}", "ratio": worst["ratio"],
                     "floor": f">= {goal['goal']}" if goal["goal"] is not None else "(no floor)",
                     "met": goal["met"]})
    rss = {r.key: r for r in results if r.key in ("RSS1", "RSS4") and r.samples}
    if any(r.key in ("RSS1", "RSS4") for r in failed):
        rows.append({"workload": "peak RSS, upload 1x / 4x the W2 size", "ours": "failed", "peer": "",
                     "ratio": None, "floor": f"<= {RSS_LIMIT_MIB:.0f} MiB, flat", "met": False})
    elif len(rss) == 2:
        one, four = rss["RSS1"].median("rss_mib"), rss["RSS4"].median("rss_mib")
        rows.append({"workload": "peak RSS, upload 1x / 4x the W2 size", "ours": f"{one:.0f} / {four:.0f} MiB",
                     "peer": "", "ratio": None,
                     "floor": f"<= {RSS_LIMIT_MIB:.0f} MiB, flat (+{RSS_FLAT_MIB:.0f})",
                     "met": max(one, four) <= RSS_LIMIT_MIB and four - one <= RSS_FLAT_MIB})
    return rows


def floor_lines(rows: list[dict]) -> list[str]:
    """The floors the goals table does not hold: equal security, start-up, memory."""
    lines = ["| floor | its-store | reference | ratio | floor | verdict |", "|---|---:|---:|---:|---|---|"]
    for row in rows:
        if any(row["workload"] == g for g in _goal_titles):
            continue
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else ""
        verdict = {True: "met", False: "**missed**", None: ""}[row["met"]]
        if row.get("note"):
            verdict += f" ({row['note']})"
        lines.append(f"| {row['workload']} | {row['ours']} | {row['peer']} | {ratio} | {row['floor']} | {verdict} |")
    return lines


_goal_titles: set[str] = set()


def workload_lines(results: list[Result]) -> list[str]:
    """One table per workload: each tool in each round (medians of its runs, min-max of the walls)."""
    lines: list[str] = []
    for title in dict.fromkeys(r.workload for r in results):
        group = [r for r in results if r.workload == title]
        unit = group[0].unit
        per = f"CPU-s per {unit}" if unit else "CPU-s per run"
        lines += [f"## {title}", "", f"| tool | round | wall s | wall min-max | MB/s | client CPU s | {per} | "
                  "server CPU s | peak RSS MiB | best peer / this |", "|---|" + "---:|" * 9]
        for r in group:
            if not r.samples:
                lines.append(f"| {r.tool} | {r.round} | failed: {r.error.replace('|', '/')} |  |  |  |  |  |  |  |")
                continue
            peers = [p for p in group if p.tool in PEERS and p.round == r.round and p.samples]
            best = min((p.median("wall") for p in peers), default=None) if group[0].key != "W1" else None
            wall = r.median("wall")
            rate = f"{r.bytes / wall / 1e6:.0f}" if r.bytes else ""
            ratio = f"{best / wall:.2f}" if best else ""
            cpu_unit = f"{r.cpu_per_unit():.2f}" if r.units else ""
            walls = [x.wall for x in r.samples]
            spread = f"{min(walls):.2f}-{max(walls):.2f}" if len(walls) > 1 else ""
            lines.append(f"| {r.tool} | {r.round} | {wall:.3f} | {spread} | {rate} | {r.median('cpu'):.2f} | "
                         f"{cpu_unit} | {r.median('server_cpu'):.2f} | {r.median('rss_mib'):.0f} | {ratio} |")
        lines.append("")
    return lines


def write_report(results: list[Result], signing: dict, pool: dict, path: Path, tool_versions: dict[str, str]) -> None:
    """RESULTS.md from scratch (the sections of the other scripts kept) and RESULTS.json: bench/run.py's
    fresh rows with every stored row of a workload it did not measure now."""
    import os
    import platform
    import time
    data = load(path)
    rows_now = merged(results, data)
    fresh = [r.workload for r in results] + (["SIG"] if signing else []) + (["POOL"] if pool else [])
    signing = {**data.get("signing", {}), **signing}
    pool = pool or data.get("pool", {})
    runs, last = data.get("runs", {}), data.get("last", {})
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    command = " ".join(["bench/run.py", *sys.argv[1:]])
    if fresh:
        last = {"when": now, "command": command, "versions": tool_versions}
    now, command, tool_versions = last.get("when", now), last.get("command", command), last.get("versions", {})
    for title in dict.fromkeys(fresh):
        runs[title] = f"{now}, `{command}`"
    rows = floors(rows_now, signing)
    _goal_titles.update(g["workload"] for g in goal_rows(rows_now))
    lines = [
        "# Benchmark results", "",
        f"Last run {now}: `{command}` on {os.cpu_count()} cores ({cpu}), "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f} GiB RAM, Python "
        f"{platform.python_version()}; server: SeaweedFS `weed mini` on loopback, sharing the same cores. "
        "Tools: " + "; ".join(f"{k} {v}" for k, v in tool_versions.items()) + "; minio-py: bench/sdk_baseline.py "
        "on the SDK its-store uses.",
        "",
        *goals_block(rows_now), "",
        "Equal security: over plain HTTP every tool signs its payloads (x-amz-content-sha256 = SHA-256 of "
        "the body; rclone with `--s3-use-unsigned-payload=false`, and in W4 with `--s3-upload-cutoff 0`: for "
        "provider Other it cannot sign a single-part PutObject (\"request stream is not seekable\"), so each "
        "file goes up as a 3-request multipart upload whose part is signed); the TLS rows use HTTPS with a "
        "self-signed certificate that each tool trusts, each tool with its default payload mode there. See "
        "*Payload signing* below for how this was checked.",
        "",
        "Per workload below: medians of the runs of each round; tools interleaved. Wall = seconds for the whole "
        "command, start-up included. Client CPU = user+sys seconds of the tool's process and the children it "
        "waited for (wait4); also per GiB (W2, W3) or per 1,000 objects (W4, W5, W6). Server CPU = SeaweedFS's "
        "user+sys over the same interval. RSS = peak resident MiB (VmHWM). Page cache: a full page cache "
        "costs every tool ~1.6 CPU-s more per GiB written or read, so before each W2 and W3 command the cache is "
        "emptied (`sync; echo 3 > /proc/sys/vm/drop_caches`) when the benchmark may (root, /proc/sys/vm "
        "writable); every sample in RESULTS.json records whether it was (`cache_dropped`) and MemFree and Cached "
        "just before the command (`mem_free_mib`, `cached_mib`). " + _cache_note(rows_now) + " "
        "Ratio = best peer's wall time / "
        "this tool's (above 1: faster). Rows outside a partial run (--only, --tls-only, --no-tls) keep the "
        "numbers of the run they come from (RESULTS.json; see *Which run* at the end).",
        "",
        *(["## Other floors", "", *others, ""] if len(others := floor_lines(rows)) > 2 else []),
        *signing_lines(signing),
        *workload_lines([r for r in rows_now if r.key not in ("W7", "V1")]),
    ]
    if pool:
        from pool_vs_procs import table
        first = next(iter(pool.values()))
        lines += [f"## POOL: {first['count']:,} x {first['size'] / 1000:.0f} KB GETs, threads or processes", "",
                  "`bench/pool_vs_procs.py`: plain minio-py (no its-store code), each variant in a fresh "
                  "interpreter that imports minio, forks its workers (if any) and GETs every object once, "
                  "interleaved, medians. Process wall includes interpreter start-up and `import minio`; "
                  "client CPU includes the forked workers (wait4).", "", *table(pool), ""]
    shown = {r.workload for r in rows_now} | {"SIG", "POOL"}
    by_run: dict[str, list[str]] = {}
    for title, when in runs.items():
        if title in shown:
            by_run.setdefault(when, []).append(title)
    lines += ["## Which run", "", "| run | tables |", "|---|---|",
              *(f"| {when} | {'; '.join(titles)} |" for when, titles in by_run.items()), ""]
    path.write_text("\n".join(lines) + "\n" + _other_sections(path))
    data.update({"floors": rows, "signing": signing, "pool": pool, "runs": runs, "last": last})
    dump(path, data, rows_now)
    print("\n".join(["", *goal_lines(rows_now), "", *floor_lines(rows), ""]))
    print(f"written: {path} and {path.with_suffix('.json')}")


def _cache_note(results: list[Result]) -> str:
    """One sentence on how many W2/W3 samples of this report started from an emptied page cache."""
    samples = [s for r in results if r.key in ("W2", "W3") for s in r.samples]
    dropped = sum(s.cache_dropped is True for s in samples)
    if not samples:
        return ""
    if dropped == len(samples):
        return f"All {len(samples)} W2/W3 samples here started from an emptied page cache."
    return (f"Only {dropped} of {len(samples)} W2/W3 samples here started from an emptied page cache "
            "(the others: not allowed, or measured before this was recorded): compare their CPU with care.")


def _other_sections(path: Path) -> str:
    """What other scripts wrote after "## Which run" (W7, W8, verify: bench/w7_sync.py, w8_watch.py,
    verify_bench.py): kept as it is, so that a run of this script, whole or partial, does not drop it."""
    if not path.exists():
        return ""
    text = path.read_text()
    start = text.find("\n## Which run")
    if start < 0:
        return ""
    after = text.find("\n<!--", start + 1), text.find("\n## ", start + 1)
    cut = min((i for i in after if i >= 0), default=-1)
    return "" if cut < 0 else text[cut:].lstrip("\n").join(("\n", ""))


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS_MD
    print("\n".join(goal_lines(rows_of(load(path)))))


if __name__ == "__main__":
    main()
