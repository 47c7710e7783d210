"""The async façade's worker threads: blocking library calls run here, never on the event loop.

One concern: how a blocking call is run for a coroutine (a lazily made thread pool, re-made in a forked
child, shut down by the façade's close(); the caller's contextvars carried into the thread). The façades
(its_store/aio/__init__.py) decide what runs; this decides where.

Debug lines go to the `its_store.aio` logger, as the façade's own do.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from its_store.core import forks

log = logging.getLogger("its_store.aio")
T = TypeVar("T")
DEFAULT_THREADS = 8


class _Runner:
    """Runs blocking callables in a lazily created thread pool. Re-created in a forked child (the
    parent's threads do not exist there: work queued to its pool waited forever); shut down by close()."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False
        forks.renew_in_child(self._renew_in_child)

    def _renew_in_child(self) -> None:
        self._pool = None
        self._lock = threading.Lock()

    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            with self._lock:
                if self._closed:
                    from its_store.core.errors import ClosedError
                    raise ClosedError("this async service is closed", hint="build a new one")
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="its-aio")
        return self._pool

    @property
    def closed(self) -> bool:
        return self._closed

    def shutdown(self) -> None:
        """Stop the threads (after the calls already running); later calls raise ItsStoreError."""
        with self._lock:
            pool, self._pool, self._closed = self._pool, None, True
        if pool is not None:
            pool.shutdown(wait=True)

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`await fn(*args, **kwargs)` in a worker thread, with the caller's contextvars."""
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        name = getattr(fn, "__name__", "call")
        started = time.perf_counter()
        try:
            return await loop.run_in_executor(self.pool(), call)
        finally:
            log.debug("%s finished in %.1f ms (worker thread)", name, (time.perf_counter() - started) * 1000)


