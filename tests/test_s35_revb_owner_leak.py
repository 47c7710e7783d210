"""Session 35 review (revb): a resume whose check of the stored parts fails lets go of the owner lock it took.

resume.UploadJournal.resumable takes the owner lock of the upload it continues (held until the uploader's
let_go); prepare() then reads each stored part back to compare it with the server's MD5. A read that raised
there (an I/O error, a file gone unreadable) left the lock held and its `<hash>.owner` file in place for the
process's life: another run (a watcher's neighbour) took the upload for a live one and forgot its record
instead of resuming or aborting it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from its_store.transfer.resume import UploadJournal

MiB = 1024 * 1024


def test_a_failed_read_of_a_stored_part_lets_the_owner_lock_go(service: Any, bucket: str, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    source = {"path": "/nowhere/clip.mp4", "size": 6 * MiB}
    upload_id = service.s3.create_multipart(bucket, "clip.mp4", {})
    try:
        service.s3.upload_part(bucket, "clip.mp4", upload_id, 1, b"x" * (5 * MiB))
        UploadJournal(folder, "revb-endpoint").save(bucket, "clip.mp4", {**source, "upload_id": upload_id})
        journal = UploadJournal(folder, "revb-endpoint")

        def unreadable(number: int) -> bytes:
            raise OSError(5, "Input/output error")

        with pytest.raises(OSError):
            journal.prepare(service.s3, bucket, "clip.mp4", source, True, unreadable)
        assert list(folder.glob("*.owner")) == []  # let go: no file, no lock held
        other = UploadJournal(folder, "revb-endpoint")  # another run resumes it (it is no live one's)
        assert other.resumable(service.s3, bucket, "clip.mp4", source)[0] == upload_id
        other.let_go(upload_id)
    finally:
        service.s3.abort_multipart(bucket, "clip.mp4", upload_id)
