"""Session 32, second attacker: the library used from several threads, one of which closes the service.

StorageService.close() while another thread's multipart upload runs: that upload fails with ClosedError (typed,
as documented), but its multipart upload stays open on the server: parts stored, invisible in listings, kept
(and billed) until a lifecycle rule or someone aborts it. Every other failure of a non-resumable multipart upload
aborts it. The progress callback (called in the uploading thread between parts) holds the upload at a known
point, so nothing here depends on timing.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from conftest import ServerInfo
from helpers import boto3_client


def test_closing_the_service_mid_upload_leaves_no_open_multipart_upload(service: Any, bucket: str,
                                                                       s3_server: ServerInfo,
                                                                       tmp_path: Path) -> None:
    """Fails on main (a83dc6e): the upload raises ClosedError ("its StorageService was closed while this
    operation ran") and ListMultipartUploads still holds `cam/big.bin`. Expected: close() waits for the
    running operations, or the interrupted upload still aborts its multipart upload."""
    from its_store import ItsStoreError, UploadRequest

    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(11 * 1024 * 1024))  # 3 parts of 5 MiB (MINIO_MULTIPART_THRESHOLD is 5 MiB)
    first_part, closed = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def progress(_count: int) -> None:
        if not first_part.is_set():
            first_part.set()
            closed.wait(60)  # hold the upload here until the service is closed

    def upload() -> None:
        try:
            outcome["result"] = service.upload_object(UploadRequest(bucket=bucket, key="cam/big.bin", file_path=source,
                                                                    part_size=5 * 1024 * 1024, workers=1), progress)
        except ItsStoreError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=upload)
    worker.start()
    assert first_part.wait(60)
    closer = threading.Thread(target=service.close)
    closer.start()
    closer.join(5)  # close() either returns (it does not wait) or waits for the upload: both are fine
    closed.set()
    worker.join(60)
    closer.join(60)
    assert not worker.is_alive() and not closer.is_alive()
    uploads = boto3_client(s3_server).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [u["Key"] for u in uploads] == [], outcome
