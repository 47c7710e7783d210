"""The report of one sync as its items arrive from several threads (the march, the workers, the deletes).

Every item goes through `add`: counted and listed in the SyncReport under one lock, then handed to the
caller's `on_item` (log lines, progress) outside it. Unchanged pairs are only counted, in a plain int
that `finish` writes into the report once (a pydantic assignment per pair cost more than the comparison).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from its_store.core import errors as E
from its_store.sync.model import KINDS, Item, SyncReport


class Reporter:
    """Adds items to `report` (thread-safe) and calls `on_item(kind, item)` for each."""

    def __init__(self, report: SyncReport, on_item: Callable[[str, Item], None] | None = None) -> None:
        self.report = report
        self.on_item = on_item
        self._lock = threading.Lock()
        self._unchanged = 0

    def add(self, kind: str, item: Item) -> None:
        """Count and list one copied, skipped, deleted or failed item."""
        with self._lock:
            self.report.add(kind, item)
        if self.on_item is not None:
            self.on_item(kind, item)

    def fail(self, rel: str, key: str | None, size: int, reason: str, code: str, exit_code: int) -> None:
        """A failed item; its exit code takes part in the run's (SyncReport.settle)."""
        with self._lock:
            self.report.failure_code(exit_code)
        self.add("failed", Item(path=rel, key=key, size=size, reason=reason, code=code))

    def fail_error(self, rel: str, key: str | None, size: int, exc: E.ItsStoreError, prefix: str = "") -> None:
        """A failed item from an error: its message (after `prefix`), code and exit code."""
        self.fail(rel, key, size, prefix + exc.message, exc.code, exc.exit_code)

    def unchanged(self, count: int = 1) -> None:
        with self._lock:
            self._unchanged += count

    def unwritten(self) -> None:
        """A key skipped for having no safe local name (the run then exits 1)."""
        with self._lock:
            self.report.unwritten()

    def finish(self) -> SyncReport:
        """The report with its counts written, its lists in path order and its exit code settled."""
        report = self.report
        report.totals.unchanged += self._unchanged
        self._unchanged = 0
        for name in KINDS:
            getattr(report, name).sort(key=lambda i: i.path)
        report.settle()
        return report
