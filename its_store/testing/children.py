"""Server processes that die with the Python process that started them (their owner).

A throwaway server (its_store/testing/devserver.py, tests/servers.py) runs in a session of its own, so
that stop() can kill its whole process group. Without more, an owner killed by a signal left it running:
nothing stops it but a `kill` by pid. Two things here prevent that:

- `spawn()`: the child asks the kernel for SIGKILL when its parent goes (Linux PR_SET_PDEATHSIG, set
  between fork and exec, and kept across exec). The kernel counts the parent as gone when the THREAD that
  forked ends, not the process: a server started from a short-lived thread (a worker, a fixture run in
  a thread) would die with that thread. So every child is forked by one spawner thread that lives as long
  as the process does (started again in a forked child of the owner). A parent gone before the request
  took effect is caught too (the child's parent is then no longer the owner: it kills itself).
- `own()`: SIGTERM to the owner stops its servers the way stop() does (their folders removed), then the
  owner dies of SIGTERM as before. The handler is set when this module is first imported from the main
  thread (Python sets handlers there only; servers are often started from other threads), and only over
  the default action (a program's own handler, or an ignored SIGTERM, is left alone). A normal exit stops
  them too (atexit). SIGKILL cannot be caught: the server
  dies (PR_SET_PDEATHSIG) and its folder stays. A forked child of the owner owns none of them (its exit
  or its SIGTERM stops nothing of the owner's).
"""

from __future__ import annotations

import atexit
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

__all__ = ["own", "disown", "spawn"]

_PR_SET_PDEATHSIG = 1  # <sys/prctl.h>
_lock = threading.RLock()  # re-entered by the SIGTERM handler when it interrupts own()
_spawner: tuple[int, queue.SimpleQueue[tuple[list[str], dict[str, Any], Future[Any]]]] | None = None
_owned: dict[int, Stoppable] = {}
_hooked = False  # the SIGTERM handler (main thread only)
_exit_hooked = False


class Stoppable(Protocol):
    def stop(self, remove: bool = True) -> None: ...


def spawn(args: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """subprocess.Popen(args, **popen), forked by the spawner thread, the child killed when this process
    ends however it ends (see the module's docstring)."""
    done: Future[subprocess.Popen[bytes]] = Future()
    _queue().put((args, {**popen, "preexec_fn": _die_with(os.getpid())}, done))
    return done.result()


def _queue() -> queue.SimpleQueue[tuple[list[str], dict[str, Any], Future[Any]]]:
    global _spawner
    with _lock:
        if _spawner is None or _spawner[0] != os.getpid():  # none yet, or the owner's in a forked child
            jobs: queue.SimpleQueue[tuple[list[str], dict[str, Any], Future[Any]]] = queue.SimpleQueue()
            threading.Thread(target=_serve, args=(jobs,), name="its-store-spawner", daemon=True).start()
            _spawner = (os.getpid(), jobs)
        return _spawner[1]


def _serve(jobs: queue.SimpleQueue[tuple[list[str], dict[str, Any], Future[Any]]]) -> None:
    """The spawner thread: forks every child, and never ends before the process does."""
    while True:
        args, popen, done = jobs.get()
        try:
            done.set_result(subprocess.Popen(args, **popen))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
            done.set_exception(exc)


def _die_with(owner: int) -> Callable[[], None] | None:
    """The preexec_fn that asks for SIGKILL when the parent goes (Linux; elsewhere none)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, called after it

    def in_child() -> None:
        if prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != owner:  # the owner died before the request took effect
            os.kill(os.getpid(), signal.SIGKILL)
    return in_child


def own(server: Stoppable) -> None:
    """Stop `server` (server.stop()) when this process gets SIGTERM or exits; disown() undoes it."""
    with _lock:
        _owned[id(server)] = server
    _hook()


def _hook() -> None:
    """atexit and SIGTERM, once each. Called when this module is imported too: a server is often started
    from another thread (a fixture, a worker), where Python cannot set a signal handler; atexit can be
    registered from any thread, so it is at once (first imported from a thread, the module still stops
    its servers at a normal exit)."""
    global _hooked, _exit_hooked
    with _lock:
        if not _exit_hooked:
            _exit_hooked = True
            atexit.register(_stop_all)
        if _hooked or threading.current_thread() is not threading.main_thread():
            return
        _hooked = True
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def disown(server: Stoppable) -> None:
    with _lock:
        _owned.pop(id(server), None)


def _stop_all() -> None:
    with _lock:
        servers = list(_owned.values())
    for server in servers:
        try:
            server.stop()
        except Exception:  # noqa: BLE001 - the others are still stopped; the process is ending
            pass


def _forked() -> None:
    """In a forked child: none of the owner's servers is the child's (their stop() would kill the owner's
    process groups and remove its folders when the child exits or gets SIGTERM: a multiprocessing
    worker's terminate()); and the lock may have been held by an owner thread that is not in the child."""
    global _lock
    _lock = threading.RLock()
    _owned.clear()


def _on_sigterm(signum: int, _frame: object) -> None:
    """Stop the servers, then die of SIGTERM as the owner would have without this handler."""
    _stop_all()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


os.register_at_fork(after_in_child=_forked)
_hook()
