"""sync s3 -> local of an object whose server forgot the metadata it was sent (docs/guides/sync.md, mtime).

`rclone serve s3` keeps an object's metadata in memory only and ignores it once the file under the object
seems changed (`rclone serve s3 --help`). Under load it did so for one object of tests/test_sync.py's round
trip: the GET answered neither x-amz-meta-mtime nor x-amz-meta-its-sha256, and the download gave that file the
object's LastModified, as documented for an object without an mtime; the test expected the nanosecond mtime on
every server and failed once in ~240 runs. Here rclone is made to forget deterministically, as its help says
it does: the file under one object is re-timed on rclone's own disk between the upload and the download.
The round trip's check (assert_mtimes_came_back) takes exactly that fallback and nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from test_sync import assert_mtimes_came_back, files_under, listed_ns, make_tree, sync_json

from conftest import ServerInfo, cli_runner, environment_for, plain_client, unique


def test_a_file_whose_object_lost_its_mtime_gets_the_last_modified_and_stays_unchanged(
        rclone_server_info: ServerInfo, buckets: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cli: Any = cli_runner(environment_for(rclone_server_info, buckets, monkeypatch, tmp_path))
    bucket = unique("b")
    client = plain_client(rclone_server_info)
    client.make_bucket(bucket)
    src, back = tmp_path / "src", tmp_path / "back"
    make_tree(src)
    assert sync_json(cli, str(src), f"s3://{bucket}/frames/")[0] == 0
    stored = rclone_server_info.server.data_dir / bucket / "frames" / "cam0" / "f000.jpg"  # type: ignore[union-attr]
    was = stored.stat()
    os.utime(stored, ns=(was.st_atime_ns, was.st_mtime_ns + 5_000_000_000))  # rclone now ignores its metadata
    meta = {k.lower() for k in client.stat_object(bucket, "frames/cam0/f000.jpg").metadata}
    assert not meta & {"x-amz-meta-mtime", "x-amz-meta-its-sha256"}, meta
    code, down = sync_json(cli, f"s3://{bucket}/frames/", str(back))
    assert code == 0 and len(down["copied"]) == 6, down
    assert files_under(back) == files_under(src)
    listed = next(o.last_modified for o in client.list_objects(bucket, "frames/cam0/", recursive=True)
                  if o.object_name == "frames/cam0/f000.jpg")
    assert (back / "cam0" / "f000.jpg").stat().st_mtime_ns == listed_ns(listed)  # its LastModified, to the second
    assert (back / "cam1" / "f001.jpg").stat().st_mtime_ns == (src / "cam1" / "f001.jpg").stat().st_mtime_ns
    assert_mtimes_came_back(rclone_server_info, bucket, "frames/", src, back)
    code, again = sync_json(cli, f"s3://{bucket}/frames/", str(back))
    assert code == 0 and again["copied"] == [] and again["totals"]["unchanged"] == 6, again
