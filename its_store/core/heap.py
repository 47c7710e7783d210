"""The cyclic garbage collector during work that allocates per object (a batch, a listing written out).

Work that keeps many small objects (one BatchItem per object, tens of objects a listed key) starts full
collections, and each full collection walked everything the process held before the work began: the
imported modules and pydantic's schemas, ~50,000 objects in the CLI (~20 ms each; 2 per 2,000 uploads; ~4 %
of `ls -r`'s instructions a key, callgrind). A plain SDK script holds none of that."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["collect_rarely_during_start_up", "older_objects_left_alone", "start_up_done"]

START_UP_THRESHOLD = 200_000
"""The youngest generation's threshold while the command line starts: above what the start-up allocates (the
~50,000 objects that live to the end, and their garbage), so no collection runs then, yet a collector that is
never given back its thresholds still collects."""

_RESTORE: list[tuple[int, int, int]] = []  # the thresholds to give back when the start-up ends (CLI process only)


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
    gc.set_threshold(*thresholds)


@contextlib.contextmanager
def older_objects_left_alone() -> Iterator[None]:
    """For the time of the work, the objects that were there before it are left out of the collector's
    passes (gc.freeze); what the work itself leaves behind is collected as usual. Unfrozen when it ends,
    however it ends, so nothing waits longer than the work to be collected. Left alone when objects are
    frozen already (an enclosing batch, a pre-fork server's own freeze): never unfreezes what others froze,
    nor what another thread froze while the work ran (a library caller's gc.freeze() before it forks):
    the freeze is kept then. Seen by the frozen count having grown (only gc.freeze adds to it; frozen
    objects that die take from it, so a freeze of fewer objects than died meanwhile goes unseen)."""
    import gc
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    ours = gc.get_freeze_count()
    try:
        yield
    finally:
        if gc.get_freeze_count() <= ours:  # more frozen since: not ours alone to undo
            gc.unfreeze()
