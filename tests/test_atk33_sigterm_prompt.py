"""atk33: SIGTERM while a command waits at its confirmation prompt (`rm -r` on a terminal).

Session 32 promises that SIGTERM and SIGHUP end every command "as Ctrl-C does ... one error line, exit 143 /
129" (cli/app.ItsGroup.main, core/errors.Terminated). At a prompt, click's confirm() turns any
KeyboardInterrupt (Terminated is one) into Abort `from None`: the command says "aborted" and exits 1, so a
supervisor (systemd, docker, a script checking for 143) cannot tell a stop from a refusal. Nothing is deleted
either way. Deterministic: the test waits for the prompt's text on the terminal, then signals. Fails now."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from helpers import DEADLINE, ROOT


def test_sigterm_at_the_confirmation_prompt_is_143(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIO_")}
    env.update({"PYTHONPATH": str(ROOT), "MINIO_ENDPOINT": "http://127.0.0.1:1", "MINIO_ACCESS_KEY": "fakeaccess",
                "MINIO_SECRET_KEY": "fake-secret-key-0123", "MINIO_MAX_RETRIES": "0", "TERM": "dumb",
                "MINIO_CACHE_DIR": str(tmp_path / "state" / "cache"),
                "MINIO_AUDIT_LOG": str(tmp_path / "state" / "a.log")})
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "its_store", "rm", "-r", "s3://atk33-b/p/"], env=env,
                                cwd=tmp_path, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    finally:
        os.close(slave)
    seen = b""
    try:
        deadline = threading.Event()
        timer = threading.Timer(DEADLINE, deadline.set)
        timer.start()
        try:  # the real condition: the question is on the terminal (the command waits for an answer)
            while b"Delete every object" not in seen:
                if deadline.is_set():
                    pytest.fail(f"no prompt: {seen!r}")
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the terminal's other side is gone (the command ended)
                    pytest.fail(f"the command ended without asking: {seen!r}")
                seen += chunk
        finally:
            timer.cancel()
        proc.send_signal(signal.SIGTERM)
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = seen.decode(errors="replace")
    assert proc.returncode == 143, (proc.returncode, text)  # now: 1, "its-store: error: aborted"
    assert "Traceback" not in text, text
