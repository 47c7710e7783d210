"""Session 35 (fix3): `sync s3->local --dry-run` changes no state.

A pair found unchanged (same size, the mtime alone different, the checksum the object's) was recorded in the
sync state store's `fetched` table (sync/compare.note_fetched) even in a dry run: "Print the plan; change
nothing" (docs/reference/cli/sync.md) wrote rows. Now a dry run leaves the state file's rows as they were.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from helpers import write_file


def _rows(state: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(state) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {table: sorted(db.execute(f"SELECT * FROM {table}"), key=repr) for table in tables}


@pytest.mark.parametrize("case", ["retimed-checksum", "rows-cleared"])
def test_a_dry_run_download_sync_writes_no_state_row(case: str, cli: Any, env: dict[str, str], bucket: str,
                                                     tmp_path: Path) -> None:
    """retimed-checksum: --checksum finds each re-timed file the object's (the pool's compare);
    rows-cleared: a folder whose `fetched` rows are gone, each file as the sync left it (the march's fast path)."""
    from its_store.sync.engine import STATE_FILE
    src, back = tmp_path / "src", tmp_path / "back"
    for i in range(3):
        write_file(src / f"f{i}.bin", 2000 + i, seed=i)
    assert cli("sync", str(src), f"s3://{bucket}/d/").exit_code == 0
    assert cli("sync", f"s3://{bucket}/d/", str(back)).exit_code == 0
    state = next(Path(env["MINIO_CACHE_DIR"]).rglob(STATE_FILE))
    if case == "rows-cleared":
        with sqlite3.connect(state) as db:
            db.execute("DELETE FROM fetched")
    else:
        for path in back.iterdir():  # the same bytes, another mtime: the checksum says unchanged
            os.utime(path, ns=(10**18, 10**18))
    before = _rows(state)
    run = cli("sync", f"s3://{bucket}/d/", str(back), "--dry-run", *(["--checksum"] if case != "rows-cleared" else []))
    assert run.exit_code == 0 and "unchanged 3" in run.stderr, run
    assert _rows(state) == before
