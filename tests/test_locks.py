"""core/files.take_lock / file_lock, THE cross-process lock (filelock), without a server: it excludes other
processes and other threads, never waits when told not to, is released by whichever thread ends the work
and by the death of its holder, and leaves a private lock file in place. No timing: processes and threads
meet on pipes and events."""

from __future__ import annotations

import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from its_store.core.files import LockBusy, file_lock, take_lock

SAFETY = 60.0
_HOLD = ("import sys\nfrom its_store.core.files import take_lock\nrelease = take_lock(sys.argv[1])\n"
         "print('holding', flush=True)\nsys.stdin.read()\n")


def test_another_process_holding_it_makes_a_non_waiting_take_fail_at_once(tmp_path: Path):
    path = tmp_path / "deep" / "folder" / "x.lock"  # its folder is created
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        with pytest.raises(LockBusy):
            take_lock(path, wait=False)
    finally:
        holder.kill()  # SIGKILL: no release; the lock goes with the process
        holder.wait(SAFETY)
    release = take_lock(path, wait=False)
    release()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # left in place, private


def test_threads_of_one_process_exclude_each_other():
    inside = most = 0
    count = threading.Lock()

    def work(path: Path) -> None:
        nonlocal inside, most
        for _ in range(30):
            with file_lock(path):
                with count:
                    inside += 1
                    most = max(most, inside)
                with count:
                    inside -= 1

    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        threads = [threading.Thread(target=work, args=(Path(folder) / "t.lock",)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(SAFETY)
    assert most == 1


def test_a_waiting_take_gets_it_once_released(tmp_path: Path):
    path = tmp_path / "w.lock"
    release = take_lock(path)
    got = threading.Event()

    def waiter() -> None:
        with file_lock(path):
            got.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    with pytest.raises(LockBusy):  # still held by us: the waiter is waiting, not holding
        take_lock(path, wait=False)
    assert not got.is_set()
    release()
    assert got.wait(SAFETY)
    thread.join(SAFETY)


def test_released_from_another_thread_than_the_one_that_took_it(tmp_path: Path):
    """The watcher's journal lock is taken by whoever opens it and released by whoever closes it."""
    path = tmp_path / "j.lock"
    release = take_lock(path, wait=False)
    thread = threading.Thread(target=release)
    thread.start()
    thread.join(SAFETY)
    take_lock(path, wait=False)()  # free again
