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


def test_a_progress_callback_raising_on_resumed_parts_lets_the_owner_lock_go(
        s3_server: Any, bucket: str, tmp_path: Path) -> None:
    """upload_file --resume counts the parts already stored (progress) between the journal's prepare(), which
    took the owner lock, and the multipart upload that lets it go: a callback that raised there (a Ctrl-C
    landing in it, a library caller's exception) left the lock held and its file in place."""
    from faultproxy import FaultProxy, Seen
    from faultserver import response

    from its_store import StorageService, load_settings
    from its_store.core import errors as E
    from its_store.transfer.upload import upload_file

    from helpers import write_file
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=51)
    down = {"part": True}

    def answer(seen: Seen) -> bytes | None:
        if down["part"] and seen.method == "PUT" and seen.query.get("partNumber") == "2":
            return response(503, b"<html>down</html>", content_type="text/html")
        return None

    def stop(n: int) -> None:
        raise KeyboardInterrupt

    folder = tmp_path / "state" / "uploads"
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer) as proxy:
        via = StorageService(load_settings(endpoint=proxy.endpoint, access_key=s3_server.access_key,
                                           secret_key=s3_server.secret_key, secure=False, region="us-east-1",
                                           cache_dir=tmp_path / "state", max_retries=0))
        journal = UploadJournal(folder, "revb-endpoint")
        try:
            with pytest.raises(E.ServiceUnavailableError):  # part 2 refused: part 1 kept for --resume
                upload_file(via.s3, bucket, "clip.mp4", src, {}, threshold=5 * MiB, part_size=5 * MiB, workers=1,
                            journal=journal, resume=True)
            down["part"] = False
            with pytest.raises(KeyboardInterrupt):
                upload_file(via.s3, bucket, "clip.mp4", src, {}, threshold=5 * MiB, part_size=5 * MiB, workers=1,
                            journal=journal, resume=True, progress=stop)
            assert list(folder.glob("*.owner")) == []
            done = upload_file(via.s3, bucket, "clip.mp4", src, {}, threshold=5 * MiB, part_size=5 * MiB,
                               workers=1, journal=UploadJournal(folder, "revb-endpoint"), resume=True)
        finally:
            via.close()
    assert done.parts == 3  # another run resumed it: it was no live one's


def test_an_owner_file_that_cannot_be_removed_is_still_let_go(tmp_path: Path) -> None:
    """let_go removed the owner file, then released its lock: a removal that failed (here a folder put in its
    place; a read-only cache folder, EROFS) raised out of it, from the `finally` of an upload that had
    succeeded (the upload then reported the OSError), and its lock was not released."""
    folder = tmp_path / "uploads"
    journal = UploadJournal(folder, "revb-endpoint")
    journal.own("upload-1")
    (owner,) = folder.glob("*.owner")
    owner.unlink()
    owner.mkdir()  # what unlink() cannot remove
    journal.let_go("upload-1")  # no OSError: the file is left for the next run that tries it (stale then)
    assert owner.is_dir()
