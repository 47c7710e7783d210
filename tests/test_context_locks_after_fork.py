"""A Context's locks in a process forked while another thread held one: the child gets its own, free.

service/delete_guard.versioning holds Context.versioning_lock across a GET ?versioning (a network round trip,
`mv -r`'s workers wait on it); a library user's fork meanwhile (multiprocessing's default start method on
Linux) copied it held, and the child's first move out of that bucket waited for ever. The S3 client renews its
own probe lock in a child (s3/client._connect); the Context now does the same with its locks.
"""

from __future__ import annotations

import os
import threading

import pytest

from its_store.core.settings import Settings
from its_store.service.context import Context


@pytest.mark.parametrize("lock", ["versioning_lock", "_lock"])
def test_a_lock_held_at_the_fork_is_free_in_the_child(lock: str) -> None:
    ctx = Context(Settings(endpoint="127.0.0.1:1"))
    held, release = threading.Event(), threading.Event()

    def holder() -> None:  # stands for a worker reading the bucket's versioning at the fork
        with getattr(ctx, lock):
            held.set()
            release.wait()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait()
    pid = os.fork()
    if pid == 0:  # the child: the lock must be free (no other thread of the child can ever release it)
        os._exit(0 if getattr(ctx, lock).acquire(blocking=False) else 1)
    release.set()
    thread.join()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"the child found Context.{lock} held by the parent's thread"
    ctx.close()

