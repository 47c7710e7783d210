"""Session 36 (reva): a dry run opens the sync state store read only (tests/test_s36_dry_run_heads.py), and the
answers to its HEADs were moved, 256 at a time, into the run's in-memory entries and kept there to its end.
A run HEADs each object once, so they were never asked for again; a dry run of a folder whose objects the
store did not know (a first sync of millions of files mirrored by another tool) held ~0.5 KB per object, where
the real run writes them out 256 at a time ("memory stays bounded", docs/guides/sync.md). Now a read-only
store drops them at each batch.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

OBJECTS = 20_000  # ~0.5 KB each when kept: ~9 MB, over the 1 MB allowed


def test_a_read_only_store_does_not_keep_every_head_answer(tmp_path: Path) -> None:
    from its_store.sync.state import Known, SyncState
    path = tmp_path / "sync-state.sqlite"
    made = SyncState(path, "http://box")
    made.put("b", "old", Known("0" * 32, 1, 1, None, None, True))
    made.close()
    store = SyncState(path, "http://box", read_only=True)
    assert store.get("b", "old", "0" * 32, 1) is not None  # it reads the store
    tracemalloc.start()
    try:
        for i in range(OBJECTS):
            store.put("b", f"cams/cam{i % 50:03d}/2026/12/07/frame-{i:08d}.jpg",
                      Known(f"{i:032x}", 102_400, 102_400, "1765000000.000000000", f"{i:064x}", True))
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # still read after the batches it dropped: a batch written to the read-only connection failed and turned the
    # store off for the rest of the dry run (each object then HEADed), though memory stayed as small
    assert store.get("b", "old", "0" * 32, 1) is not None, "a dropped batch turned the store off"
    store.close()
    assert held < 1024 * 1024, held
    reread = SyncState(path, "http://box")
    assert reread.get("b", "cams/cam000/2026/12/07/frame-00000000.jpg", f"{0:032x}", 102_400) is None  # not written
    assert reread.get("b", "old", "0" * 32, 1) is not None
    reread.close()


def test_a_read_only_store_forgets_in_memory_only(tmp_path: Path) -> None:
    """forget / forget_fetched on a read-only store (a dry run's) drop the entries in memory and write nothing:
    a DELETE sent to the read-only connection fails and turned the store off for the rest of the run."""
    from its_store.sync.state import Fetched, Known, SyncState
    path = tmp_path / "sync-state.sqlite"
    made = SyncState(path, "http://box")
    for key in ("gone", "kept"):
        made.put("b", key, Known("0" * 32, 1, 1, None, None, True))
        made.put_fetched("/data", "b", key, Fetched("0" * 32, 1, 1, 1, None, None))
    made.close()
    store = SyncState(path, "http://box", read_only=True)
    store.forget("b", ["gone"])
    store.forget_fetched("/data", "b", ["gone"])
    assert store.get("b", "kept", "0" * 32, 1) is not None, "forgetting turned the store off"
    store.close()
    reread = SyncState(path, "http://box")
    assert reread.get("b", "gone", "0" * 32, 1) is not None  # not deleted from the store
    reread.close()
