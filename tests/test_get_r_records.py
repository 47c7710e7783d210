"""Session 37 (issue 22, W5): what `get -r` records in the sync state store for each file it writes, now written
more cheaply: the file's mtime is taken from the written descriptor (fstat before the rename, which keeps the
inode) instead of a second stat of its name; an entry written again is updated in place (UPSERT) instead of
deleted and inserted (INSERT OR REPLACE); the listing's LastModified text is remembered by value. Guards of
what must not change with it: each record is the file as it is left (size and mtime as os.stat says), a run
into the same folder updates every entry it writes, a file that failed gets no record, and the first sync
after `get -r` sends no GET and no HEAD. Unit checks of the pieces: TreeFile.mtime_ns after a write and after
set_mtime, listed_at for UTC and other zones, s3 Headers.get (no super() per read).
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from faultproxy import FaultProxy
from test_sync_safety import _port, sync_json

from its_store.core.localtree import LocalTree
from its_store.sync.state import listed_at

from helpers import write_file

NAMES = [f"cam{i % 2}/f{i:02d}.bin" for i in range(6)]


def _store(env: dict[str, str]) -> Path:
    return Path(env["MINIO_CACHE_DIR"]) / "sync-state.sqlite"


def _fetched(env: dict[str, str]) -> dict[str, tuple[int, int]]:
    """key -> (size, mtime_ns) of the `fetched` table."""
    with sqlite3.connect(_store(env)) as db:
        return {key: (size, ns) for key, size, ns in db.execute("SELECT key, size, mtime_ns FROM fetched")}


def _on_disk(back: Path, prefix: str) -> dict[str, tuple[int, int]]:
    return {f"{prefix}{name}": (os.stat(back / name).st_size, os.stat(back / name).st_mtime_ns) for name in NAMES
            if (back / name).is_file()}


def _seed(cli: Any, bucket: str, tmp_path: Path) -> Path:
    src = tmp_path / "src"
    for i, name in enumerate(NAMES):
        write_file(src / name, 1000 + i, seed=i)
    assert cli("upload", "-r", str(src), f"s3://{bucket}/g/").exit_code == 0
    return src


def test_each_record_is_the_file_as_left_and_the_next_sync_asks_for_no_object(cli: Any, bucket: str,
                                                                             env: dict[str, str], s3_server: Any,
                                                                             tmp_path: Path) -> None:
    _seed(cli, bucket, tmp_path)
    back = tmp_path / "back"
    with FaultProxy(_port(s3_server.endpoint), record=True) as proxy:  # the store's entries are per endpoint
        via = {"MINIO_ENDPOINT": proxy.endpoint}
        assert cli("get", "-r", f"s3://{bucket}/g/", str(back), extra_env=via).exit_code == 0
        assert _fetched(env) == _on_disk(back, "g/")  # the mtime kept from the descriptor is the one stat reads
        proxy.seen.clear()
        code, report = sync_json(cli, f"s3://{bucket}/g/", str(back), extra_env=via)
        seen = [(r.method, r.target) for r in proxy.seen]
    assert code == 0 and report["copied"] == [] and report["totals"]["unchanged"] == len(NAMES), report
    assert report["totals"]["heads"] == 0, report
    assert [t for _, t in seen if f"/{bucket}/g/" in t] == [] and {m for m, _ in seen} == {"GET"}, seen  # listings


def test_a_second_get_r_into_the_folder_updates_every_entry(cli: Any, bucket: str, env: dict[str, str],
                                                           tmp_path: Path) -> None:
    """The entries of a first run are there when the second writes its own (UPDATE in place, not a new row)."""
    _seed(cli, bucket, tmp_path)
    back = tmp_path / "back"
    assert cli("get", "-r", f"s3://{bucket}/g/", str(back)).exit_code == 0
    with sqlite3.connect(_store(env)) as db:  # entries that are not what the next run finds: each must be written
        db.execute("UPDATE fetched SET mtime_ns = 1, size = 2, last_modified = 'x'")
        db.execute("UPDATE objects SET sha256 = 'stale', mtime = 'stale'")
        heads = dict(db.execute("SELECT key, sha256 FROM objects"))
    assert cli("get", "-r", f"s3://{bucket}/g/", str(back)).exit_code == 0
    assert _fetched(env) == _on_disk(back, "g/")
    with sqlite3.connect(_store(env)) as db:
        counts = db.execute("SELECT (SELECT count(*) FROM fetched), (SELECT count(*) FROM objects)").fetchone()
        objects = dict(db.execute("SELECT key, sha256 FROM objects"))
        listed = {value for (value,) in db.execute("SELECT last_modified FROM fetched")}
    assert counts == (len(NAMES), len(NAMES)), counts
    assert set(objects) == set(heads) and "stale" not in objects.values() and all(objects.values()), objects
    assert "x" not in listed and all(datetime.fromisoformat(v).tzinfo is not None for v in listed), listed


def test_a_file_that_failed_gets_no_record(cli: Any, bucket: str, env: dict[str, str], tmp_path: Path) -> None:
    """A folder in one file's place: its temp file is written whole (and its mtime read) before the rename
    fails; that file is reported failed and recorded nowhere, the others are recorded as left."""
    _seed(cli, bucket, tmp_path)
    back = tmp_path / "back"
    (back / NAMES[0] / "inside").mkdir(parents=True)
    run = cli("get", "-r", f"s3://{bucket}/g/", str(back))
    assert run.exit_code != 0 and NAMES[0] in run.stderr, run
    recorded = _fetched(env)
    assert f"g/{NAMES[0]}" not in recorded and recorded == _on_disk(back, "g/"), recorded
    assert set(recorded) == {f"g/{name}" for name in NAMES[1:]}, recorded
    assert (back / NAMES[0]).is_dir() and [p.name for p in (back / NAMES[0]).iterdir()] == ["inside"]


def test_tree_file_mtime_as_written_and_as_set(tmp_path: Path) -> None:
    with LocalTree(tmp_path, create=True) as tree:
        target = tree.file("a/b.bin")
        with target.atomic() as fd:
            os.write(fd, b"frame")
            os.utime(fd, ns=(1_000_000_007, 1_000_000_007))  # the descriptor's time is what the file keeps
        assert target.mtime_ns() == os.stat(tmp_path / "a" / "b.bin").st_mtime_ns == 1_000_000_007
        target.set_mtime(2_000_000_000_000_000_000)
        assert target.mtime_ns() == os.stat(tmp_path / "a" / "b.bin").st_mtime_ns
        again = tree.file("a/b.bin")  # never written through: read in its folder
        assert again.mtime_ns() == os.stat(tmp_path / "a" / "b.bin").st_mtime_ns


def test_listed_at_spells_each_time_as_isoformat() -> None:
    when = datetime(2026, 12, 7, 21, 0, 1, 123000, tzinfo=UTC)
    other = when.astimezone(timezone(timedelta(hours=2)))  # the same instant (equal, same hash), another zone
    assert listed_at(when) == when.isoformat() == "2026-12-07T21:00:01.123000+00:00"
    assert listed_at(other) == other.isoformat() == "2026-12-07T23:00:01.123000+02:00"
    assert listed_at(when) == when.isoformat() and listed_at(None) is None


def test_answer_headers_get_takes_any_case() -> None:
    """s3 Headers.get (read ~15 times an object by a GET's path) without super(): any case, the default."""
    from its_store.s3.messages import Headers
    headers = Headers.of({"ETag": '"abc"', "X-Amz-Meta-Mtime": "1765000000", "Content-Length": "0"})
    assert headers.get("etag") == headers.get("ETag") == '"abc"' and headers.get("X-AMZ-META-MTIME") == "1765000000"
    assert headers.get("content-length") == "0" and headers.get("missing") is None
    assert headers.get("Missing", "d") == "d" and headers.get("content-length", "d") == "0"
