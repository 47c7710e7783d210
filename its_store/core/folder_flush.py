"""The folder flushes of a durable write (LocalTree.write(durable=True): a move's download, before its object is
deleted): a new name is on disk once the folder holding it is flushed (fsync(2)), so the file's name is flushed in
its folder, and the name of every folder the run made on the way to it in that folder's parent, up to the first
folder that was there. A filesystem that does not journal every metadata change together (ext2, ext4 made without
a journal for an SD card or eMMC) may otherwise come back from a power cut without the new folder, and the file
in it, while the object it was moved from is gone.

A folder a filesystem cannot flush (fsync answered EINVAL or EBADF: some FUSE and network filesystems, CIFS) is
taken as "not supported here", as PostgreSQL's fsync_fname (src/common/file_utils.c, backend fd.c) and Dovecot's
fdatasync_path do: the file's own flush succeeded, the move goes on, and the run says so once (a warning line).
Any other failure keeps the object: LocalIOError "cannot flush to disk PATH".
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Callable, Container, Sequence
from functools import partial
from pathlib import Path

from its_store.core.files import flush_failed

log = logging.getLogger("its_store.flush")


class InEither:
    """In one of two sets (the folders made by this run, those whose mkdir raced another's)."""

    def __init__(self, first: set[tuple[str, ...]], second: set[tuple[str, ...]]) -> None:
        self._first, self._second = first, second

    def __contains__(self, key: object) -> bool:
        return key in self._first or key in self._second


def to_make(root: Path) -> list[Path]:
    """`root` and the folders above it that are not there: what `mkdir -p root` makes (a durable write into a
    tree made so flushes each one's name in its parent: FolderFlushes.root)."""
    missing, above = [root], root.parent
    while above != above.parent and not above.exists():
        missing.append(above)
        above = above.parent
    return missing


_UNSUPPORTED = (errno.EINVAL, errno.EBADF)  # a folder fsync refused by the filesystem, not failed


class FolderFlushes:
    """One tree's durable folder flushes: which made folders' names are flushed already (each once a run), and
    whether the one note of folders that cannot be flushed was given. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._named: set[tuple[str, ...]] = set()  # made folders whose name in their parent is flushed
        self._noted = False

    def folder(self, fd: int, shown: Callable[[], Path]) -> None:
        """fsync the folder open as `fd` (`shown()`: its path, for a message)."""
        try:
            os.fsync(fd)
        except OSError as exc:
            if exc.errno not in _UNSUPPORTED:
                raise flush_failed(shown(), exc) from None
            self._note(shown())

    def made(self, key: Sequence[str], made: Container[tuple[str, ...]],
             open_folder: Callable[[tuple[str, ...]], int], shown: Callable[[tuple[str, ...]], Path]) -> None:
        """Flush the name of every folder on the way to `key` (below the root) that this run `made`, in its parent
        (`open_folder(parent)`: a new descriptor, closed here), deepest first; each once a run."""
        for depth in range(len(key), 0, -1):
            here = tuple(key[:depth])
            if here in self._named or here not in made:
                continue
            parent = open_folder(here[:-1])
            try:
                self.folder(parent, partial(shown, here[:-1]))
            finally:
                os.close(parent)
            with self._lock:
                self._named.add(here)

    def root(self, made: Sequence[Path]) -> None:
        """Flush the names of the root and of the folders made above it (`made`: the root first), each in
        its parent, opened by name (the root itself was named by the user, never held above it); once a run."""
        if () in self._named:
            return
        for path in made:
            try:
                parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
            except OSError as exc:
                raise flush_failed(path.parent, exc) from None
            try:
                self.folder(parent, partial(Path, path.parent))
            finally:
                os.close(parent)
        with self._lock:
            self._named.add(())

    def _note(self, where: Path) -> None:
        with self._lock:
            if self._noted:
                return
            self._noted = True
        log.warning("the filesystem of %s cannot flush folders to disk (fsync: not supported); the files "
                    "moved were flushed, their names in folders may not survive a power cut", where)
