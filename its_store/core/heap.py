"""The cyclic garbage collector during work that allocates per object (a batch, a listing written out).

Work that keeps many small objects (one BatchItem per object, tens of objects a listed key) starts full
collections, and each full collection walked everything the process held before the work began: the
imported modules and pydantic's schemas, ~50,000 objects in the CLI (~20 ms each; 2 per 2,000 uploads; ~4 %
of `ls -r`'s instructions a key, callgrind). A plain SDK script holds none of that."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["older_objects_left_alone"]


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
