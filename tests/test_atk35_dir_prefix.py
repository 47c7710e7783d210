"""Finding of an attack on 84df39e ("stat/get/rm of a key ending in '/': an empty answer is a folder marker"):
SeaweedFS answers a HEAD of ANY folder `det/` with 200 and size 0, and the rule that turns that answer back
into "a prefix" was put in cli/commands/objects.stored_dir_object, used by stat, get and rm only. cp and mv
address `dir/` by its exact key too (a27c5e1) through sync/copy, without that rule. Fails now (left failing).

Server: test_atk34_least_privilege's SeaweedFS (its admin identity), a bucket with det/a.jpg and NO object
named det/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_atk34_least_privilege import _bucket, _keys_of, keys, least_server  # noqa: F401 - SeaweedFS


@pytest.mark.parametrize("verb", ["cp", "mv"])
def test_cp_mv_of_a_folder_name_to_a_file_is_a_prefix(cli: Any, keys: dict[str, dict[str, str]], tmp_path: Path,  # noqa: F811
                                                      verb: str) -> None:
    """`cp s3://B/det/ outf` on SeaweedFS: 'copied s3://B/det/ → outf (1 objects, 0 B)', exit 0, and an
    EMPTY file outf is written: the folder's 200/size-0 HEAD answer is taken for an object (the exact bug
    84df39e fixed for `get`, still in cp). `mv s3://B/det/ mvout`: an empty mvout is written, then exit 4
    'was downloaded to mvout but could not be verified (no checksum to compare); the object was kept'.
    Not new: a27c5e1~1 does the same (checked); 84df39e fixed it for get only. Promised (a27c5e1,
    84df39e): a key ending in '/' names the object stored under it when one holds bytes; else a prefix,
    exit 2, nothing written. Fix
    (service depth, one rule): move stored_dir_object's check (is_folder_marker on the HEAD answer) below
    the CLI (service/heads) and call it from the single-object path of cp/mv (sync/copy) as stat/get/rm do;
    an s3->s3 `cp/mv s3://B/det/ s3://B/x/` then says 'names a prefix' too (today: exit 3 'object not
    found: s3://B/x/det/', naming the destination)."""
    bucket = _bucket(cli, keys, versioned=False)
    (tmp_path / "a.jpg").write_bytes(b"frame" * 10)
    assert cli("upload", "a.jpg", f"s3://{bucket}/det/a.jpg", extra_env=keys["admin"]).exit_code == 0
    run = cli(verb, f"s3://{bucket}/det/", "outf", extra_env=keys["admin"])
    assert not (tmp_path / "outf").exists(), (run, (tmp_path / "outf").stat().st_size)
    assert run.exit_code == 2 and "prefix" in run.stderr, run
    assert _keys_of(cli, keys, f"s3://{bucket}/") == ["det/a.jpg"]


def test_cp_of_a_folder_name_between_buckets_says_prefix(cli: Any, keys: dict[str, dict[str, str]],  # noqa: F811
                                                         tmp_path: Path) -> None:
    """`cp s3://B/det/ s3://B/copy/` (no -r) on SeaweedFS: exit 3 'object not found: s3://B/copy/det/' (the
    server copy of the folder 'succeeds', its read-back finds nothing): the line blames the destination.
    Promised: names a prefix, exit 2 (as stat/get/rm say). Same fix as above."""
    bucket = _bucket(cli, keys, versioned=False)
    (tmp_path / "a.jpg").write_bytes(b"frame" * 10)
    assert cli("upload", "a.jpg", f"s3://{bucket}/det/a.jpg", extra_env=keys["admin"]).exit_code == 0
    run = cli("cp", f"s3://{bucket}/det/", f"s3://{bucket}/copy/", extra_env=keys["admin"])
    assert run.exit_code == 2 and "prefix" in run.stderr, run
