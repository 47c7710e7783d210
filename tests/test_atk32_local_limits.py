"""Session 32 attacks on the local side: a process limit, and the temp files a killed run leaves.

- Under a limit on processes/threads (RLIMIT_NPROC, a container's pids.max), a batch whose fan-out cannot
  start its worker threads ends in "unexpected RuntimeError: can't start new thread ... report it", exit 1,
  the batch cut off after the first objects. It is the local environment, not a bug to report: one line
  saying what ran out and what to do (fewer --workers), or a batch that goes on with the threads it got.
- `sync DIR s3://...` and `upload -r` upload its-store's own temp files (`.NAME.<pid>-<n>.its-tmp`: what a
  download killed by SIGKILL, the OOM killer or a power cut leaves, and, today, a single `get` stopped by
  SIGTERM: tests/test_atk32_sigterm.py) as data; the watcher skips them (sync/watch_files.TEMP_PATTERNS).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultserver import FakeObject, FaultServer

from conftest import ServerInfo, cli_runner
from helpers import DEADLINE, ROOT

BUCKET = "lim-b"
UID = 54321  # a uid no process of this machine runs as: RLIMIT_NPROC counts that uid's threads only


def _env(server: FaultServer, state: Path) -> dict[str, str]:
    return {**ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123").env(), "MINIO_MAX_RETRIES": "0",
            "MINIO_CACHE_DIR": str(state / "cache"), "MINIO_AUDIT_LOG": str(state / "a.log")}


@pytest.fixture
def work() -> Iterator[Path]:
    """A folder of UID's own that UID can reach (pytest's tmp_path sits in root's 0700 folder)."""
    folder = Path(tempfile.mkdtemp(prefix="atk32-"))
    os.chmod(folder, 0o755)
    os.chown(folder, UID, UID)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_thread_limit_is_one_clear_line_not_an_unexpected_error(work: Path) -> None:
    """Fails on main (a83dc6e): exit 1, "its-store: error: unexpected RuntimeError: can't start new thread
    (hint: run with --debug for a traceback and report it)"."""
    with FaultServer(buckets=(BUCKET,)) as server:
        for i in range(8):
            server.put_object(BUCKET, f"p/{i}.bin", FakeObject(os.urandom(1000)))
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MINIO_")}, **_env(server, work / "state"),
               "PYTHONPATH": str(ROOT), "MINIO_MAX_WORKERS": "4"}
        limited = ["prlimit", "--nproc=3", "setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups"]
        proc = subprocess.run([*limited, sys.executable, "-m", "its_store", "get", "-r", f"s3://{BUCKET}/p/",
                               str(work / "out") + "/"], env=env, cwd=work, capture_output=True, timeout=DEADLINE,
                              stdin=subprocess.DEVNULL)
    err = proc.stderr.decode()
    assert "unexpected" not in err, (proc.returncode, err)
    assert "Traceback" not in err, err
    if proc.returncode == 0:  # went on with the threads it could start: every object is there
        assert sorted(p.name for p in (work / "out").iterdir()) == [f"{i}.bin" for i in range(8)]
    else:
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines and lines[-1].startswith("its-store: error: "), err


def test_sync_does_not_upload_its_own_temp_files(tmp_path: Path, monkeypatch) -> None:
    """Fails on main (a83dc6e): `copy .frame.jpg.4242-0.its-tmp new`, the partial download stored as an object."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "frame.jpg").write_bytes(b"whole frame")
    (src / ".frame.jpg.4242-0.its-tmp").write_bytes(b"half a fr")  # a killed download's leftover
    with FaultServer(buckets=(BUCKET,)) as server:
        for name in [n for n in os.environ if n.startswith("MINIO_") or n == "REDIS_URL"]:
            monkeypatch.delenv(name)
        env = _env(server, tmp_path / "state")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        run = cli_runner(env)("sync", str(src), f"s3://{BUCKET}/cam/")
        stored = sorted(key for bucket, key in server.objects if bucket == BUCKET)
    assert stored == ["cam/frame.jpg"], run
    assert run.exit_code == 0, run
