"""A local journal of multipart uploads in flight, so that a failed upload can be resumed or cleaned.

One small JSON file per (endpoint, bucket, key) under MINIO_CACHE_DIR/uploads, written when the
multipart upload is created and removed when it completes or is aborted. If the server died before
an abort could reach it, the next upload of the same key finds the record and aborts the orphan
(or, with --resume and an unchanged source file, continues it from the parts already stored).

A record is input like any other: one that is not JSON, or whose upload id is not a short line of text,
is removed with one warning (the upload is then started anew); the server's part list is checked by the
s3 seam (part numbers 1..10000, sizes that are counts) and each part against the local bytes.

An upload whose CompleteMultipartUpload may have been sent is never aborted: on SeaweedFS an abort that
lands while the completion runs deletes the parts' chunks the completed object is built from
(weed/s3api/filer_multipart.go: abortMultipartUpload removes the upload folder with its data). The
uploader claims the upload (completing()) before it sends Complete; its record is then marked, and an
abort (abandon(), or a later upload of the key) only forgets it. An abort claims the upload first, so
the two never cross in one process: a claimed abort makes completing() answer False. An abort that failed
keeps refusing the uploader it abandoned, until a later run resumes that upload (resumable(), as the next
process would: its record stays).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.jsontext import loads
from its_store.s3.crc import PartETag, crc32_of

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from its_store.transfer.parts import ObjectIO

log = logging.getLogger("its_store.transfer.resume")


class UploadJournal:
    def __init__(self, directory: Path, endpoint: str, former: str | None = None) -> None:
        self.directory = Path(directory)
        self.endpoint = endpoint
        self.former = former  # the endpoint's former spelling (Settings.former_server_id): its records are taken over
        self._unwritable_said = False  # one warning a journal (a run), not one per upload
        self._claims: dict[tuple[str, str], tuple[str, str]] = {}  # (bucket, key) -> (upload id, what)
        self._lock = threading.Lock()

    def _path(self, bucket: str, key: str, endpoint: str | None = None) -> Path:
        digest = hashlib.sha256(f"{endpoint or self.endpoint}\0{bucket}\0{key}".encode()).hexdigest()[:32]
        return self.directory / f"{digest}.json"

    def load(self, bucket: str, key: str) -> dict[str, object] | None:
        """The record of an upload in flight for this key, None when there is none (or it was unusable)."""
        from its_store.core.statefile import adopt, read_state
        path = self._path(bucket, key)
        if self.former is not None:  # a record written under the former spelling of this endpoint
            adopt(path, self._path(bucket, key, self.former))
        try:
            record = loads(read_state(path).decode("utf-8"))  # a FIFO is NotRegularFile, never a hang
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            self._unusable(path, str(getattr(exc, "strerror", None) or exc))
            return None
        if not isinstance(record, dict) or not _usable_id(record.get("upload_id")):
            self._unusable(path, "no upload id in it")
            return None
        return record

    def _unusable(self, path: Path, why: str) -> None:
        """One warning; the record goes (when it can), the upload starts anew."""
        try:
            path.unlink()
            done = "removed it"
        except OSError as exc:
            done = f"cannot remove it: {exc.strerror}"
        log.warning("upload journal %s is unusable (%s); %s, the upload starts anew", path, why[:120], done)

    def save(self, bucket: str, key: str, record: Mapping[str, object]) -> None:
        """Write atomically; a journal that cannot be written (a full disk, a folder that takes no write) only
        costs the ability to resume or clean up this upload after an interruption, and is said once."""
        from its_store.core.files import write_atomic
        from its_store.core.private_dirs import make_private_folder
        try:
            make_private_folder(self.directory)
            write_atomic(self._path(bucket, key),
                         json.dumps({**record, "endpoint": self.endpoint, "bucket": bucket, "key": key}), 0o600)
        except (OSError, E.ItsStoreError) as exc:
            if not self._unwritable_said:
                self._unwritable_said = True
                reason = exc.message if isinstance(exc, E.ItsStoreError) else (exc.strerror or str(exc))
                log.warning("cannot write the upload journal in %s (%s): an interrupted multipart upload cannot be "
                            "resumed, nor its stored parts aborted by the next run", self.directory, reason)

    def completing(self, bucket: str, key: str, upload_id: str) -> bool:
        """Claim `upload_id` for its CompleteMultipartUpload, just before it is sent: False when an abort
        claimed it first (then Complete must not be sent: the upload is, or is being, aborted). Marks the
        record, so that no later run aborts it either (an upload never recorded is never aborted)."""
        with self._lock:
            if self._claims.get((bucket, key)) in ((upload_id, "aborting"), (upload_id, "abort failed")):
                return False
            self._claims[(bucket, key)] = (upload_id, "completing")
        record = self.load(bucket, key)
        if record is not None and record.get("upload_id") == upload_id:
            self.save(bucket, key, {**record, "completing": True})
        return True

    def abandon(self, s3: ObjectIO, bucket: str, key: str) -> None:
        """Abort the upload recorded for this key and forget its record, unless its Complete may have been
        sent (then only forget it: the object is whole, or the upload is an orphan the bucket's lifecycle
        rule removes). An abort that fails raises; the record then stays for the next upload of the key."""
        record = self.load(bucket, key)
        if record is None:
            return
        upload_id = str(record["upload_id"])  # load() checked it is a str
        with self._lock:
            ours = self._claims.get((bucket, key)) == (upload_id, "completing")  # this run's: its record stays
            if ours or record.get("completing"):
                log.info("upload %s of %s/%s may be completing: not aborted", upload_id[:40], bucket, key)
                if not ours:  # an earlier run's: whole on the server, or an orphan
                    self._forget(bucket, key)
                return
            self._claims[(bucket, key)] = (upload_id, "aborting")
        try:
            s3.abort_multipart(bucket, key, upload_id)
        except E.NotFoundError:
            pass
        except BaseException:
            with self._lock:  # the uploader it was abandoned by still stops; a resume of it may go on
                if self._claims.get((bucket, key)) == (upload_id, "aborting"):
                    self._claims[(bucket, key)] = (upload_id, "abort failed")
            raise
        self.remove(bucket, key)

    def remove(self, bucket: str, key: str) -> None:
        with self._lock:
            self._claims.pop((bucket, key), None)
        self._forget(bucket, key)

    def _forget(self, bucket: str, key: str) -> None:
        try:
            self._path(bucket, key).unlink()
        except OSError:
            pass

    def prepare(self, s3: ObjectIO, bucket: str, key: str, source: Mapping[str, object], resume: bool,
                read_part: Callable[[int], bytes] | None) -> tuple[str | None, dict[int, str]]:
        """Return (upload id to continue, {part number: etag} already stored and verified).

        Without `resume`, or when the source file changed, an old upload for this key is aborted.
        Stored parts are only reused when their MD5 matches the local bytes.
        """
        upload_id, stored = self.resumable(s3, bucket, key, source, keep=resume and read_part is not None)
        if upload_id is None or read_part is None:
            return None, {}
        done: dict[int, str] = {}
        for number, (etag, size) in stored.items():
            data = read_part(number)  # empty past the file's end: no part of ours is empty
            if data and len(data) == size and hashlib.md5(data, usedforsecurity=False).hexdigest() == etag:
                done[number] = PartETag.of(etag, crc32_of(data))  # complete needs each part's CRC32
        return upload_id, done

    def resumable(self, s3: ObjectIO, bucket: str, key: str, source: Mapping[str, object], *,
                  keep: bool = True) -> tuple[str | None, dict[int, tuple[str, int]]]:
        """(upload id, {part number: (etag, size)} the server holds) of the upload recorded for this key,
        when it was made for the same `source` (every field equal) and `keep`; else the recorded upload is
        aborted and (None, {}). The parts are NOT checked here: the caller compares each with its bytes
        (prepare() for a file; transfer/relay.py as it streams the source again)."""
        record = self.load(bucket, key)
        if record is None:
            return None, {}
        upload_id = str(record["upload_id"])  # load() checked it is a str
        same = all(record.get(k) == v for k, v in source.items())
        if not (keep and same):
            self.abandon(s3, bucket, key)  # one that may be completing is only forgotten
            return None, {}
        with self._lock:  # an abort of it that failed ended: this run continues the upload (its parts listed)
            if self._claims.get((bucket, key)) == (upload_id, "abort failed"):
                del self._claims[(bucket, key)]
        try:
            return upload_id, s3.list_parts(bucket, key, upload_id)
        except E.NotFoundError:  # completed or aborted meanwhile
            self.remove(bucket, key)
            return None, {}


refused = E.completion_refused  # the one rule (core/errors), by its name here


def _usable_id(upload_id: object) -> bool:
    """A multipart upload id read back from a journal: a short line of printable text."""
    return isinstance(upload_id, str) and 0 < len(upload_id) <= 1024 and upload_id.isprintable()
