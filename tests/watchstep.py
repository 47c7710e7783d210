"""Drive a Watcher's scheduling by hand, for tests that need an exact order of events.

Watcher.run() starts a kernel-event thread and a first-pass thread and loops on its own. A test of the
scheduling rules (when is a file sent, sent again, dropped) needs to say exactly which kernel event
arrives when: before a file is complete, while its upload is in flight, after it finished. The Stepper
runs the same loop steps (Watcher._turn) from the test's thread, with no event thread: the test queues
the events itself through Watcher.feed.put, as the event thread would. The uploads run on a real thread
pool against the real server; while an upload is in flight its outcome waits in the watcher's queue
until the next turn, so "in flight" is a state the test can hold the watcher in.

Also used by tests/watch_runner.py (a watcher in a subprocess without CAP_LEASE).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

DEADLINE = 60.0  # a safety net only: every wait is on a condition


class Stepper:
    def __init__(self, watcher: Any) -> None:
        from its_store.sync.engine import open_state
        self.w = watcher
        watcher.journal.open()
        watcher._state = open_state(watcher.service, watcher.use_state)
        self.pool = ThreadPoolExecutor(watcher.workers, thread_name_prefix="step-up")

    def __enter__(self) -> Stepper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.w.journal.close()
        self.w._state.close()

    # -------------------------------------------------------------------------------- inputs
    def event(self, kind: str, rel: str) -> None:
        """A kernel event for root/rel, queued as the event thread queues it (kind: added, modified,
        deleted)."""
        self.w.feed.put(kind, str(self.w.root / rel))

    # -------------------------------------------------------------------------------- steps
    def turn(self) -> None:
        self.w._turn(self.pool)

    def until(self, done: Callable[[], bool], what: str) -> None:
        """Turn until `done()`; the short pauses only let a tick pass (files are re-checked each tick)."""
        deadline = time.monotonic() + DEADLINE
        while not done():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            self.turn()
            time.sleep(self.w.tick / 2)

    def ready(self, rel: str) -> None:
        """Check files (no uploads start) until `rel` is complete and waits for an upload thread."""
        deadline = time.monotonic() + DEADLINE
        while rel not in self.w._ready:
            assert time.monotonic() < deadline, f"timed out waiting for {rel} to be complete"
            self.w._drain_changes(0)
            self.w._check_pending(time.monotonic())
            time.sleep(self.w.tick / 2)

    def check(self, now: float) -> None:
        """Take the queued events and check the waiting files as the loop would at monotonic time `now`
        (no uploads start). An injected clock: the settle rule measures a file's stability from `now`,
        so a test says how much time passed instead of sleeping it away."""
        self.w._drain_changes(0)
        self.w._check_pending(now)

    def in_flight(self, rel: str) -> None:
        """Turn until `rel` was handed to an upload thread."""
        self.until(lambda: rel in self.w._inflight, f"{rel} in flight")

    def finished_unheard(self) -> None:
        """Wait (without turning) until an upload in flight has finished: its outcome waits in the
        queue, so the scheduler still counts the file as in flight."""
        deadline = time.monotonic() + DEADLINE
        while self.w.outcomes.queue.empty():
            assert time.monotonic() < deadline, "timed out waiting for an upload to finish"
            time.sleep(0.01)

    def idle(self) -> None:
        """Turn until nothing is queued, waiting, ready or in flight."""
        w = self.w
        self.until(lambda: w.feed.changes.empty() and w.outcomes.queue.empty() and not w._pending and not w._ready
                   and not w._inflight, "the watcher to be idle")
