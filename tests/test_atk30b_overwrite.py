"""Attack on core/overwrite.take_over (session 30): a download's target that is a symbolic link to a named
pipe, a device or a socket. On Linux /dev/stdout, /dev/stderr and /dev/fd/N are such links: the module's
own docstring names /dev/stdout among the targets refused, but a link was "replaced, not followed", so as
root `its-store get s3://b/k /dev/stdout` renamed a regular file over the machine's /dev/stdout (every later
`> /dev/stdout` of every process wrote into that file). The tests use a link in tmp_path to a FIFO of their
own: the same decision, nothing of the machine at stake."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from conftest import one_line_error


def _upload(cli: Any, tmp_path: Path, bucket: str, key: str, data: bytes = b"frame") -> None:
    src = tmp_path / f"src-{key.replace('/', '_')}"
    src.write_bytes(data)
    run = cli("--quiet", "upload", str(src), f"s3://{bucket}/{key}")
    assert run.exit_code == 0, run
    src.unlink()


def test_get_onto_a_link_to_a_fifo_keeps_both(cli: Any, bucket: str, tmp_path: Path) -> None:
    """A link whose target is a FIFO (as /dev/stdout is a link to /proc/self/fd/1, often a pipe) is refused
    as the FIFO itself is (exit 2, one line): neither the link nor the FIFO is replaced, no temp file left."""
    _upload(cli, tmp_path, bucket, "k", b"payload")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "out"
    link.symlink_to(fifo)
    run = cli("get", f"s3://{bucket}/k", str(link))
    assert os.path.islink(link), f"the link was replaced by a regular file: {run}"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), run
    assert run.exit_code == 2, run
    assert "named pipe" in one_line_error(run), run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "pipe"], "a temp file was left"


def test_get_recursive_onto_a_link_to_a_fifo_inside_keeps_it(cli: Any, bucket: str, tmp_path: Path) -> None:
    """get -r into a folder where one file's name is a link to a FIFO: that file is refused (the others
    written), the link stays a link."""
    _upload(cli, tmp_path, bucket, "d/a", b"A")
    _upload(cli, tmp_path, bucket, "d/b", b"B")
    dst = tmp_path / "dst"
    dst.mkdir()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (dst / "b").symlink_to(fifo)
    run = cli("get", f"s3://{bucket}/d/", str(dst), "-r")
    assert os.path.islink(dst / "b"), f"the link was replaced by a regular file: {run}"
    assert (dst / "a").read_bytes() == b"A", run
    assert run.exit_code != 0, run
