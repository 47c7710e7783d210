"""W7 incremental sync: its-store against rclone, s5cmd and aws-cli on the same local SeaweedFS.

    flock /tmp/its-heavy.lock .venv/bin/python bench/w7_sync.py            # writes the W7 section
    .venv/bin/python bench/w7_sync.py --runs 1 --objects 500                 # a quick look

A folder of 2,000 x 100 KB frames is first put in the bucket by each tool itself (its own prefix,
so each finds the metadata it writes: rclone and its-store the mtime, aws-cli and s5cmd compare
LastModified). Then, per run, a copy of the folder gets 20 files changed (new content, same size,
new mtime), 20 new and 20 deleted, and each tool's `sync --delete` of it is timed. (After each run
the original folder is synced back, untimed.) Tools are interleaved, medians reported. its-store keeps
its state store (sync-state.sqlite) between runs, as it would between cron runs on an edge box.

Re-sent objects are counted once per tool by an extra run through the logging proxy of
bench/sigcheck.py: the distinct object paths that received a PUT body (rclone, signing over HTTP,
sends each file as a one-part multipart upload: still one object). Its HEAD and listing requests
are counted too. Equal security as in bench/run.py: payloads signed over plain HTTP (its Tools).

rclone runs with its defaults for the comparison (size + mtime, read with a HEAD per object) and
--checkers/--transfers like the others' concurrency; s5cmd and aws-cli compare size and
LastModified from the listing (no HEADs) and re-send a file whose local mtime is newer.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from report import GOALS, Result, store  # noqa: E402
from run import MAIN_PY, ROOT, Tools, ensure_peers, make_frames, rotate, run_measured, versions  # noqa: E402

TOOLS = ["its-store", "rclone", "s5cmd", "aws"]
SECTION = "## W7 incremental sync"
NOTE = ("its-store's requests for this change: one listing per 1,000 keys (the first also stands for the bucket's "
        "HEAD), one PUT per changed or new file, one DeleteObjects, one GetBucketVersioning (the answer of an "
        "unversioned bucket does not say whether a delete left a marker, and the report says `deleted` or `hid "
        "... still stored` by it), and one small prefix listing per run of adjacent deleted keys to prove them "
        "no longer listed before they are reported deleted (here 2: prefixes only they have, instead of one per "
        "key, of the 80 others under their common prefix, or listing the prefix again); the "
        "state store (sync-state.sqlite) answers the mtime of the 1,960 unchanged objects, so it makes no object "
        "HEADs (rclone makes one per object). The rest is Python start-up (imports of pydantic, Typer, minio: "
        "see the fixed-cost rows of the main table). s5cmd, a Go binary, starts in milliseconds and compares "
        "LastModified from the listing, as aws-cli does.")


def sync_argv(t: Tools, tool: str, src: Path, prefix: str) -> list[str]:
    n = str(t.workers * 2)
    return {
        "its-store": t.its("sync", str(src), f"s3://bench/{prefix}/", "--delete", "-w", n),
        "rclone": t.rclone("sync", str(src), f"bench:bench/{prefix}", "--transfers", n, "--checkers", n,
                           *t.rclone_signed_puts),
        "s5cmd": t.s5("sync", "--delete", f"{src}/", f"s3://bench/{prefix}/"),
        "aws": t.aws("s3", "sync", "--delete", str(src), f"s3://bench/{prefix}/"),
    }[tool]


def mutate(base: Path, run_dir: Path, count: int, run: int) -> None:
    """run_dir = base (mtimes kept) with `count` files changed, `count` new and `count` deleted."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    shutil.copytree(base, run_dir)  # copy2: mtimes kept
    names = sorted(p.name for p in run_dir.iterdir())
    now = time.time() + 2
    for i, name in enumerate(names[:count]):
        path = run_dir / name
        data = bytearray(path.read_bytes())
        data[100:108] = (run * 1000 + i).to_bytes(8, "big")
        path.write_bytes(bytes(data))
        os.utime(path, (now, now))
    for name in names[-count:]:
        (run_dir / name).unlink()
    size = (run_dir / names[count]).stat().st_size
    for i in range(count):
        (run_dir / f"new_{run:02d}_{i:03d}.jpg").write_bytes(os.urandom(size))


_SUBRESOURCE = re.compile(r"(^|&)(versioning|location|policy|lifecycle|tagging|object-lock|encryption|acl|cors|"
                          r"uploads)(=|&|$)")


def count_requests(t_proxy: Tools, proxy, tool: str, src: Path, prefix: str) -> dict[str, int]:
    proxy.tag = f"{tool}-count"
    done = subprocess.run(sync_argv(t_proxy, tool, src, prefix), env=t_proxy.env, capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{tool} failed: {done.stderr[-2000:]}")
    seen = proxy.take(proxy.tag)
    methods = Counter(r.method for r in seen)
    written = {r.path for r in seen if r.method == "PUT" and r.body_len > 0}
    listings = sum(1 for r in seen if r.method == "GET" and re.fullmatch(r"/bench/?", r.path)
                   and not _SUBRESOURCE.search(r.query))  # GetBucketVersioning is no listing
    return {"resent": len(written), "heads": methods.get("HEAD", 0), "lists": listings,
            "deletes": methods.get("DELETE", 0) + sum(1 for r in seen if r.method == "POST" and r.body_len
                                                    and r.path.rstrip("/") == "/bench"),
            "requests": len(seen)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="runs per tool in each round (medians)")
    ap.add_argument("--rounds", type=int, default=2, help="same-run rounds, back to back (the goal: each)")
    ap.add_argument("--objects", type=int, default=2000)
    ap.add_argument("--change", type=int, default=20, help="files changed, added and deleted per run")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = ap.parse_args()
    subprocess.run([str(MAIN_PY), "-m", "compileall", "-q", str(ROOT / "its_store")], check=True)
    from sigcheck import LoggingProxy

    from its_store.testing.devserver import SeaweedServer
    tools = args.tools.split(",")
    exe = ensure_peers()
    tool_versions = versions(exe)
    work = Path(tempfile.mkdtemp(prefix="its-w7-", dir=os.environ.get("BENCH_TMP")))
    server = SeaweedServer(workdir=work / "server", tls=False).start()
    walls: dict[str, list[float]] = {tool: [] for tool in tools}
    cpus: dict[str, list[float]] = {tool: [] for tool in tools}
    counts: dict[str, dict[str, int]] = {}
    title = f"W7 incremental sync of {args.objects:,} x 100 KB ({args.change} changed, new, deleted)"
    rows = [Result(title, tool, key="W7", round=rnd) for rnd in range(1, args.rounds + 1) for tool in tools]
    try:
        t = Tools(exe, server, work, args.workers, server.endpoint)
        subprocess.run(t.s5("mb", "s3://bench"), env=t.env, check=False, capture_output=True)
        base = work / "base"
        make_frames(base, args.objects, 100 * 1000)
        for tool in tools:  # each tool puts the folder in the bucket itself
            subprocess.run(sync_argv(t, tool, base, f"w7-{tool}"), env=t.env, check=True, capture_output=True)
        for run in range(args.runs * args.rounds):
            src = work / "run"
            mutate(base, src, args.change, run)
            for tool in rotate(tools, run):
                sample = run_measured(sync_argv(t, tool, src, f"w7-{tool}"), t.env, work, t.server_pid)
                walls[tool].append(sample.wall)
                cpus[tool].append(sample.cpu)
                rows[(run // args.runs) * len(tools) + tools.index(tool)].samples.append(sample)
                subprocess.run(sync_argv(t, tool, base, f"w7-{tool}"), env=t.env, check=True, capture_output=True)
                print(f"W7 run {run + 1}: {tool} {sample.wall:.2f} s", flush=True)
        mutate(base, work / "run", args.change, args.runs * args.rounds)
        with LoggingProxy(("127.0.0.1", server.s3_port)) as proxy:
            tp = Tools(exe, server, work, args.workers, proxy.endpoint)
            for tool in tools:  # through the proxy once untimed first: its-store's state store is per endpoint
                proxy.tag = f"{tool}-prime"
                subprocess.run(sync_argv(tp, tool, base, f"w7-{tool}"), env=tp.env, check=True, capture_output=True)
                counts[tool] = count_requests(tp, proxy, tool, work / "run", f"w7-{tool}")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    write_section(Path(args.out), args, tools, walls, cpus, counts, tool_versions)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    store(Path(args.out), rows, f"{when}, `{' '.join(['bench/w7_sync.py', *sys.argv[1:]])}`")


def write_section(path: Path, args: argparse.Namespace, tools: list[str], walls: dict[str, list[float]],
                  cpus: dict[str, list[float]], counts: dict[str, dict[str, int]], tool_versions: dict) -> None:
    wall = {tool: statistics.median(v) for tool, v in walls.items()}
    peers = [tool for tool in tools if tool != "its-store"]
    best = min(peers, key=lambda tool: wall[tool]) if peers else None
    ratio = wall[best] / wall["its-store"] if best and "its-store" in wall else None
    expected = 2 * args.change
    lines = [SECTION, "",
             f"{args.objects:,} x 100 KB frames already in the bucket (each tool's own prefix, put there by the "
             f"tool); then {args.change} files changed (same size, new content, newer mtime), {args.change} new "
             f"and {args.change} deleted locally; `sync --delete` timed, {args.runs} runs, tools interleaved, "
             "medians. Plain HTTP, payloads signed by every tool (as in the other workloads). Re-sent = distinct "
             "objects that received a PUT body in one extra run through bench/sigcheck.py's logging proxy "
             f"(should be {expected}); HEADs and bucket listings counted in the same run. "
             f"`{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}`, `bench/w7_sync.py`.", "",
             "| tool | wall s (min-max) | client CPU s | re-sent | HEADs | listings | requests |",
             "|---|---|---|---|---|---|---|"]
    for tool in tools:
        c = counts.get(tool, {})
        lines.append(f"| {tool} {tool_versions.get(tool, '')} | {wall[tool]:.2f} ({min(walls[tool]):.2f}-"
                     f"{max(walls[tool]):.2f}) | {statistics.median(cpus[tool]):.2f} | {c.get('resent', '?')} | "
                     f"{c.get('heads', '?')} | {c.get('lists', '?')} | {c.get('requests', '?')} |")
    if ratio is not None:
        verdict = "met" if ratio >= GOALS["W7"] else "**missed**"
        each = ", ".join(f"{tool} {wall[tool] / wall['its-store']:.2f}" for tool in peers)
        goal = GOALS["W7"]
        lines += ["", f"Ratio (best peer {best} / its-store, all runs): **{ratio:.2f}** (goal >= {goal}: {verdict}; "
                  f"each round: the goals table); per peer: "
                  f"{each}. its-store re-sent {counts.get('its-store', {}).get('resent', '?')} objects (must be "
                  f"{expected}).", "", NOTE]
    text = path.read_text() if path.exists() else ""
    section = "\n".join(lines) + "\n"
    if SECTION in text:
        start = text.index(SECTION)
        ends = [i for i in (text.find("\n## ", start + len(SECTION)), text.find("\n<!--", start)) if i >= 0]
        end = min(ends, default=-1)  # up to the next section or the next script's begin marker
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
    print(section)


if __name__ == "__main__":
    main()
