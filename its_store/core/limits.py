"""The process's limit of open files, raised to what the system allows before a command starts.

Each object in flight holds a socket and a file (a download also its temp file), so `--workers 32` needs
more than the 64 descriptors some service managers and shells start a process with as their soft limit; past
it every further file of `upload -r`, `get -r` or `sync` failed with "too many open files" (and a lazy
import with it: "cannot write .../audit.py"). The soft limit is only a default: a process may raise it up to
the hard limit, as the Go runtime does for every Go program (s5cmd, rclone, mc). Only the command line does
it; a program using the library keeps its own limits.
"""

from __future__ import annotations


def raise_open_files_limit() -> None:
    """Soft RLIMIT_NOFILE up to the hard limit (at most 65,536: enough for 256 workers, and no more
    descriptors than select()-era code in a child would meet); quiet where it cannot be done."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ImportError, OSError, ValueError):
        pass


FDS_PER_WORKER = 3   # a socket, the file read or written, a download's temp file (or a folder being read)
FDS_RESERVE = 16     # the walk's open folders, lazy imports, logs, state databases opened later
_WARNED: list[int] = []


def workers_for_open_files(workers: int) -> int:
    """`workers`, or fewer when the descriptors this process may still open (RLIMIT_NOFILE's soft limit, after
    raise_open_files_limit, minus those open now) cannot serve that many: a hard limit of 64 (`ulimit -n 64`)
    made `upload -r --workers 32` fail files with "too many open files". Says so once per process (a warning
    naming --workers), as fan-out does for a limit on threads."""
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return workers
    if soft == resource.RLIM_INFINITY or soft >= 256 + FDS_PER_WORKER * workers:
        return workers  # the usual case: no need to count what is open
    left = soft - _open_now(soft) - FDS_RESERVE - folders_to_keep(soft)  # a LocalTree's kept folders
    fits = max(1, left // FDS_PER_WORKER)
    if fits >= workers:
        return workers
    if not _WARNED:
        _WARNED.append(fits)
        import logging
        logging.getLogger("its_store.core.limits").warning(
            "only %d of %d workers fit this process's limit of %d open files (ulimit -n): going on with %d; "
            "use fewer --workers (MINIO_MAX_WORKERS) or raise the limit", fits, workers, soft, fits)
    return fits


def _open_now(soft: int) -> int:
    """How many descriptors this process holds now (Linux: /proc/self/fd; elsewhere a guess of 16)."""
    import os
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return min(16, soft // 4)


def folders_to_keep(most: int) -> int:
    """How many folder descriptors a LocalTree keeps (core/localtree.KEEP: `most`): an eighth of the soft
    RLIMIT_NOFILE at most, so that kept folders never take the descriptors the files in flight need."""
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return most
    if soft == resource.RLIM_INFINITY:
        return most
    return max(2, min(most, soft // 8))
