"""A listing that never ends (attack finding): a server (or a proxy) answering every listing page with
IsTruncated=true and the continuation token (or key marker) it was asked with, or with no token at all.
minio follows whatever the page says, so `ls -r` printed the same key forever and `rm -r`, `du`, `get -r`
asked for pages forever. Every listing now ends with one error line and exit 69 (s3/answers.py refuses
such a page; S3Client.list_objects refuses an entry listed twice), and rm deletes nothing twice.

The fake server (tests/faultserver.py) holds real objects; only its listing pages loop. The CLI runs in-process
(helpers.fault_cli): what is tested is the listing, not the process; a listing that loops again is stopped by
the suite's per-test timeout (pyproject.toml), never by a timing assertion.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from faultserver import XML, Conn, FakeObject, FaultServer, Request, response

from helpers import fault_cli

BUCKET = "loop"
ENTRY = ('<Contents><Key>p/a.bin</Key><LastModified>2026-12-06T13:00:00.000Z</LastModified>'
         '<ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass>'
         '</Contents>')
VERSION = ('<Version><Key>p/a.bin</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest>'
           '<LastModified>2026-12-06T13:00:00.000Z</LastModified><ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag>'
           '<Size>0</Size><StorageClass>STANDARD</StorageClass></Version>')


def looping_page(req: Request, form: str) -> bytes:
    """One listing page that says "there is more" and sends the client back where it was: `same`, the
    token it was asked with (the first page: a fixed one); `none`, no token at all; `cycle`, tokens A
    and B in turn (each page valid on its own, the entries repeat)."""
    asked = req.query.get("continuation-token") or req.query.get("key-marker") or ""
    token = {"same": asked or "SAME", "none": "", "cycle": "B" if asked == "A" else "A"}[form]
    if "versions" in req.query:
        marks = f"<NextKeyMarker>{token}</NextKeyMarker><NextVersionIdMarker>v1</NextVersionIdMarker>" \
            if token else ""
        body = (f'<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>{BUCKET}</Name>'
                f"<Prefix>p/</Prefix><KeyMarker>{asked}</KeyMarker><MaxKeys>1000</MaxKeys>"
                f"<IsTruncated>true</IsTruncated>{marks}{VERSION}</ListVersionsResult>")
    else:
        marks = f"<NextContinuationToken>{token}</NextContinuationToken>" if token else ""
        body = (f'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>{BUCKET}</Name>'
                f"<Prefix>p/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>"
                f"<IsTruncated>true</IsTruncated>{marks}{ENTRY}</ListBucketResult>")
    return response(200, b'<?xml version="1.0" encoding="UTF-8"?>' + body.encode(), content_type=XML)


@pytest.fixture
def looping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FaultServer, Any, dict[str, Any]]]:
    """(server, cli, settings): `settings["form"]` picks the looping page."""
    settings: dict[str, Any] = {"form": "same"}

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        listing = req.method == "GET" and not req.key and ("list-type" in req.query or "versions" in req.query)
        if listing:
            conn.send(looping_page(req, settings["form"]))
        return listing

    with FaultServer(handler, buckets=(BUCKET,)) as server:
        server.put_object(BUCKET, "p/a.bin", FakeObject(b""))
        cli = fault_cli(server, tmp_path, monkeypatch, MINIO_DEFAULT_BUCKET=BUCKET, MINIO_MAX_POOL_CONNECTIONS="2",
                        MINIO_MAX_WORKERS="2")  # no retries; two connections and workers, as the subprocess had
        yield server, cli, settings


def deletes(server: FaultServer) -> list[str]:
    """Every key the server was asked to delete, once per asking (DeleteObjects and DeleteObject)."""
    keys: list[str] = []
    for req in server.seen():
        if req.method == "POST" and "delete" in req.query:
            keys += [unquote(k.decode()) for k in re.findall(rb"<Key>(.*?)</Key>", req.body or b"")]
        elif req.method == "DELETE" and req.key:
            keys.append(req.key)
    return keys


def one_error(done: Any) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("its-store: error: "), done
    return lines[0]


COMMANDS = {"ls": ("ls", "-r", f"s3://{BUCKET}/p/"), "du": ("du", f"s3://{BUCKET}/p/"),
            "rm": ("rm", "-r", "--yes", f"s3://{BUCKET}/p/"),
            "ls-versions": ("ls", "-r", "--versions", f"s3://{BUCKET}/p/"),
            "rm-all-versions": ("rm", "-r", "--all-versions", "--yes", f"s3://{BUCKET}/p/")}


@pytest.mark.parametrize("form", ["same", "none", "cycle"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_looping_listing_ends_with_one_error(looping: Any, command: str, form: str) -> None:
    server, cli, settings = looping
    settings["form"] = form
    done = cli(*COMMANDS[command])
    assert done.exit_code == 69, done
    line = one_error(done)
    assert "listing" in line and "never end" in line, line
    assert len(done.stdout.splitlines()) <= 1, done  # the one entry of the first page at most, never again
    removed = deletes(server)
    assert len(removed) == len(set(removed)), removed  # nothing deleted twice
    if not command.startswith("rm"):
        assert removed == []
