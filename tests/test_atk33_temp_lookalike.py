"""atk33: what the session's new walk rule skips must not turn into deletes.

1. sync DIR s3://... --delete skips a local file named like its-store's temp files (core/files.is_own_temp:
   any name starting with '.' and ending in '.its-tmp', not only `.NAME.<pid>-<n>.its-tmp`). The object of
   that name already in DEST is then "not in the source" and deleted, though the file is right there: a
   delete nobody asked for (filtered and sharded paths are dropped on both sides; these are not)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import unique


def _keys(service: Any, bucket: str) -> set[str]:
    return {o.key for o in service.s3.list_objects(bucket, "", recursive=True)}


def test_sync_delete_keeps_an_object_whose_local_file_is_skipped(cli: Any, service: Any, tmp_path: Path) -> None:
    bucket = unique("tmpd")
    service.s3.make_bucket(bucket)
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a")
    (folder / ".draft.its-tmp").write_bytes(b"the user's own notes")  # not a temp file of ours
    up = cli("upload", str(folder / ".draft.its-tmp"), f"s3://{bucket}/p/.draft.its-tmp")
    assert up.exit_code == 0, up
    run = cli("sync", str(folder), f"s3://{bucket}/p/", "--delete", "--json")
    assert run.exit_code == 0, run
    # the file is in the source: its object must not be deleted as "not in the source"
    assert "p/.draft.its-tmp" in _keys(service, bucket), run


def test_upload_r_uploads_a_user_file_that_only_ends_in_its_tmp(cli: Any, service: Any, tmp_path: Path) -> None:
    """`.draft.its-tmp` is not `.NAME.<pid>-<n>.its-tmp` (core/files.create_temp's only form): it is the user's
    file, yet upload -r passes it over as "its-store temp file (an interrupted download's)"."""
    bucket = unique("tmpu")
    service.s3.make_bucket(bucket)
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a")
    (folder / ".draft.its-tmp").write_bytes(b"the user's own notes")
    run = cli("upload", str(folder), f"s3://{bucket}/p/", "-r", "--json")
    assert run.exit_code == 0, run
    assert _keys(service, bucket) == {"p/a.txt", "p/.draft.its-tmp"}, run
