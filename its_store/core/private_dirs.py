"""THE making of the folders that hold its-store's own state (the cache, the stats and the audit log's
folders, resume journals, the sync state, the remotes' config folder, a completion cache, a webhook
outbox): every folder made is 0700 (as the XDG base directory spec asks of the folders it names), so a
cache database, an audit log or a journal is readable by nobody else, whatever the umask (under umask
000, Path.mkdir made them 0777: world-writable). A folder that is already there is never changed: it is
the user's (or an admin's) to set; but one that another user owns, or others may write, is not used
(ssh's rule for ~/.ssh, as core/remote_config applies it to the remotes' folder): whoever may write it
may rewrite a cached stat, an audit line or a webhook event that this tool then trusts, signs or sends.
Callers degrade (the cache to its next level, the audit log to its "line is lost" error line, the
outbox to not sending); `foreign_reason` is the rule, for folders and for the files found in them.
"""

from __future__ import annotations

import errno
import os
import stat as st
from pathlib import Path


class ForeignStateError(PermissionError):
    """A state folder or file that is already there and that another user owns or others may write (see
    the module docstring). A PermissionError, so every caller's OSError path degrades as it does for an
    unwritable folder; `strerror` says why, for the one-line message."""

    def __str__(self) -> str:
        return str(self.strerror)  # the callers name the path: "cannot open PATH: <why>"


def foreign_reason(info: os.stat_result) -> str | None:
    """Why a state folder or file with this stat is not ours to trust, None when it is: owned by another
    user than this one or root, or writable by group or others. A folder of root's with the sticky bit
    (/tmp) is the exception: others may add names there but not replace or remove ours."""
    me = os.geteuid()
    if info.st_uid not in (me, 0):
        return f"owned by another user (uid {info.st_uid}), not by this one (uid {me})"
    mode = st.S_IMODE(info.st_mode)
    if mode & 0o022 and not (st.S_ISDIR(info.st_mode) and mode & st.S_ISVTX and info.st_uid == 0):
        return f"permissions {mode:04o}: others may write it"
    return None


def refuse_foreign(path: Path | str, info: os.stat_result) -> None:
    """ForeignStateError when foreign_reason(info) has a reason (info: the stat of `path`, or of a
    descriptor opened on it)."""
    reason = foreign_reason(info)
    if reason is not None:
        raise ForeignStateError(errno.EPERM, f"{reason}; its-store keeps no state there", os.fspath(path))


def make_private_folder(path: Path | str, *, ours: bool = True) -> None:
    """`mkdir -p -m 0700 PATH`, applied to every folder made (mkdir -p gives only the last one the mode);
    NotADirectoryError when PATH (or a folder above it) is there and is not a folder (mkdir's own
    FileExistsError said "File exists" of a path that is no folder: MINIO_AUDIT_LOG=/etc/passwd/x),
    ForeignStateError when PATH was already there and is another user's or others may write it (only
    PATH: the folders above it are the system's and the user's; `ours=False` for a folder that only
    holds a lock file), other OSErrors as they come."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        _must_be_folder(path, ours)
    except FileNotFoundError:
        parent = os.path.dirname(os.path.normpath(path))
        if not parent or parent == os.fspath(path):
            raise
        make_private_folder(parent, ours=False)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:  # made meanwhile by another thread or process
            _must_be_folder(path, ours)


def _must_be_folder(path: Path | str, ours: bool) -> None:
    """`path` exists: fine when it is a folder (of ours, when `ours`), else NotADirectoryError (not
    mkdir's "File exists") or ForeignStateError."""
    try:
        info = os.stat(path)
    except OSError:
        info = None
    if info is None or not st.S_ISDIR(info.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), os.fspath(path)) from None
    if ours:
        refuse_foreign(path, info)


def create_private_file(path: Path | str) -> None:
    """Create `path` empty with mode 0600 when it is not there (a SQLite database about to be opened: its
    own files would take 0666 minus the umask, and its -wal and -shm files take the database's mode).
    One already there that is another user's or others may write is ForeignStateError."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
    except FileExistsError:
        refuse_foreign(path, os.lstat(path))
