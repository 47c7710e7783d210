"""A 5xx answer whose body never ends, retried. Before it retries a 500/502/503/504, urllib3 reads the rest of the
answer to reuse its connection (HTTPResponse.drain_conn, to the end, however long): a 503 from a gateway that
streams (an MJPEG camera behind a proxy, a broken load balancer) held the command there for as long as the body
went on, reading and throwing away, never reaching its retry nor its read timeout (the bytes keep coming). Now no
more than s3/pool.ANSWER_LIMIT + 1 bytes of an answer of status >= 300 is read by anyone (FinalResponse): the
connection is shut down there, not reused, and the retry goes out on a new one.

The server (tests/faultserver.py) answers the first listing with such a 503 and stops sending after SENT_CAP
bytes (the old drain then ended with it: no hang in the test), then answers as S3 does; what it could send before
the client hung up is counted.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer

from tests.helpers import fault_cli

SENT_CAP = 192 * 1024 * 1024
PIECE = b"x" * 65_536


def test_an_endless_503_body_is_not_drained_before_the_retry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.s3.pool import ANSWER_LIMIT
    sent: list[int] = []
    taken, done = threading.Lock(), threading.Event()  # the first listing only: taken before its first byte

    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if not (req.method == "GET" and "list-type" in req.query) or not taken.acquire(blocking=False):
            return False
        conn.send(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        total, piece = 0, b"%x\r\n%s\r\n" % (len(PIECE), PIECE)
        try:
            while total < SENT_CAP:
                conn.send(piece)
                total += len(PIECE)
        except OSError:  # the client hung up
            pass
        sent.append(total)
        done.set()
        conn.close()
        return True

    with FaultServer(handler, buckets=("frames",)) as server:
        server.put_object("frames", "cam/a.jpg", FakeObject(b"jpeg"))
        cli = fault_cli(server, tmp_path, monkeypatch, MINIO_MAX_RETRIES="1")
        run = cli("ls", "s3://frames/cam/")
        done.wait(60)  # the 503's sender sees the hang-up (a slow machine: after the retry was answered)
    assert run.exit_code == 0 and "a.jpg" in run.stdout, run  # the retry was answered
    assert sent and sent[0] < ANSWER_LIMIT + 16 * 1024 * 1024, f"{sent[0]:,} bytes of the 503's body were read"
