"""The owner files of the upload journal (transfer/resume.py): `<sha256 of the upload id, 32 hex>.owner` in the
journal folder, locked (core/files.take_lock) by the run that sends that upload's parts, removed when it is
done with it. Here: their names, their removal, and the sweep of the stale ones no record names (a run that
died between its own() and its record's save, or after another run forgot its record), which the journal runs
under its decision lock the first time it takes it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path

from its_store.core import errors as E
from its_store.core.jsontext import loads

log = logging.getLogger("its_store.transfer.resume")

_HEX = frozenset("0123456789abcdef")


def owner_name(upload_id: str) -> str:
    """The owner file's name of an upload id."""
    return f"{hashlib.sha256(upload_id.encode()).hexdigest()[:32]}.owner"


def remove_owner(owner: Path) -> None:
    """An owner file's removal, before its lock is released: one that fails (a read-only folder) leaves a file
    whose lock nobody holds, stale, which the next run that tries it removes; never an error of the upload."""
    try:
        owner.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("cannot remove %s: %s", owner, exc.strerror or exc)


def sweep(directory: Path, ours: set[str]) -> int:
    """Under the journal's decision lock: remove the owner files whose lock can be taken at once (no live run
    holds it: a flock dies with its process) and that no record in `directory` names; never one of `ours` (this
    run's), nor one another run holds. Only empty regular files of the owner files' names are tried (the lock's
    open would follow a link). Best effort: how many were removed (0 when the folder cannot be read)."""
    from its_store.core.files import LockBusy, take_lock
    named: set[str] | None = None  # the owner file names of the recorded upload ids, read when first needed
    removed = 0
    for path in owner_files(directory):
        if path.name in ours:
            continue
        try:
            release = take_lock(path, wait=False)
        except (LockBusy, OSError, E.ItsStoreError):  # alive in another run (or not lockable): kept
            continue
        try:
            named = named_owners(directory) if named is None else named
            if path.name not in named:
                remove_owner(path)
                removed += 1
        finally:
            release()
    return removed


def owner_files(directory: Path) -> list[Path]:
    """The folder's owner files (`<32 hex digits>.owner`): empty regular files, never followed (a link, a FIFO
    of that name is not one); none when the folder cannot be read."""
    found = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                name = entry.name
                if not (len(name) == 38 and name.endswith(".owner") and _HEX.issuperset(name[:32])):
                    continue
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and info.st_size == 0:
                    found.append(Path(entry.path))
    except OSError:
        return []
    return found


def named_owners(directory: Path) -> set[str]:
    """The owner file names of the upload ids that the records in `directory` name (any endpoint's; a record
    that cannot be read names none)."""
    from its_store.core.statefile import read_state
    names: set[str] = set()
    for path in directory.glob("*.json"):
        try:
            record = loads(read_state(path).decode("utf-8"))
        except (OSError, ValueError):
            continue
        upload_id = record.get("upload_id") if isinstance(record, dict) else None
        if usable_id(upload_id):
            names.add(owner_name(str(upload_id)))
    return names


def usable_id(upload_id: object) -> bool:
    """A multipart upload id read back from a journal: a short line of printable text."""
    return isinstance(upload_id, str) and 0 < len(upload_id) <= 1024 and upload_id.isprintable()
