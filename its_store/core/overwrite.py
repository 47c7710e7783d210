"""What a download's temp file takes over from the file it is about to be renamed over.

Every local write is a temp file renamed over its target (core/files.atomic_target for a path the user
named, core/localtree.LocalTree.write for a file under a folder). A rename replaces whatever has the name,
so two things are decided here, once, for both writers:

- A target that exists and is neither a regular file, a folder nor a symbolic link (a named pipe another
  process reads, /dev/null, a socket), or is a link to one of those (/dev/stdout, /dev/fd/N), is refused, exit
  2, before a byte is downloaded: the rename made it a regular file (as root, `get KEY /dev/null` replaced the
  machine's /dev/null). It is not written into either, as cp(1) would: a download is checked (ETag, CRC32,
  its-sha256) in its temp file before anyone sees it, and a reader of a pipe would get the bytes before that
  check; `-` (stdout) is the way to stream, and says so.
- An existing regular file keeps its permission bits (cp, curl -o and rsync do): a 0600 key overwritten
  by a download stayed 0600, where the temp file's 0666 minus the umask made it 0644. The set-id and
  sticky bits are not carried over (the content is new), nor widened past a caller's `limit` (a file
  written private stays private). The owner is not carried over either (the new file is the
  downloader's), so another user's file only narrows what a new file gets: a 0666 file planted where a
  download lands (root's cron job, a shared folder) made the verified download world-writable.

One fstatat per file written (AT_SYMLINK_NOFOLLOW: the name itself, as the rename sees it).
"""

from __future__ import annotations

import os
import stat as st
from collections.abc import Callable
from pathlib import Path

from its_store.core import errors as E

# THE table of what a name that is not a regular file is, as every message says it (core/files.py and
# core/statefile.py through kind_of); SPECIAL_KINDS: neither a file, a folder nor a link
SPECIAL_KINDS = ((st.S_ISFIFO, "a named pipe (FIFO)"), (st.S_ISSOCK, "a socket"),
                 (st.S_ISCHR, "a character device"), (st.S_ISBLK, "a block device"))
KINDS = ((st.S_ISDIR, "a folder"), *SPECIAL_KINDS, (st.S_ISLNK, "a symbolic link"))


def kind_of(mode: int) -> str:
    """What a file of `mode` (stat's st_mode) is, in the words of every message: "a folder", "a named pipe
    (FIFO)", ...; "not a regular file" for a kind the table does not name."""
    return next((text for test, text in KINDS if test(mode)), "not a regular file")


def take_over(fd: int, name: str | Path, shown: Path | str | Callable[[], Path], *, dir_fd: int | None = None,
              limit: int = 0o777) -> None:
    """Before a temp file (open as `fd`) is renamed over `name` (in the folder open as `dir_fd` when
    given; `shown` is its path for messages, or what builds it): refuse a target that is not a regular
    file, folder or link (InvalidInputError, exit 2), and give the temp file an existing regular file's
    permission bits (within `limit`). A link to a FIFO, device or socket is refused as its target is,
    and so is a link into /proc whatever it names (/dev/stdout redirected to a file, as root, was
    replaced by a regular file); nothing there, a folder (the rename reports it) or another link (replaced, not
    followed, as before): nothing to do."""
    info = refuse_special(name, shown, dir_fd=dir_fd)
    if info is None:
        return
    try:
        bits = st.S_IMODE(info.st_mode) & 0o777 & limit
        if info.st_uid != os.geteuid():  # another's file (the new one is ours): narrowed, never widened
            bits &= st.S_IMODE(os.fstat(fd).st_mode)
        os.fchmod(fd, bits)
    except OSError:  # a file system without permissions (FAT, some FUSE): the file is written as before
        pass


def refuse_special(name: str | Path, shown: Path | str | Callable[[], Path], *,
                   dir_fd: int | None = None) -> os.stat_result | None:
    """take_over's check alone, for a writer that checks before it downloads anything (registry/pull):
    InvalidInputError when `name` is a FIFO, device or socket, a link to one or a link into /proc;
    the name's own stat when it is a regular file; None otherwise (nothing there, a folder, a link)."""
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise E.LocalIOError(f"cannot write {_text(shown)}: {exc.strerror or exc}") from None
    mode = info.st_mode
    if st.S_ISREG(mode):
        return info
    link = st.S_ISLNK(mode)
    if link:  # /dev/stdout, /dev/stderr, /dev/fd/N are links to what they name: judged by what the link names
        try:
            if os.readlink(name, dir_fd=dir_fd).startswith("/proc/"):
                mode = st.S_IFIFO  # a process's own descriptor (a stream), whatever it is open on: never replaced
            else:
                mode = os.stat(name, dir_fd=dir_fd).st_mode
        except OSError:  # a dangling link, a loop: replaced, as any link
            return None
    kind = next((text for test, text in SPECIAL_KINDS if test(mode)), None)
    if kind is not None:
        shown = _text(shown)
        raise E.InvalidInputError(f"{shown} is {'a link to ' if link else ''}{kind}: not replaced by a downloaded "
                                  "file", hint="to write into it, download to stdout with '-' and redirect that")
    return None


def _text(shown: Path | str | Callable[[], Path]) -> str:
    """The path for a message: a tree builds it only then (not per file of a run)."""
    return str(shown() if callable(shown) else shown)
