"""Session 31, second attacker: local inputs one step off the tested path of this session's promises.

- The .env check (core/settings.checked_env_file) passed a FIFO on unchecked ("what pydantic-settings makes of
  it"), and pydantic-settings reads a FIFO: another user's named pipe ./.env in /tmp fed that user's settings
  (MINIO_ENDPOINT...) past the owner check the check exists for, and with no writer the command blocked for ever.
- A command that failed keeps its exit code when its reader went away (cli/stdout_lost): but when stderr's reader
  had gone too, the error line's own BrokenPipeError left the one error mapping: exit 1 instead of 3, and the
  service's close (stats, cache) was skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

OTHER_UID = 4242  # a user that is not this one (tests run as root: chown is allowed)


def _its_store(*args: str, cwd: Path, env: dict[str, str], stdout: int | None = None,
               stderr: int | None = None) -> subprocess.CompletedProcess[str]:
    full = {**env, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.run([sys.executable, "-m", "its_store", *args], cwd=cwd, env=full, text=True, timeout=60,
                          check=False, stdout=subprocess.PIPE if stdout is None else stdout,
                          stderr=subprocess.PIPE if stderr is None else stderr)


def _feed_fifo_until(fifo: Path, text: bytes, stop: threading.Event) -> threading.Thread:
    """Another user's writer: every reader that opens `fifo` is given `text` (until `stop`)."""
    def feed() -> None:
        while not stop.is_set():
            fd = os.open(fifo, os.O_WRONLY)  # blocks until a reader opens it
            try:
                os.write(fd, text)
            except BrokenPipeError:
                pass
            finally:
                os.close(fd)
    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


def test_another_users_fifo_named_env_is_refused_not_read(env: dict[str, str], tmp_path: Path) -> None:
    """Fails on main (6bbd787): the FIFO's settings are read (the endpoint below is refused: exit 69), or the
    command blocks when nobody writes. Expected: exit 78 naming the FIFO, before anything is read from it."""
    work = tmp_path / "shared"
    work.mkdir()
    os.chmod(work, 0o1777)  # /tmp's kind of folder
    fifo = work / ".env"
    os.mkfifo(fifo, 0o666)
    os.chown(fifo, OTHER_UID, OTHER_UID)
    stop = threading.Event()
    thread = _feed_fifo_until(fifo, b"MINIO_ENDPOINT=http://127.0.0.1:9\nMINIO_MAX_RETRIES=0\n", stop)
    try:
        base = {k: v for k, v in {**os.environ, **env}.items() if k != "MINIO_ENDPOINT"}  # the FIFO's is read
        run = _its_store("ls", "s3://some-bucket/", cwd=work, env=base)
    finally:
        stop.set()
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # frees a writer waiting for a reader
        thread.join(timeout=30)
    assert run.returncode == 78, run
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and "named pipe" in lines[0] and ".env" in lines[0], run.stderr


def test_a_folder_named_env_is_still_no_env_file(cli, bucket: str, tmp_path: Path, monkeypatch) -> None:
    """The control: a virtualenv named .env (a folder) is skipped, as pydantic-settings skips it."""
    (tmp_path / ".env").mkdir()
    monkeypatch.chdir(tmp_path)
    run = cli("ls", f"s3://{bucket}/")
    assert run.exit_code == 0, run


def _closed_pipe() -> int:
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


def test_a_failed_command_keeps_its_code_when_stderr_is_gone_too(env: dict[str, str], bucket: str,
                                                                  tmp_path: Path) -> None:
    """`its-store stat s3://b/missing 2>&1 | head -0`: both readers gone. Fails on main (6bbd787): exit 1 (the
    error line's BrokenPipeError escaped cli/app's mapping), where the rule says a command that failed keeps
    its code (3, not found). A usage error keeps 2 the same way."""
    out_fd, err_fd = _closed_pipe(), _closed_pipe()
    try:
        missing = _its_store("stat", f"s3://{bucket}/no-such-key", cwd=tmp_path, env={**os.environ, **env},
                             stdout=out_fd, stderr=err_fd)
        usage = _its_store("stat", cwd=tmp_path, env={**os.environ, **env}, stdout=out_fd, stderr=err_fd)
    finally:
        os.close(out_fd)
        os.close(err_fd)
    assert (missing.returncode, usage.returncode) == (3, 2), (missing, usage)
