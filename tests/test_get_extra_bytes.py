"""Session 37 (gaps): a GET answer with more bytes than its Content-Length, on a kept connection.

http.client reads exactly Content-Length bytes of a body and urllib3 gives the connection back to its pool;
before it sends the next request on it, urllib3 drops a connection that holds unread bytes (urllib3
connectionpool._get_conn: is_connection_dropped, a poll of the socket). Extra bytes there by then are
harmless (the "sent with the answer" cases below). Extra bytes still in flight then (a segment delayed, a
server that writes them late) are read as the answer to the NEXT request on that connection: here the
fault server sends them when that request arrives. When they are junk, that answer is misparsed (an error,
which the HEAD path asks again). When they are a whole answer (a server or proxy that sent one twice),
`get -r` / `sync` took it for the next key's: b.bin was written with a.bin's bytes, "verified": true (the
answer's own ETag checks its own bytes), exit 0. The listing gave each key's ETag: a GET answer naming
another is now not taken; the HEAD path (on a fresh connection: the kept one holds the real answer, so
urllib3 drops it, or it was closed with the answer unread) fetches the object and holds it to its HEAD.
`mv -r` sends a DELETE between the two GETs: the extra bytes are read as its answer there (a whole answer: taken
as the DELETE's, which the server did; junk: that DELETE fails, exit 69, with MINIO_MAX_RETRIES=0).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from faultserver import Conn, FakeObject, FaultServer, Request, response

from helpers import copied_to_central, fault_cli

BUCKET = "extra-b"
ONE, TWO = os.urandom(100_000), os.urandom(100_000)


def _server(extra: str, when: str) -> FaultServer:
    """A FaultServer whose answers to GET p/a.bin carry `extra` bytes after the body ("junk", or "answer": the
    whole answer once more), sent with it (`when` "with") or as the next request on that connection arrives
    ("late"), before that request's own answer."""
    owed: dict[int, bytes] = {}

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        if id(conn) in owed:
            conn.send(owed.pop(id(conn)))
        if req.method != "GET" or req.key != "p/a.bin":
            return False
        obj = server.objects[(BUCKET, req.key)]
        answer = response(200, ONE, headers={"ETag": f'"{obj.etag}"', "Content-Type": "application/octet-stream"})
        tail = b"JUNK" * 8 if extra == "junk" else answer
        conn.send(answer + tail if when == "with" else answer)
        if when == "late":
            owed[id(conn)] = tail
        return True

    return FaultServer(handler, buckets=(BUCKET,))


@pytest.mark.parametrize("command", [["get", "-r"], ["sync"], ["cp", "-r"], ["mv", "-r"]],
                         ids=["get-r", "sync", "cp-r", "mv-r"])
@pytest.mark.parametrize(("extra", "when"), [("answer", "late"), ("junk", "late"), ("answer", "with"),
                                             ("junk", "with")])
def test_bytes_after_a_get_answer_never_become_the_next_objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                command: list[str], extra: str, when: str) -> None:
    """Two keys, one worker and one connection: each file holds its own object's bytes, exit 0. Fails without
    the listing's ETag held to the answer (("answer", "late"): b.bin held a.bin's bytes, exit 0; `mv -r` then
    deleted p/b.bin, whose bytes were nowhere any more)."""
    with _server(extra, when) as server:
        server.put_object(BUCKET, "p/a.bin", FakeObject(ONE))
        server.put_object(BUCKET, "p/b.bin", FakeObject(TWO))
        cli = fault_cli(server, tmp_path, monkeypatch, MINIO_MAX_WORKERS="1", MINIO_MAX_POOL_CONNECTIONS="1")
        out = tmp_path / "out"
        run = cli(*command, f"s3://{BUCKET}/p/", str(out) + "/")
        gets = [r.key for r in server.seen("GET") if r.key]
        left = {key for _, key in server.objects}
    assert gets[:2] == ["p/a.bin", "p/b.bin"], gets  # in that order, one after the other on the one connection
    files = {name: (out / name).read_bytes() for name in ("a.bin", "b.bin") if (out / name).exists()}
    assert files.get("b.bin", TWO) == TWO, "b.bin holds another answer's bytes"
    assert files.get("a.bin", ONE) == ONE
    assert {"p/a.bin", "p/b.bin"} - left <= {f"p/{name}" for name in files}  # nothing moved away but to its file
    if extra == "junk" and when == "late":  # junk read as the next answer (a DELETE's, with no retries): an error
        assert run.exit_code in (0, 69), run
        assert run.exit_code != 0 or set(files) == {"a.bin", "b.bin"}, run  # a success is never a file short
    else:
        assert run.exit_code == 0 and set(files) == {"a.bin", "b.bin"}, run


@pytest.mark.parametrize("command", [["cp", "-r"], ["sync"]], ids=["cp-r", "sync"])
def test_bytes_after_a_get_answer_never_become_the_next_objects_copied_between_endpoints(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_server: Any, service: Any, bucket: str,
        command: list[str]) -> None:
    """The same whole extra answer, read by a copy to another endpoint (the suite's SeaweedFS as the remote
    `central`), which fetches a small listed object by one GET (service/xcopy._Origin._one_get). Fails without
    the listing's ETag held to that answer: central's p/b.bin held a.bin's bytes, exit 0."""
    from helpers import object_bytes
    with _server("answer", "late") as server:
        server.put_object(BUCKET, "p/a.bin", FakeObject(ONE))
        server.put_object(BUCKET, "p/b.bin", FakeObject(TWO))
        run = copied_to_central(server, tmp_path, monkeypatch, s3_server, *command, f"s3://{BUCKET}/p/",
                                f"central:{bucket}/p/")
    assert run.exit_code == 0, run
    assert object_bytes(service, bucket, "p/a.bin") == ONE
    assert object_bytes(service, bucket, "p/b.bin") == TWO, "central's b.bin holds another answer's bytes"
