"""Attack on the sync state store's numbers (session 37): values another writer of the bucket chose, or a
server's clock gave, that no SQLite INTEGER holds (it keeps 64-bit integers).

A download's record (sync/state.Fetched) keeps the mtime the file was given, in nanoseconds: the object's
x-amz-meta-mtime (up to 12 digits of seconds, anyone's to write), else its LastModified. An mtime of
999999999999 s (year 33658), a LastModified in year 9999 or Go's zero time (0001-01-01, what a server
written in Go gives for "no time") is more nanoseconds than 64 bits hold, and the store's write ended the
sync with "unexpected OverflowError: Python int too large to convert to SQLite INTEGER ... report it"
(exit 1) after the files were copied: every later sync of that prefix did the same, and every record of the
run was lost (the batch was dropped and its transaction left open). Now such a record is not kept (the
object is compared without it next time, as any object the store does not know) and the sync succeeds.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from its_store.sync.state import Fetched, Known, SyncState


def test_an_mtime_beyond_64_bits_of_nanoseconds_does_not_end_the_sync(cli: Any, service: Any, bucket: str,
                                                                       tmp_path: Path) -> None:
    """Fails on main (e7ffee0): both syncs exit 1 with "unexpected OverflowError"."""
    service.s3.put(bucket, "cam/far.jpg", b"far-future frame", {"x-amz-meta-mtime": "999999999999"})
    service.s3.put(bucket, "cam/now.jpg", b"frame of now", {})
    dest = tmp_path / "frames"
    for _ in range(2):  # the second run reads the store the first one wrote
        run = cli("sync", f"s3://{bucket}/cam/", str(dest))
        assert run.exit_code == 0, run
        assert "unexpected" not in run.stderr, run
    assert (dest / "far.jpg").read_bytes() == b"far-future frame"
    assert (dest / "now.jpg").read_bytes() == b"frame of now"


def test_records_that_do_not_fit_are_dropped_and_the_rest_kept(tmp_path: Path) -> None:
    """The store itself: a record with a number beyond 64 bits is not kept; the others of its batch are.
    Fails on main (e7ffee0): close() raises OverflowError and no record of the batch is written."""
    path = tmp_path / "sync-state.sqlite"
    state = SyncState(path, "127.0.0.1:9")
    far = 10 ** 21
    state.put_fetched("/f", "b", "far-mtime", Fetched("e1", 1, 1, far))
    state.put_fetched("/f", "b", "far-size", Fetched("e2", far, 1, 5))
    state.put_fetched("/f", "b", "fine", Fetched("e3", 1, 1, 5))
    state.put("b", "far-size", Known("e4", far, far))
    state.put("b", "fine", Known("e5", 3, 3))
    state.close()
    with sqlite3.connect(path) as db:
        fetched = {row[0] for row in db.execute("SELECT key FROM fetched")}
        objects = {row[0] for row in db.execute("SELECT key FROM objects")}
    assert (fetched, objects) == ({"fine"}, {"fine"})
