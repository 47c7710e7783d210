"""Which owed files the watcher holds in memory: a window of at most `size` files, the oldest ones.

Memory is bounded whatever the backlog. Every file the watcher owes is in its journal (watch_journal.py,
on disk); only a window of the oldest ones is held in memory, each either `pending` (waiting to be
complete, here), ready, or in flight (watch_pace.UploadQueue's, counted here). `cursor` is the journal
seq of the newest file taken into the window: every owed file at or before it is in the window, so a
file heard again that is owed but not in the window is beyond it and comes in its turn. As the window
empties it is refilled from the journal in the order files were first heard of (`spilled`: owed files
beyond `cursor` wait in the journal only).

The scheduling thread (watch.Watcher) alone uses a Window: nothing here is locked.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from its_store.sync.watch_files import Sig
from its_store.sync.watch_journal import Journal


@dataclass
class Pending:
    """An owed file in the window, waiting to be complete (watch.Watcher._check_pending)."""

    sig: Sig | None = None
    changed_at: float = 0.0   # monotonic time the signature last changed
    check_at: float = 0.0     # next stat
    unleased: str = ""        # why the kernel could not say whether a writer has it open ("": it could)
    sent: bool = False        # an upload of it ended "changed" (the object may be stored): gone, it is said


class Window:
    """The owed files in memory: `pending` here, `ready` and `in_flight` the upload queue's (the same
    collections, read only here), at most `size` of them in all."""

    def __init__(self, journal: Journal, size: int, ready: Collection[str], in_flight: Collection[str]) -> None:
        self.journal, self.size = journal, size
        self.pending: dict[str, Pending] = {}
        self.ready, self.in_flight = ready, in_flight
        self.peak = 0          # the most files the window held at once (for tests and figures)
        self.cursor = 0        # journal seq of the newest owed file taken into the window
        self.spilled = False   # owed files beyond `cursor` wait in the journal only

    def __len__(self) -> int:
        return len(self.pending) + len(self.ready) + len(self.in_flight)

    def admit(self, seq: int, rel: str) -> None:
        """A newly owed file (journal seq `seq`): into the window if it has room and nothing older waits
        in the journal; else it waits there too, and refill() takes it in its turn."""
        if self.spilled or len(self) >= self.size:
            self.spilled = True
        else:
            self.take(seq, rel)

    def take(self, seq: int, rel: str) -> None:
        """Bring the owed file `seq` into the window, to be checked at once."""
        self.cursor = seq
        self.pending[rel] = Pending()
        self.peak = max(self.peak, len(self))

    def refill(self) -> None:
        """Read the next owed files from the journal into the window, oldest first, once a quarter of
        the window is free (or nothing waits to be sent)."""
        if not self.spilled:
            return
        room = self.size - len(self)
        if room < max(1, self.size // 4) and (self.ready or self.pending or room < 1):
            return
        rows = self.journal.after(self.cursor, room)
        for seq, rel in rows:
            self.take(seq, rel)
        if len(rows) < room:
            self.spilled = False  # every owed file is in the window now
