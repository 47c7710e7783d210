"""The watcher's view of the server (sync/watch.py): online, or unreachable until a backoff has passed.

An upload that could not reach the server (watch_source's "unreachable" outcome) puts the watcher
offline: no upload starts until `retry_at` (exponential backoff, 0.5 s doubling up to `cap`, with jitter
so that many watchers restarted together do not probe in step), and then only one at a time (the pace's
offline mode: watch_pace.UploadQueue.take). The first upload that succeeds again says "online" and the
size of the backlog, which then drains. The scheduling thread alone calls this (no lock).
"""

from __future__ import annotations

import random
import time

from its_store.sync.watch_feed import Feed
from its_store.sync.watch_journal import Journal
from its_store.sync.watch_report import WatchFigures


class Online:
    """Whether the server answered last, and when the next probe may go when it did not."""

    def __init__(self, feed: Feed, figures: WatchFigures, journal: Journal, cap: float) -> None:
        self.feed, self.figures, self.journal, self.cap = feed, figures, journal, cap
        self.offline = False
        self.retry_at = 0.0  # monotonic time before which no upload starts
        self._failures = 0

    def lost(self, reason: str) -> None:
        """An upload could not reach the server: wait longer before the next probe (capped), say so."""
        self._failures += 1
        delay = min(self.cap, 0.5 * 2 ** min(self._failures - 1, 16))
        delay = round(delay * random.uniform(0.5, 1.0), 2)
        self.retry_at = time.monotonic() + delay
        self.offline = True
        self.figures.online = False
        self.feed.emit("unreachable", retry_in=delay, reason=reason)
        self.feed.emit("backlog", files=len(self.journal))

    def back(self) -> None:
        """An upload reached the server: the backoff starts over; after an outage, "online" and the backlog."""
        self._failures = 0
        if self.offline:
            self.offline = False
            self.figures.online = True
            self.feed.emit("online")
            self.feed.emit("backlog", files=len(self.journal))
