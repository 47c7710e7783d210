"""A listed name with U+FFFD outside the prefix asked for (atk2, s35): such names were exempt from the rule
that a listing holds only keys under its prefix (U+FFFD may stand for a prefix character XML cannot hold), so
a server naming `q/\ufffd/victim` in the listing of p/ made `rm -r s3://B/p/` and `sync --delete DIR
s3://B/p/` delete it, outside what was asked, and `get -r` write it into the folder as p/'s `\ufffd/victim`.
s3/keys.within_prefix lets a U+FFFD stand only for a prefix character XML cannot hold; any other entry
outside the prefix is a bad answer, and nothing is deleted or written.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fakes3 import s3_call
from faultserver import XML, Conn, FakeObject, FaultServer, Request, response

from its_store.s3.keys import within_prefix

from helpers import fault_cli

BUCKET = "fake-bkt"
OUTSIDE = "q/\ufffd/victim"


def _listing(server: FaultServer, req: Request, conn: Conn) -> bool:
    if s3_call(req) != "ListObjectsV2" or req.query.get("prefix") != "p/":
        return False
    contents = "".join(f"<Contents><Key>{quote(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                       f"<ETag>&quot;{server.objects[(BUCKET, k)].etag}&quot;</ETag><Size>1</Size>"
                       "<StorageClass>STANDARD</StorageClass></Contents>" for k in ("p/ok", OUTSIDE))
    conn.send(response(200, ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
                             f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>{BUCKET}</Name><Prefix>p/'
                             "</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>"
                             f"<IsTruncated>false</IsTruncated>{contents}</ListBucketResult>").encode(),
                       content_type=XML))
    return True


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FaultServer, Any]]:
    with FaultServer(_listing, buckets=(BUCKET,)) as server:
        for key in ("p/ok", OUTSIDE):
            server.put_object(BUCKET, key, FakeObject(b"x"))
        yield server, fault_cli(server, tmp_path, monkeypatch)


@pytest.mark.parametrize("args", [("rm", "-r", "--yes", f"s3://{BUCKET}/p/"),
                                  ("sync", "--delete", "local/", f"s3://{BUCKET}/p/"),
                                  ("get", "-r", f"s3://{BUCKET}/p/", "out/")], ids=["rm", "sync", "get"])
def test_an_entry_outside_the_prefix_is_refused_even_with_fffd(fake: tuple[FaultServer, Any], tmp_path: Path,
                                                              args: tuple[str, ...]) -> None:
    server, cli = fake
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "new.jpg").write_bytes(b"frame")  # a source that is not empty: sync goes on to delete
    run = cli(*args)
    assert run.exit_code == 1, run
    assert "outside the prefix" in run.stderr + run.stdout, run
    assert (BUCKET, OUTSIDE) in server.objects
    assert server.seen("POST") == [] and server.seen("DELETE") == []
    assert not (tmp_path / "out" / "\ufffd").exists()


def test_fffd_stands_only_for_what_xml_cannot_hold() -> None:
    assert within_prefix("c\ufffd/x", "c\x01/")  # a server's stand-in for the control character asked for
    assert within_prefix("p/\ufffd", "p/") and within_prefix("p/x", "p/") and within_prefix("x", "")
    assert not within_prefix(OUTSIDE, "p/")
    assert not within_prefix("\ufffd/x", "p/")
    assert not within_prefix("\ufffd", "p/")
