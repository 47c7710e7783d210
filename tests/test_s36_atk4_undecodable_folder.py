"""Session 36 (atk4): `get -r` and `sync` s3 -> local into a folder whose name is not UTF-8 (bytes 0x80-0xff, as
a camera's firmware or an old share names it; Python holds such a name with surrogate escapes). Since `get -r`
and the download sync record what they left in the folder (the sync state's `fetched` table, keyed by the
folder's name), SQLite was handed a str it cannot encode: 'unexpected UnicodeEncodeError ... report it' (exit 1)
after every file was written, and a traceback of the preload thread. Such a folder's name is kept as its bytes.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from test_sync_rewritten import _sync

from its_store.sync.state import Fetched, SyncState

from conftest import plain_client
from helpers import random_bytes


def test_get_r_then_sync_into_a_folder_named_in_other_bytes(cli: Any, bucket: str, s3_server: Any,
                                                             tmp_path: Path) -> None:
    client = plain_client(s3_server)
    data = random_bytes(3000, seed=41)
    client.put_object(bucket, "r/a.bin", io.BytesIO(data), length=len(data))
    back = Path(os.fsdecode(bytes(tmp_path) + b"/back-\xff\x80"))
    got = cli("get", f"s3://{bucket}/r/", str(back), "-r")
    assert got.exit_code == 0, (got.stdout, got.stderr)
    assert (back / "a.bin").read_bytes() == data and "Traceback" not in got.stderr
    for _ in range(2):
        report = _sync(cli, f"s3://{bucket}/r/", str(back))
        assert report["copied"] == [] and report["totals"]["unchanged"] == 1, report


def test_the_record_of_such_a_folder_is_read_back(tmp_path: Path) -> None:
    """What is put for a folder of other bytes is found again by the next run (not by another folder's name)."""
    folder = os.fsdecode(bytes(tmp_path) + b"/cams-\xe9")
    store = tmp_path / "sync-state.sqlite"
    fetched = Fetched("e1", 10, 10, 1_765_000_000_000_000_000, None, "2026-12-07T20:00:00+00:00")
    state = SyncState(store, "ep")
    state.put_fetched(folder, "b", "k", fetched)
    state.close()
    again = SyncState(store, "ep")
    assert again.fetched(folder, "b", "k") == fetched
    assert again.fetched(folder.replace("\udce9", "\xe9"), "b", "k") is None
    again.forget_fetched(folder, "b", ["k"])
    again.close()
    assert SyncState(store, "ep", read_only=True).fetched(folder, "b", "k") is None
