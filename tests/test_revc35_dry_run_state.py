"""sync s3 -> local --dry-run records nothing of what the downloads left (the fetched table): the engine's fast
path said so ("a dry run changes no state"), the path through a HEAD (no cached answer) wrote the record all the
same (revc, session 35)."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from conftest import plain_client
from helpers import random_bytes


def _fetched(env: dict[str, str], bucket: str) -> list[str]:
    from its_store.sync.remember import STATE_FILE
    with sqlite3.connect(Path(env["MINIO_CACHE_DIR"]) / STATE_FILE) as db:
        return [k for (k,) in db.execute("SELECT key FROM fetched WHERE bucket = ?", (bucket,))]


def test_a_dry_run_over_unchanged_files_records_no_fetched_row(cli: Any, bucket: str, s3_server: Any,
                                                               env: dict[str, str], tmp_path: Path) -> None:
    from its_store.sync.remember import STATE_FILE
    data = random_bytes(1000, seed=7)
    plain_client(s3_server).put_object(bucket, "dr/a.bin", io.BytesIO(data), len(data),
                                       metadata={"mtime": "1765000000.000000000"})
    back = tmp_path / "back"
    run = cli("sync", f"s3://{bucket}/dr/", str(back), "--json")
    assert run.exit_code == 0 and [i["path"] for i in json.loads(run.stdout)["copied"]] == ["a.bin"], run.stdout
    assert _fetched(env, bucket) == ["dr/a.bin"]
    with sqlite3.connect(Path(env["MINIO_CACHE_DIR"]) / STATE_FILE) as db:  # as a state store that knew nothing
        db.execute("DELETE FROM fetched")
        db.execute("DELETE FROM objects")
    run = cli("sync", f"s3://{bucket}/dr/", str(back), "--json", "--dry-run")
    report = json.loads(run.stdout)
    assert run.exit_code == 0 and report["copied"] == [] and report["totals"]["unchanged"] == 1, report
    assert _fetched(env, bucket) == []  # nothing written by the plan
    run = cli("sync", f"s3://{bucket}/dr/", str(back), "--json")  # a real run records it
    assert run.exit_code == 0 and json.loads(run.stdout)["totals"]["unchanged"] == 1, run.stdout
    assert _fetched(env, bucket) == ["dr/a.bin"]
