"""The page cache's state before a timed W2/W3 command: dropped when this process may, recorded always.

Why: with a full page cache every tool spends ~1.6 CPU-s more per GiB written or read (the kernel has to
reclaim cached pages for each new one), and how full it is depends on what ran before: stop 30 found that
an earlier W3 "CPU drop" of 2.0 -> 1.0 CPU-s was the cache's state, not code. So each W2/W3 sample starts
from an emptied page cache (`sync; echo 3 > /proc/sys/vm/drop_caches`) when the process is allowed to
(root, and /proc/sys/vm writable: not in most containers), and every sample says whether it was dropped and
how much memory was free and cached just before the command, so that a run that could not drop it is seen.
"""

from __future__ import annotations

import os

DROP_CACHES = "/proc/sys/vm/drop_caches"
MEMINFO = "/proc/meminfo"


def memory_mib(meminfo: str = MEMINFO) -> tuple[float, float]:
    """(MemFree, Cached) in MiB from /proc/meminfo; (-1, -1) where it cannot be read (not Linux)."""
    found = {"MemFree": -1.0, "Cached": -1.0}
    try:
        with open(meminfo) as fh:
            for line in fh:
                name, _, rest = line.partition(":")
                if name in found:
                    found[name] = int(rest.split()[0]) / 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return found["MemFree"], found["Cached"]


def may_drop(path: str = DROP_CACHES) -> bool:
    """Root and a writable drop_caches (a container's read-only /proc/sys is not)."""
    return os.geteuid() == 0 and os.access(path, os.W_OK)


def drop_page_cache(path: str = DROP_CACHES) -> bool:
    """sync, then drop the clean page cache, dentries and inodes ("3"); False when not allowed or refused."""
    if not may_drop(path):
        return False
    os.sync()  # dirty pages are not dropped: write them back first
    try:
        with open(path, "w") as fh:
            fh.write("3\n")
    except OSError:
        return False
    return True


def before_command(drop: bool, drop_caches: str = DROP_CACHES) -> dict[str, object]:
    """What a sample records about the cache just before its command: `cache_dropped` True (dropped), False
    (tried, not allowed) or None (not tried: a workload other than W2/W3); MemFree and Cached in MiB, read
    after the drop. `drop_caches`: the file written to drop it (a test's own file: the suite must not empty
    the machine's page cache, which slows everything running beside it)."""
    dropped = drop_page_cache(drop_caches) if drop else None
    free, cached = memory_mib()
    return {"cache_dropped": dropped, "mem_free_mib": round(free, 1), "cached_mib": round(cached, 1)}
