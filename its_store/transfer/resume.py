"""A local journal of multipart uploads in flight, so that a failed upload can be resumed or cleaned.

One small JSON file per (endpoint, bucket, key) under MINIO_CACHE_DIR/uploads, written when the
multipart upload is created and removed when it completes or is aborted. If the server died before
an abort could reach it, the next upload of the same key finds the record and aborts the orphan
(or, with --resume and an unchanged source file, continues it from the parts already stored).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.transfer.checksums import PartETag, crc32_of

if TYPE_CHECKING:
    from its_store.s3.client import S3Client


class UploadJournal:
    def __init__(self, directory: Path, endpoint: str) -> None:
        self.directory = Path(directory)
        self.endpoint = endpoint

    def _path(self, bucket: str, key: str) -> Path:
        digest = hashlib.sha256(f"{self.endpoint}\0{bucket}\0{key}".encode()).hexdigest()[:32]
        return self.directory / f"{digest}.json"

    def load(self, bucket: str, key: str) -> dict[str, Any] | None:
        try:
            record = json.loads(self._path(bucket, key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) and record.get("upload_id") else None

    def save(self, bucket: str, key: str, record: dict[str, Any]) -> None:
        """Write atomically; a journal that cannot be written only costs the ability to resume."""
        from its_store.core.files import write_atomic
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomic(self._path(bucket, key),
                         json.dumps({**record, "endpoint": self.endpoint, "bucket": bucket, "key": key}), 0o600)
        except (OSError, E.ItsStoreError):
            pass

    def remove(self, bucket: str, key: str) -> None:
        try:
            self._path(bucket, key).unlink()
        except OSError:
            pass

    def prepare(self, s3: S3Client, bucket: str, key: str, source: dict[str, Any], resume: bool,
                read_part: Any) -> tuple[str | None, dict[int, str]]:
        """Return (upload id to continue, {part number: etag} already stored and verified).

        Without `resume`, or when the source file changed, an old upload for this key is aborted.
        Stored parts are only reused when their MD5 matches the local bytes.
        """
        record = self.load(bucket, key)
        if record is None:
            return None, {}
        same = all(record.get(k) == v for k, v in source.items())
        if not (resume and same):
            try:
                s3.abort_multipart(bucket, key, record["upload_id"])
            except E.NotFoundError:
                pass
            self.remove(bucket, key)
            return None, {}
        try:
            stored = s3.list_parts(bucket, key, record["upload_id"])
        except E.NotFoundError:  # completed or aborted meanwhile
            self.remove(bucket, key)
            return None, {}
        done: dict[int, str] = {}
        for number, (etag, size) in stored.items():
            data = read_part(number)
            if len(data) == size and hashlib.md5(data, usedforsecurity=False).hexdigest() == etag:
                done[number] = PartETag.of(etag, crc32_of(data))  # complete needs each part's CRC32
        return record["upload_id"], done
