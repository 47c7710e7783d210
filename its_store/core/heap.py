"""The cyclic garbage collector during work that allocates per object (a batch, a listing written out).

Work that keeps many small objects (one BatchItem per object, tens of objects a listed key) starts full
collections, and each full collection walked everything the process held before the work began: the
imported modules and pydantic's schemas, ~50,000 objects in the CLI (~20 ms each; 2 per 2,000 uploads; ~4 %
of `ls -r`'s instructions a key, callgrind). A plain SDK script holds none of that.

The its-store process freezes its start-up heap once (start_up_done), so its work finds the older objects
frozen already. A library process (a service, a script, a test run: 100,000 objects and more) freezes them
for the time of a large piece of work only (older_objects_left_alone, from its LARGE-th unit on): the freeze
costs two walks of every frozen object (gc.get_freeze_count, ~12 ms each for 136,000), which a small batch
or a short listing paid on every call while it started no full collection to save."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TypeVar

__all__ = ["LARGE", "collect_rarely_during_start_up", "older_objects_left_alone", "start_up_done"]

T = TypeVar("T")

LARGE = 256
"""The unit (a batch's job, a listed key) at which work counts as large and the older objects are frozen.
A full collection comes after ~70,000 net allocations (the thresholds 700 x 10 x 10), tens to hundreds of
units of work; below this, the freeze's own cost (gc.get_freeze_count walks every frozen object: ~12 ms for a
136,000-object library process, twice) is more than the collections it saves."""

START_UP_THRESHOLD = 200_000
"""The youngest generation's threshold while the command line starts: above what the start-up allocates (the
~50,000 objects that live to the end, and their garbage), so no collection runs then, yet a collector that is
never given back its thresholds still collects."""

_RESTORE: list[tuple[int, int, int]] = []  # the thresholds to give back when the start-up ends (CLI process only)
_START_UP_FROZEN: list[bool] = []  # set by start_up_done's freeze: the process's heap is frozen for its life


def collect_rarely_during_start_up() -> None:
    """The its-store process only (__main__): no collection while the command line starts. Its imports and
    Typer's, pydantic's and minio's builds make ~50,000 objects that live until the process exits, and the
    collector walked its young generations ~100 times meanwhile (~25-30 ms of CPU of an `ls`). start_up_done()
    freezes them and gives the thresholds back."""
    import gc
    if not _RESTORE:
        current = gc.get_threshold()
        _RESTORE.append(current)
        gc.set_threshold(max(current[0], START_UP_THRESHOLD), *current[1:])


def start_up_done(*, freeze: bool = True) -> None:
    """The start-up's objects frozen (out of every later pass: they live until the process exits) and the
    collector's thresholds given back. Called when the S3 client exists (service/context.py), the last of what
    a command builds before its work; nothing happens unless the start-up was paused (never in a library).
    `freeze=False`: thresholds only (the process ends without having built a client)."""
    import gc
    try:
        thresholds = _RESTORE.pop()  # atomic: two clients built at once in two threads end it once
    except IndexError:
        return
    if freeze:
        gc.freeze()
        _START_UP_FROZEN.append(True)  # older_objects_left_alone has nothing to freeze (nor to count) then
    gc.set_threshold(*thresholds)


class older_objects_left_alone:  # a context manager: named as the function it was
    """Once the work is large (its LARGE-th unit, counted by over()), the objects that were there before are
    left out of the collector's passes (gc.freeze) until the work ends; what the work itself leaves behind
    is collected as usual. Work that stays small freezes nothing and counts nothing frozen: the freeze's
    cost (two walks of every frozen object) is paid only where full collections would cost more.

    Unfrozen when it ends, however it ends, so nothing waits longer than the work to be collected. Left
    alone when objects are frozen already: the its-store process froze its start-up heap (start_up_done:
    no walk at all then), an enclosing batch, a pre-fork server's own freeze. Never unfreezes what others
    froze, nor what another thread froze while the work ran (a library caller's gc.freeze() before it
    forks): the freeze is kept then. Seen by the frozen count having grown (only gc.freeze adds to it;
    frozen objects that die take from it, so a freeze of fewer objects than died meanwhile goes unseen).

        with older_objects_left_alone() as heap:
            for item in heap.over(items): ..."""

    def __init__(self, large: int = LARGE) -> None:
        self.large = large
        self._ours: int | None = None  # the frozen count right after our freeze
        self._ended = False
        self._lock = threading.Lock()  # the freeze (in whichever thread draws the LARGE-th unit) vs the end

    def __enter__(self) -> older_objects_left_alone:
        return self

    def over(self, items: Iterable[T]) -> Iterator[T]:
        """`items` as they are; the older objects frozen when the LARGE-th is drawn (nothing per item: C's
        islice and chain, one Python step at the LARGE-th)."""
        it = iter(items)
        return itertools.chain.from_iterable(self._parts(it))

    def _parts(self, it: Iterator[T]) -> Iterator[Iterable[T]]:
        yield itertools.islice(it, self.large - 1)
        for unit in it:  # there is a LARGE-th: the work is large
            self._freeze()
            yield (unit,)
            yield it
            return

    def _freeze(self) -> None:
        if _START_UP_FROZEN:
            return
        import gc
        with self._lock:
            if self._ended or gc.get_freeze_count():  # ended, or someone else's freeze: left as it is
                return
            gc.freeze()
            self._ours = gc.get_freeze_count()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        with self._lock:
            self._ended = True
            if self._ours is None:
                return
            import gc
            if gc.get_freeze_count() <= self._ours:  # more frozen since: not ours alone to undo
                gc.unfreeze()
