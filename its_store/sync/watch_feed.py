"""What the watcher's threads share: the bounded queue of changes, the event sink, and three signals.

The watcher (watch.py) has one scheduling thread that owns all its state, and two producer threads: the
kernel events (watch_events.py) and the first pass (watch_pass.py). Producers reach the watcher through
this Feed only: they queue (kind, path) changes for the scheduling thread, emit events (the sink is
called from several threads, as it always was), and look at the signals. None of them touches the
watcher's state, so none of them needs the watcher.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from its_store.sync.watch_report import WatchEvent, event

EventSink = Callable[[WatchEvent], None]

CHANGES_MAX = 10_000  # kernel events queued for the scheduling thread at most


class Feed:
    """The channel from the watcher's producer threads to its scheduling thread."""

    def __init__(self, on_event: EventSink | None = None, size: int = CHANGES_MAX) -> None:
        self.on_event: EventSink = on_event or (lambda event: None)
        self.changes: queue.Queue[tuple[str, str]] = queue.Queue(size)
        self.stopping = threading.Event()  # stop() was asked: no new uploads, the first pass gives up
        self.closed = threading.Event()    # the scheduling loop is over: the event thread ends, put() gives up
        self.watching = threading.Event()  # the kernel watch is in place (or will never be)

    def put(self, kind: str, path: str) -> None:
        """Queue a change for the scheduling thread; waits while the (bounded) queue is full, gives up once
        the loop is over (nobody would read it)."""
        while not self.closed.is_set():
            try:
                self.changes.put((kind, path), timeout=0.2)
                return
            except queue.Full:
                continue

    def wake(self) -> None:
        """Wake the scheduling thread (an upload finished: it may start the next one now, not a tick
        later). Never waits: when the queue is full the thread is busy anyway and drains outcomes soon."""
        try:
            self.changes.put_nowait(("wake", ""))
        except queue.Full:
            pass

    def emit(self, kind: str, **fields: Any) -> None:
        """One event to the sink: the model of that kind (watch_report.EVENTS), timed now."""
        self.on_event(event(kind, **fields))
