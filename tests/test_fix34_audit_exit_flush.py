"""Session 34, fix: an audit line still waiting in a buffer when a command ends is written before the exit code is
chosen, so that when it cannot be written (disk full) the command exits 74 (E.EXIT_AUDIT_LOST) with one line.

A batch's lines wait in a state/audit.AuditBuffer; its owner flushes it when the batch ends, and an atexit hook
writes whatever a buffer still holds then (a worker thread that recorded after its batch's end). That hook ran
after the CLI had settled the exit code: a line it could not write was said on stderr, and the command still
exited 0, a success with a gap in the custody trail. Now cli/app._audit_lost writes the waiting lines first
(state/audit.flush_waiting). Real commands on a full disk already exit 74 (tests/test_stats_audit.py): the
line left waiting here is put there by the subprocess's script, as such a thread would, before the CLI runs a
successful command that writes no line of its own (`ls` on SeaweedFS). The disk is a full 1 MiB tmpfs
(helpers.tiny_disk).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import ROOT, tiny_disk

SCRIPT = """
import sys
from pathlib import Path
from its_store.state.audit import AuditLog
log = AuditLog(Path(sys.argv[1]), access_key="k", endpoint="e")
waiting = log.buffer()  # held, as a batch (service/context.Recording) holds it
waiting.add("upload", bucket="b", key="waiting", ok=True)  # a line still waiting when the command ends
from its_store.cli.app import app
sys.argv = ["its-store", *sys.argv[2:]]
app()
"""


def _fill(folder: Path) -> None:
    with open(folder / "filler", "wb") as filler:
        try:
            while True:
                filler.write(b"\\0" * 65536)
                filler.flush()
        except OSError:
            pass


def test_a_waiting_line_that_cannot_be_written_is_exit_74(env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with tiny_disk(disk):
        os.chmod(disk, 0o700)
        (disk / "audit.log").write_bytes(b"")
        _fill(disk)
        run = subprocess.run([sys.executable, "-c", SCRIPT, str(disk / "audit.log"), "ls", f"s3://{bucket}/"],
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
                             env={**os.environ, **env, "PYTHONPATH": str(ROOT),
                                  "MINIO_AUDIT_LOG": str(disk / "audit.log")})
    errors = [line for line in run.stderr.decode().splitlines() if line.startswith("its-store: error:")]
    assert run.returncode == 74, (run.returncode, run.stderr)
    assert len(errors) == 1 and "audit log" in errors[0] and "No space left" in errors[0], run.stderr
    assert "Traceback" not in run.stderr.decode()
