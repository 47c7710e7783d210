"""A HEAD answer without Content-Length (atk2, s35): minio reads the size as 0, so `stat` said "0 bytes" of a
5-byte object and sync or a download planned on that size. http.client also drops every header after a line
it cannot parse (a control character in a name), Content-Length among them. S3 always sends it: its absence
is a bad answer now (exit 1, one line), as a malformed one was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer

from helpers import fault_cli

BUCKET = "fake-bkt"
MD5 = "5d41402abc4b2a76b9719d911017c592"  # of b"hello"


def _head_without_length(broken_line: str) -> Any:
    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method != "HEAD" or req.key != "k":
            return False
        conn.send((f'HTTP/1.1 200 OK\r\nServer: x\r\nETag: "{MD5}"\r\nLast-Modified: Mon, 07 Dec 2026 10:00:00 GMT'
                   f"\r\n{broken_line}Content-Type: text/plain\r\nConnection: close\r\n\r\n").encode("latin-1"))
        conn.close()
        return True
    return handler


@pytest.fixture(params=["", "x-amz-meta-x\x1b: y\r\nContent-Length: 5\r\n"], ids=["missing", "after-a-broken-line"])
def fake(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with FaultServer(_head_without_length(request.param), buckets=(BUCKET,)) as server:
        server.put_object(BUCKET, "k", FakeObject(b"hello"))
        yield fault_cli(server, tmp_path, monkeypatch)


def test_a_head_without_content_length_is_a_bad_answer(fake: Any) -> None:
    run = fake("--json", "stat", f"s3://{BUCKET}/k")
    assert run.exit_code == 1, run
    error = run.json()["error"]
    assert error["code"] == "bad_server_answer" and "Content-Length" in error["message"], error
