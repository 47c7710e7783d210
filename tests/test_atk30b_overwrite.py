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


def test_get_over_another_users_open_file_is_not_left_world_writable(cli: Any, bucket: str, tmp_path: Path) -> None:
    """A download keeps the permission bits of the file it replaces (session 30), but not its owner: the
    new file is the downloader's. Over a file another user made 0666 (pre-created where the download
    will land: a shared or sticky folder, root's cron job), the verified download became world-writable
    (was 0644 under umask 022): any local user could change it after its checks. A file of another user
    gives at most what a new file would get (its bits narrowed, never widened); one's own keeps its bits.
    Needs root to make a file of another user (the suite runs as root)."""
    _upload(cli, tmp_path, bucket, "model.onnx", b"weights")
    target = tmp_path / "model.onnx"
    target.write_bytes(b"planted")
    os.chown(target, 54321, 54321)
    os.chmod(target, 0o666)
    old = os.umask(0o022)
    try:
        run = cli("get", f"s3://{bucket}/model.onnx", str(target))
    finally:
        os.umask(old)
    assert run.exit_code == 0, run
    assert target.read_bytes() == b"weights"
    info = os.stat(target)
    assert info.st_uid == os.geteuid(), "the download is the downloader's"
    assert stat.S_IMODE(info.st_mode) & 0o022 == 0, oct(info.st_mode)


def test_get_over_another_users_private_file_stays_private(cli: Any, bucket: str, tmp_path: Path) -> None:
    _upload(cli, tmp_path, bucket, "key.pem", b"secret")
    target = tmp_path / "key.pem"
    target.write_bytes(b"old")
    os.chown(target, 54321, 54321)
    os.chmod(target, 0o600)
    run = cli("get", f"s3://{bucket}/key.pem", str(target))
    assert run.exit_code == 0, run
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_get_onto_a_link_into_proc_is_refused(cli: Any, bucket: str, tmp_path: Path) -> None:
    """/dev/stdout is a link to /proc/self/fd/1: with stdout redirected to a regular file (`> out.txt`) the
    link's target is a regular file, and as root the download was renamed over the machine's /dev/stdout.
    A link into /proc names a process's descriptor: refused whatever it is open on (exit 2, use '-')."""
    _upload(cli, tmp_path, bucket, "k", b"payload")
    out = os.open(tmp_path / "out.txt", os.O_WRONLY | os.O_CREAT, 0o644)  # `> out.txt`: a regular file
    try:
        link = tmp_path / "stdout"
        link.symlink_to(f"/proc/self/fd/{out}")  # the CLI runs in this process: its descriptor `out`
        run = cli("get", f"s3://{bucket}/k", str(link))
        assert os.path.islink(link) and os.readlink(link) == f"/proc/self/fd/{out}", run
        assert run.exit_code == 2, run
        one_line_error(run)
    finally:
        os.close(out)
