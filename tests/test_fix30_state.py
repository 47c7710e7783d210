"""Session 30's fixes to local state: a hostile stats.json is read as unreadable (set aside), never shown as a
success rate of -150 %."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize("counter", ['{"count": 2, "failures": 5, "bytes": 0, "seconds": 0}',
                                     '{"count": 2, "failures": 0, "bytes": 10, "seconds": -1.5}'])
def test_stats_with_impossible_counts_are_an_unreadable_file(cli: Any, tmp_path: Path, counter: str) -> None:
    state = tmp_path.parent / f"{tmp_path.name}-state" / "cache"
    state.mkdir(parents=True, exist_ok=True)
    (state / "stats.json").write_text(f'{{"version": 1, "operations": {{"upload": {counter}}}}}')
    run = cli("--json", "stats")
    assert run.exit_code == 0, run
    doc = json.loads(run.stdout)
    assert 0 <= doc["success_rate"] <= 100 and doc["average_upload_speed_bps"] >= 0, doc
    assert "unreadable" in run.stderr and (state / "stats.json.corrupt").exists(), run


def test_state_folders_made_are_private_and_existing_ones_kept(cli: Any, bucket: str, tmp_path: Path) -> None:
    """Under umask 000 the cache, stats and audit folders (and their missing parents) were made 0777 and
    the cache database 0644 under umask 022: every state folder made is 0700, the database 0600; a folder
    that was there keeps its mode."""
    import os
    import stat as st
    mine = tmp_path / "mine"
    mine.mkdir()
    mine.chmod(0o755)
    (tmp_path / "src").write_bytes(b"frame")
    state = {"MINIO_CACHE_DIR": str(mine / "a" / "cache"), "MINIO_AUDIT_LOG": str(mine / "b" / "log" / "audit.log")}
    for umask in (0o000, 0o022):
        old = os.umask(umask)
        try:
            assert cli("--quiet", "upload", str(tmp_path / "src"), f"s3://{bucket}/k", extra_env=state).exit_code == 0
            assert cli("--quiet", "stat", f"s3://{bucket}/k", extra_env=state).exit_code == 0
        finally:
            os.umask(old)
        for folder in (mine / "a", mine / "a" / "cache", mine / "a" / "cache" / "metadata", mine / "b",
                       mine / "b" / "log"):
            assert st.S_IMODE(folder.stat().st_mode) == 0o700, folder
        assert st.S_IMODE(mine.stat().st_mode) == 0o755
        databases = list((mine / "a" / "cache").glob("**/*.db"))
        assert databases and all(st.S_IMODE(db.stat().st_mode) == 0o600 for db in databases), databases


def test_a_state_folder_under_a_file_is_not_a_directory(tmp_path: Path) -> None:
    """MINIO_AUDIT_LOG=/etc/passwd/x: the reason given is 'Not a directory', not mkdir's 'File exists'."""
    import errno

    from its_store.core.private_dirs import make_private_folder
    (tmp_path / "file").write_text("x")
    for where in (tmp_path / "file", tmp_path / "file" / "x", tmp_path / "file" / "x" / "y"):
        with pytest.raises(NotADirectoryError) as caught:
            make_private_folder(where)
        assert caught.value.errno == errno.ENOTDIR
