"""Attack on cli/stdout_lost (session 30): stdout or stderr CLOSED when its-store starts (`>&-`, `2>&-`: cron
lines and daemons written that way). Python sets sys.stdout / sys.stderr to None then, and every command
failed at its end in cli/app._flush (AttributeError: a traceback, exit 1), also after a quiet upload that
succeeded (a cron job's retry uploads it again); `--version` and `--help` the same; with stderr closed an
error's exit status was 1 (the failed write of the error line), not the error's own. What a user closed is
thrown away as /dev/null would (the command's own status; nothing else said). One subprocess each: only a
real process starts with a closed descriptor. No server needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(args: list[str], tmp_path: Path, close: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIO_")}
    env.update(MINIO_CACHE_DIR=str(tmp_path / "cache"), MINIO_AUDIT_LOG=str(tmp_path / "audit.log"),
               MINIO_ENDPOINT="127.0.0.1:9", MINIO_ACCESS_KEY="access", MINIO_SECRET_KEY="secret-key-0123")
    # the shell closes the descriptor, then execs Python: it starts with it closed, as under cron
    return subprocess.run(["sh", "-c", f'exec "$@" {close}', "sh", sys.executable, "-m", "its_store", *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env, check=False)


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["stats"]])
def test_stdout_closed_is_no_traceback(args: list[str], tmp_path: Path) -> None:
    done = _run(args, tmp_path, ">&-")
    assert "Traceback" not in done.stderr and "AttributeError" not in done.stderr, done
    assert done.returncode == 0, done


def test_stderr_closed_keeps_the_errors_exit_status(tmp_path: Path) -> None:
    done = _run(["ls", "nonsense://"], tmp_path, "2>&-")
    assert done.returncode == 2, done  # bad input, as with stderr open


@pytest.mark.parametrize("args", [
    ["upload", "-", "s3://frames/cam1/f.jpg"],                      # the object's bytes from stdin
    ["remote", "add", "edge", "http://127.0.0.1:9", "--access-key", "a", "--secret-key-stdin"],
    ["bucket", "rm", "s3://frames", "--force"],                     # asks on a terminal: there is none
])
def test_stdin_closed_is_one_line_exit_2(args: list[str], tmp_path: Path) -> None:
    """stdin closed (`<&-`): a command that reads it or would ask on it says so in one line, exit 2 (it was
    'unexpected AttributeError ... report it', exit 1); nothing is uploaded (no server is even reachable:
    the error comes before any request)."""
    done = _run(args, tmp_path, "<&-")
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr and "AttributeError" not in done.stderr, done
    assert done.stderr.startswith("its-store: error: ") and len(done.stderr.splitlines()) == 1, done
    assert "cannot read <stdin>: it is closed" in done.stderr or "without a terminal" in done.stderr, done
