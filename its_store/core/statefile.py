"""THE open of a local state file: the statistics, the offline registry copy, the upload and watch
journals, the sync state, the completion cache, the webhook outbox, the audit log.

They live in folders another user or a mistake can put anything into (a shared MINIO_CACHE_DIR, an audit
log path the admin names). `Path.read_text()` on a FIFO blocks until someone writes to it, forever, and
stats are read holding `stats.lock`, so every later its-store run on the box would queue behind it. So each
is opened without blocking (O_NONBLOCK) and without following a symbolic link at the last step
(O_NOFOLLOW: we write these files by rename, a link there is not ours), then checked on the descriptor:
anything but a regular file is `NotRegularFile`, which callers treat as the file being unusable (one
warning, rebuilt or ignored), never as a reason to block or to fail the command.

Also `adopt`: state kept under a former name (an endpoint's older spelling: Settings.former_server_id) taken
over where it is now looked for.
"""

from __future__ import annotations

import errno
import os
import stat as st
from contextlib import suppress
from pathlib import Path

from its_store.core.overwrite import kind_of  # the one table of file kinds (its messages' words)

_FLAGS = os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
MAX_STATE_BYTES = 256 * 1024 * 1024  # far above any state file we write: a bound, not a budget


def aside_name(path: Path, suffix: str) -> Path:
    """Where to set an unusable state file aside: NAME<suffix> (`journal.db.unusable`), or, when an earlier
    one is there (with its SQLite -wal / -shm), NAME<suffix>.1, .2, ...: each set-aside is kept for whoever
    looks into why, never overwritten by the next (a second bad journal replaced the first's evidence)."""
    aside, n = path.with_name(path.name + suffix), 0
    while any(os.path.lexists(f"{aside}{end}") for end in ("", "-wal", "-shm")):
        n += 1
        aside = path.with_name(f"{path.name}{suffix}.{n}")
    return aside


class NotRegularFile(ValueError):
    """A state file that is not a regular file (a FIFO, a device, a folder, a symbolic link) or is too
    large to be ours. A ValueError, as unparseable content is: the caller's "unusable file" path."""


def open_state(path: Path | str, flags: int = os.O_RDONLY, mode: int = 0o600) -> int:
    """A descriptor of the regular file `path` opened with `flags` (plus O_NONBLOCK, O_NOFOLLOW, O_CLOEXEC;
    O_NONBLOCK is cleared again once the file is known to be regular). FileNotFoundError when it is not
    there (and O_CREAT not given), NotRegularFile for anything but a regular file, OSError otherwise.
    An lstat first: what is already not a regular file is refused without being opened at all (a FIFO
    opened even for an instant is a reader its writer sees); the fstat covers a swap after it."""
    try:
        found = os.lstat(path).st_mode
    except FileNotFoundError:
        if not flags & os.O_CREAT:
            raise
    else:
        if not st.S_ISREG(found):
            raise NotRegularFile(f"{path} is {kind_of(found)}, not a regular file")
    try:
        fd = os.open(path, flags | _FLAGS, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(f"{path} is a symbolic link, not a regular file") from None
        if exc.errno == errno.ENXIO:  # a FIFO opened for writing with no reader, a socket
            raise NotRegularFile(f"{path} is a named pipe (FIFO) or socket, not a regular file") from None
        raise
    try:
        info = os.fstat(fd)
        if not st.S_ISREG(info.st_mode):
            raise NotRegularFile(f"{path} is {kind_of(info.st_mode)}, not a regular file")
        import fcntl
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_state(path: Path | str, limit: int = MAX_STATE_BYTES) -> bytes:
    """The bytes of a small state file: see open_state for what is raised. More than `limit` bytes is
    NotRegularFile too (not something we wrote; reading it would only fill memory)."""
    fd = open_state(path)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise NotRegularFile(f"{path} is larger than {limit} bytes: not a state file of ours")
        with os.fdopen(os.dup(fd), "rb") as f:
            # read(n) allocates n bytes first: never `limit` (256 MiB of address space for a stats file of
            # 1 KB was a MemoryError at every command's end under `ulimit -v 300000`); the file's size + 1,
            # then steps of at most 64 KiB while it grew after the fstat
            data = f.read(size + 1)
            while len(data) <= limit and (more := f.read(min(1 << 16, limit + 1 - len(data)))):
                data += more
        if len(data) > limit:
            raise NotRegularFile(f"{path} is larger than {limit} bytes: not a state file of ours")
        return data
    finally:
        os.close(fd)


def check_state(path: Path | str) -> bool:
    """True when `path` is a regular file, False when it is not there; NotRegularFile otherwise. For the
    files that a library opens by name (SQLite): checked just before it does, so that a FIFO put there
    never reaches an open() that blocks. Only a swap in the instant between this check and SQLite's
    own open escapes it: SQLite takes a path, not a descriptor."""
    try:
        os.close(open_state(path))
    except FileNotFoundError:
        return False
    return True


def open_log(path: Path | str) -> int:
    """A log opened to be appended to (open_state: O_APPEND, created 0600), readable too when it may be, so
    that append_lines can see how it ends; a log the writer may only write to (mode 0200) is opened
    write-only, as before, and appended to without that look."""
    flags = os.O_APPEND | os.O_CREAT
    try:
        return open_state(path, os.O_RDWR | flags, 0o600)
    except PermissionError:
        return open_state(path, os.O_WRONLY | flags, 0o600)


def append_lines(fd: int, data: bytes) -> int:
    """Append whole lines to a log open with O_APPEND, in ONE write(): `data`, preceded by a newline when the
    file does not end with one. A write cut short (a full disk stores part of a line) leaves a torn line
    without its newline; without this the next good line was glued onto it, and readers that skip what
    is not a line of theirs (`audit tail`, `audit ship`) lost it silently. Returns how many bytes of
    `data` were written (negative: not even the newline). One fstat and, for a non-empty file, one pread
    of its last byte per append (a batch's lines go in one append)."""
    size = os.fstat(fd).st_size
    try:
        lead = b"\n" if size and os.pread(fd, 1, size - 1) != b"\n" else b""
    except OSError:  # EBADF: open write-only (open_log)
        lead = b""
    return os.write(fd, lead + data) - len(lead)


def adopt(path: Path, former: Path | None) -> Path:
    """`path`, having taken over `former` (a file or folder of the same state kept under an older name) when
    only that one exists: renamed, so state written by an older version is found where it is now looked for.
    Best effort: a move that fails (another process took it over, or wrote `path`, first) leaves both as they
    are. A file is linked then unlinked (_link_over): a rename would replace one written under `path` meanwhile."""
    if former is not None and not os.path.lexists(path) and os.path.lexists(former):
        with suppress(OSError):
            os.makedirs(path.parent, mode=0o700, exist_ok=True)
            if os.path.isdir(former) and not os.path.islink(former):
                os.rename(former, path)
            else:
                _link_over(former, path)
    return path


def _link_over(former: Path, path: Path) -> None:
    """adopt's move of a file: link and unlink; a rename only where the file system makes no links."""
    try:
        os.link(former, path, follow_symlinks=False)
    except FileExistsError:  # written meanwhile: both stay
        return
    except OSError:  # no hard links here (some network or FUSE file systems)
        return os.rename(former, path)
    os.unlink(former)
