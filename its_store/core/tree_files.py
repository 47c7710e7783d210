"""The files of a LocalTree (core/localtree.py) as its callers hold them: a TreeFile to be written, an
OpenFile opened for reading.

Apart from the tree itself by concern: these are what a batch, a sync or the watcher keeps per item, and
they reach the tree only through its public calls (TreeFile: write, set_mtime) or a callback the tree
hands over (OpenFile.release gives the folder's descriptor back), never its cache of folder descriptors.
core/localtree.py re-exports both, where callers import them from.
"""

from __future__ import annotations

import io
import os
import stat as st
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

from its_store.core import errors as E

__all__ = ["OpenFile", "TreeFile"]


class Tree(Protocol):
    """What a TreeFile asks of its tree (core/localtree.LocalTree), named here so that this module
    needs nothing of that one."""

    def path(self, rel: str) -> Path: ...

    def write(self, rel: str, written: Callable[[int], None] | None = None, *,
              durable: bool = False) -> AbstractContextManager[int]: ...

    def set_mtime(self, rel: str, ns: int) -> None: ...

    def mtime_ns(self, rel: str) -> int: ...

    def open_file(self, rel: str) -> OpenFile: ...

    def remove(self, rel: str) -> bool: ...


@dataclass
class TreeFile:
    """A file under a LocalTree to be written (core/files.atomic_target writes it through the tree).

    Its mtime as written is kept from the written descriptor (fstat, before it is closed and renamed into
    place: the rename keeps the inode), so mtime_ns() after a write needs no stat of the name (`get -r`
    records it per file in the sync state: ~20K instructions an object less). set_mtime() drops it: the
    file's time is then read from the file (a file system may keep it coarser than it was given).
    `durable`: the written descriptor is fsync'd before the rename, the folder's after it (LocalTree.write)."""

    tree: Tree  # a LocalTree
    rel: str
    durable: bool = False  # flushed to disk by its own descriptors before it counts as written (a move's)
    _left_ns: int | None = field(default=None, init=False, repr=False, compare=False)

    @cached_property
    def path(self) -> Path:
        """root/rel, built once (a batch names it in the request, the result and the item)."""
        return self.tree.path(self.rel)

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]

    def atomic(self) -> AbstractContextManager[int]:
        self._left_ns = None
        return self.tree.write(self.rel, self._written, durable=self.durable)

    def _written(self, fd: int) -> None:
        """The tree's `written` callback: the file's mtime once its bytes are all written."""
        self._left_ns = os.fstat(fd).st_mtime_ns

    def set_mtime(self, ns: int) -> None:
        self._left_ns = None
        self.tree.set_mtime(self.rel, ns)

    def mtime_ns(self) -> int:
        """The file's mtime: as its last write through atomic() left it, else read in its folder."""
        left = self._left_ns
        return self.tree.mtime_ns(self.rel) if left is None else left

    def __str__(self) -> str:  # deliberately not os.PathLike: it is never opened by its path
        return str(self.path)


@dataclass
class OpenFile:
    """A file opened for reading by LocalTree.open_file: `fd` (read it only through this), `stat` when
    opened, `folder_fd` the folder it was found in (for the removal) and `name` its name there;
    `shown` its path as text (`path`: as a Path), for messages only. `release`: gives `folder_fd` back
    to its tree (a kept descriptor, not this file's own) on close; without it, close() closes it."""

    shown: str
    fd: int
    stat: os.stat_result
    folder_fd: int
    name: str
    follow_symlinks: bool = False
    release: Callable[[], None] | None = None

    @property
    def path(self) -> Path:
        return Path(self.shown)

    def reader(self) -> io.FileIO:
        """An unbuffered binary file object over the descriptor (close it before this; it leaves `fd`
        open): read()/readinto()/seek()/fileno() straight on the descriptor. os.fdopen's buffered
        reader cost two more system calls per file (isatty's ioctl, tell's lseek), each a GIL hand-over
        among a batch's threads; every caller reads in large blocks or by position."""
        return io.FileIO(self.fd, "rb", closefd=False)

    def fstat(self) -> os.stat_result:
        """fstat of the open file now."""
        return os.fstat(self.fd)

    def set_mtime(self, ns: int) -> bool:
        """Set the modification time of the open file itself (futimens): never of another file renamed over
        its name since it was opened. False when this user may not (only a file's owner may: EPERM); raises
        LocalIOError on any other failure."""
        try:
            os.utime(self.fd, ns=(ns, ns))
            return True
        except PermissionError:
            return False
        except OSError as exc:
            from its_store.core.files import io_error
            raise io_error("cannot set the time of", self.path, exc) from None

    def unchanged(self) -> bool:
        """The open file's size and mtime are still those it had when opened (not written since)."""
        now = self.fstat()
        return (now.st_size, now.st_mtime_ns) == (self.stat.st_size, self.stat.st_mtime_ns)

    def remove_if(self, check: Callable[[os.stat_result], bool] | None = None) -> bool | None:
        """Unlink the name in the folder it was opened from, only while that name still holds the file
        that was opened (same device and inode; with follow_symlinks the link is removed, never what
        it points to) and `check(stat of the name)` agrees (default: unchanged since opened). True when
        removed, False when the name holds something else now (kept), None when it is gone."""
        try:
            now = os.stat(self.name, dir_fd=self.folder_fd, follow_symlinks=self.follow_symlinks)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise E.LocalIOError(f"cannot remove {self.shown}: {exc.strerror}") from None
        mine = self.fstat()
        same = st.S_ISREG(now.st_mode) and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)
        if not same or not (check(now) if check is not None else self.unchanged()):
            return False
        try:
            os.unlink(self.name, dir_fd=self.folder_fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise E.LocalIOError(f"cannot remove {self.shown}: {exc.strerror}") from None
        return True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
        if self.folder_fd >= 0:
            if self.release is not None:
                self.release()
            else:
                os.close(self.folder_fd)
        self.fd = self.folder_fd = -1
        self.release = None

    def __enter__(self) -> OpenFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
