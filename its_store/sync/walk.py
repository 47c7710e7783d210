"""The two listings a sync marches through, each in the same order: by relative path, by code point
(for UTF-8 the byte order S3 promises, which we do not rely on: each folder is sorted here).

The local walk streams: it reads one folder at a time with os.scandir, sorts that folder's entries
and descends depth-first, so memory is one sorted folder per level, not the tree. A folder sorts as
its name plus "/" so that the depth-first order equals the order of the full relative paths
("a-b" < "a/x" because "-" < "/"). Each file is stat-ed once (the DirEntry caches it).

Trouble does not raise: it is collected in `problems` (unreadable folders: the listing is then
partial, and a sync deletes nothing) or `notes` (vanished files, symlinks not followed, loops).

Given the run's core/localtree.LocalTree, the walk lists each folder through the descriptor the
tree opens for it (from the root down, no link followed unless asked): the files later read, written
or removed in that folder are the ones listed there, and a folder swapped for a link while the walk
goes on is noted, not listed.
"""

from __future__ import annotations

import os
import stat as st
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from its_store.core.errors import ItsStoreError, LocalFileNotFoundError
from its_store.core.files import TEMP_SUFFIX, is_own_temp
from its_store.core.localtree import LinkInPathError, LocalTree


@dataclass(slots=True)
class LocalFile:
    rel: str
    path: str
    size: int
    mtime_ns: int


@contextmanager
def read_local(tree: LocalTree | None, local: LocalFile) -> Iterator[IO[bytes]]:
    """A walked local file opened for reading in the folder walked (`tree`; sync --checksum): a link swapped in
    for the file or a folder on its way is refused, never read through."""
    with tree.open_file(local.rel) as opened, opened.reader() as fh:  # type: ignore[union-attr]
        yield fh


@dataclass(slots=True)
class RemoteObject:
    rel: str
    key: str
    size: int            # as listed: the stored size
    etag: str | None
    last_modified: datetime | None


@dataclass
class Walk:
    """Outcome of a walk besides its items: `problems` make it partial; `notes` are skips."""

    count: int = 0
    listings: int = 0  # remote: the folders listed (each one listing request or more)
    problems: list[tuple[str, str]] = field(default_factory=list)   # (rel path, reason)
    notes: list[tuple[str, str, int]] = field(default_factory=list)  # (rel path, reason, size)
    error: Any = None  # an ItsStoreError that stopped a remote listing
    sizes: bool = True  # False: a regular file by its listing's type (no stat; size, mtime -1): upload -r
    #                     and cp -r, which open and fstat each file anyway
    _noted: set[str] = field(default_factory=set)  # the paths of `notes` read so far (passed_over)
    _read: int = 0

    def passed_over(self, rel: str) -> bool:
        """Whether this walk skipped `rel` or a folder above it (a note: a link not followed, a temp file,
        an entry that vanished...). Such a path is there, only not copied: a sync must not delete it on the
        other side as "not in the source". Asked in path order, once the walk went past `rel`, every note
        that can cover it is in (the walk notes in the order it yields)."""
        notes, seen = self.notes, self._noted
        while self._read < len(notes):
            seen.add(notes[self._read][0])
            self._read += 1
        if not seen:
            return False
        if rel in seen or "" in seen:
            return True
        cut = rel.find("/")
        while cut >= 0:
            if rel[:cut + 1] in seen:
                return True
            cut = rel.find("/", cut + 1)
        return False


def _never(_: str) -> bool:
    return False


def walk_local(root: Path, walk: Walk, *, follow_symlinks: bool = False,
               prune: Callable[[str], bool] = _never, tree: LocalTree | None = None) -> Iterator[LocalFile]:
    """Regular files under `root` in relative-path order. Symbolic links (to files or folders) are
    skipped and noted unless `follow_symlinks`, and even then never into a folder already on the
    current path (a loop): a link someone may put in the folder must not upload what it points to.
    `tree`: the LocalTree of `root` (same follow_symlinks), whose descriptors the walk lists."""
    top = os.fspath(root)
    try:
        info = os.stat(top) if tree is None else _root_stat(tree)
    except OSError as exc:
        walk.problems.append(("", f"cannot read {top}: {exc.strerror}"))
        return
    except ItsStoreError as exc:
        walk.problems.append(("", exc.message))
        return
    yield from _walk_dir(top, "", walk, follow_symlinks, {(info.st_dev, info.st_ino)}, prune, tree)


def _root_stat(tree: LocalTree) -> os.stat_result:
    fd = tree.folder(())
    try:
        return os.fstat(fd)
    finally:
        os.close(fd)


def _walk_dir(path: str, rel: str, walk: Walk, follow: bool, ancestors: set[tuple[int, int]],
              prune: Callable[[str], bool], tree: LocalTree | None) -> Iterator[LocalFile]:
    held, entries = _scan(path, rel, walk, tree)
    under = path if path.endswith(os.sep) else path + os.sep  # each file's path: under + name
    try:
        for _, name, entry, is_dir in entries:
            child = rel + name
            if is_dir:
                if is_own_temp(name):  # a registry pull's staging folder (core/files.create_temp_folder)
                    walk.notes.append((child + "/", "its-store temp folder (a pull in progress)", 0))
                    continue
                if prune(child):
                    continue
                ident = _dir_ident(entry, child, walk, follow)
                if ident is None:
                    continue
                if ident in ancestors:
                    walk.notes.append((child + "/", "symlink loop (not followed)", 0))
                    continue
                ancestors.add(ident)
                yield from _walk_dir(os.path.join(path, name), child + "/", walk, follow, ancestors, prune, tree)
                ancestors.discard(ident)
                continue
            if name.endswith(TEMP_SUFFIX) and is_own_temp(name):  # a killed download's leftover (core/files),
                walk.notes.append((child, "its-store temp file (an interrupted download's)", 0))  # never data
                continue  # (the suffix first: is_own_temp's own first test, without a call for every file)
            item = _file(entry, child, under + name, walk, follow)
            if item is not None:
                walk.count += 1
                yield item
    finally:
        if held >= 0:
            os.close(held)


def _scan(path: str, rel: str, walk: Walk,
          tree: LocalTree | None) -> tuple[int, list[tuple[str, str, Any, bool]]]:
    """One folder's entries as (sort key, name, DirEntry, is folder), sorted so that folders sort as "name/";
    with a tree, listed through the folder's descriptor, returned first (-1 without: the caller
    closes it when the folder is done, as its entries stat through it)."""
    held = -1
    try:
        if tree is not None:
            held = tree.folder(rel.rstrip("/").split("/") if rel else ())
        with os.scandir(held if held >= 0 else path) as it:
            found = []
            for entry in it:
                try:
                    is_dir = entry.is_dir()  # follows a symlink: a link to a folder counts as a folder
                except OSError:
                    is_dir = False
                name = entry.name
                found.append((name + "/" if is_dir else name, name, entry, is_dir))
    except (FileNotFoundError, LocalFileNotFoundError):
        walk.notes.append((rel, "vanished", 0))
        return _closed(held), []
    except LinkInPathError:
        walk.notes.append((rel, "replaced by a symbolic link since it was listed (not followed)", 0))
        return _closed(held), []
    except OSError as exc:
        walk.problems.append((rel, f"cannot read folder: {exc.strerror}"))
        return _closed(held), []
    except ItsStoreError as exc:
        walk.problems.append((rel, f"cannot read folder: {exc.message}"))
        return _closed(held), []
    found.sort(key=_KEY)  # by the sort key (names are unique: no ties), without a Python call per entry
    return held, found


def _closed(fd: int) -> int:
    if fd >= 0:
        os.close(fd)
    return -1


def _dir_ident(entry: Any, rel: str, walk: Walk, follow: bool) -> tuple[int, int] | None:
    """(dev, inode) of a folder to descend into, or None (a symlink not followed, a loop)."""
    try:
        if entry.is_symlink():
            if not follow:
                walk.notes.append((rel + "/", "symlink to a folder (not followed; use --follow-symlinks)", 0))
                return None
            info = entry.stat()
        else:
            info = entry.stat(follow_symlinks=False)
    except FileNotFoundError:
        walk.notes.append((rel + "/", "vanished", 0))
        return None
    except OSError as exc:
        walk.problems.append((rel + "/", f"cannot read folder: {exc.strerror}"))
        return None
    return (info.st_dev, info.st_ino)


def _file(entry: Any, rel: str, path: str, walk: Walk, follow: bool) -> LocalFile | None:
    try:  # an entry that cannot say is no link (inline, no helper: this runs for every file)
        link = entry.is_symlink()
    except OSError:
        link = False
    if link and not follow:
        live = _exists(entry)
        walk.notes.append((rel, "symlink (not followed; use --follow-symlinks)" if live else "broken symlink", 0))
        return None
    if not walk.sizes and not link and _regular(entry):
        return LocalFile(rel, path, -1, -1)
    try:
        info = entry.stat()  # follows a file symlink; cached by the DirEntry
    except FileNotFoundError:
        walk.notes.append((rel, "broken symlink" if link else "vanished", 0))
        return None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: a symlink pointing at itself
            walk.notes.append((rel, "symlink loop", 0))
        else:
            walk.problems.append((rel, f"cannot stat: {exc.strerror}"))
        return None
    mode = info.st_mode
    if not st.S_ISREG(mode):
        if not st.S_ISDIR(mode):  # a folder that appeared while walking (a race) is not a file either
            walk.notes.append((rel, "not a regular file", 0))
        return None
    return LocalFile(rel, path, info.st_size, info.st_mtime_ns)


def _regular(entry: Any) -> bool:
    """A regular file by the folder listing's type (d_type: no system call unless the file system gives
    none); anything else is stat-ed and said as before."""
    try:
        return bool(entry.is_file(follow_symlinks=False))
    except OSError:
        return False


def _exists(entry: Any) -> bool:
    """Whether what a link points to is there (DirEntry.stat follows it, in the folder listed)."""
    try:
        entry.stat()
    except OSError:
        return False
    return True


def walk_remote(svc: Any, bucket: str, prefix: str, walk: Walk,
                prune: Callable[[str], bool] = _never) -> Iterator[RemoteObject]:
    """Objects under `prefix` in relative-path order. Folder by folder (a delimited listing per
    "folder", as rclone walks a bucket), each folder sorted here: servers do not all list in byte
    order (SeaweedFS puts some folders first), and memory stays one folder per level. A listing
    error ends the walk and is kept in `walk.error`."""
    from its_store.core import errors as E
    try:
        yield from _remote_dir(svc, bucket, prefix, len(prefix), walk, prune)
    except E.ItsStoreError as exc:
        walk.error = exc
        walk.problems.append(("", f"listing s3://{bucket}/{prefix} failed: {exc.message}"))


def _remote_dir(svc: Any, bucket: str, prefix: str, cut: int, walk: Walk,
                prune: Callable[[str], bool]) -> Iterator[RemoteObject]:
    walk.listings += 1
    entries = list(svc.s3.list_objects(bucket, prefix, recursive=False))
    entries.sort(key=_KEY)  # a common prefix ends with "/": it sorts as "name/"
    for key, size, etag, modified, _version, is_prefix, _latest, _marker, garbled in entries:
        rel = key[cut:]
        if is_prefix:
            if key.startswith(prefix) and len(key) > len(prefix) and not prune(rel.rstrip("/")):
                yield from _remote_dir(svc, bucket, key, cut, walk, prune)
            continue
        if not rel or (rel[-1] == "/" and not size):
            continue  # empty folder markers (one holding bytes is an object: copied, or skipped with its reason)
        if garbled:  # the name does not name the object: a partial listing, so nothing is deleted
            walk.problems.append((rel, "the server's listing altered this key's name (characters XML 1.0 "
                                       "cannot carry); nothing is deleted"))
            continue
        walk.count += 1
        yield RemoteObject(rel, key, size, etag, modified)


# an s3/listing.Entry's key (a NamedTuple whose fields _remote_dir unpacks in order); _scan's sort key
_KEY = itemgetter(0)
