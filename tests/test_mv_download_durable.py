"""`mv s3://... LOCAL` deletes the object once the downloaded file is verified. The file was renamed into place
straight from the page cache: nothing had written it to the disk when the DELETE went out. A power cut (a
roadside cabinet's most common failure) in the next seconds then kept the new name over a file with no data in
it (ext4, xfs: the data of a new file is written back up to ~30 s later) while the only other copy, the
object, was gone. Now the file and its folder are fsync'd before the DELETE is sent.

A power cut cannot be asked of the test machine, so the order is read from the system calls themselves:
strace -f -y names the file each fsync flushes, and shows when the DELETE request is written to the socket.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import DEADLINE, ROOT, write_file


def traced_cli(args: list[str], env: dict[str, str], cwd: Path, trace: Path,
               extra: str = "") -> subprocess.CompletedProcess[bytes]:
    """`its-store ARGS` under strace: fsync/fdatasync (with the path of the file flushed), renames, and the
    requests written to sockets (and the calls in `extra`, "open,openat"), in order, to `trace`."""
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    calls = "fsync,fdatasync,sendto,rename,renameat,renameat2" + (f",{extra}" if extra else "")
    return subprocess.run(["strace", "-f", "-y", "-qq", "-s", "24", "-o", str(trace),
                           "-e", f"trace={calls}",
                           sys.executable, "-m", "its_store", *args],
                          env=full, cwd=cwd, capture_output=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)


def first_line(lines: list[str], pattern: str) -> int:
    found = [n for n, line in enumerate(lines) if re.search(pattern, line)]
    assert found, f"no {pattern!r} in the trace:\n" + "\n".join(lines[-40:])
    return found[0]


def traced_move(env: dict[str, str], bucket: str, tmp_path: Path, recursive: bool, size: int,
                extra: str = "") -> tuple[Path, list[str]]:
    """s3://BUCKET/cam/f.bin (`size` bytes) moved to tmp_path/dest/f.bin (`mv`, or `mv -r` of cam/) under
    strace (traced_cli); returns the folder and the trace's lines, the file checked."""
    data = write_file(tmp_path / "src" / "f.bin", size, seed=37)
    from conftest import cli_runner
    assert cli_runner(env)("upload", str(data), f"s3://{bucket}/cam/f.bin").exit_code == 0
    dest = tmp_path / "dest"
    args = (["mv", "-r", f"s3://{bucket}/cam/", str(dest)] if recursive
            else ["mv", f"s3://{bucket}/cam/f.bin", str(dest / "f.bin")])
    trace = tmp_path / "trace.txt"
    done = traced_cli(args, env, tmp_path, trace, extra)
    assert done.returncode == 0, done.stderr.decode()
    assert (dest / "f.bin").read_bytes() == data.read_bytes()
    return dest, trace.read_text(errors="replace").splitlines()


@pytest.mark.parametrize("recursive", [False, True], ids=["one", "recursive"])
def test_a_moved_download_is_on_disk_before_the_source_is_deleted(env, bucket: str, tmp_path: Path,
                                                                   recursive: bool) -> None:
    dest, lines = traced_move(env, bucket, tmp_path, recursive, 300_000)
    delete = first_line(lines, r'sendto\(.*"DELETE ')
    # the file's data: flushed through a descriptor on the file itself (its temp name, or its final one)
    flushed = first_line(lines, rf"f(data)?sync\(\d+<{re.escape(str(dest))}/(\.f\.bin\.[0-9-]+\.its-tmp|f\.bin)>\)")
    folder = first_line(lines, rf"f(data)?sync\(\d+<{re.escape(str(dest))}>\)")  # its name in the folder
    renamed = first_line(lines, r"rename.*its-tmp")
    assert flushed < delete, "the DELETE was sent before the downloaded file was flushed to disk"
    assert renamed < folder < delete, "the DELETE was sent before the file's folder was flushed to disk"
