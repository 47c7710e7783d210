"""Session 30's attacker: stdout on a full disk (`> /dev/full`: ENOSPC on every write). The JSON output
mode prints its error document to stdout too, so when stdout itself is what failed, printing the error
failed again and Python's traceback came out instead of the one error line (cron mails the traceback; the
exit code was 1 all the same). `--version` had no handler at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def _run_to_full(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    with open("/dev/full", "w") as full:
        return subprocess.run([sys.executable, "-m", "its_store", *args], stdout=full, stderr=subprocess.PIPE,
                              text=True, env=env, timeout=120, check=False)


def test_a_json_listing_to_a_full_stdout_is_one_error_line(env: dict[str, str], bucket: str, tmp_path: Path,
                                                           cli: Any) -> None:
    (tmp_path / "f").write_bytes(b"x")
    assert cli("--quiet", "upload", str(tmp_path / "f"), f"s3://{bucket}/k").exit_code == 0
    run = _run_to_full("--json", "ls", "-r", f"s3://{bucket}")
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 1, run
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("its-store: error: ") and "no space" in lines[0], run.stderr


def test_version_to_a_full_stdout_is_one_error_line() -> None:
    run = _run_to_full("--version")
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode != 0 and run.stderr.startswith("its-store: error: "), run.stderr
