"""What the watcher asks of a local file: is it a temp file, is it complete, send it, verify it.

"Complete" (see the README, "Watching a camera folder"):
- On Linux the watcher asks the kernel whether any process still has the file open for writing, by
  trying to take a read lease on it (fcntl F_SETLEASE F_RDLCK, released at once): the kernel refuses
  with EAGAIN exactly while a writer holds the file open. That is inotify's CLOSE_WRITE as a question
  instead of an event (watchfiles does not surface CLOSE_WRITE), so a frame is complete a few
  milliseconds after its writer closed it, and a slow writer that pauses is never mistaken for done.
  Leases need the file's owner or CAP_LEASE and a local file system; where the kernel says it cannot
  tell (EACCES, EINVAL, ENOLCK, not Linux) the settle rule applies.
- Otherwise (the fallback): size and mtime unchanged for `settle` seconds.

A lease break would signal the lease holder with SIGIO, whose default action kills the process; the
lease fd is set (F_SETSIG) to signal SIGURG instead, which is ignored by default, and the lease lasts a
few microseconds anyway (a writer opening the file in that window waits for our release, not longer).
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from its_store.core import errors as E

# Names writers use while a file is not finished; never uploaded (the final name is, after the rename).
TEMP_PATTERNS = (".*.tmp", "*.part", "~*", "*~", ".*.swp", ".*.its-tmp", "*.crdownload")

_F_SETLEASE = 1024
_F_SETSIG = 10

Sig = tuple[int, int, int]  # (size, mtime_ns, inode): what "changed" means


def is_temp_name(name: str) -> bool:
    """True for the usual names of files still being written (TEMP_PATTERNS, on the base name)."""
    return any(fnmatch.fnmatchcase(name, pat) for pat in TEMP_PATTERNS)


def signature(path: Path) -> Sig | None:
    """(size, mtime_ns, inode) of a regular file; None when it is gone or not a regular file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    import stat as stat_
    if not stat_.S_ISREG(st.st_mode):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def open_for_writing(path: Path) -> bool | None:
    """Whether some process has `path` open for writing: True, False, or None when the kernel cannot
    tell us (no lease permission, file system without leases, not Linux): then settle decides."""
    import fcntl
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        try:
            fcntl.fcntl(fd, _F_SETSIG, signal.SIGURG)
            fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_RDLCK)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EBUSY):
                return True
            return None
        fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_UNLCK)
        return False
    finally:
        os.close(fd)


def simple_filter(excludes: list[str], includes: list[str]) -> Callable[[str], bool]:
    """A stand-in for the sync engine's --exclude/--include (first matching rule wins, in the order
    includes then excludes; no rule matches: included). Patterns match the relative path or its name."""
    def matches(rel: str, pats: list[str]) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in pats)

    def accept(rel: str) -> bool:
        if includes and matches(rel, includes):
            return True
        return not matches(rel, excludes)
    return accept


# ------------------------------------------------------------------------------------ sending
def mtime_meta(mtime_ns: int) -> str:
    """rclone's `mtime` metadata: seconds since the epoch with 9 decimals ("1700000000.123456789")."""
    from its_store.sync.mtime import format_mtime
    return format_mtime(mtime_ns)


def upload_file(service: Any, path: Path, bucket: str, key: str, options: Any = None, *, state: Any = None,
                sha256: str | None = None) -> Any:
    """Upload ONE local file exactly as sync does (sync.engine.upload_one: the upload options, the local
    mtime in metadata `mtime`, the sync state entry); returns the UploadResponse. A file that changed
    while it was read raises FileChangedError (the watcher then waits for it to be complete again)."""
    from its_store.sync.engine import upload_one
    return upload_one(service, path, bucket, key, options, state=state, sha256=sha256)


@dataclass
class Digest:
    size: int
    sha256: str
    md5: str


def file_digest(path: Path) -> Digest:
    """sha256 and md5 of a file in one read (1 MiB chunks): what --remove-source checks the server against."""
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                sha.update(chunk)
                md5.update(chunk)
                size += len(chunk)
    except OSError as exc:
        from its_store.core.files import io_error
        raise io_error("cannot read", path, exc) from None
    return Digest(size, sha.hexdigest(), md5.hexdigest())


def verify_upload(service: Any, bucket: str, key: str, response: Any, digest: Digest) -> str | None:
    """None when the object on the server is exactly `digest`'s content, else the reason it is not.

    A HEAD must show the same size and our sha256 (x-amz-meta-its-sha256, recorded by every upload);
    when the ETag is a plain MD5 (single part, no codec, no SSE-C) it must equal the local MD5 too, a
    check computed by the server itself."""
    info = service.stat_object(bucket, key, response.version_id, include_tags=False)
    size = info.original_size if info.codec and info.original_size is not None else info.size
    if size != digest.size:
        return f"size on the server {size} != local {digest.size}"
    sha = info.sha256
    if sha is None:
        return "the server keeps no sha256 for the object"
    if sha != digest.sha256:
        return "sha256 on the server differs from the local file"
    etag = (response.etag or "").strip('"')
    plain = "-" not in etag and response.codec == "none" and response.encryption != "SSE-C"
    if plain and len(etag) == 32 and etag != digest.md5:
        return "the server's MD5 (ETag) differs from the local file"
    return None


def remove_verified(path: Path, read_sig: Sig) -> bool:
    """Delete `path` only if it is still the file that was read (same size, mtime and inode)."""
    if signature(path) != read_sig:
        return False
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise E.LocalIOError(f"cannot remove {path}: {exc.strerror}") from None
    return True
