"""s3/pool's bound on answers of status >= 300 (_ErrorAnswer: no more than ANSWER_LIMIT + 1 bytes read, then the
connection shut down by a duplicate of its descriptor). A 5xx whose body is EXACTLY ANSWER_LIMIT + 1 bytes long
(Content-Length) is read to its end by urllib3's drain before the retry; http.client then closes the answer's file
itself (its length reached 0), and the next read found the bound reached and asked the closed file for its
descriptor: "unexpected error: AttributeError: 'NoneType' object has no attribute 'fileno'" (exit 1), where the
retry should have been sent. An answer read to its end has nothing left to cut.

tests/faultserver.py answers the first listing so, then as S3 does; ~0.3 s (32 MiB over loopback).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer

from tests.helpers import fault_cli


def test_a_5xx_of_exactly_the_bound_plus_one_byte_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.s3.pool import ANSWER_LIMIT
    size = ANSWER_LIMIT + 1
    sent: list[int] = []

    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if not (req.method == "GET" and "list-type" in req.query) or sent:
            return False
        conn.send(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n"
                  b"Content-Length: %d\r\n\r\n<" % size + b"x" * (size - 1))
        sent.append(size)
        return True

    with FaultServer(handler, buckets=("frames",)) as server:
        server.put_object("frames", "cam/a.jpg", FakeObject(b"jpeg"))
        cli = fault_cli(server, tmp_path, monkeypatch, MINIO_MAX_RETRIES="1")
        run = cli("ls", "s3://frames/cam/")
    assert sent, run
    assert run.exit_code == 0 and "a.jpg" in run.stdout, run  # the retry was sent and answered
