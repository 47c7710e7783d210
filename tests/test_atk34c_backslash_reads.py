"""Session 34 attack (atk3): reading a key with a backslash that is not stored, on a server that reads '\\' as '/'.

rm of `s3://B/d\\f1` was made to delete only a key listed under that name (SeaweedFS answers the HEAD and the
DELETE of 'd\\f1' for the object 'd/f1'). The reads were not: `get s3://B/d\\f3 -` printed the bytes of s3://B/d/f3,
exit 0, and `stat` described it as 'd\\f3'; `mv s3://B/d\\f3 FILE` wrote d/f3's bytes to FILE and `mv s3://B/d\\f3
s3://B/moved/x` copied d/f3 to moved/x before its delete said 'object not found' (exit 3, the copy left
behind); `cp` copied the other object under the asked name's report. A read of such a key now asks the listing
too: not listed under that exact name is not found (exit 3), nothing read, written or copied. Real SeaweedFS; on
moto (which keeps such keys, as AWS does) they read as before (tests/test_atk34_backslash_key.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error

SEPARATORS = pytest.mark.parametrize("sep", ["\\", "//"], ids=["backslash", "empty-segment"])


@SEPARATORS
@pytest.mark.parametrize("verb", ["get", "stat", "cp", "mv", "mv-local", "cp-local"])
def test_a_backslash_key_the_server_reads_as_another_object_is_not_found(cli: Any, bucket: str, tmp_path: Path,
                                                                        verb: str, sep: str) -> None:
    assert cli("upload", "-", f"s3://{bucket}/d/f3", input=b"another frame").exit_code == 0
    asked = f"s3://{bucket}/d{sep}f3"
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


@SEPARATORS
@pytest.mark.parametrize("verb", ["tag-set", "tag-replace", "tag-rm", "tag-get"])
def test_the_tags_of_a_backslash_key_are_not_another_objects(cli: Any, bucket: str, verb: str, sep: str) -> None:
    """`tag set s3://B/d\\f1 k=v` tagged s3://B/d/f1 (exit 0): a lifecycle rule by tag then expires the other
    object. Not found (exit 3), the other object's tags as they were."""
    assert cli("upload", "-", f"s3://{bucket}/d/f1", input=b"frame").exit_code == 0
    assert cli("tag", "set", f"s3://{bucket}/d/f1", "keep=yes").exit_code == 0
    asked = f"s3://{bucket}/d{sep}f1"
    args = {"tag-set": ["set", asked, "expire=now"], "tag-replace": ["set", asked, "expire=now", "--replace"],
            "tag-rm": ["rm", asked], "tag-get": ["get", asked]}[verb]
    run = cli("tag", *args)
    assert run.exit_code == 3 and "not found" in one_line_error(run), run
    got = cli("--json", "tag", "get", f"s3://{bucket}/d/f1")
    assert got.exit_code == 0 and '"keep": "yes"' in got.stdout and "expire" not in got.stdout, got


@SEPARATORS
@pytest.mark.parametrize("verb", ["legal-hold", "retention"])
def test_the_lock_of_a_backslash_key_is_not_another_objects(cli: Any, locked: str, verb: str, sep: str) -> None:
    """`legal-hold on s3://B/d\\f1` (or `retention set`) locked s3://B/d/f1, exit 0: a lock nobody asked for on
    another object, which a compliance retention makes undeletable until its date. Not found, nothing locked."""
    assert cli("upload", "-", f"s3://{locked}/d/f1", input=b"frame").exit_code == 0
    asked = f"s3://{locked}/d{sep}f1"
    args = (["legal-hold", "on", asked] if verb == "legal-hold"
            else ["retention", "set", asked, "--mode", "governance", "--days", "1"])
    run = cli(*args)
    assert run.exit_code == 3 and "not found" in one_line_error(run), run
    shown = cli("--json", "legal-hold" if verb == "legal-hold" else "retention", "show", f"s3://{locked}/d/f1")
    assert shown.exit_code == 0, shown
    assert '"legal_hold": true' not in shown.stdout and "GOVERNANCE" not in shown.stdout.upper(), shown


@pytest.mark.parametrize("key", ["d\\f2", "d//f2"], ids=["backslash", "empty-segment"])
def test_a_presigned_put_to_a_key_some_servers_merge_is_refused(cli: Any, bucket: str, key: str) -> None:
    """`presign s3://B/d\\f2 --method put` signed a URL with which anyone could replace s3://B/d/f2 on
    SeaweedFS: an upload to a key its-store itself refuses to create (validate_new_key). Refused (exit 2),
    no URL; a GET URL of such a key (an existing object's) is still signed."""
    assert cli("upload", "-", f"s3://{bucket}/d/f2", input=b"the original").exit_code == 0
    run = cli("presign", f"s3://{bucket}/{key}", "--method", "put")
    assert run.exit_code == 2 and "http" not in run.stdout, run
    one_line_error(run)
    assert cli("presign", f"s3://{bucket}/{key}").exit_code == 0
