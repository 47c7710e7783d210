"""Session 36 (gapsb 1): a dry run changes no state anywhere. `sync --dry-run` opened the sync state store
read only (tests/test_s36_dry_run_heads.py), but the store is a WAL database and a read-only SQLite connection
makes its -wal and -shm files where none are (no writer running): every dry run after a real sync left
sync-state.sqlite-wal and -shm in the cache folder; and its HEADs went through the metadata cache
(service stat_object), which wrote their answers to metadata/cache.db and its hits and misses to stats.json
(and stats.lock), in a cache folder made for them where there was none; `model gc --dry-run` read the
manifests through the metadata cache likewise (registry/docs.py) (each seen failing). Now the cache
folder and the audit log are as they were, to the file and its mtime, after `sync --dry-run` (both
directions, and between two endpoints), `rm --dry-run` (named objects, -r, --all-versions) and
`model gc --dry-run`, each run as its own process (the stats are saved at exit), and a dry run where there
was no cache folder yet makes none.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import plain_client
from helpers import random_bytes, run_cli_process


def _snapshot(env: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Every path under the state folder (cache folder, audit log) with its mtime and size."""
    root = Path(env["MINIO_CACHE_DIR"]).parent
    found: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            st = path.lstat()
            found[str(path.relative_to(root))] = (st.st_mtime_ns, st.st_size)
    return found


def _dry_runs(bucket: str, local: Path) -> dict[str, list[str]]:
    return {"sync up": ["sync", str(local), f"s3://{bucket}/d/", "--dry-run", "--delete"],
            "sync down": ["sync", f"s3://{bucket}/d/", str(local), "--dry-run", "--delete"],
            "rm": ["rm", f"s3://{bucket}/d/a.bin", "--dry-run"],
            "rm -r": ["rm", "-r", f"s3://{bucket}/d/", "--dry-run"],
            "rm --all-versions": ["rm", "--all-versions", "-r", f"s3://{bucket}/d/", "--dry-run"],
            "model gc": ["model", "gc", "--dry-run", "--keep-last", "1", "--older-than", "0d"],
            # to the same server named otherwise (remote `other`): two endpoints, each side's store opened
            "cross sync": ["sync", f"s3://{bucket}/d/", f"other:{bucket}/e/", "--dry-run", "--delete"]}


@pytest.mark.parametrize("run", list(_dry_runs("b", Path("x"))))
@pytest.mark.parametrize("before", ["a cache folder", "none yet"])
def test_a_dry_run_leaves_the_state_folder_as_it_was(run: str, before: str, cli: Any, env: dict[str, str],
                                                     bucket: str, s3_server: Any, tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    (local / "new.bin").write_bytes(b"new")
    for name in ("a.bin", "b.bin"):  # the objects' size: compared by the mtime a HEAD gives
        (local / name).write_bytes(random_bytes(1000, seed=7))
    client = plain_client(s3_server)
    client.make_bucket(env["MINIO_MODELS_BUCKET"])
    for key in ("d/a.bin", "d/b.bin"):  # another tool's objects: unknown to the sync state store, HEADed
        data = random_bytes(1000, seed=len(key))
        client.put_object(bucket, key, io.BytesIO(data), len(data))
    if run == "model gc":  # two versions: the older one would go (its manifests read, through the caches)
        weights = tmp_path / "w.pt"
        for version in ("1.0.0", "1.0.1"):
            weights.write_bytes(version.encode())
            assert cli("model", "register", str(weights), "--name", "det", "--version", version).exit_code == 0
        shutil.rmtree(Path(env["MINIO_CACHE_DIR"]).parent)  # the state the registrations left: as before
    if before == "a cache folder":
        other = tmp_path / "other"
        other.mkdir()
        (other / "o.bin").write_bytes(b"o")
        assert cli("sync", str(other), f"s3://{bucket}/o/").exit_code == 0
        assert (Path(env["MINIO_CACHE_DIR"]) / "stats.json").exists()
    was = _snapshot(env)
    host, port = s3_server.endpoint.rsplit(":", 1)
    remote = {"ITS_STORE_REMOTE_OTHER_ENDPOINT": f"http://{'localhost' if host == '127.0.0.1' else host}:{port}",
              "ITS_STORE_REMOTE_OTHER_ACCESS_KEY": s3_server.access_key,
              "ITS_STORE_REMOTE_OTHER_SECRET_KEY": s3_server.secret_key}
    result = run_cli_process([*_dry_runs(bucket, local)[run], "--json"], {**env, **remote}, tmp_path)  # stats at exit
    assert result.exit_code == 0, result
    if run == "model gc":
        assert [row["version"] for row in result.json()["removed"]] == ["1.0.0"], result
    if run == "cross sync":
        assert len(result.json()["copied"]) == 2, result  # would copy both: each side's store read, none written
    if run.startswith("sync"):
        assert result.json()["totals"]["heads"] == 2, result  # the HEADs' answers were neither kept nor cached
    assert _snapshot(env) == was
