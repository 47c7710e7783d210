"""Session 36 (reva): `get -r` into a folder named through a symbolic link loop. Since get -r records what it
leaves in the folder (sync/remember.remembering_files, session 36), the folder's name was resolved before
anything else, and Path.resolve() raised RuntimeError on a loop: `unexpected RuntimeError: Symlink loop`
(internal_error, "report it"), where the folder's own open says what is wrong with the path (ELOOP), as it
did before and as `sync` does: the same exit code.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from conftest import plain_client


@pytest.mark.parametrize("name", ["loop", "loop/sub"])
def test_get_r_into_a_link_loop_is_one_clear_line(name: str, cli: Any, bucket: str, s3_server: Any,
                                                   tmp_path: Path) -> None:
    plain_client(s3_server).put_object(bucket, "p/a.bin", io.BytesIO(b"a"), 1)
    (tmp_path / "loop").symlink_to("loop")
    run = cli("get", "-r", f"s3://{bucket}/p/", str(tmp_path / name))
    synced = cli("sync", f"s3://{bucket}/p/", str(tmp_path / name))
    assert run.exit_code == synced.exit_code != 0, (run, synced)
    assert "unexpected" not in run.stderr and "too many levels of symbolic links" in run.stderr, run
