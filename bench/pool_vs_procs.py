"""Threads or processes for many small GETs? Plain minio-py, no its-store code: 2,000 x 100 KB GETs by
one process with 8 threads, against two forked processes with 4 threads each.

    .venv/bin/python bench/pool_vs_procs.py [--objects 2000] [--size 100000] [--runs 3]

Starts its own SeaweedFS (or bench/run.py hands it the one it benchmarks against), seeds the objects
(untimed), then runs each variant in a fresh interpreter, interleaved, `--runs` times: the variant
imports minio, forks its workers (if any) and GETs every object once, reading each body to the end.
Reported, medians: wall and CPU (user+sys from wait4: the process and its forked children) of the whole
process, wall of the GET phase alone (from the first fork or thread to the last body read), and the
server's CPU. Bounded: each variant run is killed after 120 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUCKET = "bench"
PREFIX = "pool"
VARIANTS = {"1 process x 8 threads": (1, 8), "2 processes x 4 threads": (2, 4)}


def _client(threads: int):
    import urllib3
    from minio import Minio
    pool = urllib3.PoolManager(maxsize=threads, timeout=urllib3.Timeout(connect=5, read=60),
                               retries=urllib3.Retry(total=3, backoff_factor=0.2))
    return Minio(os.environ["POOL_ENDPOINT"], os.environ["POOL_ACCESS_KEY"], os.environ["POOL_SECRET_KEY"],
                 secure=False, region="us-east-1", http_client=pool)


def _get_all(keys: list[str], threads: int) -> int:
    client = _client(threads)

    def get(key: str) -> int:
        resp = client.get_object(BUCKET, key)
        try:
            return len(resp.read())
        finally:
            resp.close()
            resp.release_conn()

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(get, keys))


def child(procs: int, threads: int, count: int, size: int) -> None:
    """One variant, in its own interpreter: prints {"get_wall": s}."""
    import minio  # noqa: F401  (imported before the fork, as a process pool would)
    keys = [f"{PREFIX}/obj_{i:05d}" for i in range(count)]
    started = time.perf_counter()
    if procs == 1:
        got = _get_all(keys, threads)
    else:
        pids = []
        for p in range(procs):
            pid = os.fork()
            if pid == 0:
                code = 0 if _get_all(keys[p::procs], threads) == len(keys[p::procs]) * size else 1
                os._exit(code)
            pids.append(pid)
        got = 0
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit("a forked worker failed")
            got += len(keys) * size // procs
    if got != count * size:
        raise SystemExit(f"read {got} bytes, expected {count * size}")
    print(json.dumps({"get_wall": time.perf_counter() - started}))


def seed(env: dict[str, str], count: int, size: int) -> None:
    """count objects of `size` random bytes under pool/ (untimed), unless they are there already."""
    os.environ.update(env)
    client = _client(16)
    if not client.bucket_exists(BUCKET):
        client.make_bucket(BUCKET)
    have = sum(1 for _ in client.list_objects(BUCKET, prefix=f"{PREFIX}/", recursive=True))
    if have == count:
        return
    import io
    body = os.urandom(size)

    def put(i: int) -> None:
        client.put_object(BUCKET, f"{PREFIX}/obj_{i:05d}", io.BytesIO(body), size)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))


def server_cpu(pid: int | None) -> float:
    """User+sys seconds of a running process so far (SeaweedFS), from /proc/PID/stat (run.py uses it too)."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run_variant(procs: int, threads: int, count: int, size: int, env: dict[str, str],
                 server_pid: int | None) -> dict[str, float]:
    server_before = server_cpu(server_pid)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", str(procs), str(threads), "--objects", str(count),
                             "--size", str(size)], env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"{procs} x {threads}: no result within 120 s") from None
    # communicate() reaped the child; its rusage (with its forked workers) is in RUSAGE_CHILDREN
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{procs} x {threads} failed: {err.decode(errors='replace')[-2000:]}")
    return {"wall": wall, "get_wall": json.loads(out)["get_wall"],
            "server_cpu": server_cpu(server_pid) - server_before}


def measure(endpoint: str, access_key: str, secret_key: str, server_pid: int | None = None, count: int = 2000,
            size: int = 100_000, runs: int = 3, log=print) -> dict[str, dict[str, float]]:
    """{variant: medians of wall, get_wall, cpu, server_cpu}; variants interleaved, order alternating."""
    import resource
    env = {"POOL_ENDPOINT": endpoint, "POOL_ACCESS_KEY": access_key, "POOL_SECRET_KEY": secret_key}
    seed(env, count, size)
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    names = list(VARIANTS)
    for i in range(runs):
        for name in names[i % 2:] + names[: i % 2]:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            sample = _run_variant(*VARIANTS[name], count, size, env, server_pid)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            sample["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            samples[name].append(sample)
            log(f"  POOL {name}: {sample['wall']:.2f} s wall, {sample['cpu']:.2f} CPU-s")
    return {name: {k: statistics.median(s[k] for s in runs_) for k in runs_[0]} | {"count": count, "size": size}
            for name, runs_ in samples.items()}


def table(result: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| variant | process wall s | GET phase wall s | client CPU s | CPU-s per 1,000 GETs | server CPU s |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in result.items():
        lines.append(f"| {name} | {r['wall']:.2f} | {r['get_wall']:.2f} | {r['cpu']:.2f} | "
                     f"{r['cpu'] / (r['count'] / 1000):.2f} | {r['server_cpu']:.2f} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=2000)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child", nargs=2, type=int, metavar=("PROCS", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child, args.objects, args.size)
        return
    sys.path.insert(0, str(HERE.parent))
    from its_store.testing.devserver import SeaweedServer
    with SeaweedServer() as server:
        pid = server.process.pid if server.process else None
        result = measure(server.endpoint, server.access_key, server.secret_key, pid, args.objects, args.size,
                         args.runs)
    print(f"\n{args.objects:,} x {args.size / 1000:.0f} KB GETs, plain minio-py, medians of {args.runs} runs, "
          f"{os.cpu_count()} cores shared with the server:\n")
    print("\n".join(table(result)))


if __name__ == "__main__":
    main()
