"""The watcher's intake: the changes the kernel-event and first-pass threads queued (watch_feed.Feed.changes),
taken on the scheduling thread, at most CHANGES_MAX a turn, and turned into what the loop does with them: a
file heard of (Watcher.hear: owed, then watched until complete), a new folder's files, a deletion forgotten,
a first pass reported, or the stop after the file events failed.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from its_store.sync import watch_files as F
from its_store.sync import watch_pass as P
from its_store.sync.watch_feed import CHANGES_MAX, Feed

if TYPE_CHECKING:
    from its_store.sync.watch_journal import Journal
    from its_store.sync.watch_window import Pending


class Intake:
    """The queued changes of one watcher -> `hear(rel)` for files worth uploading; the rest said (feed) or
    done here. `pending` is the window's dict of files waiting to be complete (watch_window.Window.pending)."""

    def __init__(self, feed: Feed, root: Path, accept: Callable[[str], bool], journal: Journal,
                 pending: dict[str, Pending], hear: Callable[[str], None], stop: Callable[[str], None]) -> None:
        self.feed, self.root, self.accept, self.journal = feed, root, accept, journal
        self.pending, self.hear, self.stop = pending, hear, stop

    def drain(self, wait: float) -> None:
        """Handle the queued changes, at most CHANGES_MAX per turn (a flood must not stall the uploads)."""
        try:
            kind, path = self.feed.changes.get(timeout=wait)
        except queue.Empty:
            return
        for _ in range(CHANGES_MAX):
            self.change(kind, path)
            try:
                kind, path = self.feed.changes.get_nowait()
            except queue.Empty:
                return
        self.change(kind, path)

    def change(self, kind: str, path: str) -> None:
        if kind == "scan":
            self.hear(path)
        elif kind == "pass":
            self.feed.emit("pass", ok=True, reason=path or None)
        elif kind in ("pass-retry", "pass-failed"):
            self.feed.emit("pass", ok=False, reason=path)
        elif kind == "wake":  # an upload finished (watch_outcomes.Outcomes.done): its outcome is drained this turn
            pass
        elif kind == "error":
            self.feed.emit("failed", key="", reason=path, code="watch_error")
            self.stop("error")
        elif kind == "deleted":
            rel = self.rel(path)
            if rel is not None and not os.path.lexists(path):
                if self.pending.pop(rel, None) is not None:
                    self.journal.done(rel)
                self.journal.sent_unverified(rel, None)  # a kept, unverified file gone: forget its row
        else:  # added / modified
            if os.path.isdir(path) and not os.path.islink(path):
                if kind == "added":  # a new folder: what was written before its kernel watch existed
                    for rel in P.walk(Path(path), self.root):
                        self.hear(rel)
                return
            rel = self.rel(path)
            if rel is not None:
                self.hear(rel)

    def rel(self, path: str) -> str | None:
        """The relative path (with /) of a file worth uploading, else None (temp names, filters)."""
        try:
            rel = Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return None
        if F.is_temp_path(rel) or not self.accept(rel):
            return None
        return rel
