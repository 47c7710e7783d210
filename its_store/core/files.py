"""Local files: THE atomic write (temp file beside the target, renamed over it on success), THE
cross-process lock (flock), and exact positional reads and writes."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from its_store.core import errors as E


def io_error(action: str, path: Path | str, exc: OSError) -> E.ItsStoreError:
    reason = exc.strerror or str(exc)
    if isinstance(exc, FileNotFoundError):
        return E.LocalFileNotFoundError(f"{action} {path}: no such file or directory")
    return E.LocalIOError(f"{action} {path}: {reason}")


def pread_all(fd: int, offset: int, length: int, path: Path) -> bytes:
    try:
        data = os.pread(fd, length, offset)
        while len(data) < length:  # short reads happen on some filesystems
            more = os.pread(fd, length - len(data), offset + len(data))
            if not more:
                raise E.LocalIOError(f"{path} changed size while it was being uploaded")
            data += more
        return data
    except OSError as exc:
        raise io_error("cannot read", path, exc) from None


def read_full(stream: IO[bytes], size: int) -> bytes:
    """Read `size` bytes, or fewer only at the end of the stream (pipes return short reads)."""
    buf = bytearray()
    while len(buf) < size:
        chunk = stream.read(size - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


@contextmanager
def atomic_target(target: Path, *, make_folder: bool = True) -> Iterator[int]:
    """Yield a file descriptor of a temp file beside `target`; rename it over `target` on success.

    On any failure the temp file is removed and `target` is left exactly as it was. The temp file is
    created with mode 0666 minus the umask, like cp (mkstemp's 0600 would surprise users). A missing
    folder is created unless `make_folder` is False (then: LocalIOError "cannot write to")."""
    parent = target.parent
    try:
        fd, tmp = _create_temp(parent, target.name)
    except FileNotFoundError:  # the folder is not there yet: make it, once
        if not make_folder:
            raise E.LocalIOError(f"cannot write to {parent}: no such folder") from None
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise io_error("cannot create folder", parent, exc) from None
        try:
            fd, tmp = _create_temp(parent, target.name)
        except OSError as exc:
            raise io_error("cannot write to", parent, exc) from None
    except OSError as exc:
        raise io_error("cannot write to", parent, exc) from None
    try:
        yield fd
        os.close(fd)
        fd = -1
        os.replace(tmp, target)
    except OSError as exc:
        _cleanup(fd, tmp)
        raise io_error("cannot write", target, exc) from None
    except BaseException:
        _cleanup(fd, tmp)
        raise


_TEMP_SEQ = itertools.count()

# read-write: a download reads its temp file back to check the its-sha256 before the rename
_TEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)

def _create_temp(folder: Path, name: str) -> tuple[int, str]:
    """An exclusive new `.NAME.<pid>-<n>.its-tmp` in `folder` (cheaper than tempfile.mkstemp's
    random names, which cost more than the write of a camera frame)."""
    while True:
        tmp = os.path.join(folder, f".{name}.{os.getpid()}-{next(_TEMP_SEQ)}.its-tmp")
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o666), tmp
        except FileExistsError:  # left by a killed process that had our pid
            continue


def _cleanup(fd: int, tmp: str) -> None:
    if fd >= 0:
        os.close(fd)
    try:
        os.unlink(tmp)
    except OSError:
        pass


def pwrite_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view = view[n:]
        offset += n



def write_atomic(path: Path | str, data: bytes | str, mode: int | None = None, *, durable: bool = False) -> None:
    """Write a small file whole or not at all (atomic_target; its folder must exist, a typo in a path
    is not silently created), `mode` applied before the rename;
    `durable`: fsync the file before the rename and its folder after, so a power cut keeps one or
    the other version."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_target(path, make_folder=False) as fd:
        pwrite_all(fd, payload, 0)
        if mode is not None:
            os.fchmod(fd, mode)
        if durable:
            os.fsync(fd)
    if durable:
        try:
            folder = os.open(path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(folder)
        except OSError:
            pass
        finally:
            os.close(folder)


@contextmanager
def file_lock(path: Path | str) -> Iterator[None]:
    """THE cross-process lock: an exclusive flock on `path` (created, with its folder), released when
    the block ends. Where flock does not exist (not POSIX) it locks nothing: runs must not overlap."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
