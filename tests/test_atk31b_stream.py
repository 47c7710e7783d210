"""Session 31, second attacker: `get -` into a stdout in non-blocking mode (core/streams.WholeWriter).

A pipe's O_NONBLOCK flag belongs to the open file description, shared by every process of a pipeline: node's
child_process, some supervisors and earlier commands leave it set. A write then takes what fits (64 KiB) and
would block: FileIO.write (PYTHONUNBUFFERED=1, what most container images set) returns None, which
WholeWriter took for "all written" -- `get -` exited 0 having delivered 65,536 bytes of 1 MiB; a buffered
stdout raised BlockingIOError: exit 120, an error line and an "Exception ignored" report. The reader here
drains the pipe only once it is full (a real condition: FIONREAD equals the pipe's size), so the writer is
sure to meet a full non-blocking pipe.
"""

from __future__ import annotations

import array
import ctypes
import ctypes.util
import fcntl
import functools
import os
import select
import subprocess
import sys
import termios
from pathlib import Path

import pytest

F_GETPIPE_SZ = 1032


def _get_into_nonblocking_pipe(args: list[str], env: dict[str, str]) -> tuple[int, bytes, str]:
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETFL, fcntl.fcntl(write_end, fcntl.F_GETFL) | os.O_NONBLOCK)
    proc = subprocess.Popen([sys.executable, "-m", "its_store", *args], stdout=write_end, stderr=subprocess.PIPE,
                            env=env)
    os.close(write_end)
    try:
        capacity = fcntl.fcntl(read_end, F_GETPIPE_SZ)
        held = array.array("i", [0])
        while proc.poll() is None:  # wait until the pipe is full (or the command ended)
            fcntl.ioctl(read_end, termios.FIONREAD, held)
            if held[0] >= capacity:
                break
            select.select([proc.stderr], [], [], 0.05)  # pacing of the check only, not a synchronization
        got = bytearray()
        while chunk := os.read(read_end, 1 << 20):
            got += chunk
        code = proc.wait(timeout=60)
        return code, bytes(got), proc.stderr.read().decode() if proc.stderr else ""
    finally:
        os.close(read_end)
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.parametrize("unbuffered", [True, False], ids=["PYTHONUNBUFFERED", "buffered"])
def test_get_to_a_nonblocking_stdout_delivers_every_byte(unbuffered: bool, env: dict[str, str], bucket: str,
                                                         cli, tmp_path: Path) -> None:
    """Fails on main (6bbd787): unbuffered exit 0 with 65,536 of 1,048,576 bytes; buffered exit 120."""
    body = os.urandom(1024 * 1024)
    (tmp_path / "big.bin").write_bytes(body)
    assert cli("--quiet", "upload", "--compress", "none", str(tmp_path / "big.bin"), f"s3://{bucket}/big.bin"
               ).exit_code == 0
    full = {**os.environ, **env, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    full.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        full["PYTHONUNBUFFERED"] = "1"
    code, got, err = _get_into_nonblocking_pipe(["get", f"s3://{bucket}/big.bin", "-"], full)
    assert (code, len(got), err) == (0, len(body), ""), (code, len(got), err)
    assert got == body


@functools.cache
def _poll_numbers() -> frozenset[str]:
    """The numbers of poll and ppoll on this machine's architecture, as /proc/PID/syscall shows them: from
    libseccomp (a dependency of apt, so on every Debian), which knows each architecture's table. They differ:
    x86_64 7 and 271, s390x 168 and 302, and aarch64 and riscv64 have ppoll (73) only; the x86_64 numbers
    written here before never matched there, and the drain below then waited for ever."""
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2")
    resolve = lib.seccomp_syscall_resolve_name
    resolve.argtypes, resolve.restype = [ctypes.c_char_p], ctypes.c_int
    numbers = frozenset(str(n) for n in (resolve(b"poll"), resolve(b"ppoll")) if n >= 0)  # < 0: none here
    assert numbers, "libseccomp knows no poll or ppoll on this architecture"
    return numbers


def _blocked_in_poll(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/syscall") as f:
            return f.read().split()[0] in _poll_numbers()
    except (OSError, IndexError):
        return False


@pytest.mark.parametrize("unbuffered", [True, False], ids=["PYTHONUNBUFFERED", "buffered"])
def test_a_listing_to_a_nonblocking_stdout_is_whole(unbuffered: bool, env: dict[str, str], s3_server,
                                                    bucket: str, tmp_path: Path) -> None:
    """`ls -r --json` of ~100 KB into a non-blocking pipe that is drained once the command waits (blocked in
    poll with bytes in the pipe) or ends. Fails on main (6bbd787): unbuffered exit 0 with ~60 KB of the
    listing, buffered exit 1 'local I/O error: write could not complete without blocking'."""
    import io

    from conftest import plain_client
    client = plain_client(s3_server)
    long = "/".join(c * 200 for c in "abc")
    for i in range(120):
        client.put_object(bucket, f"{long}/{i:03d}", io.BytesIO(b"x"), 1)
    full = {**os.environ, **env, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    full.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        full["PYTHONUNBUFFERED"] = "1"
    expected = subprocess.run([sys.executable, "-m", "its_store", "ls", "-r", "--json", f"s3://{bucket}/"],
                              env=full, capture_output=True, timeout=60, check=True).stdout
    assert len(expected) > 96 * 1024, len(expected)
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETFL, fcntl.fcntl(write_end, fcntl.F_GETFL) | os.O_NONBLOCK)
    proc = subprocess.Popen([sys.executable, "-m", "its_store", "ls", "-r", "--json", f"s3://{bucket}/"],
                            stdout=write_end, stderr=subprocess.PIPE, env=full)
    os.close(write_end)
    held = array.array("i", [0])
    try:
        while proc.poll() is None:
            fcntl.ioctl(read_end, termios.FIONREAD, held)
            if held[0] and _blocked_in_poll(proc.pid):
                break
            select.select([proc.stderr], [], [], 0.05)  # pacing of the check only
        got = bytearray()
        while chunk := os.read(read_end, 1 << 20):
            got += chunk
        code = proc.wait(timeout=60)
        err = proc.stderr.read().decode() if proc.stderr else ""
    finally:
        os.close(read_end)
        if proc.stderr:
            proc.stderr.close()
    assert (code, len(got), err) == (0, len(expected), ""), (code, len(got), err)
    assert bytes(got) == expected
