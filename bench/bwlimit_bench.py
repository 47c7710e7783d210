"""The bandwidth limiter's accuracy (issue 23): uploads, then downloads, under --bwlimit, on a throwaway SeaweedFS.

    flock /tmp/its-heavy.lock .venv/bin/python bench/bwlimit_bench.py [--rate 5M] [--seconds 30] [--threads 2]
                                                                     [--workers 4] [--json out.json]

Each phase runs `seconds`: one thread moves 24 MiB objects (uploads: a stream, multipart, 5 MiB parts on
`workers` threads; downloads: ranged GETs on `workers` threads) while `threads` more move 256 KiB objects
(single PUTs / GETs), all in this one process under one limit (Settings(bwlimit=rate): the process's
shared limiter). Goals: the mean within +-5 % of the limit, no one-second window above 1.5x.

Bytes are counted three ways, in 50 ms bins:
- link: TCP_INFO of the client's connections, read by a counting proxy in its own process between the
  client and SeaweedFS (bytes the proxy's kernel received from the client; bytes the client's kernel
  acknowledged): what crossed the wire, whoever had read it yet.
- sender: what the proxy read (from the client for uploads, from SeaweedFS for downloads). For downloads
  this includes what waits in socket buffers (the proxy's send buffer, the client's receive buffer, MiB
  each on loopback), as a server's own "bytes sent" would.
- application: the limiter's count, sampled: bytes handed to the socket / read from it by its-store.
The mean is over the steady part of a phase (from 2 s after its start to its deadline, every thread busy);
the highest one-second window over the whole phase (start and tail included). Prints a markdown table
(and writes --json). BWLIMIT_BENCH_SERIES=1 also prints the bytes of each second.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
BIN_S = 0.05  # seconds per sample
BIG, SMALL = 24 * 1024 * 1024, 256 * 1024
MiB = 1024 * 1024


# -- the counting proxy (its own process) ------------------------------------------------------------

def tcp_counts(sock: socket.socket) -> tuple[int, int]:
    """(bytes_acked, bytes_received) of a TCP socket (Linux struct tcp_info, offsets 120 and 128): what the
    peer's kernel acknowledged of what we sent, and what ours received."""
    import struct
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    return struct.unpack_from("=QQ", info, 120) if len(info) >= 136 else (0, 0)


def proxy_main(upstream_port: int, out: str) -> None:
    """Forward 127.0.0.1:<free> -> 127.0.0.1:upstream_port; print the port; on stdin EOF, write to `out`
    the bytes seen per BIN_S bin (time.monotonic(), shared with the client process): "up" and "down" as
    the proxy read them, "link_up"/"link_down" from TCP_INFO of the client-facing sockets (received from
    the client; acknowledged by the client's kernel: what crossed the link, whoever has read it)."""
    bins: dict[str, dict[int, int]] = {"up": {}, "down": {}, "link_up": {}, "link_down": {}}
    lock = threading.Lock()
    clients: dict[socket.socket, tuple[int, int]] = {}  # live client sockets -> counts at the last sample
    closed = [0, 0]  # counts of client sockets gone since, not yet binned

    def sample() -> None:
        while True:
            time.sleep(BIN_S / 5)
            with lock:
                acked, received = closed
                closed[:] = [0, 0]
                for sock, (was_acked, was_received) in list(clients.items()):
                    try:
                        now_acked, now_received = tcp_counts(sock)
                    except OSError:
                        continue
                    acked += now_acked - was_acked
                    received += now_received - was_received
                    clients[sock] = (now_acked, now_received)
                slot = int(time.monotonic() / BIN_S)
                bins["link_down"][slot] = bins["link_down"].get(slot, 0) + acked
                bins["link_up"][slot] = bins["link_up"].get(slot, 0) + received

    def forget(sock: socket.socket) -> None:
        with lock:
            if sock in clients:
                was_acked, was_received = clients.pop(sock)
                try:
                    now_acked, now_received = tcp_counts(sock)
                except OSError:
                    return
                closed[0] += now_acked - was_acked
                closed[1] += now_received - was_received

    def pump(src: socket.socket, dst: socket.socket, direction: str) -> None:
        try:
            while data := src.recv(65536):
                with lock:
                    slot = int(time.monotonic() / BIN_S)
                    bins[direction][slot] = bins[direction].get(slot, 0) + len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            forget(dst if direction == "down" else src)
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve(listener: socket.socket) -> None:
        while True:
            client, _ = listener.accept()
            upstream = socket.create_connection(("127.0.0.1", upstream_port))
            with lock:
                clients[client] = (0, 0)
            threading.Thread(target=pump, args=(client, upstream, "up"), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client, "down"), daemon=True).start()

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()
    threading.Thread(target=sample, daemon=True).start()
    sys.stdin.read()
    with lock:
        Path(out).write_text(json.dumps({d: {str(k): v for k, v in b.items()} for d, b in bins.items()}))


# -- the client ---------------------------------------------------------------------------------------

class Sampler(threading.Thread):
    """The limiter's counts every BIN_S."""

    def __init__(self, limiter: Any) -> None:
        super().__init__(daemon=True)
        self.limiter, self.samples = limiter, []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.monotonic(), self.limiter.moved["up"], self.limiter.moved["down"]))
            time.sleep(BIN_S)


class Sink:
    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass


def phase(svc: Any, bucket: str, direction: str, seconds: float, threads: int,
          stored: dict[str, int]) -> tuple[float, float]:
    """Move objects `direction` for `seconds` on 1 + `threads` threads; (start, end) monotonic times. The
    upload phase notes in `stored` how many objects of each thread it stored; downloads read those."""
    from its_store.core.models import UploadRequest
    big, small = os.urandom(BIG), os.urandom(SMALL)
    start = time.monotonic()
    deadline = start + seconds

    def work(name: str, size: int, data: bytes) -> None:
        n = 0
        while time.monotonic() < deadline:
            key = f"{name}/{n % min(4, stored.get(name, 4))}"
            if direction == "up" and size == BIG:  # a stream: multipart, parts on the service's workers
                svc.upload_object(UploadRequest(bucket=bucket, key=key, stream=io.BytesIO(data), compression="none"))
            elif direction == "up":  # bytes: one PUT
                svc.upload_object(UploadRequest(bucket=bucket, key=key, data=data, compression="none"))
            else:
                svc.download_to_stream(bucket, key, Sink())
            n += 1
            if direction == "up":
                stored[name] = max(stored.get(name, 0), n)

    workers = [threading.Thread(target=work, args=("big", BIG, big))]
    workers += [threading.Thread(target=work, args=(f"small{i}", SMALL, small)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return start, time.monotonic()


def windows(series: list[tuple[float, int]], start: float, end: float, seconds: float) -> dict[str, float]:
    """Of a cumulative series sampled every BIN_S: the bytes of the phase [start, end + 2 s], the mean B/s
    over its steady part [start + 2 s, start + seconds], the mean from its first to its last byte, and the
    highest B/s over a one-second window."""
    from bisect import bisect_right
    points = [(t, v) for t, v in series if start - BIN_S <= t <= end + 2.0]
    moved = [(t, v - points[0][1]) for t, v in points]
    times = [t for t, _ in moved]

    def at(when: float) -> int:
        return moved[max(0, bisect_right(times, when) - 1)][1]

    total = moved[-1][1]
    first = next(t for t, v in moved if v > 0) - BIN_S
    last = next(t for t, v in moved if v >= total)
    steady = (at(start + seconds) - at(start + 2.0)) / (seconds - 2.0)
    best = max(at(t + 1.0 + 1e-9) - v for t, v in moved)  # (t, t + 1 s]
    return {"bytes": total, "steady": steady, "whole": total / max(last - first, BIN_S), "best": best,
            "span": last - first}


def binned(bins: dict[str, int], start: float, end: float) -> list[tuple[float, int]]:
    """The proxy's per-bin counts as a cumulative series over [start - 1 s, end + 2 s]."""
    lo, hi = int((start - 1) / BIN_S), int((end + 2) / BIN_S)
    out, total = [], 0
    for slot in range(lo, hi + 1):
        total += bins.get(str(slot), 0)
        out.append(((slot + 1) * BIN_S, total))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", default="5M")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=2, help="threads moving small objects (besides the big one)")
    parser.add_argument("--workers", type=int, default=4, help="part threads of the big objects")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--proxy", nargs=2, metavar=("UPSTREAM_PORT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.proxy:
        proxy_main(int(args.proxy[0]), args.proxy[1])
        return 0

    from pydantic import SecretStr

    from its_store import StorageService
    from its_store.core.bwlimit import parse_bwlimit, shared_limiter
    from its_store.core.settings import Settings
    from its_store.testing.devserver import SeaweedServer
    limit = parse_bwlimit(args.rate)
    rate = limit.rate_at(datetime.now())
    if rate.up is None or rate.down is None:
        parser.error("--rate must limit both ways now (RATE or UP:DOWN, not off)")
    with SeaweedServer() as server, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "proxy.json"
        proxy = subprocess.Popen([sys.executable, __file__, "--proxy", server.endpoint.rpartition(":")[2], str(out)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proxy.stdout is not None
        port = int(proxy.stdout.readline())
        settings = Settings(endpoint=f"127.0.0.1:{port}", access_key=server.access_key,
                            secret_key=SecretStr(server.secret_key), bwlimit=args.rate, cache_dir=Path(tmp) / "state",
                            audit_log=Path(tmp) / "audit.log", multipart_threshold=8 * MiB, part_size=5 * MiB,
                            max_workers=args.workers, enable_compression=False)
        limiter = shared_limiter(settings.bwlimit)
        sampler = Sampler(limiter)
        sampler.start()
        with StorageService(settings) as svc:
            svc.s3.make_bucket("bwlimit")
            cpu0 = os.times()
            stored: dict[str, int] = {}
            up = phase(svc, "bwlimit", "up", args.seconds, args.threads, stored)
            time.sleep(2.5)  # the tail of the samples
            down = phase(svc, "bwlimit", "down", args.seconds, args.threads, stored)
            cpu1 = os.times()
            time.sleep(2.5)
        sampler.stop.set()
        sampler.join()
        assert proxy.stdin is not None
        proxy.stdin.close()
        proxy.wait(60)
        bins = json.loads(out.read_text())
    rows = []
    for name, (start, end), column, want in (("upload", up, 1, rate.up), ("download", down, 2, rate.down)):
        key = "up" if name == "upload" else "down"
        for source, series in (("link", binned(bins["link_" + key], start, end)),
                               ("sender", binned(bins[key], start, end)),
                               ("application", [(s[0], s[column]) for s in sampler.samples])):
            w = windows(series, start, end, args.seconds)
            rows.append({"direction": name, "measured by": source, "MiB": w["bytes"] / MiB, "seconds": w["span"],
                         "mean MiB/s": w["steady"] / MiB, "mean vs limit": w["steady"] / want - 1,
                         "whole-phase mean MiB/s": w["whole"] / MiB,
                         "max 1-s window MiB/s": w["best"] / MiB, "max window / limit": w["best"] / want})
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    print(f"\nLimit {limit} ({rate.up / MiB:g} MiB/s up, {rate.down / MiB:g} MiB/s down), {args.seconds:g} s per "
          f"direction, 1 big-object thread ({args.workers} part workers) + {args.threads} small-object threads; "
          f"client CPU {cpu:.1f} s\n")
    print("| direction | counted at | MiB | steady mean MiB/s | vs limit | max 1-s window MiB/s | max / limit |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['direction']} | {r['measured by']} | {r['MiB']:.1f} | {r['mean MiB/s']:.3f} "
              f"| {r['mean vs limit']:+.1%} | {r['max 1-s window MiB/s']:.2f} | {r['max window / limit']:.2f}x |")
    if os.environ.get("BWLIMIT_BENCH_SERIES"):  # debugging: the server side's bytes per second
        for key, (start, end) in (("up", up), ("down", down), ("link_up", up), ("link_down", down)):
            series = binned(bins[key], start, end)
            print(key, [round((series[i + 20][1] - series[i][1]) / MiB, 1) for i in range(0, len(series) - 20, 20)])
    if args.json:
        args.json.write_text(json.dumps({"limit": str(limit), "seconds": args.seconds, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
