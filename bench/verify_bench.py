"""`its-store verify` (the integrity scrub) against re-downloading with the peers, and what the chain
of custody (its-sha256 on every upload) costs an upload, on a local SeaweedFS.

    flock /tmp/its-heavy.lock .venv/bin/python bench/verify_bench.py            # ~5 min on 2 cores
    .venv/bin/python bench/verify_bench.py --runs 1 --big 256MiB                # a quick look

V1 checks 2,000 x 100 KB frames, V2 one 1 GiB object, both uploaded by its-store (so they carry
its-sha256). Peers: `s5cmd cp` of the objects to a folder (a download that checks nothing beyond
what s5cmd checks itself) and `rclone check --download` against the local originals (reads every
object and compares it byte by byte). Same server, same workers, payloads signed over HTTP by all
(as bench/run.py); medians of interleaved runs; peak RSS shows whether memory stays flat.

C1 measures the custody hash on a 1 GiB multipart upload: StorageService.upload_object as shipped
(the file is hashed before CreateMultipartUpload, as S3 metadata travels in the first request)
against the same call with the hash pass replaced by the digest handed in (what an upload cost
before), the hash pass alone, and the CLI for reference.

Peers, server and measuring come from bench/run.py (imported, not copied). The results go into the
"Integrity scrub (verify)" section of bench/RESULTS.md (between its markers; the rest is untouched).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import OURS, SDK, store  # noqa: E402 - bench/ on sys.path
from run import (  # noqa: E402 - bench/ on sys.path
    MAIN_PY,
    ROOT,
    Result,
    Tools,
    ensure_peers,
    make_file,
    make_frames,
    rotate,
    run_measured,
    versions,
)

BEGIN, END = "<!-- verify_bench:begin -->", "<!-- verify_bench:end -->"

# C1: one upload through StorageService.upload_object (the CLI's path, minus the CLI's start-up),
# "now" as shipped, "before" with the hash pass replaced by the digest handed in: the only difference
_UPLOAD = """
import sys
from pathlib import Path
import its_store.transfer.upload as up
from its_store.core.models import UploadRequest
from its_store.core.settings import load_settings
from its_store.service.storage import StorageService
path, key, given = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if given != "-":  # no part CRC32s either: the parts are then hashed again with SHA-256 (transfer/upload)
    up.fd_hash = lambda fd, size, where, part=0, stop=None, *_signed: up.FileHash(given)  # no part SHA-256s taken
svc = StorageService(load_settings(), workers=8)
svc.upload_object(UploadRequest(bucket="bench", key=key, file_path=path, compression="none", workers=8))
"""

_HASH = """
import os, sys
from pathlib import Path
from its_store.transfer.upload import fd_sha256
fd = os.open(sys.argv[1], os.O_RDONLY)
print(fd_sha256(fd, os.fstat(fd).st_size, Path(sys.argv[1])))
"""


def measure(t: Tools, title: str, cases: dict[str, list[str]], runs: int, nbytes: int,
            reset=lambda name: None) -> list[Result]:
    """Run each case `runs` times, interleaved; exit 0 expected (verify: nothing is corrupt)."""
    results = {name: Result(title, name, nbytes) for name in cases}
    for i in range(runs):
        for name in rotate(list(cases), i):
            reset(name)
            os.sync()
            try:
                sample = run_measured(cases[name], t.env, t.work, t.server_pid)
            except RuntimeError as exc:
                results[name].error = str(exc).strip().splitlines()[-1][:200]
                print(f"  {title} {name}: FAILED {exc}", flush=True)
                continue
            results[name].samples.append(sample)
            print(f"  {title} {name}: {sample.wall:.2f} s, {sample.cpu:.2f} CPU-s, {sample.rss_mib:.0f} MiB",
                  flush=True)
    return list(results.values())


def seed(t: Tools, work: Path, count: int, big: int) -> tuple[Path, Path]:
    frames, big_file = work / "frames", work / "big" / "big.bin"
    make_frames(frames, count, 100 * 1000)
    big_file.parent.mkdir(parents=True, exist_ok=True)
    make_file(big_file, big, seed=1)
    for src, dst in ((frames, "s3://bench/v1/"), (big_file.parent, "s3://bench/v2/")):
        subprocess.run(t.its("upload", str(src), dst, "-r", "-w", str(t.workers * 2)), env=t.env, check=True)
    return frames, big_file


def verify_cases(t: Tools, work: Path, frames: Path, big_file: Path) -> tuple[dict, dict]:
    n = str(t.workers * 2)
    out = work / "out"
    v1 = {
        "its-store verify": t.its("verify", "s3://bench/v1/", "-r", "-w", n),
        "s5cmd cp": t.s5("cp", "s3://bench/v1/*", f"{out}/"),
        "rclone check --download": t.rclone("check", "--download", str(frames), "bench:bench/v1",
                                            "--checkers", str(t.workers * 8)),
        "minio-py V1": t.sdk("V1", "v1", "-", n),  # the same GETs and SHA-256 checks on the SDK alone
    }
    v2 = {
        "its-store verify": t.its("verify", "s3://bench/v2/big.bin", "-w", str(t.workers)),
        "s5cmd cp": t.s5("cp", "--concurrency", str(t.workers), "s3://bench/v2/big.bin", str(out / "big.bin")),
        "rclone check --download": t.rclone("check", "--download", str(big_file.parent), "bench:bench/v2",
                                            "--multi-thread-streams", str(t.workers)),
    }
    return v1, v2


def custody_cases(t: Tools, big_file: Path) -> dict[str, list[str]]:
    digest = subprocess.run([str(MAIN_PY), "-c", _HASH, str(big_file)], capture_output=True, text=True,
                            check=True, env=t.env).stdout.strip()
    return {
        "upload, sha256 first (now)": [str(MAIN_PY), "-c", _UPLOAD, str(big_file), "c1/now.bin", "-"],
        "upload, hash given (before)": [str(MAIN_PY), "-c", _UPLOAD, str(big_file), "c1/before.bin", digest],
        "its-store upload (CLI, now)": t.its("upload", str(big_file), "s3://bench/c1/cli.bin", "-w", str(t.workers)),
        "sha256 pass alone": [str(MAIN_PY), "-c", _HASH, str(big_file)],
    }


def table(results: list[Result], reference: str) -> list[str]:
    base = next((r for r in results if r.tool == reference and r.samples), None)
    lines = ["| tool | wall s (min-max) | client CPU-s | peak RSS MiB | ratio |", "|---|---|---|---|---|"]
    for r in results:
        if not r.samples:
            lines.append(f"| {r.tool} | failed: {r.error} | | | |")
            continue
        walls = [s.wall for s in r.samples]
        ratio = f"{r.median('wall') / base.median('wall'):.2f}x" if base else ""
        lines.append(f"| {r.tool} | {r.median('wall'):.2f} ({min(walls):.2f}-{max(walls):.2f}) | "
                     f"{r.median('cpu'):.2f} | {r.median('rss_mib'):.0f} | {ratio} |")
    return lines


def section(v1: list[Result], v2: list[Result], c1: list[Result], args: argparse.Namespace,
            tool_versions: dict[str, str]) -> str:
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())

    def best_peer(rs: list[Result]) -> str:
        ours = next((r for r in rs if r.tool == "its-store verify"), None)  # none: that part was skipped
        peers = [r for r in rs if ours is not None and r.tool != ours.tool and r.samples
                 and TOOL_OF.get(r.tool) != SDK]  # minio-py is the floor, not a peer
        if ours is None or not ours.samples or not peers:
            return "n/a"
        best = min(peers, key=lambda r: r.median("wall"))
        return f"{best.median('wall') / ours.median('wall'):.2f}x against {best.tool}"

    c = {r.tool: r for r in c1 if r.samples}
    cost = ""
    if {"upload, sha256 first (now)", "upload, hash given (before)", "sha256 pass alone"} <= set(c):
        now_s = c["upload, sha256 first (now)"].median("wall")
        before_s = c["upload, hash given (before)"].median("wall")
        cost = (f"The custody hash adds {now_s - before_s:+.2f} s ({(now_s / before_s - 1) * 100:+.0f}%) to a "
                f"{args.big} multipart upload ({before_s:.2f} s -> {now_s:.2f} s); the hash pass alone takes "
                f"{c['sha256 pass alone'].median('wall'):.2f} s.")
    ratio_lines = [f"- V1 ({args.objects:,} x 100 KB): best peer's wall / its-store's = {best_peer(v1)} "
                   "(goal >= 1.0x).",
                   f"- V2 ({args.big}): {best_peer(v2)} (goal >= 1.0x).",
                   f"- {cost}" if cost else "- C1: incomplete (see the table)."]
    return "\n".join([
        BEGIN, "", "## Integrity scrub (verify) and the custody hash", "",
        f"bench/verify_bench.py, {now}, {args.runs} runs per tool (medians; interleaved), {args.workers} workers, "
        "SeaweedFS `weed mini` on loopback sharing the 2 cores. Tools: "
        + "; ".join(f"{k} {v}" for k, v in tool_versions.items() if k in ("s5cmd", "rclone", "its-store")) + ".",
        "Ratio column: the row's wall time / its-store's (above 1: its-store is faster). `s5cmd cp` "
        "re-downloads to a folder (no content check of its own beyond the transfer); `rclone check "
        "--download` reads every object and compares it with the local original byte by byte.", "",
        *ratio_lines, "",
        "Where the time goes: verify checks the SHA-256 recorded at upload, and SHA-256 is sequential "
        "(~0.65 CPU-s per GiB here even with SHA-NI; the C1 row `sha256 pass alone` measures it): for one "
        "1 GiB object that alone is most of rclone's whole run, which compares bytes and hashes nothing. "
        "For many small objects the cost is per request: a GET through minio-py costs ~0.7 ms of CPU "
        "(bench/run.py POOL), where rclone spends ~0.45 ms per object all included (V1), on 2 cores that "
        "the server shares. Parallel ranges "
        "(1 GiB: 1.19 s / 1.02 CPU-s against 1.11 s / 0.72 CPU-s for one stream) and reading on a second "
        "thread while hashing (no gain) were measured and dropped. Memory stays flat: peak RSS is about "
        "the same for 2,000 small objects and for one 1 GiB object.", "",
        f"### V1 verify {args.objects:,} x 100 KB", "", *table(v1, "its-store verify"), "",
        f"### V2 verify one {args.big} object", "", *table(v2, "its-store verify"), "",
        f"### C1 upload {args.big}: what the chain-of-custody hash costs", "",
        *table(c1, "upload, hash given (before)"), "", END, ""])


def write_section(path: Path, text: str) -> None:
    old = path.read_text() if path.exists() else ""
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        old = head.rstrip("\n") + "\n\n" + rest.split(END, 1)[1].lstrip("\n")
    path.write_text(old.rstrip("\n") + "\n\n" + text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="runs per tool in each round (medians)")
    ap.add_argument("--rounds", type=int, default=2, help="V1: same-run rounds, back to back (the goal: each)")
    ap.add_argument("--objects", type=int, default=2000)
    ap.add_argument("--big", default="1GiB")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: V1,V2,C1")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    subprocess.run([str(MAIN_PY), "-m", "compileall", "-q", str(ROOT / "its_store")], check=True)
    from its_store.core.units import parse_size
    from its_store.testing.devserver import SeaweedServer
    big = parse_size(args.big)
    exe = ensure_peers()
    tool_versions = versions(exe)
    work = Path(tempfile.mkdtemp(prefix="its-verify-bench-", dir=os.environ.get("BENCH_TMP")))
    server = SeaweedServer(workdir=work / "server").start()
    v1 = v2 = c1 = []
    v1_rounds: list[list[Result]] = []
    try:
        t = Tools(exe, server, work, args.workers, server.endpoint)
        subprocess.run(t.s5("mb", "s3://bench"), env=t.env, check=False, capture_output=True)
        frames, big_file = seed(t, work, args.objects, big)
        cases1, cases2 = verify_cases(t, work, frames, big_file)
        clean = lambda name: shutil.rmtree(work / "out", ignore_errors=True)
        if "V1" not in skip:
            for _ in range(args.rounds):
                v1_rounds.append(measure(t, "V1", cases1, args.runs, args.objects * 100_000, clean))
            v1 = v1_rounds[-1]
        if "V2" not in skip:
            v2 = measure(t, "V2", cases2, args.runs, big, clean)
        if "C1" not in skip:
            c1 = measure(t, "C1", custody_cases(t, big_file), args.runs, big)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    text = section(v1, v2, c1, args, tool_versions)
    print(text)
    write_section(Path(args.out), text)
    if v1_rounds:  # the goals table's V1 row: each round, the peers under their tool's name
        title = f"V1 verify {args.objects:,} x 100 KB (s5cmd: cp to a folder; rclone: check --download)"
        rows = [Result(title, TOOL_OF[r.tool], r.bytes, r.samples, key="V1", error=r.error, round=rnd)
                for rnd, results in enumerate(v1_rounds, 1) for r in results]
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        store(Path(args.out), rows, f"{when}, `{' '.join(['bench/verify_bench.py', *sys.argv[1:]])}`")


TOOL_OF = {"its-store verify": OURS, "s5cmd cp": "s5cmd", "rclone check --download": "rclone", "minio-py V1": SDK}


if __name__ == "__main__":
    main()
