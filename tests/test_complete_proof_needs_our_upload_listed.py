"""After a CompleteMultipartUpload whose answer was lost, ListParts asks whether THIS upload is still open
(s3/multipart._still_open). A caching proxy that ignores the query string may answer with a listing of another
upload: that answer is no proof either way (a bad answer), so the Complete is not sent again on its word and
the first error stands (the upload left open, never aborted: the first Complete may still be running)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import response
from test_complete_lost_over_earlier_upload import _UNAVAILABLE, _is_complete, _upload

from helpers import write_file

MiB = 1024 * 1024


def _listing(upload_id: str, bucket: str, key: str) -> bytes:
    return response(200, (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Bucket>{bucket}</Bucket><Key>{key}</Key><UploadId>{upload_id}</UploadId>"
        "<MaxParts>1</MaxParts><IsTruncated>false</IsTruncated></ListPartsResult>").encode(),
        content_type="application/xml")


@pytest.mark.parametrize("lie", ["another-upload", "another-key", "another-bucket", "no-upload-id"])
def test_a_parts_listing_of_another_upload_proves_nothing(s3_server: Any, cli: Any, service: Any, bucket: str,
                                                          tmp_path: Path, lie: str) -> None:
    """The first Complete answered 503 by the proxy (never forwarded), the ListParts after it answered by the proxy
    with a listing that is not of this upload. Before: taken as "still open", the Complete sent again on the proxy's
    word. Now: unknown, the 503 stands (exit 69), no second Complete, the upload still listed (never aborted)."""
    src = write_file(tmp_path / "clip.mp4", 6 * MiB, seed=91)
    completes: list[Seen] = []

    def answer(seen: Seen) -> bytes | None:
        if _is_complete(seen):
            completes.append(seen)
            return _UNAVAILABLE
        if seen.method == "GET" and "uploadId" in seen.query:
            mine = seen.query["uploadId"]
            if lie == "another-upload":
                return _listing(mine + "x", bucket, "clip.mp4")
            if lie == "another-key":
                return _listing(mine, bucket, "other.mp4")
            if lie == "another-bucket":
                return _listing(mine, bucket + "-other", "clip.mp4")
            return _listing("", bucket, "clip.mp4")
        return None

    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer) as proxy:
        run = _upload(cli, bucket, src, [], proxy.endpoint)
    assert run.exit_code == 69 and len(completes) == 1 and "Traceback" not in run.stderr, (run, len(completes))
    assert [k for k, _ in service.s3.list_multipart_uploads(bucket, "clip.mp4")] == ["clip.mp4"]


def test_a_resumed_upload_takes_no_parts_from_another_uploads_listing(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`upload --resume` lists the parts the server already has (s3/multipart.list_parts): a listing that names
    another upload (a caching proxy's answer to another upload's ListParts) is a bad answer, one line, exit 1;
    before, its parts were taken as this upload's (never sent again: the Complete refused them later, or, where a
    server took them, this upload was made of another's parts)."""
    from fakes3 import s3_call
    from faultserver import XML, Conn, FaultServer, Request
    from test_atk32_lying_server import BUCKET, _cli, part_2_lost

    from conftest import one_line_error
    state = {"fail_part_2": True}

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        if part_2_lost(state, req, conn):
            return True
        if s3_call(req) != "ListParts":
            return False
        parts = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>\"{hashlib.md5(piece).hexdigest()}\"</ETag>"
                        f"<Size>{len(piece)}</Size></Part>" for n, piece in enumerate(pieces[:2], 1))
        conn.send(response(200, (
            '<?xml version="1.0" encoding="UTF-8"?><ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Bucket>{req.bucket}</Bucket><Key>{req.key}</Key><UploadId>{req.query['uploadId']}-other</UploadId>"
            f"<IsTruncated>false</IsTruncated>{parts}</ListPartsResult>").encode(), content_type=XML))
        return True

    source = tmp_path / "f10m"
    source.write_bytes(os.urandom((10 << 20) + 1))
    data = source.read_bytes()
    pieces = [data[i:i + (5 << 20)] for i in range(0, len(data), 5 << 20)]  # another upload of the same file
    with FaultServer(handler, buckets=(BUCKET,)) as server:
        cli = _cli(server, tmp_path, monkeypatch, MINIO_MULTIPART_THRESHOLD="5MiB", MINIO_PART_SIZE="5MiB",
                   MINIO_MAX_WORKERS="1")
        first = cli("upload", "--resume", str(source), f"s3://{BUCKET}/f10m")
        assert first.exit_code == 69, first  # part 2 lost: the parts sent are kept for --resume
        state["fail_part_2"] = False
        run = cli("upload", "--resume", str(source), f"s3://{BUCKET}/f10m")
    assert run.exit_code == 1 and "not the upload asked about" in run.stderr, run
    one_line_error(run)
