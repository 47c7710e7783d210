"""Session 30's fixes to the local writers (core/overwrite.py, used by core/files.atomic_target and
core/localtree.LocalTree.write): what a download's temp file takes over from the file it replaces."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from conftest import one_line_error


def _upload(cli: Any, tmp_path: Path, bucket: str, key: str, data: bytes) -> None:
    src = tmp_path / "src"
    src.write_bytes(data)
    assert cli("--quiet", "upload", str(src), f"s3://{bucket}/{key}").exit_code == 0


def test_get_recursive_and_sync_onto_a_fifo_in_the_folder_keep_it(cli: Any, bucket: str, tmp_path: Path) -> None:
    """A FIFO under a folder `get -r` or sync writes into is that item's failure (named, exit 2 for the
    item), never replaced by a regular file; the other files are written, no temp file is left."""
    _upload(cli, tmp_path, bucket, "d/pipe", b"p")
    _upload(cli, tmp_path, bucket, "d/plain", b"q")
    for command in (("get", f"s3://{bucket}/d/", "-r"), ("sync", f"s3://{bucket}/d/")):
        folder = tmp_path / command[0]
        folder.mkdir()
        os.mkfifo(folder / "pipe")
        run = cli(command[0], *command[1:2], str(folder), *command[2:])
        assert run.exit_code != 0, run
        assert "named pipe" in run.stderr and "Traceback" not in run.stderr, run
        assert stat.S_ISFIFO(os.lstat(folder / "pipe").st_mode), run
        assert (folder / "plain").read_bytes() == b"q", run
        assert sorted(p.name for p in folder.iterdir()) == ["pipe", "plain"], "a temp file was left"


def test_get_keeps_an_executable_file_executable(cli: Any, bucket: str, tmp_path: Path) -> None:
    """The existing file's permission bits are kept whole (a script stays 0750), as cp does."""
    _upload(cli, tmp_path, bucket, "run.sh", b"#!/bin/sh\n")
    target = tmp_path / "run.sh"
    target.write_bytes(b"old")
    target.chmod(0o750)
    assert cli("--quiet", "get", f"s3://{bucket}/run.sh", str(target)).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o750


def test_a_private_write_is_not_widened_by_the_file_it_replaces(tmp_path: Path) -> None:
    """write_atomic(mode=0o600) over a 0644 file: 0600 (a secret is never made readable by what was there)."""
    from its_store.core.files import write_atomic
    target = tmp_path / "secret"
    target.write_bytes(b"old")
    target.chmod(0o644)
    write_atomic(target, b"new", 0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_bytes() == b"new"


def test_get_onto_a_fifo_is_refused_in_one_line(cli: Any, bucket: str, tmp_path: Path) -> None:
    """The refusal names the path and says what it is, exit 2, one line."""
    _upload(cli, tmp_path, bucket, "k", b"x")
    os.mkfifo(tmp_path / "pipe")
    run = cli("get", f"s3://{bucket}/k", str(tmp_path / "pipe"))
    assert run.exit_code == 2, run
    line = one_line_error(run)
    assert "pipe is a named pipe (FIFO)" in line and "'-'" in line, line


def test_append_lines_starts_a_line_of_its_own_and_writes_to_a_write_only_log(tmp_path: Path) -> None:
    """After a torn line a newline comes first; a log open write-only (a writer that may not read it)
    is appended to as before, without that look."""
    from its_store.core.statefile import append_lines
    log = tmp_path / "log"
    log.write_bytes(b'{"torn')
    fd = os.open(log, os.O_RDWR | os.O_APPEND)
    try:
        assert append_lines(fd, b"{}\n") == 3
    finally:
        os.close(fd)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        assert append_lines(fd, b"[]\n") == 3
    finally:
        os.close(fd)
    assert log.read_bytes() == b'{"torn\n{}\n[]\n'
