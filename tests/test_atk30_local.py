"""Session 30's attacker: its-store on a different machine (a full disk, a file size limit, a destination
that is not a regular file). Each test is one finding; see the session report for the harm of each."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import one_line_error


def _upload(cli: Any, tmp_path: Path, bucket: str, key: str, data: bytes = b"frame") -> None:
    src = tmp_path / f"src-{key.replace('/', '_')}"
    src.write_bytes(data)
    run = cli("--quiet", "upload", str(src), f"s3://{bucket}/{key}")
    assert run.exit_code == 0, run


# -- 1. a download named onto a FIFO (or /dev/null, as root) renamed a regular file over it -----------------
def test_get_onto_a_fifo_keeps_the_fifo(cli: Any, bucket: str, tmp_path: Path) -> None:
    """`get KEY PATH` writes a temp file beside PATH and renames it over PATH, whatever PATH is: a named
    pipe another process reads from was replaced by a regular file (the reader never sees a byte), and as
    root `its-store get s3://b/k /dev/null` replaced the machine's /dev/null with a regular file (seen in
    this session: every later `> /dev/null` of every process wrote into that file). A destination that
    exists and is not a regular file (or a folder) must be written into, as `-` is, or refused with one
    line; never replaced."""
    _upload(cli, tmp_path, bucket, "k", b"payload")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there: a writer's open does not block
    try:
        run = cli("get", f"s3://{bucket}/k", str(fifo))
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode), f"the FIFO was replaced by a regular file: {run}"
        if run.exit_code == 0:
            assert os.read(reader, 100) == b"payload", run
        else:
            assert run.exit_code == 2, run
            one_line_error(run)
    finally:
        os.close(reader)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe", "src-k"], "a temp file was left"


# -- 2. a short write to the audit log tears a line, and the next good line is glued onto it ---------------
def _its_store(*args: str, env: dict[str, str], fsize: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:  # a full disk, without root: write() stores what fits under the limit, then EFBIG
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return subprocess.run([sys.executable, "-m", "its_store", *args], env=env, capture_output=True, text=True,
                          preexec_fn=limit, timeout=120, check=False)


def test_a_line_after_a_torn_audit_line_is_kept(cli: Any, env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    """The disk holding the audit log fills during a write: write() stores part of the line (the rest of a
    tmpfs page; here an RLIMIT_FSIZE does the same) and its-store says "short write ... its audit line is
    lost" (right). But the torn half-line stays at the end of the file without a newline, so the NEXT
    operation's line, written once there is room again, is appended onto it: one unparsable line, and
    `audit tail` / `audit ship` silently drop an operation whose audit write reported success (seen: an
    upload after the disk was freed, exit 0, no warning, missing from `audit tail`). An append must start
    on a line of its own."""
    child_env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    _upload(cli, tmp_path, bucket, "one.txt")
    audit_log = Path(env["MINIO_AUDIT_LOG"])
    full = _its_store("--quiet", "upload", str(tmp_path / "src-one.txt"), f"s3://{bucket}/two.txt", env=child_env,
                      fsize=audit_log.stat().st_size + 100)
    # said, as documented; stored, its audit line lost: exit 74 (state/audit.py)
    assert full.returncode == 74 and "short write" in full.stderr, full.stderr
    after = cli("--quiet", "upload", str(tmp_path / "src-one.txt"), f"s3://{bucket}/three.txt")
    assert after.exit_code == 0 and after.stderr == "", after  # nothing said: its line was written
    keys = [entry["key"] for entry in cli("--json", "audit", "tail", "-n", "10").jsonl()]
    assert keys == ["one.txt", "three.txt"], f"the line after the torn one was lost: {keys}"


# -- 3. a download over an existing private file made it world-readable ----------------------------------
def test_get_over_a_private_file_keeps_it_private(cli: Any, bucket: str, tmp_path: Path) -> None:
    """`get`/`cp` onto an existing file renames a new temp file (0666 minus the umask: 0644) over it, so a
    0600 file (a key, a token rotated from the bucket by cron) came out 0644: readable by every local user.
    cp(1), curl -o and rsync (without -p) all keep an existing file's permissions."""
    _upload(cli, tmp_path, bucket, "secret.key", b"new secret")
    old_umask = os.umask(0o022)
    try:
        for command in ("get", "cp"):
            target = tmp_path / f"{command}.key"
            target.write_bytes(b"old secret")
            target.chmod(0o600)
            run = cli("--quiet", command, f"s3://{bucket}/secret.key", str(target))
            assert run.exit_code == 0, run
            assert target.read_bytes() == b"new secret"
            assert stat.S_IMODE(target.stat().st_mode) == 0o600, f"{command} made a 0600 file world-readable"
    finally:
        os.umask(old_umask)


def test_get_recursive_over_a_private_file_keeps_it_private(cli: Any, bucket: str, tmp_path: Path) -> None:
    """The same through a folder (`get -r`, core/localtree.py's writer)."""
    _upload(cli, tmp_path, bucket, "keys/a.key", b"new secret")
    folder = tmp_path / "keys"
    folder.mkdir()
    (folder / "a.key").write_bytes(b"old")
    (folder / "a.key").chmod(0o600)
    old_umask = os.umask(0o022)
    try:
        run = cli("--quiet", "get", f"s3://{bucket}/keys/", str(folder), "-r")
    finally:
        os.umask(old_umask)
    assert run.exit_code == 0, run
    assert (folder / "a.key").read_bytes() == b"new secret"
    assert stat.S_IMODE((folder / "a.key").stat().st_mode) == 0o600, "get -r made a 0600 file world-readable"
