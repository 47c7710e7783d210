"""Session 36 (atk2): a ListMultipartUploads page that says it is truncated and names no next marker.

The object and version listings refuse such a page (s3/listing_page.next_query: it would page in a loop or
end early); the upload listing took it as its last page: `bucket info` counted the uploads of the first page
as all the uploads in progress, and `bucket rm --force` aborted only those. It is the bad-answer error now
(s3/multipart.list_multipart_uploads): `bucket info` says the count is unknown, with the reason.
"""

from __future__ import annotations

from typing import Any

from faultproxy import FaultProxy, Seen
from faultserver import response


def _truncated(bucket: str) -> bytes:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult '
            f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>{bucket}</Bucket><KeyMarker></KeyMarker>'
            "<UploadIdMarker></UploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>true</IsTruncated>"
            "<Upload><Key>a.bin</Key><UploadId>u1</UploadId><Initiated>2026-12-07T00:00:00.000Z</Initiated>"
            "</Upload></ListMultipartUploadsResult>").encode()
    return response(200, body, content_type="application/xml")


def test_a_truncated_upload_listing_without_its_marker_is_no_count(s3_server: Any, cli: Any, bucket: str) -> None:
    def answer(seen: Seen) -> bytes | None:
        return _truncated(bucket) if seen.method == "GET" and "uploads" in seen.query else None

    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer) as proxy:
        done = cli("bucket", "info", f"s3://{bucket}", "--json",
                   extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"})
        assert proxy.counters.answered >= 1
    assert done.exit_code == 0, done
    doc = done.json()
    assert doc["uploads_in_progress"] is None, doc
    assert "NextKeyMarker" in doc["unknown"]["uploads_in_progress"], doc
