"""atk33: SIGTERM while the command's error line is being written (cli/app.ItsGroup.main, session 32).

ItsGroup.main installs the SIGTERM handler (core/errors.Terminated, a KeyboardInterrupt) for the whole run and
catches the command's exception with `except BaseException: code = _handle(exc)`. _handle writes the error
line; a SIGTERM that arrives while that write waits (stderr a full pipe: a journald/docker log reader that
is behind, a `2>&1 | slow-consumer`) raises Terminated inside _handle, which nothing catches: it leaves
main, the handlers are never put back, and Python prints a traceback ("its_store.core.errors.Terminated:
15") and exits as after an uncaught Ctrl-C. The promise: one line, exit 143, never a traceback.

Deterministic: stderr is a pipe the test fills before the command starts, so the command's first write
there blocks; the test waits for that real condition (/proc/PID/wchan: the process sleeps in pipe_write),
then sends SIGTERM and drains the pipe. Fails now."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from helpers import DEADLINE, ROOT


def _filled_pipe() -> tuple[int, int, int]:
    """(read end, write end, bytes already in it): the pipe is full, a blocking write to it waits."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    filled = 0
    try:
        while True:
            filled += os.write(w, b"." * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(w, True)
    return r, w, filled


def _sleeps_in_pipe_write(pid: int) -> bool:
    try:
        return "pipe_write" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def test_sigterm_while_the_error_line_waits_on_stderr(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIO_")}
    env.update({"PYTHONPATH": str(ROOT), "MINIO_ENDPOINT": "http://127.0.0.1:1", "MINIO_ACCESS_KEY": "fakeaccess",
                "MINIO_SECRET_KEY": "fake-secret-key-0123", "MINIO_MAX_RETRIES": "0",
                "MINIO_CACHE_DIR": str(tmp_path / "state" / "cache"),
                "MINIO_AUDIT_LOG": str(tmp_path / "state" / "a.log")})
    r, w, filled = _filled_pipe()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "its_store", "stat", "s3://atk33-b/x.bin"], env=env,
                                cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=w)
    finally:
        os.close(w)
    chunks: list[bytes] = []
    try:
        deadline = threading.Event()
        timer = threading.Timer(DEADLINE, deadline.set)
        timer.start()
        try:  # the real condition: the error line (exit 69, connection refused) waits on the full pipe
            while not _sleeps_in_pipe_write(proc.pid):
                if proc.poll() is not None or deadline.wait(0.05):
                    pytest.fail(f"the command never waited on stderr (exit {proc.poll()})")
        finally:
            timer.cancel()
        proc.send_signal(signal.SIGTERM)
        while chunk := os.read(r, 65536):  # drain: the command goes on writing, then exits
            chunks.append(chunk)
        proc.wait(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(r)
    err = b"".join(chunks)[filled:].decode(errors="replace")
    assert "Traceback" not in err, err
    assert proc.returncode in (143, 69), (proc.returncode, err)  # terminated, or the line already written
