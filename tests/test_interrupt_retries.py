"""The first Ctrl-C stops a transfer whose workers are waiting to retry (core/retry.interrupting).

A fake S3 (tests/faultserver.py) answers every object GET (or PUT) with 503 SlowDown and a Retry-After of
a day, which urllib3 honours (s3/pool.LoggedRetry): each worker waits before its first retry. A real
SIGINT to the CLI, in a process of its own, must end it (exit 130, one line, nothing written or stored)
without any retry sent: the process ending at all, long before the back-off would have let a retry go,
is the proof; no time is measured.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from faultserver import Conn, FakeObject, FaultServer, Request, s3_error

from its_store.core import errors as E

from conftest import ServerInfo, environment_for
from helpers import ROOT, ctrl_c_when

WORKERS = 2


class Busy:
    """Answers object GETs and PUTs with 503 SlowDown, Retry-After one day; `waiting` is set once every
    worker has had its first answer (so each is in its back-off)."""

    def __init__(self, method: str) -> None:
        self.method, self.hits, self.waiting, self.lock = method, 0, threading.Event(), threading.Lock()

    def __call__(self, server: FaultServer, req: Request, conn: Conn) -> bool:
        if req.method != self.method or not req.key or req.query:
            return False
        conn.read_body(req)
        conn.send(s3_error(503, "SlowDown", "Please reduce your request rate.", req.path,
                           headers={"Retry-After": "86400"}))
        with self.lock:
            self.hits += 1
            if self.hits >= WORKERS:
                self.waiting.set()
        return True


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_ctrl_c_does_not_wait_for_retries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    busy = Busy(method)
    with FaultServer(busy, buckets=("its-b",)) as fake:
        for name in ("a", "b", "c", "d"):
            fake.put_object("its-b", f"src/{name}.bin", FakeObject(name.encode() * 100))
        up = tmp_path / "up"
        up.mkdir()
        for name in ("a", "b", "c", "d"):
            (up / f"{name}.bin").write_bytes(name.encode() * 100)
        dest = tmp_path / "dest"
        dest.mkdir()
        args = (["get", "s3://its-b/src/", str(dest), "-r"] if method == "GET"
                else ["upload", str(up), "s3://its-b/new/", "-r"])
        environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"),
                        dict.fromkeys(("default", "video", "models", "logs"), "its-b"), monkeypatch, tmp_path)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MINIO_MAX_RETRIES": "5"}
        code, text = ctrl_c_when(busy.waiting, [*args, "-w", str(WORKERS)], env, tmp_path,
                                 "the workers' back-off (Retry-After: one day)")
        assert code == E.EXIT_INTERRUPTED, text
        assert "Traceback" not in text and "its-store: error: interrupted" in text, text
        # no retry sent, no new item started, no other request for the items (a HEAD and a second GET)
        assert busy.hits == WORKERS, [(r.method, r.target) for r in fake.requests]
        assert list(dest.iterdir()) == []  # no file, no temp file
        assert not [key for (bucket, key) in fake.objects if key.startswith("new/")]  # nothing stored
