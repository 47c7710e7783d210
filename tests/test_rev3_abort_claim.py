"""Session 34 review (rev3): an abort that failed does not leave its claim on the upload for the process's life.

resume.UploadJournal.abandon claims an upload ("aborting") before its abort, so that an uploader of this
process does not send Complete while the abort runs. When the abort failed (the server down: a 503), the
claim stayed: the record stays too, for the next upload of the key, and the next `--resume` of the same file
in the same process (a watcher, a library program) continued the upload and was then refused at its end,
"was abandoned and aborted" (nothing was aborted), every time until the process ended.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import response

from its_store.core import errors as E
from its_store.transfer.resume import UploadJournal
from its_store.transfer.upload import upload_file

from helpers import write_file

MiB = 1024 * 1024
SIZE = 11 * MiB


def test_a_failed_abort_does_not_refuse_the_next_resume_of_the_file(s3_server: Any, service: Any, bucket: str,
                                                                    tmp_path: Path) -> None:
    from its_store import StorageService, load_settings
    src = write_file(tmp_path / "clip.mp4", SIZE, seed=21)
    fail = {"part": True, "abort": False}

    def answer(seen: Seen) -> bytes | None:
        down = response(503, b"<html>down</html>", content_type="text/html")
        if fail["part"] and seen.method == "PUT" and seen.query.get("partNumber") == "2":
            return down
        if fail["abort"] and seen.method == "DELETE" and "uploadId" in seen.query:
            return down
        return None

    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer, record=True) as proxy:
        via = StorageService(load_settings(endpoint=proxy.endpoint, access_key=s3_server.access_key,
                                           secret_key=s3_server.secret_key, secure=False, region="us-east-1",
                                           cache_dir=tmp_path / "state", max_retries=0))
        journal = UploadJournal(tmp_path / "state" / "uploads", "rev3-endpoint")

        def upload(resume: bool) -> Any:
            return upload_file(via.s3, bucket, "clip.mp4", src, {}, threshold=5 * MiB, part_size=5 * MiB,
                               workers=1, journal=journal, resume=resume)
        try:
            with pytest.raises(E.ServiceUnavailableError):  # part 2 refused: the parts kept for --resume
                upload(True)
            fail.update(part=False, abort=True)
            with pytest.raises(E.ServiceUnavailableError):  # not resumed: the old upload's abort fails
                upload(False)
            fail["abort"] = False
            done = upload(True)  # the same file, resumed: the upload the abort could not end goes on
        finally:
            via.close()
        assert done.parts == 3
    body = service.s3.get(bucket, "clip.mp4")
    try:
        assert body.read() == src.read_bytes()
    finally:
        body.close()
    assert service.s3.list_multipart_uploads(bucket) == []
