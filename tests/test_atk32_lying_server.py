"""Session 32 attacks: answers a server may give that are 200 and a lie, one step off the tested path.

- A server-side copy (`cp`/`mv` s3->s3 on one endpoint) of an SSE-S3 object asks for SSE-S3 again (a copy
  does not inherit it); a server that takes the header and does not encrypt (the Ceph RGW and `rclone serve s3`
  cases service/ssecheck.py names for uploads) answers 200: the copy is stored unencrypted, exit 0, and `mv`
  then deletes the encrypted source. Uploads and copies between endpoints are checked
  (service/ssecheck.ensure_encrypted); the same-endpoint copy path (service/copying.server_copy,
  s3/copies.ServerCopies) never is. `restore` (copy_version) takes the same path.
- ListParts (`upload --resume`, transfer/resume.py) follows NextPartNumberMarker without remembering it: a
  server that answers a truncated page with the same marker pages for ever. Every other listing ends such a
  cycle with the endless-listing error (exit 69); this one never ends.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fakes3 import _doc, s3_call
from faultserver import XML, Conn, FakeObject, FaultServer, Request, response, s3_error

from conftest import one_line_error
from helpers import fault_cli

BUCKET = "lie-b"
SSE = "x-amz-server-side-encryption"


def _cli(server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **extra: str) -> Any:
    return fault_cli(server, tmp_path, monkeypatch, **extra)


# -- a copy the server stores without the encryption asked for ---------------------------------------------
def _copy_drops_sse(server: FaultServer, req: Request, conn: Conn) -> bool:
    """CopyObject answered 200 as S3 does, the copy stored without SSE (the header taken and ignored)."""
    if s3_call(req) != "CopyObject":
        return False
    conn.read_body(req)
    source = unquote(req.headers["x-amz-copy-source"].split("?", 1)[0]).lstrip("/")
    src = server.objects[tuple(source.split("/", 1))]  # type: ignore[index]
    kept = {k: v for k, v in src.headers.items() if not k.lower().startswith(SSE)}
    obj = server.put_object(req.bucket, req.key, FakeObject(src.data, kept))
    conn.send(response(200, _doc("CopyObject", etag=obj.etag), content_type=XML))
    return True


@pytest.fixture
def forgets_sse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FaultServer, Any]]:
    with FaultServer(_copy_drops_sse, buckets=(BUCKET,)) as server:
        server.put_object(BUCKET, "src.bin", FakeObject(b"frame" * 200, {SSE: "AES256"}))
        yield server, _cli(server, tmp_path, monkeypatch)


@pytest.mark.parametrize("command", ["cp", "mv"])
def test_a_copy_stored_without_the_sse_asked_for_fails(forgets_sse: tuple[FaultServer, Any], command: str) -> None:
    """Fails on main (a83dc6e): exit 0 ("copied"/"moved"), the copy unencrypted, and for mv the encrypted source
    deleted. As an upload does: exit 78 (EncryptionNotKeptError), and mv keeps its source."""
    server, cli = forgets_sse
    run = cli(command, f"s3://{BUCKET}/src.bin", f"s3://{BUCKET}/dst.bin")
    assert run.exit_code == 78, run
    one_line_error(run)
    assert (BUCKET, "src.bin") in server.objects, "mv deleted the encrypted source for an unencrypted copy"


# -- ListParts paging in a cycle ----------------------------------------------------------------------------
CAP = 50  # the fake ends a run that keeps asking (else the test would hang): an error no retry repeats


@contextmanager
def parts_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 marker: Callable[[int], int]) -> Iterator[tuple[dict[str, Any], Any]]:
    """A fake whose part 2 fails until the test says (state["fail_part_2"]), and whose every ListParts page is
    truncated, its NextPartNumberMarker `marker(n)` for the n-th page (state["lists"]: how many were asked)."""
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
        body = ('<?xml version="1.0" encoding="UTF-8"?><ListPartsResult '
                'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<Bucket>{req.bucket}</Bucket><Key>{req.key}</Key><UploadId>{upload}</UploadId>"
                f"<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>{marker(state['lists'])}"
                f"</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>true</IsTruncated>{parts}"
                "</ListPartsResult>")
        conn.send(response(200, body.encode(), content_type=XML))
        return True

    with FaultServer(handler, buckets=(BUCKET,)) as server:
        yield state, _cli(server, tmp_path, monkeypatch, MINIO_MULTIPART_THRESHOLD="5MiB", MINIO_PART_SIZE="5MiB",
                          MINIO_MAX_WORKERS="1")


def resumed(fake: tuple[dict[str, Any], Any], tmp_path: Path) -> Any:
    """`upload --resume` of 10 MiB + 1 byte to parts_server's fake, its part 2 lost, then the run that resumes it."""
    state, cli = fake
    source = tmp_path / "f10m"
    source.write_bytes(os.urandom((10 << 20) + 1))
    first = cli("upload", "--resume", str(source), f"s3://{BUCKET}/f10m")
    assert first.exit_code == 69, first  # part 2 lost: the parts sent are kept for --resume
    state["fail_part_2"] = False
    return cli("upload", "--resume", str(source), f"s3://{BUCKET}/f10m")


@pytest.fixture
def parts_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, Any], Any]]:
    with parts_server(tmp_path, monkeypatch, lambda _n: 1) as found:
        yield found


def test_a_parts_listing_that_pages_in_a_cycle_ends(parts_cycle: tuple[dict[str, Any], Any], tmp_path: Path) -> None:
    """Fails on main (a83dc6e): the resumed upload asks ListParts for the same page until the fake refuses
    (CAP = 50 requests; a real server in this loop is asked for ever). As every other listing: the repeated
    marker is the endless-listing error, exit 69, after a page or two."""
    state, _cli = parts_cycle
    run = resumed(parts_cycle, tmp_path)
    assert state["lists"] <= 3, f"ListParts asked {state['lists']} times for one repeating page: {run}"
    assert run.exit_code == 69, run
    one_line_error(run)
