"""Session 35 (atk3): a Complete answered NoSuchUpload is success only on a proof no other client can forge.

s3/multipart took the upload's custody SHA-256 and size on a HEAD as proof that the Complete had been made,
beside the multipart ETag the parts make. That metadata is written by whoever writes the key: an object
already there with the same size and an its-sha256 naming our content (a stale copy rewritten by another tool
that carried the metadata over, or a hostile client) made a refused Complete (the upload aborted meanwhile)
report success, and `mv` deleted the local source while the key held other bytes. The multipart ETag of the
parts this run holds is the proof; where the parts' ETags are MD5s, nothing else is taken.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from faultproxy import FaultProxy, Seen
from faultserver import response

from helpers import object_bytes, write_file

MiB = 1024 * 1024


def _gone(seen: Seen) -> bytes | None:
    if seen.method == "POST" and "uploadId" in seen.query:
        return response(404, b"<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist."
                             b"</Message></Error>", content_type="application/xml")
    return None


def test_a_forged_custody_hash_is_no_proof_of_completion(s3_server: Any, cli: Any, service: Any,
                                                         bucket: str, tmp_path: Path) -> None:
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=41)
    other = os.urandom(11 * MiB)
    service.s3.put(bucket, "clip.mp4", other,
                   {"x-amz-meta-its-sha256": hashlib.sha256(src.read_bytes()).hexdigest(),
                    "x-amz-server-side-encryption": "AES256"})
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=_gone) as proxy:
        done = cli("mv", str(src), f"s3://{bucket}/clip.mp4",  # in-process, as run_cli_process's two workers had it
                   extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0",
                              "MINIO_MULTIPART_THRESHOLD": str(5 * MiB), "MINIO_PART_SIZE": str(5 * MiB),
                              "MINIO_MAX_POOL_CONNECTIONS": "2", "MINIO_MAX_WORKERS": "2"})
    assert done.exit_code == 3 and "Traceback" not in done.stderr, done
    assert src.exists()
    assert object_bytes(service, bucket, "clip.mp4") == other
