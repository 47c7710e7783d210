"""Session 36 (gaps c; left out at the last stop, item 7): a dry run changes no state, the sync state store's
`objects` table (what each HEAD answered) included. A pair the store did not know was HEADed and the answer
written there, in both directions, although `--dry-run` is "print the plan; change nothing" (the `fetched` rows
were fixed last session: tests/test_s35_dry_run_state.py). Now a dry run reads the store and writes nothing to
it: no row, and no store file made where there was none.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from conftest import plain_client
from helpers import random_bytes


def _rows(state: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(state) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {table: sorted(db.execute(f"SELECT * FROM {table}"), key=repr) for table in tables}


@pytest.mark.parametrize("direction", ["upload", "download"])
@pytest.mark.parametrize("store", ["none yet", "other rows"])
def test_a_dry_run_writes_no_head_answer(direction: str, store: str, cli: Any, env: dict[str, str], bucket: str,
                                         s3_server: Any, tmp_path: Path) -> None:
    from its_store.sync.remember import STATE_FILE
    state = Path(env["MINIO_CACHE_DIR"]) / STATE_FILE
    data = random_bytes(1000, seed=3)
    local = tmp_path / "local"
    local.mkdir()
    (local / "a.bin").write_bytes(data)  # the same size as the object: compared by the mtime its HEAD gives
    plain_client(s3_server).put_object(bucket, "h/a.bin", io.BytesIO(data), len(data),  # another tool's: unknown
                                       metadata={"mtime": "1765000000.000000000"})
    if store == "other rows":
        other = tmp_path / "other"
        other.mkdir()
        (other / "b.bin").write_bytes(b"b")
        assert cli("sync", str(other), f"s3://{bucket}/o/").exit_code == 0
        before = _rows(state)
        assert before["objects"], before
    args = [str(local), f"s3://{bucket}/h/"] if direction == "upload" else [f"s3://{bucket}/h/", str(local)]
    run = cli("sync", *args, "--dry-run", "--json")
    assert run.exit_code == 0 and run.json()["totals"]["heads"] == 1, run
    if store == "none yet":
        assert not state.exists() and not list(state.parent.glob(STATE_FILE + "*")), list(state.parent.iterdir())
    else:
        assert _rows(state) == before
