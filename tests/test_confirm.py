"""cli/base.py confirm(), the one confirm-or---yes, through the real console script (no server needed: the
question comes before any request; the endpoint is a port nothing listens on).

Without a terminal every destructive command refuses with its own line and exit 2; on a terminal (a real
pty) it asks, "no" exits 1 with nothing done, "yes" goes on to the server."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXE = os.path.join(os.path.dirname(sys.executable), "its-store")
SAFETY = 60.0

REFUSALS = [
    (["rm", "s3://bkt/p/", "-r"],
     "refusing a recursive delete without a terminal to confirm (hint: add --yes (or --dry-run to see what would go))"),
    (["rm", "s3://bkt/p/", "-r", "--all-versions"],
     "refusing to erase versions without a terminal to confirm (hint: add --yes (or --dry-run to see what would "
     "go))"),
    (["bucket", "rm", "s3://bkt", "--force"],
     "refusing to force-remove a bucket without a terminal to confirm (hint: add --yes; see what it holds with "
     "`its-store bucket info`)"),
    (["bucket", "policy", "rm", "s3://bkt"],
     "refusing to remove a bucket policy without a terminal to confirm (hint: add --yes)"),
    (["model", "rm", "m@1.0.0"],
     "refusing to remove a model version without a terminal to confirm (hint: add --yes)"),
    (["model", "gc", "--keep-last", "1"],
     "refusing to remove model versions without a terminal to confirm (hint: add --yes (or look first with "
     "--dry-run))"),
]


def _env(tmp_path: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("MINIO_")}
    return {**keep, "MINIO_ENDPOINT": "127.0.0.1:9", "MINIO_ACCESS_KEY": "someone", "MINIO_SECRET_KEY": "s3cret-key",
            "MINIO_CACHE_DIR": str(tmp_path / "cache"), "MINIO_MAX_RETRIES": "0", "COLUMNS": "200"}


@pytest.mark.parametrize("args,line", REFUSALS, ids=[" ".join(a[:2]) + (" " + a[-1] if a[-1][0] == "-" else "")
                                                     for a, _ in REFUSALS])
def test_without_a_terminal_each_command_refuses_with_its_line(tmp_path: Path, args: list[str], line: str):
    run = subprocess.run([EXE, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=SAFETY,
                         env=_env(tmp_path), cwd=tmp_path)
    assert (run.returncode, run.stdout, run.stderr) == (2, "", f"its-store: error: {line}\n")


def _on_a_terminal(tmp_path: Path, args: list[str], answer: str) -> tuple[int, str]:
    """Run with stdin, stdout and stderr on a pty; answer once the question is shown. (exit code, all output)"""
    master, slave = pty.openpty()
    proc = subprocess.Popen([EXE, *args], stdin=slave, stdout=slave, stderr=slave, env=_env(tmp_path), cwd=tmp_path,
                            close_fds=True)
    os.close(slave)
    seen, answered = b"", False
    give_up = time.monotonic() + SAFETY  # a safety net only: every wait below ends on output or exit
    try:
        while time.monotonic() < give_up:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the process closed the terminal (it exited)
                break
            if not chunk:
                break
            seen += chunk
            if not answered and b"[y/N]" in seen:
                os.write(master, answer.encode() + b"\n")
                answered = True
        return proc.wait(SAFETY), seen.decode(errors="replace")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_on_a_terminal_no_exits_1_and_does_nothing(tmp_path: Path):
    code, shown = _on_a_terminal(tmp_path, ["rm", "s3://bkt/p/", "-r"], "n")
    assert code == 1, shown
    assert "Delete every object under s3://bkt/p/? [y/N]" in shown
    assert "refusing" not in shown and "error" not in shown  # asked, not refused; no request was made


def test_on_a_terminal_yes_goes_on(tmp_path: Path):
    code, shown = _on_a_terminal(tmp_path, ["bucket", "policy", "rm", "s3://bkt"], "y")
    assert "Remove the policy of s3://bkt? [y/N]" in shown
    assert code == 69, shown  # it went on to the server, which is not there
