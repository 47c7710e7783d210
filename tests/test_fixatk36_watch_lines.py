"""The watcher's human log (session 36, atk36's cosmetic findings): its own failure `file events stopped`
came out as `TIME failed  file events stopped: ...` (an empty key, two spaces), and a warning or error of the
library under it (the audit log not writable) as `its-store: error: ...`, the one line of the log without a
time. Now `TIME failed: file events stopped: ...` and `TIME error: cannot write the audit log ...`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from its_store.sync.watch_report import event, format_line

from helpers import ROOT

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S")


def test_the_watchers_own_failure_reads_as_one_phrase() -> None:
    line = format_line(event("failed", key="", reason="file events stopped: gone", code="watch_error"))
    assert STAMP.match(line) and line.endswith(" failed: file events stopped: gone") and "  " not in line, line
    kept = format_line(event("failed", key="cams/a.jpg", reason="denied", code="access_denied"))
    assert kept.endswith(" failed cams/a.jpg denied"), kept


def test_every_line_of_the_watchers_log_starts_with_its_time(env: dict[str, str], bucket: str,
                                                               tmp_path: Path) -> None:
    root = tmp_path / "frames"
    root.mkdir()
    (root / "a.jpg").write_bytes(b"frame")
    audit = tmp_path / "audit-is-a-folder"
    audit.mkdir()  # the audit line cannot be written: one error line, the upload stands
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT), "MINIO_AUDIT_LOG": str(audit)}
    proc = subprocess.Popen([sys.executable, "-m", "its_store", "sync", str(root), f"s3://{bucket}/cams/", "--watch",
                             "--settle", "0.2"], env=full, cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    lines = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # ends when the watcher does (a hang: the pytest timeout)
            lines.append(line.rstrip("\n"))
            if " uploaded cams/a.jpg " in line and root.exists():
                shutil.rmtree(root)  # file events stop: exit 1 with the watcher's own failure line
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert proc.returncode == 1, lines
    assert any(" error: cannot write the audit log" in line for line in lines), lines
    assert any(" failed: file events stopped:" in line for line in lines), lines
    assert [line for line in lines if not STAMP.match(line) or "  " in line] == [], lines
