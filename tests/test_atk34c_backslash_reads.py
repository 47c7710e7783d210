"""Session 34 attack (atk3): reading a key with a backslash that is not stored, on a server that reads '\\' as '/'.

rm of `s3://B/d\\f1` was made to delete only a key listed under that name (SeaweedFS answers the HEAD and the
DELETE of 'd\\f1' for the object 'd/f1'). The reads were not: `get s3://B/d\\f3 -` printed the bytes of s3://B/d/f3,
exit 0, and `stat` described it as 'd\\f3'; `mv s3://B/d\\f3 FILE` wrote d/f3's bytes to FILE and `mv s3://B/d\\f3
s3://B/moved/x` copied d/f3 to moved/x before its delete said 'object not found' (exit 3, the copy left
behind); `cp` copied the other object under the asked name's report. A read of such a key now asks the listing
too: not listed under that exact name is not found (exit 3), nothing read, written or copied. Real SeaweedFS; on
moto (which keeps such keys, as AWS does) they read as before.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error


@pytest.mark.parametrize("verb", ["get", "stat", "cp", "mv", "mv-local", "cp-local"])
def test_a_backslash_key_the_server_reads_as_another_object_is_not_found(cli: Any, bucket: str, tmp_path: Path,
                                                                        verb: str) -> None:
    assert cli("upload", "-", f"s3://{bucket}/d/f3", input=b"another frame").exit_code == 0
    asked = f"s3://{bucket}/d\\f3"
    local = tmp_path / "out.bin"
    args = {"get": ["get", asked, "-"], "stat": ["stat", asked], "cp": ["cp", asked, f"s3://{bucket}/c/x"],
            "mv": ["mv", asked, f"s3://{bucket}/c/x"], "mv-local": ["mv", asked, str(local)],
            "cp-local": ["cp", asked, str(local)]}[verb]
    run = cli(*args)
    assert run.exit_code == 3 and "not found" in one_line_error(run), run
    assert b"another frame" not in run.stdout_bytes, run
    assert not local.exists(), run
    listed = cli("ls", "-r", f"s3://{bucket}/")
    assert f"s3://{bucket}/c/" not in listed.stdout and "c/x" not in listed.stdout, listed  # nothing copied
    got = cli("get", f"s3://{bucket}/d/f3", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"another frame", got


def test_a_stored_backslash_key_stays_readable(moto_server_info: Any, buckets: dict[str, str],
                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """moto keeps 'd\\f1' as a key of its own: get and mv read it, and only it."""
    from conftest import cli_runner, environment_for, plain_client, unique
    cli = cli_runner(environment_for(moto_server_info, buckets, monkeypatch, tmp_path))
    name = unique("b")
    client = plain_client(moto_server_info)
    client.make_bucket(name)
    for key, data in (("d\\f1", b"backslash"), ("d/f1", b"slash")):
        client.put_object(name, key, io.BytesIO(data), len(data))
    got = cli("get", f"s3://{name}/d\\f1", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"backslash", got
    moved = cli("mv", f"s3://{name}/d\\f1", str(tmp_path / "f1"))
    assert moved.exit_code == 0 and (tmp_path / "f1").read_bytes() == b"backslash", moved
    assert sorted(o.object_name for o in client.list_objects(name, recursive=True)) == ["d/f1"]
