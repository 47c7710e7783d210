"""What the watcher asks of a local file: is it a temp file, is it complete, is the server's copy exact.

"Complete" (see the README, "Watching a camera folder"):
- On Linux the watcher asks the kernel whether any process still has the file open for writing, by
  trying to take a read lease on it (fcntl F_SETLEASE F_RDLCK, released at once): the kernel refuses
  with EAGAIN exactly while a writer holds the file open. That is inotify's CLOSE_WRITE as a question
  instead of an event (watchfiles does not surface CLOSE_WRITE), so a frame is complete a few
  milliseconds after its writer closed it, and a slow writer that pauses is never mistaken for done.
  Leases need the file's owner or CAP_LEASE and a local file system; where the kernel says it cannot
  tell (EACCES, EINVAL, ENOLCK, not Linux) the settle rule applies, and the watcher says so: at start
  (lease_support() probes the folder and the process's capabilities) and for each such file.
- Otherwise (the fallback): size and mtime unchanged for `settle` seconds. That is a guess: a writer
  that pauses longer than `settle` looks finished. So --remove-source never removes a file that only
  the settle rule called complete unless the user opted in by name (--remove-after-settle).

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from its_store.core.files import is_own_temp, temp_name

# Names writers use while a file is not finished; never uploaded (the final name is, after the rename).
# its-store's own temp names are matched by core/files.is_own_temp (one exact form, not a glob).
TEMP_PATTERNS = (".*.tmp", "*.part", "~*", "*~", ".*.swp", "*.crdownload")

_F_SETLEASE = 1024
_F_SETSIG = 10
_CAP_LEASE = 28  # linux/capability.h

Sig = tuple[int, int, int, int]  # (size, mtime_ns, inode, ctime_ns): what "changed" means
NOT_FOLLOWED = "symlink (not followed; use --follow-symlinks)"


def is_temp_name(name: str) -> bool:
    """True for the usual names of files still being written (TEMP_PATTERNS, on the base name)."""
    return is_own_temp(name) or any(fnmatch.fnmatchcase(name, pat) for pat in TEMP_PATTERNS)


def scan(folder: Path, base: Path, keep: Callable[[os.DirEntry[str]], bool]) -> Iterator[str]:
    """Relative paths (with /, relative to `base`) of the non-folder entries under `folder` that `keep`
    accepts, streamed with os.scandir (os.walk would list a whole folder first: millions of names for a
    flat camera folder). Temp names are left out; folders that are links are not followed (no loops);
    unreadable folders and entries gone meanwhile (OSError) are skipped. Names come as the OS gives them
    (undecodable bytes as surrogate escapes)."""
    folders = [str(folder)]
    while folders:
        try:
            entries = os.scandir(folders.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not is_own_temp(entry.name):  # a pull's staging folder: never data to send
                            folders.append(entry.path)
                    elif not is_temp_name(entry.name) and keep(entry):
                        yield Path(os.path.relpath(entry.path, base)).as_posix()
                except OSError:
                    continue


def is_temp_path(rel: str) -> bool:
    """Whether a relative path (with /) is a temp file or lies in one of its-store's temp folders (a registry
    pull's staging folder, core/files.create_temp_folder): the watcher sends neither."""
    *folders, name = rel.split("/")
    return is_temp_name(name) or any(is_own_temp(part) for part in folders)


def is_utf8(rel: str) -> bool:
    """False for a name the OS gave with bytes that are not UTF-8 (surrogate escapes in the str)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def escaped(rel: str) -> str:
    """A name as text that can be printed and put in JSON: bytes that are not UTF-8 as \\xNN."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def sig_of(st: os.stat_result) -> Sig:
    """The signature of a stat result: a file whose signature is unchanged was not written to (a write
    moves mtime and ctime; an mtime set back by utime still moves ctime)."""
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def look(path: Path, follow_symlinks: bool = False) -> Sig | str | None:
    """The signature of the regular file at `path`; a reason (str) when it is not one to send (a
    symbolic link not followed, a folder, a FIFO); None when it is gone."""
    import stat as stat_
    try:
        st = os.stat(path) if follow_symlinks else os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot stat: {exc.strerror}"
    if stat_.S_ISLNK(st.st_mode):
        return NOT_FOLLOWED
    if not stat_.S_ISREG(st.st_mode):
        return "not a regular file"
    return sig_of(st)


def signature(path: Path, follow_symlinks: bool = False) -> Sig | None:
    """The signature of the regular file at `path` (a link is followed only if asked); else None."""
    found = look(path, follow_symlinks)
    return None if found is None or isinstance(found, str) else found


def lease_check(path: Path, follow_symlinks: bool = False) -> bool | str:
    """Whether some process has `path` open for writing (True / False), or why the kernel cannot tell
    (no lease permission, file system without leases, not Linux): then settle decides."""
    try:
        import fcntl
    except ImportError:
        return "not Linux"
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return f"cannot open it: {exc.strerror}"
    try:
        try:
            fcntl.fcntl(fd, _F_SETSIG, signal.SIGURG)
            fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_RDLCK)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EBUSY):
                return True
            return _why_no_lease(exc, fd)
        fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_UNLCK)
        return False
    finally:
        os.close(fd)


def _why_no_lease(exc: OSError, fd: int) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"the file belongs to uid {os.fstat(fd).st_uid} and the watcher has no CAP_LEASE"
    if exc.errno == errno.EINVAL:
        return "the file system has no leases"
    return f"F_SETLEASE: {exc.strerror}"


def open_for_writing(path: Path) -> bool | None:
    """lease_check() as True / False, or None when the kernel cannot tell."""
    state = lease_check(path)
    return None if isinstance(state, str) else state


# ------------------------------------------------------------------------------------ leases at start
@dataclass(frozen=True)
class LeaseSupport:
    """What the close check can do in one folder for this process: `mode` is
    all (every file: leases work here and the process has CAP_LEASE), own (only files of `uid`: no
    CAP_LEASE), unknown (not probed: the folder is not writable), none (no leases here) or off (the
    close check is off); `reason` says why it is less than all."""

    mode: str
    reason: str = ""
    uid: int = -1

    def describe(self, settle: float) -> str:
        """The "complete = ..." of the watcher's first log line."""
        if self.mode == "all":
            return "closed (read lease)"
        fallback = f"settled {settle:g} s"
        if self.mode == "own":
            return f"closed (read lease) for files of uid {self.uid}, else {fallback} (no read lease: {self.reason})"
        if self.mode == "unknown":
            return f"closed (read lease) where the kernel can tell, else {fallback} ({self.reason})"
        return f"{fallback} (no read lease: {self.reason})"


def lease_support(root: Path, close_check: bool = True) -> LeaseSupport:
    """Probe leases in `root`: a read lease on a file of our own made there for the purpose (named as
    a temp file, gone at once), then whether this process holds CAP_LEASE, which a lease on other
    users' files needs."""
    if not close_check:
        return LeaseSupport("off", "the close check is off")
    try:
        import fcntl
    except ImportError:
        return LeaseSupport("none", "not Linux")
    import secrets
    probe = Path(root) / temp_name("its-lease-probe", os.getpid(), secrets.randbits(32))  # skipped as ours
    try:
        fd = os.open(probe, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        return LeaseSupport("unknown", f"lease not probed: cannot create a file in the folder: {exc.strerror}")
    try:
        no_lease = _lease_refused(fcntl, probe, fd)
    finally:
        probe.unlink(missing_ok=True)
    if no_lease is not None:
        return no_lease
    if has_cap_lease():
        return LeaseSupport("all")
    return LeaseSupport("own", "no CAP_LEASE", os.geteuid())


def _lease_refused(fcntl: Any, probe: Path, fd: int) -> LeaseSupport | None:
    """Take and drop a read lease on the probe file just made (open as `fd`, closed here); None when that
    worked. A read lease needs the file open by nobody for writing, so it is opened again to read and `fd`
    closed; a flock is held on it throughout (shared, on both descriptors in turn), as every temp's writer holds
    one (core/files.create_temp), so that a dead-temp sweep of another pid namespace (core/stale_temps: our pid
    is no process there) leaves it alone. Gone all the same (no flock kept: NFS without locks): unknown."""
    try:
        _shared_flock(fcntl, fd)
        try:
            reader = os.open(probe, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            return LeaseSupport("unknown", f"lease not probed: the probe file could not be opened again: "
                                           f"{exc.strerror}")
        _shared_flock(fcntl, reader)
    finally:
        os.close(fd)
    try:
        fcntl.fcntl(reader, _F_SETSIG, signal.SIGURG)
        fcntl.fcntl(reader, _F_SETLEASE, fcntl.F_RDLCK)
        fcntl.fcntl(reader, _F_SETLEASE, fcntl.F_UNLCK)
    except OSError as exc:
        return LeaseSupport("none", _why_no_lease(exc, reader))
    finally:
        os.close(reader)
    return None


def _shared_flock(fcntl: Any, fd: int) -> None:
    """A shared flock on `fd` where the file system keeps one (else none: as core/files.create_temp)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        pass


def has_cap_lease() -> bool:
    """Whether CAP_LEASE is in this process's effective capabilities (/proc/self/status CapEff)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> _CAP_LEASE & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


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


# ------------------------------------------------------------------------------------ verifying
@dataclass
class Digest:
    size: int
    sha256: str
    md5: str


def fd_digest(fd: int, path: Path, md5: bool = True) -> Digest:
    """sha256 (and md5) of an open file in one read (1 MiB chunks, by offset: the fd's position is
    not moved): what --remove-source checks the server against."""
    sha, md, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    try:
        while chunk := os.pread(fd, 1 << 20, size):
            sha.update(chunk)
            if md5:
                md.update(chunk)
            size += len(chunk)
    except OSError as exc:
        from its_store.core.files import io_error
        raise io_error("cannot read", path, exc) from None
    return Digest(size, sha.hexdigest(), md.hexdigest() if md5 else "")


def verify_upload(service: Any, bucket: str, key: str, response: Any, digest: Digest,
                  sse_c_key_file: Path | None = None, sse_c_key: bytes | None = None) -> str | None:
    """None when the object on the server is exactly `digest`'s content, else the reason it is not.

    A HEAD must show the same size and our sha256 (x-amz-meta-its-sha256, recorded by every upload);
    when the ETag is a plain MD5 (single part, no codec, no SSE-C) it must equal the local MD5 too, a
    check computed by the server itself. `sse_c_key_file` / `sse_c_key`: the key the upload was given, its file
    or its bytes (an SSE-C object's HEAD needs it; without either, the settings' MINIO_SSE_C_KEY*)."""
    info = service.stat_object(bucket, key, response.version_id, include_tags=False, sse_c_key=sse_c_key,
                               sse_c_key_file=sse_c_key_file)
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
