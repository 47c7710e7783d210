"""THE making of the folders that hold its-store's own state (the cache, the stats and the audit log's
folders, resume journals, the sync state, the remotes' config folder, a completion cache, a webhook
outbox): every folder made is 0700 (as the XDG base directory spec asks of the folders it names), so a
cache database, an audit log or a journal is readable by nobody else, whatever the umask (under umask
000, Path.mkdir made them 0777: world-writable). A folder that is already there is never changed: it is
the user's (or an admin's) to set.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


def make_private_folder(path: Path | str) -> None:
    """`mkdir -p -m 0700 PATH`, applied to every folder made (mkdir -p gives only the last one the mode);
    NotADirectoryError when PATH (or a folder above it) is there and is not a folder (mkdir's own
    FileExistsError said "File exists" of a path that is no folder: MINIO_AUDIT_LOG=/etc/passwd/x), other
    OSErrors as they come."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        _must_be_folder(path)
    except FileNotFoundError:
        parent = os.path.dirname(os.path.normpath(path))
        if not parent or parent == os.fspath(path):
            raise
        make_private_folder(parent)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:  # made meanwhile by another thread or process
            _must_be_folder(path)


def _must_be_folder(path: Path | str) -> None:
    """`path` exists: fine when it is a folder, else NotADirectoryError (not mkdir's "File exists")."""
    if not os.path.isdir(path):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), os.fspath(path)) from None


def create_private_file(path: Path | str) -> None:
    """Create `path` empty with mode 0600 when it is not there (a SQLite database about to be opened: its
    own files would take 0666 minus the umask, and its -wal and -shm files take the database's mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
    except FileExistsError:
        pass
