"""`mv s3://... LOCAL`: a flush to disk that fails keeps the object (the file written is then not known to be on
disk). The failure is real: strace injects EIO into the fsync of the file's descriptor (the first fsync of the
run: the file's, before its rename) or into the second (its folder's, after the rename). Before: the file could
not fail its flush by descriptor at all (it was opened again by name after the rename, tests/test_mv_fsync_by_
descriptor.py); now either failure is one line naming the path and what failed, exit 1, and the object stays.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import DEADLINE, ROOT, write_file


@pytest.mark.parametrize(("when", "renamed"), [(1, False), (2, True)], ids=["file", "folder"])
def test_a_failed_flush_keeps_the_object(env, bucket: str, tmp_path: Path, when: int, renamed: bool) -> None:
    from conftest import cli_runner
    cli = cli_runner(env)
    data = write_file(tmp_path / "src" / "f.bin", 50_000, seed=5)
    assert cli("upload", str(data), f"s3://{bucket}/cam/f.bin").exit_code == 0
    dest = tmp_path / "dest"
    done = subprocess.run(["strace", "-f", "-qq", "-o", os.devnull, "-e", "trace=fsync",
                           "-e", f"inject=fsync:error=EIO:when={when}", sys.executable, "-m", "its_store", "mv",
                           f"s3://{bucket}/cam/f.bin", str(dest / "f.bin")],
                          env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, capture_output=True,
                          text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1 and len(lines) == 1, done
    assert "cannot flush to disk" in lines[0] and "input/output error" in lines[0].lower(), lines
    assert "what it was moved from was kept" in lines[0], lines
    assert str(dest / "f.bin" if not renamed else dest) in lines[0], lines
    assert cli("stat", f"s3://{bucket}/cam/f.bin").exit_code == 0  # the object is kept
    assert sorted(p.name for p in dest.iterdir()) == (["f.bin"] if renamed else [])  # no temp left
