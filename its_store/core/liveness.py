"""Which process holds something, said so that a later process can prove it dead: a registration's marker on
the server (registry/register.py) records it, and a re-run on the same machine takes over a marker whose
process is gone instead of refusing until --force.

A process is named by: the host name (for people), the kernel's boot id (/proc/sys/kernel/random/boot_id:
another value is another machine or another boot), the pid namespace (/proc/self/ns/pid: containers of one
machine share the boot id but not pids), the pid and the process's start time in clock ticks after boot
(a pid used again by a later process has another start time), and the time namespace (/proc/self/ns/time:
/proc/PID/stat gives the start time in the READER's time namespace, offset by its boot time, so another one
reads another start for the same running process: tests/test_atk38_liveness_time_namespace.py). Only when
boot id, pid and time namespace are this process's can the pid be looked up here; anything else (another
host, a container, an old marker without these fields, no /proc) is "cannot tell", never "dead"; so is a
process that exists (kill 0) but whose start cannot be read (another user's, behind a proc mounted hidepid=2,
which shows it as if it had ended)."""

from __future__ import annotations

import os
import socket
from typing import Any

from its_store.core.forks import current_pid

__all__ = ["exists", "gone", "holder_text", "this_process"]

FIELDS = ("host", "boot_id", "pid_ns", "time_ns", "pid", "pid_start")


def _read(path: str) -> str | None:
    """A /proc file's first line, whole (a stat line is ~300 characters and may be more: counters grow; a
    line cut short would lose field 22, the start time, and make a live holder read as gone); at most 4 KiB."""
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            return fh.read(4096).strip() or None
    except OSError:
        return None


def _ns(kind: str) -> str | None:
    """This process's namespace of `kind` ("pid:[4026531836]"), None where the kernel has none such."""
    try:
        return os.readlink(f"/proc/self/ns/{kind}")
    except OSError:
        return None


def start_ticks(pid: int, proc: str = "/proc") -> int | None:
    """When process `pid` started, in clock ticks after boot (/proc/PID/stat field 22); None when there is no
    such process (or no /proc). `proc`: where proc is mounted."""
    raw = _read(f"{proc}/{pid}/stat")
    if raw is None:
        return None
    try:
        return int(raw.rsplit(")", 1)[1].split()[19])
    except (IndexError, ValueError):
        return None


def this_process() -> dict[str, Any]:
    """This process, as a marker records it (fields that cannot be read are left out)."""
    pid = current_pid()
    found = {"host": socket.gethostname(), "boot_id": _read("/proc/sys/kernel/random/boot_id"),
             "pid_ns": _ns("pid"), "time_ns": _ns("time"), "pid": pid, "pid_start": start_ticks(pid)}
    return {key: value for key, value in found.items() if value is not None}


def gone(doc: dict[str, Any]) -> bool | None:
    """Whether the process a document records has ended: True (provably: same boot and pid namespace as this
    process, and no process with that pid and start time), False (it runs), None (cannot tell here: also a
    process with that pid whose start cannot be read, such as another user's behind hidepid)."""
    pid, started = _number(doc.get("pid")), _number(doc.get("pid_start"))
    if pid is None or started is None or pid <= 0:
        return None
    boot, ns = doc.get("boot_id"), doc.get("pid_ns")
    if not isinstance(boot, str) or not isinstance(ns, str):
        return None
    here = _read("/proc/sys/kernel/random/boot_id")
    if here is None or here != boot or _ns("pid") != ns:
        return None
    if doc.get("time_ns") != _ns("time"):  # start times read in another time namespace differ (its boot offset)
        return None
    if not exists(pid):
        return True
    now = start_ticks(pid)  # None: it runs, but its start cannot be read (hidepid, another user): cannot tell
    return None if now is None else now != started


def exists(pid: int) -> bool:
    """Whether a process `pid` exists, asked of the kernel (signal 0: nothing is sent): /proc alone cannot
    tell, as a proc mounted hidepid=2 hides other users' processes as if they had ended. EPERM: it exists
    (another user's); an error other than ESRCH: as if it did (never "dead" on a doubt)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # OverflowError: a number no pid can be (a marker's own)
        return False
    except OSError:
        return True
    return True


def _number(value: object) -> int | None:
    """A marker's whole number as JSON gave it; None for anything else, true and false too (bool is an int to
    isinstance: "pid": true named its holder "pid True", tests/test_atk38_marker_bool_pid.py)."""
    return value if type(value) is int else None


def holder_text(doc: dict[str, Any]) -> str:
    """`pid 4242 on host edge-07 since 2026-12-07T22:50:01.123+00:00`, from what the document records
    (empty when it records nothing of the kind: an older marker)."""
    parts = []
    if _number(doc.get("pid")) is not None:
        parts.append(f"pid {doc['pid']}")
    if isinstance(doc.get("host"), str):
        parts.append(f"on host {doc['host']}")
    if parts and isinstance(doc.get("at"), str):
        parts.append(f"since {doc['at']}")
    return " ".join(parts)
