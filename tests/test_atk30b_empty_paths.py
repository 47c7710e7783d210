"""Attack on the state folders (session 30's core/private_dirs): MINIO_CACHE_DIR set but empty (`MINIO_CACHE_DIR=`
in a compose or .env file, meant as "not set") was Path(""), the current folder: stats.json and its lock (and
the cache database, upload journals, sync state) were written into whatever folder a command ran in, the
folder being synced included. An empty path setting is configuration gone wrong: exit 78 naming it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error


@pytest.mark.parametrize("name", ["MINIO_CACHE_DIR", "MINIO_AUDIT_LOG"])
def test_an_empty_state_path_is_a_config_error(cli: Any, bucket: str, tmp_path: Path, name: str) -> None:
    src = tmp_path / "frame.jpg"
    src.write_bytes(b"frame")
    run = cli("--quiet", "upload", str(src), f"s3://{bucket}/frame.jpg", extra_env={name: ""})
    assert run.exit_code == 78, run
    assert name in one_line_error(run), run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frame.jpg"], "state written into the working folder"
