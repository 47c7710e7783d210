"""THE local folder a command walks or writes into, held by descriptors: nothing is read from, written
to or removed outside it, whatever another local user does to the tree while the run goes on.

A path is only a name, and names change. `upload -r`, `cp -r`, `mv -r`, `sync` and the watcher read
files found by a walk; `get -r`, `cp -r`/`mv -r` to a folder, `sync s3://... DIR` and `model pull`
write files named by keys. Between the walk (or the key check) and the read (or the write), anyone
who may write to a folder of that tree can replace a subfolder by a symbolic link to a folder they
cannot read or write but the command's user (root, from cron) can. Opening or writing the whole path
then follows that link: a root-only file uploaded, a file written outside the target folder, a file
outside the source folder removed by `mv`. So a LocalTree opens paths the way the kernel lets us
pin them:

- The root is the folder the user named: opened once (O_DIRECTORY), following links, since a user
  may name a folder through a link of their own (`create`: made first, as `mkdir -p`).
- Below it every folder is opened relative to the one above, O_NOFOLLOW|O_DIRECTORY: a link found in
  place of a folder is LinkInPathError (one line naming the path: that item fails, the rest goes on).
  With `follow_symlinks` (the user's --follow-symlinks: links in that folder are theirs to follow)
  links are followed, as the walk follows them.
- A file is read by core/files.open_checked_stat in its folder's descriptor (O_NOFOLLOW|O_NONBLOCK, then
  fstat: a regular file only); removed (`mv`, `--remove-source`) by unlinkat in the descriptor it
  was read from, only while that name still holds the file that was read (device and inode).
- A file is written as every download is written (temp file, then rename), but with the folders made
  (mkdirat) and opened from the root's descriptor, the temp file created in the folder's descriptor
  and renamed into place there (renameat): a folder swapped mid-run is never written through.

Folder descriptors are kept (`keep`, least recently used dropped), so a run of many files opens each
folder once: a kept descriptor keeps pointing at the folder that was checked, which is exactly the
point (a folder renamed away and replaced mid-run is not followed either: its items fail, or come
from the folder that was listed). Each caller gets its own duplicate, so a descriptor is never closed
under a thread that uses it. The watcher, which runs for months while folders come and go, keeps none
(`keep=0`): each open starts again from the root. The descriptor cache is this module's alone; the
files callers hold (TreeFile, OpenFile) are in core/tree_files.py, re-exported here.
"""

from __future__ import annotations

import errno
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.files import (
    cleanup_temp,
    create_temp,
    flush_descriptor,
    in_folder,
    io_error,
    is_link,
    no_new_files,
    open_checked_stat,
)
from its_store.core.folder_flush import FolderFlushes, InEither, to_make
from its_store.core.overwrite import take_over
from its_store.core.refs import UnsafeKeyError, local_name_problem
from its_store.core.tree_files import OpenFile, TreeFile

if TYPE_CHECKING:
    from its_store.core.stale_temps import Swept

__all__ = ["KEEP", "LinkInPathError", "LocalTree", "OpenFile", "TreeFile"]


class _Held:
    """A kept folder descriptor and the callers using it now: dropped (least recently used, forgotten,
    the tree closed) while in use, it is closed by the last of them, never under one."""

    __slots__ = ("dropped", "fd", "users")

    def __init__(self, fd: int, users: int = 0, dropped: bool = False) -> None:
        self.fd, self.users, self.dropped = fd, users, dropped

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
KEEP = 64  # folder descriptors kept per tree at most: a walk's depth and then some (fewer under a low
# limit of open files: core/limits.folders_to_keep)


class LinkInPathError(E.LocalIOError):
    """A folder between the tree's root and a file is a symbolic link, which is not followed: one
    swapped in since the walk, or one put in the folder written into. Exit 1; `folder` is its path."""

    def __init__(self, message: str, *, hint: str | None = None, folder: str = "", relative: str = "") -> None:
        super().__init__(message, hint=hint)  # the constructor of every ItsStoreError, plus where
        self.folder, self.relative = folder, relative

    @classmethod
    def at(cls, path: Path | str, folder: Path | str, relative: str) -> LinkInPathError:
        """The error of `path`, whose folder `folder` (`relative` below the root) is a link."""
        return cls(f"{path}: a folder in its path is a symbolic link (replaced by one, or put there), "
                   f"not followed: {folder}", folder=str(folder), relative=relative)


class LocalTree:
    """A folder read from or written into by one run (see the module's docstring). Thread-safe; close()
    it (or use it as a context manager) to release the descriptors it keeps."""

    def __init__(self, root: Path | str, *, follow_symlinks: bool = False, create: bool = False,
                 keep: int | None = None, sweep: bool = False) -> None:
        self.root = Path(root)
        self._top = os.fspath(root)
        self.follow_symlinks = follow_symlinks
        if keep is None:
            from its_store.core.limits import folders_to_keep
            keep = folders_to_keep(KEEP)
        self._create, self._keep = create, keep
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[str, ...], _Held] = OrderedDict()  # folders below the root
        self._root: _Held | None = None
        # folders this tree made (mkdir): a file written in one cannot be there before, unless another
        # process put it there in between, so write() does not look at what it replaces (core/overwrite)
        self._made: set[tuple[str, ...]] = set()
        self._made_above: list[Path] = []  # the root, when made, and the folders made above it (durable writes)
        # folders whose mkdir met FileExistsError in this run (another thread, or process, made it meanwhile): a
        # durable write flushes their names as if made here (the thread that made one may not have added it to
        # _made yet); not in _made, which skips what a file replaces and the dead-temp sweep
        self._raced: set[tuple[str, ...]] = set()
        self._raced_above: list[Path] = []
        self._flushes = FolderFlushes()  # a durable write's folder flushes (core/folder_flush)
        self._flags = _DIR_FLAGS | (0 if follow_symlinks else _NOFOLLOW)
        # `sweep`: the first write into each folder removes the temps killed runs left there (core/stale_temps)
        self._swept: set[tuple[str, ...]] | None = set() if sweep else None
        self.swept: Swept | None = None  # what they removed, once one did

    # -- names ------------------------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        """root/rel, for messages and results (never opened by that name)."""
        return Path(self.text(rel))

    def text(self, rel: str) -> str:
        """root/rel as text: path() without building a Path (a few microseconds per file of a run)."""
        if not rel:
            return self._top
        return rel if self._top == "." else os.path.join(self._top, rel)

    def file(self, rel: str) -> TreeFile:
        """THE place a listed key's object is written under the folder (get -r, cp -r/mv -r to a folder,
        sync s3 -> local, model pull): `rel`, the key below the listed prefix, checked by the name rule
        (core/refs.local_name_problem; UnsafeKeyError: skipped and reported, the others go on), then
        written through this tree's descriptors (core/files.atomic_target)."""
        problem = local_name_problem(rel)
        if problem is not None:
            raise UnsafeKeyError(rel, problem)
        return TreeFile(self, rel)

    @staticmethod
    def _split(rel: str) -> tuple[list[str], str]:
        *folders, name = rel.split("/")
        if any(part in ("", ".", "..") for part in (*folders, name)):
            raise E.InvalidInputError(f"not a path inside the folder: {rel!r}")
        return folders, name

    # -- folders ----------------------------------------------------------------------------------
    def folder(self, parts: Sequence[str], *, create: bool = False, shown: Path | str | None = None) -> int:
        """A new descriptor (the caller closes it) of root/parts, every part opened relative to the one
        above without following a link (LinkInPathError, naming `shown`: the file the caller is
        after); `create`: missing folders are made. LocalFileNotFoundError when a part is missing (or
        is no longer a folder) and not made."""
        key = tuple(parts)
        with self._lock:
            depth = len(key)
            while depth and key[:depth] not in self._kept:
                depth -= 1
            if depth:
                self._kept.move_to_end(key[:depth])
                fd = os.dup(self._kept[key[:depth]].fd)
            else:
                fd = os.dup(self._root.fd) if self._root is not None else -1
        if fd < 0:
            fd = self._open_root(create)
            self._pin_root(fd)
        try:
            for i in range(depth, len(key)):
                inner = self._step(fd, key, i, create, shown)
                os.close(fd)
                fd = inner
                self._remember(key[:i + 1], fd)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _borrow(self, parts: Sequence[str], create: bool = False,
                shown: Path | str | Callable[[], Path] | None = None) -> _Held:
        """root/parts as folder() opens it, but its kept descriptor itself when there is one (no dup and
        close per file of a run: two system calls, each a GIL hand-over among a batch's threads); give
        it back with _give_back() (it is closed then if it was dropped meanwhile). Not kept (keep=0,
        or dropped at once): a descriptor of the caller's own, closed by _give_back(). `shown` may be a
        function giving it: then it is built only when a folder is opened (not per file of a run)."""
        key = tuple(parts)
        with self._lock:
            held = self._kept.get(key) if key else self._root
            if held is not None:
                if key:
                    self._kept.move_to_end(key)
                held.users += 1
                return held
        return _Held(self.folder(key, create=create, shown=shown() if callable(shown) else shown), users=1,
                     dropped=True)

    def _give_back(self, held: _Held) -> None:
        with self._lock:
            held.users -= 1
            if not (held.dropped and held.users == 0):
                return
        os.close(held.fd)

    def _drop(self, held: _Held) -> None:
        """No longer kept (under the lock): closed now if nobody uses it, else by its last user."""
        held.dropped = True
        if held.users == 0:
            os.close(held.fd)

    def _pin_root(self, fd: int) -> None:
        """Keep the root's descriptor for the whole run (never dropped: opening the root again would
        resolve the name the user gave once more, maybe to another folder); kept only when anything is."""
        if self._keep <= 0:
            return
        with self._lock:
            if self._root is None:
                self._root = _Held(os.dup(fd))

    def _open_root(self, create: bool) -> int:
        """The root, opened following links (the user named it); made as `mkdir -p` when writing."""
        try:
            return os.open(self.root, _DIR_FLAGS)
        except FileNotFoundError:
            if not (create and self._create):
                raise E.LocalFileNotFoundError(f"no such folder: {self.root}") from None
        except NotADirectoryError:
            raise E.InvalidInputError(f"{self.root} is not a folder") from None
        except OSError as exc:
            raise io_error("cannot open folder", self.root, exc) from None
        missing = to_make(self.root)  # the root and the folders above it `mkdir -p` makes: their names flushed

        def made() -> int:
            try:
                os.mkdir(self.root)
                self._made_above = missing
                self._made.add(())
            except FileExistsError:
                self._raced_above = missing
                self._raced.add(())
            try:
                return os.open(self.root, _DIR_FLAGS)
            except NotADirectoryError:
                raise E.InvalidInputError(f"{self.root} is not a folder") from None
        return in_folder(self.root.parent, self.root, made, hint=None)

    def _step(self, fd: int, key: tuple[str, ...], i: int, create: bool, shown: Path | str | None) -> int:
        """Open key[i] in the folder `fd` (made first when missing and `create`)."""
        name = key[i]
        try:
            return os.open(name, self._flags, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise E.LocalFileNotFoundError(f"no such folder: {self.path('/'.join(key[:i + 1]))}") from None
        except OSError as exc:
            raise self._folder_error(fd, key, i, exc, create, shown) from None
        try:
            os.mkdir(name, 0o777, dir_fd=fd)
            self._made.add(key[:i + 1])
        except FileExistsError:  # made by another thread meanwhile (or a link put there: refused by the open below)
            self._raced.add(key[:i + 1])
        except FileNotFoundError:  # fd's folder was removed meanwhile, or refuses new folders (/proc)
            where = self.path("/".join(key[:i]))
            raise (_removed_meanwhile(where) if _removed(fd) else
                   E.LocalIOError(f"cannot create folder {self.path('/'.join(key[:i + 1]))}: {where} does not "
                                  "allow new folders")) from None
        except OSError as exc:
            raise io_error("cannot create folder", self.path("/".join(key[:i + 1])), exc) from None
        try:
            return os.open(name, self._flags, dir_fd=fd)
        except OSError as exc:
            raise self._folder_error(fd, key, i, exc, create, shown) from None

    def _folder_error(self, fd: int, key: tuple[str, ...], i: int, exc: OSError, create: bool,
                      shown: Path | str | None) -> E.ItsStoreError:
        relative = "/".join(key[:i + 1])
        here = self.path(relative)
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK) and is_link(key[i], fd):
            return LinkInPathError.at(shown or self.path("/".join(key)), here, relative)
        if exc.errno == errno.ENOTDIR and create:
            return E.ConflictError(f"{here} is not a folder", hint="a file is in the way of the folder a key names")
        if exc.errno == errno.ENOTDIR or isinstance(exc, FileNotFoundError):  # listed as a folder, gone since
            return E.LocalFileNotFoundError(f"no such folder: {here}")
        return io_error("cannot open folder", here, exc)

    def _forget(self, key: tuple[str, ...]) -> None:
        """Drop the kept descriptors of `key` and of the folders below it (removed from the disk)."""
        with self._lock:
            gone = [k for k in self._kept if k[:len(key)] == key]
            for k in gone:
                self._drop(self._kept.pop(k))

    def _remember(self, key: tuple[str, ...], fd: int) -> None:
        if self._keep <= 0:
            return
        with self._lock:
            if key in self._kept:
                return
            self._kept[key] = _Held(os.dup(fd))
            while len(self._kept) > self._keep:
                self._drop(self._kept.popitem(last=False)[1])

    # -- reading and removing ---------------------------------------------------------------------
    def open_file(self, rel: str) -> OpenFile:
        """Open root/rel for reading as the file it is now (see the module's docstring). Raises
        NotRegularError (a link not followed, a FIFO...), LinkInPathError, LocalFileNotFoundError
        (gone) or LocalIOError."""
        folders, name = self._split(rel)
        shown = self.text(rel)
        held = self._borrow(folders, shown=shown)
        try:
            fd, info = open_checked_stat(name, dir_fd=held.fd, follow_symlinks=self.follow_symlinks, shown=shown)
            return OpenFile(shown, fd, info, held.fd, name, self.follow_symlinks, lambda: self._give_back(held))
        except BaseException:
            self._give_back(held)
            raise

    def remove(self, rel: str) -> bool:
        """Unlink root/rel in its folder's descriptor (sync --delete of a local file); False if it was
        not there. A folder on the way that is a link: LinkInPathError, nothing removed."""
        folders, name = self._split(rel)
        try:
            held = self._borrow(folders, shown=self.path(rel))
        except E.LocalFileNotFoundError:
            return False
        try:
            os.unlink(name, dir_fd=held.fd)
            return True
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise io_error("cannot delete", self.path(rel), exc) from None
        finally:
            self._give_back(held)

    # -- writing ----------------------------------------------------------------------------------
    @contextmanager
    def write(self, rel: str, written: Callable[[int], None] | None = None, *, durable: bool = False
              ) -> Iterator[int]:
        """Yield the descriptor of a temp file in rel's folder (made as needed); on success it is
        renamed over root/rel in that folder's descriptor. On any failure the temp file is removed and
        root/rel is left as it was. A folder in the way of the file: ConflictError. `written(fd)`: called
        once the caller's writes are done, before the descriptor is closed and the file renamed into place
        (TreeFile keeps the file's mtime by it: the rename keeps the inode, so no stat of the name is needed).
        `durable` (a move's download, before its object is deleted): the descriptor that wrote the bytes is
        fsync'd before the rename and the folder's descriptor the rename was made in after it, never a file or
        folder opened again by its name (renamed or replaced meanwhile, another would be flushed)."""
        folders, name = self._split(rel)
        shown = partial(self.path, rel)  # the Path is built only for a message (not per file of a run)
        held = self._borrow(folders, create=True, shown=shown)
        lent = True
        try:
            folder = held.fd
            try:
                fd, tmp = self._temp(folder, name, shown)
            except _Removed:  # a kept folder removed meanwhile: made again from the folders above, once
                self._give_back(held)
                lent = False
                self._forget(())  # its kept parents may be gone too: all are opened again, checked
                held = self._borrow(folders, create=True, shown=shown)
                lent = True
                folder = held.fd
                fd, tmp = self._temp(folder, name, shown)
            if self._swept is not None:
                self._sweep(tuple(folders), folder)
            try:
                if tuple(folders) not in self._made:  # one fstatat per file, but not in a folder made now
                    take_over(fd, name, shown, dir_fd=folder)
                yield fd
                if written is not None:
                    written(fd)
                if durable:
                    flush_descriptor(fd, shown)
                os.close(fd)
                fd = -1
                os.rename(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
                if durable:
                    self._flush_names(folders, folder, shown)
            except OSError as exc:
                cleanup_temp(fd, tmp, folder)
                path = shown()
                if exc.errno == errno.EISDIR:
                    raise E.ConflictError(f"{path} is a folder: a file cannot be written in its place") from None
                if isinstance(exc, FileNotFoundError) and _removed(folder):
                    raise _removed_meanwhile(path.parent) from None
                raise io_error("cannot write", path, exc) from None
            except BaseException:
                cleanup_temp(fd, tmp, folder)
                raise
        finally:
            if lent:
                self._give_back(held)

    def _flush_names(self, folders: list[str], folder: int, shown: Callable[[], Path]) -> None:
        """A durable write's names (core/folder_flush): the file's in its folder, then the name of every
        folder this tree made on the way, each in its parent, up to the first folder that was there."""
        self._flushes.folder(folder, lambda: shown().parent)
        if self._made or self._raced:
            made = InEither(self._made, self._raced)
            self._flushes.made(folders, made, self.folder, lambda key: self.path("/".join(key)))
            if () in made:
                self._flushes.root(self._made_above if () in self._made else self._raced_above)

    def _sweep(self, key: tuple[str, ...], folder: int) -> None:
        """The first write into root/key (not one made by this run): remove the temps of dead runs there."""
        if self._swept is None or key in self._swept:  # a set read without the lock: the common case, cheap
            return
        with self._lock:
            if key in self._swept or key in self._made:
                return
            self._swept.add(key)
        from its_store.core.stale_temps import Swept, sweep_folder  # imported by the runs that sweep only
        swept = sweep_folder(folder)
        with self._lock:
            if self.swept is None:
                self.swept = Swept()
            self.swept.add(swept)

    def _temp(self, folder: int, name: str, shown: Callable[[], Path]) -> tuple[int, str]:
        """A temp file for `name` in `folder` (`shown()`: the file's path, for a message). A folder in the
        file's place is not looked for first (a system call per file): the rename over it fails with
        EISDIR, which write() reports as the same ConflictError, the temp file removed and the folder
        untouched."""
        try:
            return create_temp(name, dir_fd=folder)
        except FileNotFoundError:  # the folder was removed meanwhile, or refuses new files (/proc)
            path = shown()
            if _removed(folder):
                raise _Removed(_removed_meanwhile(path.parent).message) from None
            raise no_new_files(path, path.parent) from None
        except OSError as exc:
            raise io_error("cannot write to", shown().parent, exc) from None

    def set_mtime(self, rel: str, ns: int) -> None:
        """Set root/rel's modification time (sync s3 -> local), in its folder's descriptor, never
        through a link."""
        folders, name = self._split(rel)
        held = self._borrow(folders, shown=self.path(rel))
        try:
            os.utime(name, ns=(ns, ns), dir_fd=held.fd, follow_symlinks=False)
        except OSError as exc:
            raise io_error("cannot set the time of", self.path(rel), exc) from None
        finally:
            self._give_back(held)

    def mtime_ns(self, rel: str) -> int:
        """root/rel's modification time (what get -r left, for the sync state), read in its folder's descriptor,
        never through a link."""
        folders, name = self._split(rel)
        held = self._borrow(folders, shown=lambda: self.path(rel))  # a Path built only when a folder is opened
        try:
            return os.stat(name, dir_fd=held.fd, follow_symlinks=False).st_mtime_ns
        except OSError as exc:
            raise io_error("cannot read the time of", self.path(rel), exc) from None
        finally:
            self._give_back(held)

    # -- life -------------------------------------------------------------------------------------
    def close(self) -> None:
        """Release the descriptors kept; say what the sweeps removed (one line)."""
        if self.swept is not None:
            from its_store.core.stale_temps import report
            swept, self.swept = self.swept, None
            report(swept, self.root)
        with self._lock:
            kept, self._kept = self._kept, OrderedDict()
            root, self._root = self._root, None
            for held in (*kept.values(), *([root] if root is not None else [])):
                self._drop(held)

    def __enter__(self) -> LocalTree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _removed(fd: int) -> bool:
    """Whether the folder open as `fd` was removed (no name leads to it any more)."""
    try:
        return os.fstat(fd).st_nlink == 0
    except OSError:
        return True


class _Removed(E.LocalIOError):
    """The folder a temp file was to be created in was removed meanwhile (its kept descriptor leads to
    no name any more): LocalTree.write makes it again once."""


def _removed_meanwhile(folder: Path) -> E.ItsStoreError:
    return E.LocalIOError(f"cannot write in {folder}: the folder was removed while the run went on",
                          hint="run the command again to write what is missing")
