"""When a batch's buffered records are written: by count first, by time only with enough of them waiting.

A batch (upload -r, get -r, sync) buffers what each object records: its audit line (audit.AuditBuffer), its
stats count (stats_model.StatsTally), its cache invalidation (service_cache.Deferral). Each buffer is written
when `full` items wait; and, so that a slow batch does not keep them back long, by time. Time alone made what
an object costs depend on the clock: each write has a fixed cost (an open-write-close of the log, an SQLite
transaction, a model update), and a flush every 0.5 s whatever waits was one every ~2 objects in a run ~40x
slower than usual (the bench's callgrind runs; a loaded machine; a slow disk), ~25-45k instructions an object
that a quick run never pays (issue 22). So the short wait (`seconds`) flushes only once FEW items wait; a
buffer that waited LONG_WAITS x `seconds` is written whatever its count (a batch of a few large files).

A quick run is not changed (the counts are reached first: ~800 frames a second against a limit of 256); a
crash (kill -9) can lose at most what waited, as before, now up to LONG_WAITS x `seconds` of a slow batch.
"""

from __future__ import annotations

__all__ = ["FEW", "LONG_WAITS", "due"]

FEW = 32  # items that must wait before the short wait alone flushes them
LONG_WAITS = 10  # a buffer waits at most this many short waits, whatever its count


def due(count: int, full: int, waited: float, seconds: float) -> bool:
    """Whether a buffer holding `count` items (full at `full`), the oldest (or the last flush) `waited`
    seconds ago, is to be written now, with a short wait of `seconds`."""
    return count >= full or (waited >= seconds and (count >= FEW or waited >= seconds * LONG_WAITS))
