"""A Complete answered with another ETag, where the key may not read the object back (s3/multipart._named_as).

Where a part's ETag is no MD5 nothing but the answer can tell, so a denied HEAD leaves the answer standing, said
unchecked (tests/test_complete_proof.py). Where every part's ETag is an MD5 the parts' multipart ETag is known:
an answer naming another ETag is not this upload's (another upload's result passed on by a proxy), and a denied
HEAD proves nothing either way: the upload fails (exit 1, bad_server_answer), never a success with that ETag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import response

from its_store.core import errors as E

from helpers import write_file

MiB = 1024 * 1024
OTHER = "0123456789abcdef0123456789abcdef-3"


def _is_complete(seen: Seen) -> bool:
    return seen.method == "POST" and "uploadId" in seen.query


def test_an_answer_for_another_upload_stands_on_nothing_when_the_read_back_is_denied(
        s3_server: Any, cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=81)
    canned = response(200, ('<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult '
                            'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                            f"<Bucket>{bucket}</Bucket><Key>clip.mp4</Key><ETag>&quot;{OTHER}&quot;</ETag>"
                            "</CompleteMultipartUploadResult>").encode(), content_type="application/xml")
    denied = response(403, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access '
                           b"Denied</Message></Error>", content_type="application/xml")
    completed: list[bool] = []

    def answer(seen: Seen) -> bytes | None:
        if _is_complete(seen):  # answered by the proxy: the Complete never reaches the server
            completed.append(True)
            return canned
        return denied if completed and seen.method == "HEAD" and seen.path.endswith("/clip.mp4") else None

    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer) as proxy:
        done = cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB", "--json",
                   extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0",
                              "MINIO_MAX_POOL_CONNECTIONS": "2", "MINIO_MAX_WORKERS": "2"})
    assert completed, "no Complete was sent"
    assert done.exit_code == 1 and done.json()["error"]["code"] == "bad_server_answer", done
    assert "etag" not in done.json() and "Traceback" not in done.stderr, done  # no ETag claimed
    with pytest.raises(E.NotFoundError):
        service.s3.stat(bucket, "clip.mp4")
