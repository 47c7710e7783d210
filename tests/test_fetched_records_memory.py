"""`get -r` and sync downloads record what each download left (sync state `fetched` rows, 256 to a
transaction). Every flushed batch was also copied into the run's in-memory entries and kept to its end:
~0.3 KB an object, ~300 MB for a `get -r` of a million frames ("memory stays bounded", docs/guides/sync.md).
A run asks for a key's record once, before its download, so what is written out need not be kept; an entry
preloaded for a folder and then replaced is not shown again in its stale form.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

OBJECTS = 20_000  # ~0.3 KB each when kept: ~6 MB, over the 1 MB allowed


def test_flushed_fetched_records_are_not_kept_in_memory(tmp_path: Path) -> None:
    from its_store.sync.state import Fetched, SyncState
    store = SyncState(tmp_path / "sync-state.sqlite", "http://box")
    tracemalloc.start()
    try:
        for i in range(OBJECTS):
            store.put_fetched("/data", "b", f"cams/cam{i % 50:03d}/2026/12/07/frame-{i:08d}.jpg",
                              Fetched(f"{i:032x}", 102_400, 102_400, 1765000000_000000000 + i, None,
                                      "2026-12-07T00:00:00.000Z"))
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    store.close()
    assert held < 1024 * 1024, held
    reread = SyncState(tmp_path / "sync-state.sqlite", "http://box")  # every record was written all the same
    last = reread.fetched("/data", "b", f"cams/cam{(OBJECTS - 1) % 50:03d}/2026/12/07/frame-{OBJECTS - 1:08d}.jpg")
    first = reread.fetched("/data", "b", "cams/cam000/2026/12/07/frame-00000000.jpg")
    reread.close()
    assert last is not None and last.etag == f"{OBJECTS - 1:032x}"
    assert first is not None and first.mtime_ns == 1765000000_000000000


def test_a_replaced_preloaded_record_is_not_shown_stale(tmp_path: Path) -> None:
    from its_store.sync.state import Fetched, SyncState
    path = tmp_path / "sync-state.sqlite"
    made = SyncState(path, "http://box")
    made.put_fetched("/data", "b", "p/k", Fetched("0" * 32, 1, 1, 1, None, None))
    made.close()
    store = SyncState(path, "http://box")
    store.preload_behind("b", "p/", "/data")
    assert store.fetched("/data", "b", "p/k") == Fetched("0" * 32, 1, 1, 1, None, None)
    for i in range(256):  # one full batch: flushed
        store.put_fetched("/data", "b", "p/k" if i == 0 else f"p/o{i}", Fetched("1" * 32, 2, 2, 2, None, None))
    shown = store.fetched("/data", "b", "p/k")
    assert shown is None or shown.etag == "1" * 32, shown
    store.close()
    reread = SyncState(path, "http://box")
    assert reread.fetched("/data", "b", "p/k") == Fetched("1" * 32, 2, 2, 2, None, None)
    reread.close()
