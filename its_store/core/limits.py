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
