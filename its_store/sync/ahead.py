"""The march of a sync on its own thread, ahead of the workers that run its tasks.

The fan-out (transfer/fanout.py) draws its input when a worker is free: with the march as its input, a sync
whose first pairs need uploads stopped marching while every worker uploaded, and found the next changed
file only when one of them was done (W7: the 20 new frames, at the end of 2,000 names, started ~100 ms after
the first 16 uploads ended instead of with them). Here the march runs on as far as `limit` tasks ahead of
the workers (memory stays bounded), so a task is waiting when a worker is free.

The source is iterated, and closed, only by this module's thread; what it raises is raised to the reader
after the items it gave before (as fan_out raises its input's error).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class ReadAhead(Generic[T]):
    """An iterator over `source`, which a thread of its own reads up to `limit` items ahead. `then` runs on
    that thread once the source is used up (not when it failed or the reader stopped), before the reader
    sees the end. close() stops the thread and joins it."""

    def __init__(self, source: Iterator[T], limit: int, *, name: str = "its-ahead",
                 then: Callable[[], None] | None = None) -> None:
        self._source, self._limit, self._then = source, max(limit, 1), then
        self._items: deque[T] = deque()
        self._cond = threading.Condition()
        self._ended = self._stopped = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def __iter__(self) -> ReadAhead[T]:
        return self

    def __next__(self) -> T:
        with self._cond:
            while not self._items and not self._ended:
                self._cond.wait()
            if self._items:
                item = self._items.popleft()
                self._cond.notify_all()
                return item
            error, self._error = self._error, None
        if error is not None:
            raise error
        raise StopIteration

    def close(self, interrupted: bool = False) -> None:
        """Stop reading the source and wait for the thread to be done with it (a request it is making ends
        first). `interrupted` (Ctrl-C, SIGTERM unwinding): a request waiting to be retried is not retried
        (core/retry.interrupting), as fan_out stops its workers."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if not interrupted:
            self._thread.join()
            return
        from its_store.core.retry import interrupting
        with interrupting():
            self._thread.join()

    def _run(self) -> None:
        source, cond, items = self._source, self._cond, self._items
        try:
            for item in source:
                with cond:
                    while len(items) >= self._limit and not self._stopped:
                        cond.wait()
                    if self._stopped:
                        break
                    items.append(item)
                    cond.notify_all()
            else:
                if self._then is not None:
                    self._then()
        except BaseException as exc:  # noqa: BLE001 - raised to the reader, after the items before it
            self._error = exc
        finally:
            close = getattr(source, "close", None)
            try:
                if close is not None:
                    close()  # a generator stopped midway: its cleanup runs here, on the thread that ran it
            except Exception as exc:  # noqa: BLE001 - raised to the reader unless an error came first
                self._error = self._error or exc
            with cond:
                self._ended = True
                cond.notify_all()
