"""Client CPU per item of transfer/fanout.fan_out against ThreadPoolExecutor.map (what bench/sdk_baseline.py
uses), over a cheap fn, so that the hand-off itself is what is measured:

    python bench/fanout_bench.py [ITEMS] [WORKERS] [SLEEP_S]

SLEEP_S > 0 makes fn release the GIL and block as a request does (time.sleep), so that the consumer and
the workers really wait for each other. Prints CPU (user+sys of the process) and wall per item and
voluntary+involuntary context switches per item, for: fn alone in a loop, fan_out unordered (as
service/batch.run_jobs), fan_out ordered (as service/scrub.in_order), ThreadPoolExecutor.map."""
from __future__ import annotations

import hashlib
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from its_store.transfer.fanout import fan_out

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
W = int(sys.argv[2]) if len(sys.argv) > 2 else 16
SLEEP = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
BUF = b"x" * 4096


def fn(i: int) -> int:
    hashlib.md5(BUF, usedforsecurity=False).digest()
    if SLEEP:
        time.sleep(SLEEP)
    return i


def _usage() -> tuple[float, int]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_nvcsw + r.ru_nivcsw


def plain() -> None:
    for i in range(N):
        fn(i)


def fan(ordered: bool) -> Callable[[], None]:
    def run() -> None:
        for _ in fan_out(fn, range(N), workers=W, ahead=2 * W, ordered=ordered):
            pass
    return run


def pool() -> None:
    with ThreadPoolExecutor(W) as p:
        list(p.map(fn, range(N)))


for name, run in [("fn alone", plain), ("fan_out unordered", fan(False)), ("fan_out ordered", fan(True)),
                  ("ThreadPoolExecutor.map", pool)]:
    cpu0, csw0 = _usage()
    t0 = time.perf_counter()
    run()
    wall = time.perf_counter() - t0
    cpu1, csw1 = _usage()
    print(f"{name:24s} workers {W:2d}: {1e6 * (cpu1 - cpu0) / N:6.1f} us CPU/item, {1e6 * wall / N:7.1f} us wall/item, "
          f"{(csw1 - csw0) / N:.2f} context switches/item")
