"""How many uploads the watcher runs at once: as many as its backlog needs, up to a ceiling.

Why it adapts: an upload of a camera frame costs the watcher little CPU; its time is mostly waiting on
round trips (the request, the server writing the object). With a fixed 4 upload threads at 100 frames a
second the backlog grew to a p99 of 12.5 s while the watcher used a third of a core; with 16 the p99 was
0.76 s (issue 22). A fixed large pool is no answer either: after an outage it would send the server the
whole backlog at once, as it comes back. So the number of uploads allowed at once (the target) follows the
backlog:
- it grows when complete files wait while every allowed upload is busy, and either the oldest of them has
  waited `patience` or more of them wait than uploads run: by as many as wait, at most doubling, never
  beyond the ceiling;
- it shrinks by one when no file had to wait for `linger` seconds and the target has been left alone for
  as long (slowly: a camera's steady load keeps its concurrency), never below what is in flight, nor 1;
- after the server was unreachable it starts again from one (restart()): a server coming back is not sent
  the whole backlog at once.
`decide()` is that rule as a pure function; `Pace` holds the target and the clocks it needs; `UploadQueue`
holds the complete files in order and the uploads in flight and says which to start (take()). The
watcher's scheduling thread feeds them (watch.Watcher._dispatch) and hands what take() returns to its
pool (a ThreadPoolExecutor of `ceiling` threads, started as needed), so no more than the target run at
once. All three are tested without threads (tests/test_watch_pace.py).

Memory: a file below the multipart threshold is read whole before it is sent, so the uploads in flight
hold at most `max_bytes` of such files (a single larger one still goes, alone). A file sent in parts holds
its parts in the transfer layer's process-wide part budget (transfer/upload.BUDGET) and counts nothing here.

The ceiling: `--workers N` when given, else MINIO_MAX_WORKERS when set, else CEILING.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

CEILING = 16            # uploads at once at most, by default (W8: 16 kept 100 frames/s under 1 s p99)
MAX_BYTES = 32 << 20    # bytes of whole files held by the uploads in flight (as transfer/upload.BUDGET)
PATIENCE = 0.1          # seconds a complete file may wait for an upload before the target grows
LINGER = 5.0            # seconds without a wait (and without a change) before the target shrinks by one


@dataclass(frozen=True)
class Load:
    """What the scheduling thread sees when it decides, after it started what it could."""

    queued: int          # complete files waiting for an upload
    waited: float        # seconds the oldest of them has waited (0 when none)
    in_flight: int       # uploads running
    quiet: float = 0.0   # seconds since a complete file last had to wait with every allowed upload busy
    steady: float = 0.0  # seconds since the target last changed


def decide(target: int, load: Load, ceiling: int, *, patience: float = PATIENCE, linger: float = LINGER) -> int:
    """The next target (uploads allowed at once) for `load`, from the current one (module docstring)."""
    ceiling = max(1, ceiling)
    target = min(max(1, target), ceiling)
    busy = load.in_flight >= target
    if load.queued and busy and (load.waited >= patience or load.queued >= target):
        return min(ceiling, target + min(load.queued, target))
    if not load.queued and load.quiet >= linger and load.steady >= linger and target > max(1, load.in_flight):
        return target - 1
    return target


def ceiling_for(workers: int | None, settings: Any) -> int:
    """The ceiling: `workers` (--workers) when given, else MINIO_MAX_WORKERS when it was set (in the
    environment, .env or by the caller), else CEILING. MINIO_MAX_WORKERS' own default (8) sizes the fixed
    pools of the other commands; the watcher's pool is adaptive, so its default ceiling is its own."""
    if workers:
        return max(1, workers)
    if settings is not None and "max_workers" in getattr(settings, "model_fields_set", ()):
        return max(1, int(settings.max_workers))
    return CEILING


class Pace:
    """The controller: the target, fed by the scheduling thread alone (no lock), decided by decide()."""

    def __init__(self, ceiling: int, *, patience: float = PATIENCE, linger: float = LINGER, now: float = 0.0) -> None:
        self.ceiling = max(1, ceiling)
        self.patience, self.linger = patience, linger
        self.target = 1
        self.peak = 1  # the highest target so far (figures, tests)
        self._waited_at = self._changed_at = now

    def update(self, now: float, queued: int, waited: float, in_flight: int) -> int:
        """Decide once on what the scheduling thread sees at `now`; returns the new target."""
        if queued and in_flight >= self.target:
            self._waited_at = now
        load = Load(queued, waited, in_flight, now - self._waited_at, now - self._changed_at)
        target = decide(self.target, load, self.ceiling, patience=self.patience, linger=self.linger)
        if target != self.target:
            self.target, self._changed_at = target, now
            self.peak = max(self.peak, target)
        return target

    def restart(self, now: float) -> None:
        """The server was unreachable: start again from one upload at a time."""
        self.target, self._changed_at = 1, now


class UploadQueue:
    """The complete files waiting for an upload (oldest first) and the uploads in flight, with the bytes
    they hold; take() says which to start now, as its Pace and MAX_BYTES allow. Owned by the watcher's
    scheduling thread (no lock): the upload threads only report back through it."""

    def __init__(self, pace: Pace, *, max_bytes: int = MAX_BYTES, threshold: int = 1 << 62) -> None:
        self.pace = pace
        self.max_bytes = max(1, max_bytes)
        self.threshold = max(1, threshold)  # files this large or larger are sent in parts
        self.ready: deque[str] = deque()
        self.in_flight: set[str] = set()
        self.in_bytes = 0                   # bytes held by the uploads in flight
        self._queued: dict[str, tuple[float, int]] = {}  # ready file -> (since when, its cost)
        self._cost: dict[str, int] = {}                   # in-flight file -> its cost

    def cost(self, size: int) -> int:
        """What an upload of a `size`-byte file holds in memory here: the whole file when it is sent in
        one PUT, nothing when it is sent in parts (the transfer layer's part budget bounds those)."""
        return size if size < self.threshold else 0

    def add(self, rel: str, size: int, now: float) -> None:
        """A complete file of `size` bytes waits for an upload, after those already waiting."""
        self._queued[rel] = (now, self.cost(size))
        self.ready.append(rel)

    def take(self, now: float, offline: bool = False) -> list[str]:
        """The files to upload now, oldest first (each now in flight): one at a time while `offline`, else
        up to the target; then the pace decides on what still waits, and what it now allows starts too."""
        if offline:
            return self._start(1)
        started = self._start(self.pace.target)
        waited = now - self._queued[self.ready[0]][0] if self.ready else 0.0
        return started + self._start(self.pace.update(now, len(self.ready), waited, len(self.in_flight)))

    def _start(self, limit: int) -> list[str]:
        started = []
        while self.ready and len(self.in_flight) < limit:
            rel = self.ready[0]
            cost = self._queued[rel][1]
            if self.in_flight and self.in_bytes + cost > self.max_bytes:
                break  # the oldest waits for bytes to be freed (nothing overtakes it); alone, it goes
            self.ready.popleft()
            del self._queued[rel]
            self.in_flight.add(rel)
            self._cost[rel] = cost
            self.in_bytes += cost
            started.append(rel)
        return started

    def done(self, rel: str, now: float, again: bool = False) -> None:
        """An upload finished; `again`: the server was unreachable, so the file waits first in line again
        and the pace starts over from one upload at a time."""
        self.in_flight.discard(rel)
        cost = self._cost.pop(rel, 0)
        self.in_bytes -= cost
        if again:
            self._queued[rel] = (now, cost)
            self.ready.appendleft(rel)
            self.pace.restart(now)
