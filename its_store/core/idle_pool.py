"""A thread pool whose idle threads retire: for a service that runs for months (sync --watch).

concurrent.futures.ThreadPoolExecutor starts a thread per submit while none is idle, up to its size, and
keeps every thread it started until shutdown. The watcher's backlog grows (a camera catching up after an
outage: 16 upload threads) and drains (one frame a second: one thread is plenty), so its process kept the
peak's threads, each with its stack and per-thread state, forever. IdlePool starts threads the
same way (one more only while more tasks wait than threads are idle, up to `size`) and a thread that found
no task for `idle` seconds ends. Tasks run in the order submitted; a retired thread is started again by a
later submit. The pool is a concurrent.futures.Executor: submit() returns a Future, shutdown() finishes the
queued tasks (or cancels them) and joins the threads.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

__all__ = ["IDLE_SECONDS", "IdlePool"]

IDLE_SECONDS = 60.0  # a thread with nothing to do for this long ends


class IdlePool(Executor):
    """At most `size` threads named `name`_N; each ends after `idle` seconds without a task."""

    def __init__(self, size: int, *, idle: float = IDLE_SECONDS, name: str = "its-pool", daemon: bool = False) -> None:
        if size < 1:
            raise ValueError("an IdlePool needs at least 1 thread")
        self.size, self.idle, self.name = size, idle, name
        self.daemon = daemon  # threads the interpreter does not wait for at exit (a task left behind on purpose)
        lock = threading.Lock()
        self._cond = threading.Condition(lock)  # the threads' comings and goings (wait_threads) and shutdown
        self._ready = threading.Condition(lock)  # idle threads wait here for a task: one woken per task
        self._tasks: deque[tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = deque()
        self._threads: set[threading.Thread] = set()
        self._waiting = 0  # threads idle, waiting for a task
        self._started = 0  # threads ever started (their names' numbers)
        self._closed = False

    @property
    def threads(self) -> int:
        """How many threads are alive now (running a task or idle)."""
        with self._cond:
            return len(self._threads)

    def wait_threads(self, predicate: Callable[[int], bool], timeout: float | None = None) -> bool:
        """Wait until predicate(number of threads) holds (tests: a condition, not a sleep). False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(len(self._threads)), timeout)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("cannot submit to a pool after shutdown")
            self._tasks.append((future, fn, args, kwargs))
            if len(self._tasks) > self._waiting and len(self._threads) < self.size:
                self._start()
            else:
                self._ready.notify()  # one idle thread for one task (all of them woke before, for one)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._cond:
            self._closed = True
            if cancel_futures:
                while self._tasks:
                    self._tasks.popleft()[0].cancel()
            threads = list(self._threads)
            self._ready.notify_all()
            self._cond.notify_all()
        if wait:
            for thread in threads:
                thread.join()

    # ------------------------------------------------------------------------------ the threads
    def _start(self) -> None:
        """One more thread (the lock held)."""
        self._started += 1
        thread = threading.Thread(target=self._work, name=f"{self.name}_{self._started}", daemon=self.daemon)
        self._threads.add(thread)
        thread.start()

    def _work(self) -> None:
        while True:
            task = self._next()
            if task is None:
                return
            future, fn, args, kwargs = task
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to the Future, as ThreadPoolExecutor does
                future.set_exception(exc)
                del exc
            else:
                future.set_result(result)
            del task, future, fn, args, kwargs  # nothing of a finished task is kept while idle

    def _next(self) -> tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None:
        """The next task; None when this thread ends: the pool is shut down and no task is left, or none
        came for `idle` seconds (the thread leaves the pool under the lock, so a submit then starts
        another)."""
        with self._cond:
            while not self._tasks:
                if self._closed:
                    self._leave()
                    return None
                self._waiting += 1
                try:
                    came = self._ready.wait_for(lambda: self._tasks or self._closed, self.idle)
                finally:
                    self._waiting -= 1
                if not came:
                    self._leave()
                    return None
            return self._tasks.popleft()

    def _leave(self) -> None:
        """This thread ends (the lock held); wait_threads() callers hear of it."""
        self._threads.discard(threading.current_thread())
        self._cond.notify_all()
