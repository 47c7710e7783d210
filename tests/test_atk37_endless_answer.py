"""Attack on answers read whole (session 37): an endpoint that answers with a body that never ends.

In an ITS operation the hosts on a network are cameras, and a camera's HTTP port streams MJPEG: `200 OK`,
`multipart/x-mixed-replace`, frames forever. MINIO_ENDPOINT pointed at one (a typo of a port, a swapped IP)
made every command that reads an answer whole (a listing, a bucket's configuration, an error document) read
the stream into memory until there was none: under a 1.5 GB address-space limit `ls` ended after ~20 s with
"unexpected error: MemoryError"; without one, the kernel's OOM killer picks a process, perhaps another one.
The same from any server or proxy that sends an endless or multi-GB answer. Now an answer read whole is read
up to s3/pool.ANSWER_LIMIT (32 MiB, >10x the largest page S3 sends): more is a bad answer, one line, exit 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from faultserver import FaultServer

from tests.helpers import DEADLINE, ROOT

CHUNK = {"mjpeg": b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + b"\xff" * 65_000 + b"\r\n",
         "xml": b"<?xml version=\"1.0\"?><ListBucketResult>" + b" " * 65_000}
TYPE = {"mjpeg": "multipart/x-mixed-replace; boundary=frame", "xml": "application/xml"}


def _endless(kind: str, chunked: bool) -> Any:
    """A handler that answers every GET with 200 and a body that never ends (close-delimited or chunked)."""
    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method != "GET":
            return False
        framing = "Transfer-Encoding: chunked\r\n" if chunked else "Connection: close\r\n"
        conn.send(f"HTTP/1.1 200 OK\r\nContent-Type: {TYPE[kind]}\r\n{framing}\r\n".encode())
        piece = b"%x\r\n%s\r\n" % (len(CHUNK[kind]), CHUNK[kind]) if chunked else CHUNK[kind]
        try:
            while True:
                conn.send(piece)
        except OSError:  # the client hung up
            return True
    return handler


@pytest.mark.parametrize(("kind", "chunked"), [("mjpeg", False), ("xml", True)], ids=["mjpeg-close", "xml-chunked"])
def test_an_endless_answer_is_refused_not_read_into_memory(kind: str, chunked: bool, tmp_path: Path) -> None:
    """Fails on main (e7ffee0): "unexpected error: MemoryError" (exit 1) once the limit below is reached."""
    with FaultServer(_endless(kind, chunked), buckets=("frames",)) as server:
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
               "MINIO_ENDPOINT": server.endpoint, "MINIO_ACCESS_KEY": "fakeaccess",
               "MINIO_SECRET_KEY": "fake-secret-key-0123", "MINIO_SECURE": "false", "MINIO_MAX_RETRIES": "0",
               "MINIO_CACHE_DIR": str(tmp_path / "cache"), "MINIO_AUDIT_LOG": str(tmp_path / "audit.log")}
        # 1 GB of address space: what the machine has is not the test's to spend (a process that reads the
        # stream whole meets this limit as MemoryError, not the OOM killer)
        done = subprocess.run(["prlimit", "--as=1000000000", sys.executable, "-m", "its_store", "ls", "s3://frames/"],
                              env=env, capture_output=True, text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1, done
    assert len(lines) == 1 and "unexpected" not in lines[0], done
    assert "larger than" in lines[0] and "ListObjects" in lines[0], done


def test_an_answer_broken_while_read_whole_is_still_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What urllib3 did while it read such answers itself (preload_content): a listing page cut off by a reset
    is asked for again. A guard on the bounded read above, seen failing with its first version (exit 69,
    "connection reset", one request)."""
    from faultserver import FakeObject

    from tests.helpers import fault_cli
    asked: list[str] = []

    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method == "GET" and "list-type" in req.query:
            asked.append(req.target)
            if len(asked) == 1:
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 5000\r\n\r\n<?xml")
                conn.reset()
                return True
        return False

    with FaultServer(handler, buckets=("frames",)) as server:
        server.put_object("frames", "cam/a.jpg", FakeObject(b"jpeg"))
        cli = fault_cli(server, tmp_path, monkeypatch, MINIO_MAX_RETRIES="2")
        run = cli("ls", "s3://frames/cam/")
    assert run.exit_code == 0, run
    assert "a.jpg" in run.stdout and len(asked) == 2, (run, asked)


def test_an_endless_error_answer_to_a_streamed_get_is_refused(tmp_path: Path) -> None:
    """A GET is streamed (not read whole), but an error answer to it is: minio reads its document. A 500 whose
    body never ends took memory as above. Fails on main (e7ffee0): "unexpected error: MemoryError"."""
    from faultserver import FakeObject

    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method != "GET" or not req.key:
            return False
        conn.send(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n"
                  b"<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>")
        try:
            while True:
                conn.send(b"x" * 65_536)
        except OSError:
            return True

    with FaultServer(handler, buckets=("frames",)) as server:
        server.put_object("frames", "cam/a.jpg", FakeObject(b"jpeg"))
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
               "MINIO_ENDPOINT": server.endpoint, "MINIO_ACCESS_KEY": "fakeaccess",
               "MINIO_SECRET_KEY": "fake-secret-key-0123", "MINIO_SECURE": "false", "MINIO_MAX_RETRIES": "0",
               "MINIO_CACHE_DIR": str(tmp_path / "cache"), "MINIO_AUDIT_LOG": str(tmp_path / "audit.log")}
        done = subprocess.run(["prlimit", "--as=1000000000", sys.executable, "-m", "its_store", "get",
                               "s3://frames/cam/a.jpg", str(tmp_path / "a.jpg")],
                              env=env, capture_output=True, text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0 and len(lines) == 1 and "unexpected" not in lines[0], done
    assert "larger than" in lines[0], done
    assert not (tmp_path / "a.jpg").exists()
