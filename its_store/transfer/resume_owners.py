"""The owner files of the upload journal (transfer/resume.py): `<sha256 of the upload id, 32 hex>.owner` in the
journal folder, locked (core/files.take_lock) by the run that sends that upload's parts, removed when it is
done with it. Here: their names, their removal, and the sweep of the stale ones no record names (a run that
died between its own() and its record's save, or after another run forgot its record), which the journal runs
under its decision lock the first time it takes it; and the records of uploads left alone (below).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.jsontext import loads

if TYPE_CHECKING:
    from its_store.transfer.parts import ObjectIO

log = logging.getLogger("its_store.transfer.resume")
Upload = tuple[str, str, str]  # bucket, key, upload id

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


# -- uploads left alone: their record kept aside, so that an owner killed later leaves no orphan parts ------------
# B leaves A's live upload alone and forgets the record of its key (B records its own upload there). Before,
# nothing then named A's upload: killed (kill -9, power cut) before it completed or aborted, its parts stayed
# on the server until a lifecycle rule took them. Now B keeps A's record as `<owner file's stem>.left`; A's
# completing() marks it, its Complete or abort (journal.remove) drops it; the sweep finds a note whose owner
# lock can be taken (no live run sends that upload) and hands it back: aborted, or noted unsettled when its
# Complete may have been sent.

def left_path(directory: Path, upload_id: str) -> Path:
    """The note of an upload left alone (its record), beside its owner file."""
    return directory / f"{owner_name(upload_id)[:-len('.owner')]}.left"


def leave(directory: Path, record: dict[str, object]) -> None:
    """Keep the record of an upload left alone (best effort: a note that cannot be written only leaves that
    upload to the lifecycle rule, as before). Takes no lock, and needs none of its own: the note is written whole
    (write_atomic), one file per upload id. Its callers decide under the journal's decision lock (abandon, _own,
    completing; completing also where that lock could not be taken), except abort_orphans, which sends aborts
    and so runs outside it: it notes again an upload whose run died and whose note the sweep took under that
    lock, so no live run writes that note meanwhile."""
    from its_store.core.files import write_atomic
    try:
        write_atomic(left_path(directory, str(record["upload_id"])), json.dumps(record), 0o600)
    except (OSError, E.ItsStoreError) as exc:
        log.debug("cannot keep the record of an upload left alone in %s: %s", directory, exc)


def left_record(directory: Path, upload_id: str) -> dict[str, object] | None:
    """The note of `upload_id` left alone, None when there is none (or it is unusable)."""
    from its_store.core.statefile import read_state
    try:
        record = loads(read_state(left_path(directory, upload_id)).decode("utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(record, dict) and record.get("upload_id") == upload_id and isinstance(record.get("bucket"), str) \
        and isinstance(record.get("key"), str)
    return record if ok else None


def drop_left(directory: Path, upload_id: str) -> None:
    """The upload completed or was aborted: its note goes."""
    remove_owner(left_path(directory, upload_id))


def orphans(directory: Path, endpoint: str, ours: set[str]) -> tuple[list[Upload], list[Upload]]:
    """Under the decision lock: the uploads left alone whose owner lock can be taken at once (their run died
    before it completed or aborted them), of `endpoint` (another endpoint's stay for its own runs), never one of
    `ours`: (those to abort, those whose Complete was claimed: never aborted). Each note is removed as it is
    handed back; so is the stale owner file."""
    from its_store.core.files import LockBusy, take_lock
    dead: list[Upload] = []
    claimed: list[Upload] = []
    try:
        notes = [p for p in directory.glob("*.left") if len(p.name) == 37 and _HEX.issuperset(p.name[:32])]
    except OSError:
        return dead, claimed
    for note in notes:
        owner = note.with_suffix(".owner")
        record = _note(note)
        if record is None or owner.name in ours or record.get("endpoint") != endpoint:
            continue
        try:
            release = take_lock(owner, wait=False)
        except (LockBusy, OSError, E.ItsStoreError):  # alive in another run (or not lockable): kept
            continue
        remove_owner(owner)
        release()
        remove_owner(note)
        upload = (str(record["bucket"]), str(record["key"]), str(record["upload_id"]))
        (claimed if record.get("completing") else dead).append(upload)
    return dead, claimed


def _note(note: Path) -> dict[str, object] | None:
    """A note's record; an unusable one (not JSON, not naming the upload of its own name) is removed."""
    try:
        record = loads(note.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        record = None
    if isinstance(record, dict) and usable_id(record.get("upload_id")) and isinstance(record.get("bucket"), str) \
            and isinstance(record.get("key"), str) and left_path(note.parent, str(record["upload_id"])) == note:
        return record
    remove_owner(note)
    return None


def abort_orphans(s3: ObjectIO, directory: Path, endpoint: str, found: list[Upload]) -> None:
    """Abort each (bucket, key, upload id) the sweep found left alone by a run that died: its parts are nobody's.
    One whose abort fails is noted again for a later run; never an error of the upload under way."""
    for bucket, key, upload_id in found:
        try:
            s3.abort_multipart(bucket, key, upload_id)
        except E.NotFoundError:
            pass
        except E.ItsStoreError as exc:
            log.info("cannot abort upload %s of %s/%s left by a run that died: %s", upload_id[:40], bucket, key,
                     exc.message)
            leave(directory, {"endpoint": endpoint, "bucket": bucket, "key": key, "upload_id": upload_id})
            continue
        log.info("aborted upload %s of %s/%s, left by a run that died", upload_id[:40], bucket, key)
