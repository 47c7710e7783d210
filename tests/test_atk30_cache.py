"""Session 30's attacker: the disk cache's database is local input. state/cache.py promises "Values are
stored as JSON text, never pickled: a tampered cache file cannot run code", but diskcache reads back any
row by the mode the row names: a row marked as a pickle was unpickled (code ran as the user of its-store,
root from cron), and a row's file name was joined to the cache folder even when absolute, so removing an
expired or invalidated entry removed any file the row named. Who can write that file: anyone, when the
cache folder was made under umask 000 (it was 0777) or MINIO_CACHE_DIR names a shared folder."""

from __future__ import annotations

import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any


class _Touch:
    """A pickle that creates `path` when loaded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


def _db(env: dict[str, str]) -> Path:
    return Path(env["MINIO_CACHE_DIR"]) / "metadata" / "cache.db"


def _tamper(env: dict[str, str], sql: str, *args: Any) -> None:
    with sqlite3.connect(_db(env)) as conn:
        assert conn.execute(sql, args).rowcount > 0, "nothing to tamper with: no cached entry"


def _cached_stat(cli: Any, bucket: str, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"frame")
    assert cli("--quiet", "upload", str(tmp_path / "f"), f"s3://{bucket}/k").exit_code == 0
    assert cli("--quiet", "stat", f"s3://{bucket}/k").exit_code == 0  # cached now


def test_a_pickled_cache_row_is_not_loaded(cli: Any, env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    _cached_stat(cli, bucket, tmp_path)
    marker = tmp_path / "code-ran"
    _tamper(env, "UPDATE Cache SET mode = 4, value = ?", sqlite3.Binary(pickle.dumps(_Touch(marker))))
    run = cli("--json", "stat", f"s3://{bucket}/k")
    assert not marker.exists(), "a pickle from the cache database was loaded: code ran"
    assert run.exit_code == 0 and run.json()["size"] == 5, run  # read from the server instead


def test_a_pickled_cache_key_is_not_loaded(cli: Any, env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    """`cache clear --prefix`-style walks read every key back (iterkeys): a key marked raw=0 was unpickled."""
    _cached_stat(cli, bucket, tmp_path)
    marker = tmp_path / "code-ran"
    _tamper(env, "UPDATE Cache SET raw = 0, key = ? WHERE rowid = (SELECT min(rowid) FROM Cache)",
            sqlite3.Binary(pickle.dumps(_Touch(marker))))
    from its_store.state.cache import DiskCache
    cache = DiskCache(_db(env).parent)
    try:
        cache.invalidate_prefix("anything")
    except Exception:  # noqa: BLE001 - refusing is fine; running the pickle is not
        pass
    finally:
        cache.close()
    assert not marker.exists(), "a pickled key from the cache database was loaded: code ran"


def test_a_cache_row_never_removes_a_file_outside_the_cache(cli: Any, env: dict[str, str], bucket: str,
                                                           tmp_path: Path) -> None:
    _cached_stat(cli, bucket, tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    _tamper(env, "UPDATE Cache SET filename = ?, expire_time = 1", str(victim))
    cli("--quiet", "cache", "stats")  # expires old entries (and removes their files)
    (tmp_path / "f").write_bytes(b"frame2")
    cli("--quiet", "upload", str(tmp_path / "f"), f"s3://{bucket}/k")  # invalidates the object's entries
    assert victim.exists(), "a file named by a cache row, outside the cache folder, was removed"
    assert os.listdir(tmp_path)  # the test's own folder is untouched otherwise
