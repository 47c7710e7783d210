"""ListParts (`upload --resume`, s3/multipart.list_parts) that pages for ever with markers that never repeat.

A repeated NextPartNumberMarker is the endless-listing error since atk32 (listing.once), but a server (or a
proxy) that answers every page IsTruncated with a NEW marker each time (10001, 10002, ...: no part number S3
allows, which ends at 10,000) was followed for ever: `upload --resume` hung, one request after another. A part
listing has at most 10,000 parts; a marker must be a part number (1-10,000) beyond the one before, so it ends
within 10,000 pages whatever the server says; any other marker is a bad answer (exit 1, one line naming it).
The fake (tests/faultserver.py) stops answering after CAP pages, so the test ends either way.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes3 import s3_call
from faultserver import XML, Conn, FaultServer, Request, response, s3_error

from conftest import one_line_error
from helpers import fault_cli

BUCKET = "parts-b"
CAP = 50


@pytest.fixture
def parts_endless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, Any], Any]]:
    state: dict[str, Any] = {"fail_part_2": True, "lists": 0}

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        call = s3_call(req)
        if call == "UploadPart" and req.query.get("partNumber") == "2" and state["fail_part_2"]:
            conn.read_body(req)
            conn.send(s3_error(500, "InternalError", "part 2 lost", req.path))
            return True
        if call != "ListParts":
            return False
        state["lists"] += 1
        if state["lists"] > CAP:
            conn.send(s3_error(400, "InvalidRequest", "the test's fake stops here", req.path))
            return True
        upload = req.query["uploadId"]
        parts = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>\"{hashlib.md5(b).hexdigest()}\"</ETag>"
                        f"<Size>{len(b)}</Size><LastModified>2026-01-01T00:00:00.000Z</LastModified></Part>"
                        for n, b in sorted(server.uploads[upload][2].items()))
        marker = 10_000 + state["lists"]  # new every time, never a part number
        body = ('<?xml version="1.0" encoding="UTF-8"?><ListPartsResult '
                'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<Bucket>{req.bucket}</Bucket><Key>{req.key}</Key><UploadId>{upload}</UploadId>"
                f"<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>{marker}</NextPartNumberMarker>"
                f"<MaxParts>1000</MaxParts><IsTruncated>true</IsTruncated>{parts}</ListPartsResult>")
        conn.send(response(200, body.encode(), content_type=XML))
        return True

    with FaultServer(handler, buckets=(BUCKET,)) as server:
        yield state, fault_cli(server, tmp_path, monkeypatch, MINIO_MULTIPART_THRESHOLD="5MiB",
                               MINIO_PART_SIZE="5MiB", MINIO_MAX_WORKERS="1")


def test_a_parts_listing_with_ever_new_markers_ends(parts_endless: tuple[dict[str, Any], Any],
                                                    tmp_path: Path) -> None:
    state, cli = parts_endless
    source = tmp_path / "f10m"
    source.write_bytes(os.urandom((10 << 20) + 1))
    first = cli("upload", "--resume", str(source), f"s3://{BUCKET}/f10m")
    assert first.exit_code == 69, first  # part 2 lost: the parts sent are kept for --resume
    state["fail_part_2"] = False
    run = cli("upload", "--resume", str(source), f"s3://{BUCKET}/f10m")
    assert state["lists"] <= 2, f"ListParts asked {state['lists']} times for pages that never end: {run}"
    assert run.exit_code == 1 and "NextPartNumberMarker" in one_line_error(run), run  # a bad answer
