"""`mv s3://... LOCAL` on a filesystem that cannot flush a folder (fsync of a directory answered EINVAL: some FUSE
and network filesystems, CIFS). Before, every such move failed (exit 1, "cannot flush to disk", the object kept),
so mv could never be used there. Now, as PostgreSQL's fsync_fname does for a directory (EINVAL or EBADF: "not
supported here"), the move goes on once the FILE's own flush succeeded, and the run says so in one line
(core/folder_flush). The failure is real: strace injects EINVAL into the second fsync of the run (the folder's,
after the rename; the first is the file's), or into every fsync (the file's too: the move fails, object kept).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import DEADLINE, ROOT, write_file


@pytest.mark.parametrize(("when", "error"), [("2+", "EINVAL"), ("2+", "EBADF"), ("1", "EINVAL")],
                         ids=["folders", "folders-ebadf", "file"])
def test_a_folder_that_cannot_be_flushed_is_noted_once(env, bucket: str, tmp_path: Path, when: str,
                                                       error: str) -> None:
    from conftest import cli_runner
    cli = cli_runner(env)
    data = write_file(tmp_path / "src" / "f.bin", 30_000, seed=11)
    assert cli("upload", str(data), f"s3://{bucket}/cam/a/f.bin").exit_code == 0
    dest = tmp_path / "dest"  # made by the move: its name in tmp_path flushed too (a second folder fsync)
    done = subprocess.run(["strace", "-f", "-qq", "-o", os.devnull, "-e", "trace=fsync",
                           "-e", f"inject=fsync:error={error}:when={when}", sys.executable, "-m", "its_store", "mv",
                           "-r", f"s3://{bucket}/cam/", str(dest)],
                          env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, capture_output=True,
                          text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    if when == "1":  # the file's own flush refused: not known to be on disk, the object kept
        assert done.returncode == 1, done
        assert any("cannot flush to disk" in line for line in lines), lines
        assert cli("stat", f"s3://{bucket}/cam/a/f.bin").exit_code == 0
        return
    assert done.returncode == 0, done
    notes = [line for line in lines if "cannot flush folders" in line]
    assert len(notes) == 1 and "not supported" in notes[0], lines
    assert (dest / "a" / "f.bin").read_bytes() == data.read_bytes()
    assert cli("stat", f"s3://{bucket}/cam/a/f.bin").exit_code != 0  # moved: the object deleted
