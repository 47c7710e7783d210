"""atk33: an object named `dir/` that holds bytes is "an object as any other" since session 32 (s3/listing_page._entry,
core/refs.is_folder_marker): `ls -r` and `du` count it, `verify -r` verifies it, `get -r` reports it skipped,
`sync DIR s3:// --delete` deletes it. But the commands that take ONE object refuse its key as a prefix:

- `stat s3://B/p/dir/` and `get s3://B/p/dir/ FILE` (a file name is given: nothing needs a local name) exit 2,
  "names a prefix, not an object", so the object `ls` lists can be neither inspected nor fetched;
- `rm s3://B/p/dir/` exits 2 with the hint "add --recursive": followed, `rm -r` deletes every object under
  p/dir/ too, a delete nobody asked for, and there is no way to remove only the object;
- `sync s3:// s3://` and `cp -r s3:// s3://` fail it (exit 2) where 2f14499 promises "copied s3->s3" (and
  before session 32 it was passed over, exit 0).

moto keeps the bytes of `p/dir/` (SeaweedFS drops them and rclone cannot hold such a key). Fail now."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from conftest import ServerInfo, cli_runner, environment_for, plain_client, unique

BODY = b"0123456789"


@pytest.fixture
def dir_object(moto_server_info: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
               tmp_path: Path) -> tuple[Any, Any, str]:
    """(cli, plain client, bucket): p/dir/ holding 10 bytes, and p/dir/b.txt below it."""
    cli = cli_runner(environment_for(moto_server_info, buckets, monkeypatch, tmp_path))
    raw = plain_client(moto_server_info)
    bucket = unique("dobj")
    raw.make_bucket(bucket)
    raw.put_object(bucket, "p/dir/", io.BytesIO(BODY), len(BODY))
    raw.put_object(bucket, "p/dir/b.txt", io.BytesIO(b"bb"), 2)
    return cli, raw, bucket


def test_stat_of_a_listed_dir_object(dir_object: tuple[Any, Any, str]) -> None:
    cli, _, bucket = dir_object
    run = cli("stat", f"s3://{bucket}/p/dir/", "--json")
    assert run.exit_code == 0, run  # now: 2, "names a prefix, not an object"
    assert run.json()["size"] == len(BODY)


def test_get_of_a_dir_object_to_a_named_file(dir_object: tuple[Any, Any, str], tmp_path: Path) -> None:
    cli, _, bucket = dir_object
    run = cli("get", f"s3://{bucket}/p/dir/", str(tmp_path / "out.bin"))
    assert run.exit_code == 0, run  # now: 2, "names a prefix, not an object (hint: add --recursive)"
    assert (tmp_path / "out.bin").read_bytes() == BODY


def test_rm_of_a_dir_object_removes_it_alone(dir_object: tuple[Any, Any, str]) -> None:
    cli, raw, bucket = dir_object
    run = cli("rm", f"s3://{bucket}/p/dir/")
    assert "--recursive" not in run.stderr, run  # now: the hint leads to deleting p/dir/b.txt too
    assert run.exit_code == 0, run
    assert sorted(o.object_name for o in raw.list_objects(bucket, "", recursive=True)) == ["p/dir/b.txt"]


def test_sync_s3_to_s3_copies_a_dir_object(dir_object: tuple[Any, Any, str]) -> None:
    """Commit 2f14499 says a dir/ holding bytes is "copied s3->s3". sync s3:// s3:// fails it every run instead
    (exit 2, "s3://B/p/dir/ names a prefix, not an object"); before session 32 it was passed over, exit 0: a
    replication job that worked now fails for ever."""
    cli, raw, bucket = dir_object
    run = cli("sync", f"s3://{bucket}/p/", f"s3://{bucket}/q/", "--json")
    assert run.exit_code == 0, run
    assert {o.object_name: o.size for o in raw.list_objects(bucket, "q/", recursive=True)} == {
        "q/dir/": len(BODY), "q/dir/b.txt": 2}


def test_cp_r_s3_to_s3_copies_a_dir_object(dir_object: tuple[Any, Any, str]) -> None:
    """cp -r between prefixes of one endpoint: now exit 2, "object key 'r/dir/' ends with '/'"."""
    cli, raw, bucket = dir_object
    run = cli("cp", "-r", f"s3://{bucket}/p/", f"s3://{bucket}/r/", "--json")
    assert run.exit_code == 0, run
    assert {o.object_name: o.size for o in raw.list_objects(bucket, "r/", recursive=True)} == {
        "r/dir/": len(BODY), "r/dir/b.txt": 2}
