"""Which files live on a pseudo filesystem (/proc, /sys, debugfs, cgroup...): files whose size is not
known before they are read.

A /sys attribute says 4096 bytes (st_size) and reads a few; a /proc file says 0 and reads more; a debugfs
or cgroup file may do either. Uploaded as their stat describes them they are either refused as "changed
while it was uploaded" (exit 5, the message of a file still being written, resent forever by the watcher)
or cut to the size the stat gave. core/files.open_checked_stat asks `pseudo_filesystem` of every file it
opens and refuses these up front (exit 2) with a message that says why.

The question costs almost nothing on the hot path: these filesystems have no block device, so their
st_dev has major number 0 (as tmpfs, overlayfs, NFS... do too); only for such a device is the kernel asked
(fstatfs, through ctypes: os has no fstatfs), once per device per process. Linux only: elsewhere the
answer is None and the reads' own checks stay the only guard.
"""

from __future__ import annotations

import os
import sys
import threading

__all__ = ["pseudo_filesystem"]

# statfs f_type magic numbers (linux/magic.h) of filesystems whose files' sizes are made up
_PSEUDO = {
    0x9FA0: "proc", 0x62656572: "sysfs", 0x64626720: "debugfs", 0x74726163: "tracefs",
    0x27E0EB: "cgroup", 0x63677270: "cgroup2", 0x73636673: "securityfs", 0x6165676C: "pstore",
    0xCAFE4A11: "bpf", 0x62656570: "configfs", 0xDE5E81E4: "efivarfs", 0xF97CFF8C: "selinuxfs",
    0x43415D53: "smackfs", 0x65735543: "fusectl", 0x42494E4D: "binfmt_misc",
}
_known: dict[int, str | None] = {}  # st_dev -> its pseudo filesystem's name, or None (a real one)
_lock = threading.Lock()
_fstatfs = None
_LINUX = sys.platform.startswith("linux")


def pseudo_filesystem(fd: int, st_dev: int) -> str | None:
    """The name of the pseudo filesystem ("sysfs", "proc"...) holding the open file `fd` (whose fstat gave
    `st_dev`), or None for any other filesystem (and off Linux, or when the kernel cannot be asked)."""
    if os.major(st_dev) != 0 or not _LINUX:
        return None
    try:
        return _known[st_dev]
    except KeyError:
        pass
    kind = _ask(fd)
    with _lock:
        _known[st_dev] = kind
    return kind


def _ask(fd: int) -> str | None:
    """fstatfs(fd)'s f_type by name when it is a pseudo filesystem's. f_type is the first member of
    struct statfs (a C long: __fsword_t) on every Linux ABI."""
    global _fstatfs
    import ctypes
    if _fstatfs is None:
        try:
            _fstatfs = ctypes.CDLL(None, use_errno=True).fstatfs
        except (OSError, AttributeError):
            return None
    buf = ctypes.create_string_buffer(256)  # struct statfs is 120 bytes on 64-bit Linux, 84 on 32-bit
    if _fstatfs(fd, buf) != 0:
        return None
    return _PSEUDO.get(ctypes.c_long.from_buffer(buf).value & 0xFFFFFFFF)
