"""Local files: THE atomic write (temp file beside the target, renamed over it on success), THE
cross-process lock (filelock), THE open of a file to upload (open_checked_stat, open_regular), exact
positional reads and writes, and THE mapping of an OSError to one line that names the path and the
reason.

These work on paths the user named (`upload FILE`, `get KEY FILE`, a key file, the cache folder).
Files found under a folder a command walks or writes into (keys of `get -r`, files of `upload -r`,
sync, the watcher) go through core/localtree.py, which opens every folder below that root without
following links, with the same open_checked_stat and temp files."""

from __future__ import annotations

import fcntl
import itertools
import os
import re
import stat as st
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

from its_store.core import errors as E
from its_store.core.forks import current_pid
from its_store.core.fstype import pseudo_filesystem
from its_store.core.overwrite import kind_of, take_over
from its_store.core.streams import BinaryReader

T = TypeVar("T")


def reason_of(exc: OSError) -> str:
    """The OS's reason in lower case, as the rest of a one-line error: "permission denied"."""
    reason = exc.strerror or str(exc)
    return reason[:1].lower() + reason[1:]


def io_error(action: str, path: Path | str, exc: OSError) -> E.ItsStoreError:
    """`ACTION PATH: reason` as the error of one item: LocalIOError (exit 1), or LocalFileNotFoundError
    (exit 3) when a READ ("cannot read ...") finds nothing. A write that meets ENOENT (its folder
    removed meanwhile, /proc) is a write failure, never "not found": the thing missing is not what
    the user named, and sync would take it for a source that vanished."""
    if isinstance(exc, FileNotFoundError) and action.startswith("cannot read"):
        return E.LocalFileNotFoundError(f"{action} {path}: no such file or directory")
    return E.LocalIOError(f"{action} {path}: {reason_of(exc)}")


def local_error(exc: OSError) -> E.ItsStoreError:
    """An OSError that reached the code running one item of a batch, as that item's failure: the path
    the OS names (if any) and its reason. The places that write say what they did (io_error); this
    is the net under them, so that no OS error ends a whole run."""
    where = exc.filename if exc.filename is not None else "local file"
    return io_error("cannot write", os.fsdecode(where) if isinstance(where, bytes) else where, exc)


@contextmanager
def writing_to(stream: IO[bytes]) -> Iterator[None]:
    """Errors of writes to `stream` (stdout behind a redirect: a full disk) as LocalIOError naming it;
    BrokenPipeError passes (the reader went away, which is not an error of ours)."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise io_error("cannot write", getattr(stream, "name", None) or "the output", exc) from None


def is_folder(path: Path) -> bool:
    """Path.is_dir(), except that an error other than "not there" (a name too long, a folder that
    cannot be searched) is a LocalIOError about `path`, not an OSError from deep inside."""
    try:
        return st.S_ISDIR(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise io_error("cannot write", path, exc) from None


def changed_while_uploaded(path: Path | str) -> E.FileChangedError:
    """THE error of an upload that found its file written to while it read it (the bytes read for the
    parts are not those hashed for its-sha256, or it shrank): exit 5, as sync's after-upload check. It is
    raised before the object is made, so nothing was stored; the next try finds the file complete."""
    return E.FileChangedError(f"{path} changed while it was uploaded",
                              hint="nothing was stored; upload it again once it is no longer written to")


def refuse_unsized(fd: int, path: Path | str) -> None:
    """For a file whose fstat says 0 bytes: refuse it when it reads more (a FUSE or network file whose
    size is only known by reading it; /proc and /sys files are refused at their open: _refuse_pseudo),
    instead of storing an empty object and saying "uploaded" (the compressed path would call it "changed
    while uploaded"). One read of one byte, paid by empty files only."""
    try:
        more = os.pread(fd, 1, 0)
    except OSError as exc:
        raise io_error("cannot read", path, exc) from None
    if more:
        raise E.InvalidInputError(f"{path} says it holds 0 bytes but has content (a /proc or /sys file?)",
                                  hint="copy it to a regular file and upload the copy")


def pread_all(fd: int, offset: int, length: int, path: Path | str) -> bytes:
    try:
        data = os.pread(fd, length, offset)
        while len(data) < length:  # short reads happen on some filesystems
            more = os.pread(fd, length - len(data), offset + len(data))
            if not more:
                raise changed_while_uploaded(path)  # it shrank
            data += more
        return data
    except OSError as exc:
        raise io_error("cannot read", path, exc) from None


def read_full(stream: BinaryReader, size: int) -> bytes:
    """Read `size` bytes, or fewer only at the end of the stream (pipes return short reads)."""
    buf = bytearray()
    while len(buf) < size:
        chunk = stream.read(size - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


@contextmanager
def atomic_target(target: Any, *, make_folder: bool = True, create_mode: int = 0o666) -> Iterator[int]:
    """Yield a file descriptor of a temp file beside `target`; rename it over `target` on success.

    On any failure the temp file is removed and `target` is left exactly as it was. The temp file is
    created with mode 0666 minus the umask, like cp (mkstemp's 0600 would surprise users), or
    `create_mode` minus the umask: a file meant to be private (0600) must be private from the moment it
    exists, since whoever opens it meanwhile keeps reading it after a chmod. A missing folder is
    created unless `make_folder` is False (then: LocalIOError "cannot write to").

    `target` is a Path the user named, or a file under a folder a command writes into
    (core/localtree.TreeFile: anything with an `atomic()` context manager), which is then written
    through that folder's descriptor, so a folder swapped for a link mid-run is not followed."""
    if not isinstance(target, (str, os.PathLike)):
        with target.atomic() as fd:
            yield fd
        return
    target = Path(target)
    parent = target.parent
    fd, tmp = in_folder(parent, target, lambda: create_temp(target.name, folder=parent, mode=create_mode),
                        make_folder)
    try:
        take_over(fd, target, target, limit=0o777 if create_mode == 0o666 else create_mode)
        yield fd
        os.close(fd)
        fd = -1
        os.replace(tmp, target)
    except OSError as exc:
        cleanup_temp(fd, tmp)
        raise io_error("cannot write", target, exc) from None
    except BaseException:
        cleanup_temp(fd, tmp)
        raise


def in_folder(parent: Path, target: Path, create: Callable[[], T], make_folder: bool = True,
              hint: str | None = "write to a folder of a regular file system, or to stdout with '-'") -> T:
    """`create()` a new entry (a temp file, a staging folder) in `parent` for writing `target`, making
    `parent` first when it is missing (unless `make_folder`); its errors as one line naming the path:
    a folder that exists but refuses new entries with ENOENT (/proc, /sys) says so (exit 1), never
    "no such file" (exit 3). THE preparation of every write beside a target the user named."""
    try:
        return create()
    except FileNotFoundError:  # the folder is not there yet (or another thread just made it): once more
        if not make_folder and not parent.is_dir():
            raise E.LocalIOError(f"cannot write to {parent}: no such folder") from None
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except FileNotFoundError:  # the closest folder that is there refuses new entries (/proc)
            base = next((p for p in parent.parents if p.is_dir()), parent.anchor)
            raise E.LocalIOError(f"cannot create folder {parent}: {base} does not allow new folders") from None
        except OSError as exc:
            raise io_error("cannot create folder", parent, exc) from None
        try:
            return create()
        except FileNotFoundError:
            raise (no_new_files(target, parent, hint) if parent.is_dir()
                   else E.LocalIOError(f"cannot write to {parent}: it was removed meanwhile")) from None
        except OSError as exc:
            raise io_error("cannot write to", parent, exc) from None
    except OSError as exc:
        raise io_error("cannot write to", parent, exc) from None


def no_new_files(target: Path | str, folder: Path | str,
                 hint: str | None = "write to a folder of a regular file system") -> E.ItsStoreError:
    """ENOENT from creating a file in a folder that is there: /proc and /sys refuse new files that way.
    The folder exists, so "no such file" (exit 3) would name the wrong cause."""
    return E.LocalIOError(f"cannot write {target}: its folder {folder} does not allow new files "
                          "(a temp file is written beside the target first)", hint=hint)


_TEMP_SEQ = itertools.count()
_TEMP_NAME_MAX = 200  # bytes of the target's name kept in a temp name: NAME_MAX is 255 almost everywhere

# read-write: a download reads its temp file back to check the its-sha256 before the rename
_TEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)

TEMP_SUFFIX = ".its-tmp"
# every temp file its-store writes beside a target, and only those: `.NAME.<pid>-<n>.its-tmp` (temp_name
# makes it, is_own_temp matches it: a user's `.draft.its-tmp` is not one, and is data like any other file)
TEMP_NAME = re.compile(r"\.(?P<stem>.+)\.(?P<pid>[0-9]+)-(?P<seq>[0-9]+)" + re.escape(TEMP_SUFFIX), re.DOTALL)


def temp_name(stem: str, pid: int, seq: int) -> str:
    """The one form of its-store's temp names (TEMP_NAME matches exactly these)."""
    return f".{stem}.{pid}-{seq}{TEMP_SUFFIX}"


def is_own_temp(name: str) -> bool:
    """Whether `name` is one of its-store's own temp files (TEMP_NAME): what an interrupted or killed
    download leaves beside its target. The local walks of sync and upload -r and the watcher skip them, so
    that a half-written file is never uploaded as data."""
    return name.endswith(TEMP_SUFFIX) and TEMP_NAME.fullmatch(name) is not None


def create_temp(name: str, *, folder: Path | None = None, dir_fd: int | None = None,
                mode: int = 0o666) -> tuple[int, str]:
    """An exclusive new `.NAME.<pid>-<n>.its-tmp` in `folder` (or in the folder open as `dir_fd`:
    then the name returned is relative to it), cheaper than tempfile.mkstemp's random names, which
    cost more than the write of a camera frame. A long NAME is cut, so that the temp name fits where
    the name itself fits. O_EXCL: never through a link someone put there."""
    name = temp_stem(name)
    while True:
        tmp = temp_name(name, current_pid(), next(_TEMP_SEQ))
        if folder is not None:
            tmp = os.path.join(folder, tmp)
        try:
            fd = os.open(tmp, _TEMP_FLAGS, mode, dir_fd=dir_fd)
        except FileExistsError:  # left by a killed process that had our pid
            continue
        try:  # held until it is closed: a later run's sweep leaves it alone meanwhile (core/stale_temps)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass
        return fd, tmp


def create_temp_folder(name: str, folder: Path) -> Path:
    """An exclusive new private folder `.NAME.<pid>-<n>.its-tmp` in `folder` (mode 0700: nobody adds an
    entry while it is filled), named in the one temp form, so that the walks of sync, upload -r and the
    watcher pass it over as they pass over a temp file (is_own_temp)."""
    name = temp_stem(name)
    while True:
        tmp = folder / temp_name(name, current_pid(), next(_TEMP_SEQ))
        try:
            os.mkdir(tmp, 0o700)
            return tmp
        except FileExistsError:  # left by a killed process that had our pid
            continue


def temp_stem(name: str) -> str:
    """`name` for use inside a temp name beside it: at most _TEMP_NAME_MAX bytes (cut at a character)."""
    if len(name) * 4 <= _TEMP_NAME_MAX:  # no character is more than 4 bytes: short enough (no fsencode per file)
        return name
    raw = os.fsencode(name)
    if len(raw) <= _TEMP_NAME_MAX:
        return name
    return os.fsdecode(raw[:_TEMP_NAME_MAX].decode("utf-8", "ignore").encode("utf-8"))


def cleanup_temp(fd: int, tmp: str, dir_fd: int | None = None) -> None:
    """Close `fd` (unless -1) and remove the temp file `tmp` (relative to `dir_fd` when given); quiet."""
    if fd >= 0:
        os.close(fd)
    try:
        os.unlink(tmp, dir_fd=dir_fd)
    except OSError:
        pass


def pwrite_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    if not data:
        return
    n = os.pwrite(fd, data, offset)  # a frame: written whole by one pwrite, no memoryview made
    if n == len(data):
        return
    view = memoryview(data)[n:]
    offset += n
    while view:
        n = os.pwrite(fd, view, offset)
        view = view[n:]
        offset += n



def write_atomic(path: Path | str, data: bytes | str, mode: int | None = None, *, durable: bool = False) -> None:
    """Write a small file whole or not at all (atomic_target; its folder must exist, a typo in a path
    is not silently created), `mode` applied before the rename and the temp file created with no more
    than it (a 0600 file holding a secret is never readable by others, not even empty);
    `durable`: fsync the file before the rename and its folder after, so a power cut keeps one or
    the other version."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_target(path, make_folder=False, create_mode=0o666 if mode is None else mode & 0o666) as fd:
        if mode is not None:
            os.fchmod(fd, mode)
        pwrite_all(fd, payload, 0)
        if durable:
            os.fsync(fd)
    if durable:
        sync_folder(path.parent)


def flush_descriptor(fd: int, shown: Callable[[], Path]) -> None:
    """fsync `fd` (a file just written, or the folder a rename was made in), for a caller about to delete the only
    other copy (mv): a failure is LocalIOError "cannot flush to disk PATH" (`shown()`: its path, for the message)."""
    try:
        os.fsync(fd)
    except OSError as exc:
        raise flush_failed(shown(), exc) from None


def flush_failed(path: Path | str, exc: OSError) -> E.ItsStoreError:
    """The error of a durable write's flush that failed (flush_descriptor, core/folder_flush): LocalIOError
    "cannot flush to disk PATH: reason", its hint saying that what the file was moved from was kept."""
    error = io_error("cannot flush to disk", path, exc)
    error.hint = "the file is not known to be on disk: what it was moved from was kept"
    return error


def sync_folder(path: Path | str) -> None:
    """fsync a folder: the names created or renamed in it survive a power cut (best effort)."""
    try:
        folder = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)


class LockBusy(Exception):
    """take_lock(wait=False): another process (or thread) holds the lock."""


def take_lock(path: Path | str, *, wait: bool = True) -> Callable[[], None]:
    """THE cross-process lock, taken: an exclusive lock on the file `path` (created 0600, with its folder;
    left in place after release, so that waiters share one inode). Returns the function that releases it;
    a process that dies releases it too (the kernel drops a flock with its holder), and so does dropping
    that function (the lock is released when it is garbage-collected): keep it while the lock must hold.
    `wait=False`: LockBusy at once when another holds it, instead of waiting.

    filelock does the locking: flock where it exists, and where it does not (not POSIX) a marker file,
    instead of not locking at all. Imported here, on first use: a command that takes no lock never pays
    for it."""
    from filelock import FileLock, Timeout

    from its_store.core.private_dirs import make_private_folder
    path = Path(path)
    make_private_folder(path.parent, ours=False)  # a lock only: its users check their state folder
    # thread_local=False: released from whichever thread ends the work; every call has its own lock (and
    # descriptor), so two threads of one process exclude each other as two processes do
    lock = FileLock(str(path), mode=0o600, thread_local=False, blocking=wait)
    try:
        lock.acquire()
    except Timeout:
        raise LockBusy(str(path)) from None
    return lock.release


@contextmanager
def file_lock(path: Path | str) -> Iterator[None]:
    """take_lock(path) for the length of a block: waits for the lock, releases it when the block ends."""
    release = take_lock(path)
    try:
        yield
    finally:
        release()


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_READ_FLAGS = os.O_RDONLY | _NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# O_NONBLOCK is asked at the open only so that a FIFO swapped in does not block it. On Linux it has no
# effect on a regular file (open(2): "this flag has no effect for regular files and block devices"; the
# kernel does not turn it into IOCB_NOWAIT for read/pread, and the mandatory locks that did honour it were
# removed in 5.15), so it is left set there: clearing it cost two fcntl calls per file of every walk
# (each one a GIL hand-over among a batch's threads). Elsewhere it is cleared, as before.
_CLEAR_NONBLOCK = bool(_NONBLOCK) and not sys.platform.startswith("linux")


class NotRegularError(E.InvalidInputError):
    """What was opened to be read is not a regular file: `kind` says what it is ("a symbolic link",
    "a named pipe (FIFO)", "a folder"...). Exit 2, one line; the watcher and the walks report it as a
    skip of that one file."""

    def __init__(self, message: str, *, hint: str | None = None, kind: str = "not a regular file") -> None:
        super().__init__(message, hint=hint)  # the constructor of every ItsStoreError, plus `kind`
        self.kind = kind


def open_checked_stat(name: Path | str, *, dir_fd: int | None = None, follow_symlinks: bool = False,
                      shown: Path | str | None = None) -> tuple[int, os.stat_result]:
    """THE open of a local file whose bytes are to be uploaded or hashed: open first, then check what
    was opened. Checking with stat and then opening races: a FIFO swapped in between blocks open()
    forever, a symbolic link swapped in uploads whatever it points to. So: open without blocking
    (O_NONBLOCK) and, unless `follow_symlinks`, without following a symlink at the last step
    (O_NOFOLLOW); fstat the descriptor; refuse anything but a regular file (NotRegularError, one
    line); O_NONBLOCK is left set on Linux, where it does nothing to a regular file (_CLEAR_NONBLOCK).
    `name` is relative to the folder open as `dir_fd` when given
    (core/localtree); `shown` is the path named in messages. Returns the descriptor and its fstat."""
    shown = name if shown is None else shown
    try:
        fd = os.open(name, _READ_FLAGS | (0 if follow_symlinks else _NOFOLLOW), dir_fd=dir_fd)
    except OSError as exc:
        if not follow_symlinks and is_link(name, dir_fd):  # ELOOP (Linux) or EMLINK (BSD) from O_NOFOLLOW
            raise NotRegularError(f"{shown} is a symbolic link: not followed", kind="a symbolic link",
                                  hint="add --follow-symlinks to read the file it points to") from None
        raise io_error("cannot read", shown, exc) from None
    try:
        info = os.fstat(fd)
        mode = info.st_mode
        if not st.S_ISREG(mode):
            kind = kind_of(mode)
            hint = "upload a folder with --recursive" if st.S_ISDIR(mode) else None
            raise NotRegularError(f"{shown} is {kind}, not a regular file", kind=kind, hint=hint)
        _refuse_pseudo(fd, info, shown)
        if _CLEAR_NONBLOCK:
            import fcntl
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_NONBLOCK)
        return fd, info
    except OSError as exc:
        os.close(fd)
        raise io_error("cannot read", shown, exc) from None
    except BaseException:
        os.close(fd)
        raise


def _refuse_pseudo(fd: int, info: os.stat_result, shown: Path | str) -> None:
    """A file of /proc, /sys and their kind (core/fstype.py) has no size before it is read: refused up
    front (exit 2), not read as "changed while it was uploaded" nor cut to the size its stat makes up."""
    fs = pseudo_filesystem(fd, info.st_dev)
    if fs is not None:
        raise NotRegularError(f"{shown} is a file of the {fs} pseudo filesystem: its size is only known by "
                              "reading it", kind=f"a file of the {fs} pseudo filesystem",
                              hint="copy it to a regular file and upload the copy")


def is_link(name: Path | str, dir_fd: int | None = None) -> bool:
    """`name` (in the folder open as `dir_fd`) is a symbolic link; False when it cannot be looked at."""
    try:
        return st.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def open_regular(path: Path | str, *, follow_symlinks: bool = False) -> IO[bytes]:
    """open_checked_stat(path) as a file object (buffered, binary; .fileno() for positional reads), for a
    path the user named: the folders on the way are followed (they are the user's), the last step only
    with `follow_symlinks`."""
    return os.fdopen(open_checked_stat(path, follow_symlinks=follow_symlinks)[0], "rb")


def not_a_file(path: Path | str) -> str | None:
    """Why `path`, a file a library will open by name (a CA bundle: OpenSSL), is no regular file: "a named
    pipe (FIFO)", "a folder", or the OS's reason it cannot be looked at; None for a regular file or one
    that is not there (the library's own error says that). OpenSSL blocks forever on a FIFO."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return reason_of(exc)
    if st.S_ISREG(mode):
        return None
    return kind_of(mode)
