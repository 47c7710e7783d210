"""The watcher's upload outcomes: what came of each upload (watch_source.Outcome), queued by its upload
thread and taken on the scheduling thread, which alone acts on it: the file done in the journal and
remembered as sent, owed again (changed while it was sent, the server unreachable), or reported and
dropped (vanished, skipped, refused by the server).

The signatures of the files sent (`sent`, the last SENT_MAX) are kept here: one close, one upload, so a
file heard of again while it is still what was sent is not sent again (sync/watch.py).
"""

from __future__ import annotations

import queue
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from its_store.sync import watch_files as F
from its_store.sync import watch_source as S
from its_store.sync.watch_window import Pending

if TYPE_CHECKING:
    from concurrent.futures import Future

    from its_store.sync.watch_feed import Feed
    from its_store.sync.watch_journal import Journal
    from its_store.sync.watch_online import Online
    from its_store.sync.watch_pace import UploadQueue
    from its_store.sync.watch_report import WatchFigures

SENT_MAX = 16_384     # signatures of sent files remembered (late kernel events come within a second)


class Outcomes:
    """The finished uploads of one watcher. `pending` is the window's dict of files waiting to be complete
    (watch_window.Window.pending), `settled` the watcher's ready files complete by the settle rule only;
    `hear(rel)` owes a file again (Watcher.hear), `unchanged(rel, sig)` tells whether it is still the file
    an upload sent."""

    def __init__(self, feed: Feed, journal: Journal, figures: WatchFigures, online: Online, uploads: UploadQueue,
                 pending: dict[str, Pending], settled: dict[str, str], *, prefix: str, remove_source: bool,
                 hear: Callable[[str], None], unchanged: Callable[[str, F.Sig | None], bool]) -> None:
        self.feed, self.journal, self.figures, self.online, self.uploads = feed, journal, figures, online, uploads
        self.pending, self.settled, self.prefix, self.remove_source = pending, settled, prefix, remove_source
        self.hear, self.unchanged = hear, unchanged
        self.queue: queue.Queue[S.Outcome] = queue.Queue()  # finished uploads, from their threads
        self.again: set[str] = set()       # heard again while in flight: checked again once it ends
        self.sent: OrderedDict[str, F.Sig] = OrderedDict()

    def done(self, rel: str, future: Future[S.Outcome]) -> None:
        """An upload thread finished: its outcome to the scheduling thread, which it wakes."""
        if future.cancelled():  # never started (a stop that abandoned the uploads): still owed in the journal
            return
        self.queue.put(S.result(future, rel))
        self.feed.wake()

    def drain(self) -> None:
        """Act on the outcomes queued since the last turn (on the scheduling thread)."""
        while True:
            try:
                out = self.queue.get_nowait()
            except queue.Empty:
                return
            self.uploads.done(out.rel, time.monotonic(), again=out.kind == "unreachable")
            getattr(self, "_on_" + out.kind)(out)
            if out.rel in self.again and out.kind != "unreachable":
                self.again.discard(out.rel)
                self.hear(out.rel)

    def record_finished(self) -> None:
        """The end of run(), after a stop abandoned uploads: those that reached the server since are
        recorded (not owed, not sent again after a restart). Any other end leaves the file owed, said
        nothing: a failure may be the abort of its own multipart upload (Watcher._abandon), and a file heard
        again while in flight (`again`) stays owed if it changed since it was read."""
        while True:
            try:
                out = self.queue.get_nowait()
            except queue.Empty:
                return
            if out.kind == "uploaded" and (out.rel not in self.again or self.unchanged(out.rel, out.sig)):
                self._on_uploaded(out)

    def _on_uploaded(self, out: S.Outcome) -> None:
        self.online.back()
        self.journal.done(out.rel)
        if out.sig is not None:
            self.sent[out.rel] = out.sig
            self.sent.move_to_end(out.rel)
            if len(self.sent) > SENT_MAX:
                self.sent.popitem(last=False)
        if self.remove_source:  # kept unverified: not sent again after a restart while unchanged
            self.journal.sent_unverified(out.rel, out.sig if out.unverified else None)
        self.figures.sent(out.size, out.removed)
        self.feed.emit("uploaded", key=self.prefix + out.rel, size=out.size, seconds=round(out.seconds, 4),
                       removed=out.removed)
        if self.remove_source and not out.removed:
            self.feed.emit("kept", key=self.prefix + out.rel, reason=out.reason)

    def _on_changed(self, out: S.Outcome) -> None:
        """Sent while it changed: still owed and still in the window; send it again once complete."""
        self.online.back()
        self.pending[out.rel] = Pending(sent=True)

    def _on_vanished(self, out: S.Outcome) -> None:
        self.journal.done(out.rel)
        self.feed.emit("vanished", key=self.prefix + out.rel)

    def _on_skipped(self, out: S.Outcome) -> None:
        """Not a file to send (a symbolic link not followed, not a regular file): reported, dropped."""
        self.journal.done(out.rel)
        self.feed.emit("skipped", key=self.prefix + out.rel, reason=out.reason)

    def _on_failed(self, out: S.Outcome) -> None:
        """A file the server refuses (not a connection problem): reported, dropped from this run's
        backlog; the file stays on disk and the next start's first pass tries it again."""
        self.journal.done(out.rel)
        self.figures.failed()
        self.feed.emit("failed", key=self.prefix + out.rel, reason=out.reason, code=out.code)

    def _on_unreachable(self, out: S.Outcome) -> None:
        self.figures.failed()  # the file waits first in line again (self.uploads.done)
        if out.settled:
            self.settled[out.rel] = out.settled
        self.online.lost(out.reason)  # backoff, then one probe at a time (watch_online.py)
