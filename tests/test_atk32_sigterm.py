"""Session 32 attack: SIGTERM (what `systemctl stop`, `docker stop`, `timeout` and Kubernetes send) in the
middle of a single-object transfer.

Only batches (service/context.Recording) turn SIGTERM into SystemExit(143); a single `get` of one object
keeps SIGTERM's default action, so the process dies where it stands: no `its-store: error:` line, the shell
sees "killed by signal 15", and the download's temp file (`.NAME.<pid>-<n>.its-tmp`) stays beside the target
with the bytes received so far. `sync DIR s3://...` later uploads that temp file as data (it is not skipped),
and nothing ever removes it. The promise (docs/reliability.md, "Crashes and interrupts"): nothing half-written,
no temp files left, an interrupted command says so.

The server is tests/faultserver.py: it sends half of the object's body and then holds the connection until
the test ends, so the CLI is provably mid-transfer when the signal arrives (no timing).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultserver import Conn, FakeObject, FaultServer, Request, response

from conftest import ServerInfo
from helpers import DEADLINE, ROOT

BUCKET = "term-b"
SIZE = 1 << 20


@pytest.fixture
def stalled() -> Iterator[tuple[FaultServer, threading.Event]]:
    """A fake S3 whose GET of `big.bin` sends half the body, then waits until the test ends."""
    release = threading.Event()

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        if req.method != "GET" or req.key != "big.bin":
            return False
        obj = server.objects[(BUCKET, "big.bin")]
        conn.send(response(200, headers={"ETag": f'"{obj.etag}"', "Content-Length": str(SIZE),
                                         "Content-Type": "application/octet-stream"}, head=True))
        conn.send(obj.data[:SIZE // 2])
        release.wait(DEADLINE)
        conn.reset()
        return True

    with FaultServer(handler, buckets=(BUCKET,)) as server:
        server.put_object(BUCKET, "big.bin", FakeObject(os.urandom(SIZE)))
        try:
            yield server, release
        finally:
            release.set()


def _env(server: FaultServer, tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MINIO_")}
    return {**base, **ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123").env(),
            "PYTHONPATH": str(ROOT), "MINIO_MAX_RETRIES": "0", "MINIO_READ_TIMEOUT": "600",
            "MINIO_CACHE_DIR": str(tmp_path / "state" / "cache"), "MINIO_AUDIT_LOG": str(tmp_path / "state" / "a.log")}


def test_sigterm_mid_get_leaves_no_temp_file_and_says_so(stalled: tuple[FaultServer, threading.Event],
                                                           tmp_path: Path) -> None:
    """Fails on main (a83dc6e): the process dies of signal 15 (returncode -15), stderr empty, and
    `.big.bin.<pid>-0.its-tmp` (512 KiB) is left in the target folder."""
    server, _ = stalled
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "its_store", "get", f"s3://{BUCKET}/big.bin", str(out / "big.bin")],
                            env=_env(server, tmp_path), cwd=tmp_path, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # wait for the real condition: the temp file holds bytes of the body (the server sent half of it)
        deadline = threading.Event()
        timer = threading.Timer(DEADLINE, deadline.set)
        timer.start()
        try:
            while not any(p.stat().st_size > 0 for p in out.iterdir()):
                if proc.poll() is not None or deadline.wait(0.05):
                    pytest.fail(f"the download never started writing: {proc.communicate()}")
        finally:
            timer.cancel()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    left = sorted(p.name for p in out.iterdir())
    assert left == [], f"left in the target folder after SIGTERM: {left}"
    assert proc.returncode == 143, (proc.returncode, err)
    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("its-store: error: "), err
