"""A download from a listing takes a GET's answer only when it names the ETag the listing gave
(docs/reliability.md; service/fetch.open_answer): the answer may be another request's, read off a kept
connection after a server sent more bytes than a Content-Length (tests/test_get_extra_bytes.py). An answer
that named NO ETag was taken all the same, where the listing gave one: such a stray answer of the listed size
(a duplicated answer of a request that has no ETag, a proxy's own page) was written as the next key's file,
unverified, exit 0. The copy between endpoints (service/xcopy._Origin._one_get) already refused it. Now the
HEAD path fetches the object, on a fresh connection.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from faultserver import Conn, FakeObject, FaultServer, Request, response

from helpers import fault_cli

BUCKET = "noetag-b"
ONE, TWO = os.urandom(100_000), os.urandom(100_000)


def _server() -> FaultServer:
    """GET p/a.bin is answered whole; as the next request on that connection arrives, a 200 answer with no ETag
    and as many bytes as p/b.bin is sent first (read as that request's answer)."""
    owed: dict[int, bytes] = {}

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        if id(conn) in owed:
            conn.send(owed.pop(id(conn)))
        if req.method != "GET" or req.key != "p/a.bin":
            return False
        obj = server.objects[(BUCKET, req.key)]
        conn.send(response(200, ONE, headers={"ETag": f'"{obj.etag}"', "Content-Type": "application/octet-stream"}))
        owed[id(conn)] = response(200, b"\0" * len(TWO), content_type="application/octet-stream")
        return True

    return FaultServer(handler, buckets=(BUCKET,))


@pytest.mark.parametrize("command", [["get", "-r"], ["sync"], ["cp", "-r"]], ids=["get-r", "sync", "cp-r"])
def test_an_answer_naming_no_etag_is_not_the_listed_objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            command: list[str]) -> None:
    with _server() as server:
        server.put_object(BUCKET, "p/a.bin", FakeObject(ONE))
        server.put_object(BUCKET, "p/b.bin", FakeObject(TWO))
        cli = fault_cli(server, tmp_path, monkeypatch, MINIO_MAX_WORKERS="1", MINIO_MAX_POOL_CONNECTIONS="1")
        out = tmp_path / "out"
        run = cli(*command, f"s3://{BUCKET}/p/", str(out) + "/")
        gets = [r.key for r in server.seen("GET") if r.key]
    assert gets[:2] == ["p/a.bin", "p/b.bin"], gets  # one after the other on the one connection
    assert run.exit_code == 0, run
    assert (out / "a.bin").read_bytes() == ONE
    assert (out / "b.bin").read_bytes() == TWO, "b.bin holds a stray answer's bytes"
