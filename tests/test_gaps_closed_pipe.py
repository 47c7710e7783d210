"""One rule for a closed pipe (the reader of stdout went away: `its-store ... | head -1`), for every command that
writes to stdout: it stops there, says nothing, and exits 141 (128 + SIGPIPE, what a shell shows for GNU
tools, rclone and mc in the same place), and leaves nothing half done. Before, `get -` and `ls` exited 1
(click's and rich's own handlers), indistinguishable from a failure of the command in a `set -o pipefail`
script. Real pipes: the read end is closed before the command starts, so every write fails (deterministic),
and once through a shell's `| head -c1` on an object larger than a pipe holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXIT_PIPE = 141


def _run_into_closed_pipe(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`its-store ARGS` with stdout a pipe whose reader is already gone."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "its_store", *args], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, env=env, timeout=120, check=False, cwd=cwd)
    finally:
        os.close(write_end)


@pytest.fixture
def seeded(env: dict[str, str], bucket: str, tmp_path: Path, cli: Any) -> str:
    small, big = tmp_path / "small.txt", tmp_path / "big.bin"
    small.write_bytes(b"hello\n")
    big.write_bytes(os.urandom(1024 * 1024))
    for path, key in ((small, "small.txt"), (big, "big.bin")):
        assert cli("--quiet", "upload", str(path), f"s3://{bucket}/{key}").exit_code == 0
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(12):
        (folder / f"f{i:02d}.txt").write_bytes(b"%d\n" % i * 100)
    assert cli("--quiet", "upload", str(folder), f"s3://{bucket}/many/", "-r").exit_code == 0
    return bucket


@pytest.mark.parametrize("args", [
    ("ls", "s3://{b}/"),
    ("ls", "-r", "--json", "s3://{b}/"),
    ("get", "s3://{b}/big.bin", "-"),
    ("stat", "--json", "s3://{b}/small.txt"),
    ("bucket", "ls"),  # a rich table: rich's own handler exited 1
    ("--version",),
], ids=["ls", "ls-json", "get", "stat-json", "bucket-ls", "version"])
def test_a_closed_pipe_exits_141_without_a_word(seeded: str, args: tuple[str, ...]) -> None:
    run = _run_into_closed_pipe(*(a.format(b=seeded) for a in args))
    assert run.returncode == EXIT_PIPE, run
    assert run.stderr == "", run.stderr  # no traceback, no "Exception ignored", no error line


def test_a_failure_keeps_its_own_code_over_a_closed_pipe(seeded: str) -> None:
    run = _run_into_closed_pipe("stat", f"s3://{seeded}/no-such-key")
    assert run.returncode == 3 and run.stderr.startswith("its-store: error: object not found"), run


def test_a_sync_stopped_by_a_closed_pipe_leaves_only_whole_files(seeded: str, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    run = _run_into_closed_pipe("sync", f"s3://{seeded}/many/", str(dest))
    assert run.returncode == EXIT_PIPE and run.stderr == "", run
    for path in dest.iterdir() if dest.exists() else ():  # stopped early: whatever is there is whole
        assert path.name.startswith("f") and path.read_bytes() == b"%d\n" % int(path.stem[1:]) * 100, path


def test_pipefail_with_head_sees_141_from_get(seeded: str) -> None:
    """The user of the rule: `set -o pipefail` and `| head`. 1 MiB does not fit a pipe, so the reader's exit
    is always seen by the writer."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    script = (f'set -o pipefail; "{sys.executable}" -m its_store get s3://{seeded}/big.bin - | head -c1 >/dev/null; '
              'echo "${PIPESTATUS[0]} ${PIPESTATUS[1]}"')
    run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert run.stdout.split() == [str(EXIT_PIPE), "0"], run
    assert run.stderr == "", run.stderr


def test_a_short_write_is_finished_not_dropped() -> None:
    """CPython's sys.stdout.buffer.write may take part of the data and return the count (a pipe whose reader
    left after 64 KiB: 65536 of 1 MiB, no error): download_to_stream writes the rest again (core/streams)."""
    from its_store.core.streams import WholeWriter

    class Sip:
        def __init__(self) -> None:
            self.got = bytearray()

        def write(self, data: bytes) -> int:
            self.got += bytes(data[:3])
            return min(3, len(data))

    sip = Sip()
    assert WholeWriter(sip).write(b"0123456789") == 10
    assert bytes(sip.got) == b"0123456789"
