"""Session 32 attack: `upload -` from a standard input left in non-blocking mode.

Stop 31 fixed the output side (a stdout pipe whose O_NONBLOCK flag another process of the pipeline set:
core/streams.WholeWriter). The input side has the same shape: O_NONBLOCK belongs to the open file
description, which every reader of the pipe shares (a shell group `{ node x; its-store upload - ...; } <
pipe`, supervisors, an earlier reader). A read of an empty non-blocking pipe returns None from
BufferedReader.read (EAGAIN), and `upload -` takes that for the end of the data: it stores what it read so far,
exit 0 "uploaded", with an its-sha256 of the truncated bytes, so `verify` calls the cut object ok for ever.

No timing: the test writes the first 1,000 bytes, waits until the CLI has read them (FIONREAD of the pipe is
0) and until the CLI either ended, or sent its PUT, or waits for stdin in the kernel (a thread of it in
poll/select/read(0)): only then does it write the rest and close the pipe.
"""

from __future__ import annotations

import array
import fcntl
import os
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest
from faultserver import FaultServer

from conftest import ServerInfo
from helpers import DEADLINE, ROOT

BUCKET = "stdin-b"
# x86_64: read, poll, select, epoll_wait, pselect6, ppoll, epoll_pwait
WAITING = {"0", "7", "23", "232", "270", "271", "281"}


def _waits_for_input(pid: int) -> bool:
    """Whether a thread of `pid` sits in the kernel waiting for input (x86_64 syscall numbers)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return True  # gone: nothing left to wait for
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/syscall") as f:
                fields = f.read().split()
        except OSError:
            continue
        if fields and fields[0] in WAITING and (fields[0] != "0" or fields[1] == "0x0"):
            return True
    return False


def test_upload_from_a_nonblocking_stdin_stores_every_byte(tmp_path: Path) -> None:
    """Fails on main (a83dc6e): exit 0, `total_size` 1000, the stored object 1,000 of 300,000 bytes."""
    data = os.urandom(300_000)
    with FaultServer(buckets=(BUCKET,)) as server:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MINIO_")},
               **ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123").env(), "PYTHONPATH": str(ROOT),
               "MINIO_MAX_RETRIES": "0", "MINIO_CACHE_DIR": str(tmp_path / "cache"),
               "MINIO_AUDIT_LOG": str(tmp_path / "audit.log")}
        read_end, write_end = os.pipe()
        fcntl.fcntl(read_end, fcntl.F_SETFL, fcntl.fcntl(read_end, fcntl.F_GETFL) | os.O_NONBLOCK)
        proc = subprocess.Popen([sys.executable, "-m", "its_store", "--json", "upload", "--compress", "none", "-",
                                 f"s3://{BUCKET}/cut.bin"], stdin=read_end, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=tmp_path)
        os.close(read_end)
        stop = threading.Event()
        timer = threading.Timer(DEADLINE, stop.set)  # a safety net against a hang, never a verdict
        timer.start()
        try:
            os.write(write_end, data[:1000])
            held = array.array("i", [0])
            while True:
                fcntl.ioctl(write_end, termios.FIONREAD, held)
                sent = server.seen("PUT") or server.seen("POST")
                if held[0] == 0 and (proc.poll() is not None or sent or _waits_for_input(proc.pid)):
                    break
                if stop.wait(0.02):
                    pytest.fail("the CLI neither read its input nor ended")
            try:
                os.write(write_end, data[1000:])
            except BrokenPipeError:
                pass  # the CLI ended after the first 1,000 bytes
            os.close(write_end)
            out, err = proc.communicate(timeout=DEADLINE)
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        stored = server.objects.get((BUCKET, "cut.bin"))
    assert stored is None or stored.data == data, (
        f"exit {proc.returncode}: stored {len(stored.data)} of {len(data)} bytes; stdout {out[:300]!r}, "
        f"stderr {err[:300]!r}")
    assert proc.returncode == 0, err
    assert stored is not None and stored.data == data
