"""The note of unsettled multipart uploads: an upload whose CompleteMultipartUpload was sent with no known
outcome and whose journal record a later run forgot (it did not resume it; transfer/resume.py) is named in
UNSETTLED, a JSON list in the journal folder, so that `bucket info` can show it while the server still lists
it (UploadJournal.unsettled). Never aborted by us: it may have completed. Best effort: a note that cannot be
read is rewritten from what is noted next, one that cannot be written is said.

Read and written under the journal's decision lock (UploadJournal._deciding), by the journal's functions;
warnings go to the journal's logger.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from its_store.core import errors as E
from its_store.core.jsontext import loads
from its_store.transfer.resume_owners import usable_id

log = logging.getLogger("its_store.transfer.resume")

UNSETTLED = "unsettled"  # JSON, not a *.json record: uploads whose Complete had no known outcome, not resumed
MAX_UNSETTLED = 1000  # the newest kept: a note, not a ledger


def note_unsettled(directory: Path, endpoint: str, bucket: str, key: str, upload_id: str) -> None:
    """Under the decision lock: name an upload whose Complete was sent with no known outcome and whose
    record a later run forgot (it did not resume it) in UNSETTLED, so that `bucket info` can show it while
    the server still lists it (still_listed). Never aborted by us: it may have completed. Best effort."""
    noted = [e for e in _entries(directory) if e.get("upload_id") != upload_id]
    noted.append({"endpoint": endpoint, "bucket": bucket, "key": key, "upload_id": upload_id})
    _write(directory, noted[-MAX_UNSETTLED:])


def has_note(directory: Path) -> bool:
    """Whether the folder holds a note (looked at without the lock: no note, nothing is locked or made)."""
    try:
        if not (directory / UNSETTLED).exists():
            return False
    except OSError as exc:  # a cache folder this user may not enter (another user's): no note to read
        log.warning("cannot read the note of unsettled uploads in %s: %s", directory, exc.strerror or exc)
        return False
    return True


def still_listed(directory: Path, endpoint: str, bucket: str, listed: set[str]) -> list[tuple[str, str]]:
    """Under the decision lock: (key, upload id) of the noted uploads of `endpoint` in `bucket` among `listed`
    (the upload ids the server lists for the bucket now); the noted ones of this bucket it no longer lists
    (completed, or aborted by a lifecycle rule or by hand) are dropped from the note."""
    noted = _entries(directory)
    ours = [e for e in noted if (e.get("endpoint"), e.get("bucket")) == (endpoint, bucket)]
    kept = [e for e in noted if e not in ours or e.get("upload_id") in listed]
    if len(kept) != len(noted):
        _write(directory, kept)
    return [(str(e["key"]), str(e["upload_id"])) for e in ours if e.get("upload_id") in listed]


def _entries(directory: Path) -> list[dict[str, object]]:
    from its_store.core.statefile import read_state
    try:
        found = loads(read_state(directory / UNSETTLED).decode("utf-8"))
    except (OSError, ValueError):  # none yet, or unusable: rewritten from what is noted next
        return []
    entries = found if isinstance(found, list) else []
    return [e for e in entries if isinstance(e, dict) and usable_id(e.get("upload_id"))
            and isinstance(e.get("key"), str) and isinstance(e.get("bucket"), str)]


def _write(directory: Path, entries: list[dict[str, object]]) -> None:
    from its_store.core.files import write_atomic
    try:
        write_atomic(directory / UNSETTLED, json.dumps(entries), 0o600)
    except (OSError, E.ItsStoreError) as exc:
        log.warning("cannot note an unsettled multipart upload in %s: %s", directory,
                    exc.message if isinstance(exc, E.ItsStoreError) else exc)
