"""Session 34 attack: a key we are asked to CREATE that holds a backslash, named on the command line.

SeaweedFS stores (and reads, and deletes) 'd\\f2' as 'd/f2'. Keys of a walk with a backslash were refused
(core/refs.local_name_problem), and a written key with '//' too (validate_new_key: "some servers merge empty
segments and would replace another object"), but `upload - s3://B/d\\f2` (or a cp/mv target) was sent: it
replaced the other object s3://B/d/f2, exit 0, reported as uploaded under a key no listing shows.
Keys already stored stay readable and deletable. Real SeaweedFS, no mocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error


@pytest.mark.parametrize("verb", ["upload", "cp", "mv"])
def test_a_new_key_with_a_backslash_is_refused_and_replaces_nothing(cli: Any, bucket: str, tmp_path: Path,
                                                                   verb: str) -> None:
    assert cli("upload", "-", f"s3://{bucket}/d/f2", input=b"the original").exit_code == 0
    assert cli("upload", "-", f"s3://{bucket}/src.bin", input=b"intruder").exit_code == 0
    args = (["upload", "-", f"s3://{bucket}/d\\f2"] if verb == "upload"
            else [verb, f"s3://{bucket}/src.bin", f"s3://{bucket}/d\\f2"])
    run = cli(*args, input=b"intruder")
    assert run.exit_code == 2 and "backslash" in one_line_error(run), run
    got = cli("get", f"s3://{bucket}/d/f2", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"the original", got
    assert cli("get", f"s3://{bucket}/src.bin", "-").stdout_bytes == b"intruder"  # a refused mv keeps its source


def test_rm_of_a_backslash_key_the_server_reads_as_another_object_deletes_nothing(cli: Any, bucket: str) -> None:
    """`rm s3://B/d\\f1` where no such key is stored: SeaweedFS answered the HEAD and the DELETE for s3://B/d/f1,
    and rm removed that other object (exit 0, 'deleted s3://B/d\\f1'). Not found (exit 3), nothing deleted."""
    assert cli("upload", "-", f"s3://{bucket}/d/f1", input=b"evidence").exit_code == 0
    run = cli("rm", f"s3://{bucket}/d\\f1")
    assert run.exit_code == 3 and "not found" in one_line_error(run), run
    got = cli("get", f"s3://{bucket}/d/f1", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"evidence", got


def _moto_with_both_keys(moto_server_info: Any, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                         tmp_path: Path, odd: str = "d\\f1") -> tuple[Any, Any, str]:
    """(cli, plain client, bucket) on moto, which keeps `odd` ('d\\f1', 'd//f1') as a key of its own (as AWS
    does), beside 'd/f1'."""
    import io

    from conftest import cli_runner, environment_for, plain_client, unique
    cli = cli_runner(environment_for(moto_server_info, buckets, monkeypatch, tmp_path))
    name = unique("b")
    client = plain_client(moto_server_info)
    client.make_bucket(name)
    for key, data in ((odd, b"backslash"), ("d/f1", b"slash")):
        client.put_object(name, key, io.BytesIO(data), len(data))
    return cli, client, name


@pytest.mark.parametrize("odd", ["d\\f1", "d//f1"])
def test_a_stored_backslash_key_stays_deletable(moto_server_info: Any, buckets: dict[str, str],
                                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path, odd: str) -> None:
    """moto keeps 'd\\f1' as a key of its own (as AWS does): listed under that name, so rm deletes it, and only it."""
    cli, client, name = _moto_with_both_keys(moto_server_info, buckets, monkeypatch, tmp_path, odd)
    run = cli("rm", f"s3://{name}/{odd}")
    assert run.exit_code == 0, run
    assert sorted(o.object_name for o in client.list_objects(name, recursive=True)) == ["d/f1"]


def test_a_stored_backslash_key_stays_readable(moto_server_info: Any, buckets: dict[str, str],
                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """moto keeps 'd\\f1' as a key of its own: get and mv read it, and only it (heads.not_another finds it
    listed; tests/test_atk34c_backslash_reads.py has SeaweedFS, where it is another object)."""
    cli, client, name = _moto_with_both_keys(moto_server_info, buckets, monkeypatch, tmp_path)
    got = cli("get", f"s3://{name}/d\\f1", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"backslash", got
    moved = cli("mv", f"s3://{name}/d\\f1", str(tmp_path / "f1"))
    assert moved.exit_code == 0 and (tmp_path / "f1").read_bytes() == b"backslash", moved
    assert sorted(o.object_name for o in client.list_objects(name, recursive=True)) == ["d/f1"]


@pytest.mark.parametrize("named", ["d//f3", "d///f3", "/d/f3"])
def test_rm_of_a_key_the_server_reads_as_another_by_its_empty_segments_deletes_nothing(
        cli: Any, bucket: str, named: str) -> None:
    """`rm s3://B/d//f3` where only d/f3 is stored: SeaweedFS merges empty segments on a HEAD and a DELETE (as
    on an upload, which is refused for such keys): the other object must not be deleted."""
    assert cli("upload", "-", f"s3://{bucket}/d/f3", input=b"evidence").exit_code == 0
    run = cli("rm", f"s3://{bucket}/{named}")
    assert run.exit_code == 3 and "not found" in one_line_error(run), run
    got = cli("get", f"s3://{bucket}/d/f3", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"evidence", got


@pytest.mark.parametrize("named", ["d//f4", "d\\f4"])
def test_rm_of_another_name_of_an_sse_c_object_deletes_nothing(cli: Any, bucket: str, tmp_path: Path,
                                                               named: str) -> None:
    """`rm s3://B/d//f4` where only d/f4 is stored, encrypted with an SSE-C key: the key-less HEAD of the name
    asked for is refused as SSE-C (SeaweedFS answers it for d/f4), which rm took for "it exists", and the
    DELETE removed d/f4 (exit 0). Not found (exit 3), nothing deleted."""
    from helpers import put_sse_c
    key_file = put_sse_c(cli, bucket, "d/f4", tmp_path, b"sealed evidence")
    run = cli("rm", f"s3://{bucket}/{named}")
    assert run.exit_code == 3 and "not found" in one_line_error(run), run
    got = cli("get", f"s3://{bucket}/d/f4", "-", "--sse-c-key-file", str(key_file))
    assert got.exit_code == 0 and got.stdout_bytes == b"sealed evidence", got


@pytest.mark.parametrize("named", ["d//f5", "d\\f5"])
def test_rm_dry_run_of_another_name_says_what_rm_would_do(cli: Any, bucket: str, named: str) -> None:
    """`rm --dry-run s3://B/d//f5` where only d/f5 is stored: the plan said 'would delete' (exit 0) a key that
    `rm` itself finds not found (exit 3): the dry run asks the same question rm does."""
    assert cli("upload", "-", f"s3://{bucket}/d/f5", input=b"evidence").exit_code == 0
    plan = cli("rm", "--dry-run", f"s3://{bucket}/{named}")
    assert plan.exit_code == 3 and "not found" in one_line_error(plan), plan
    assert cli("get", f"s3://{bucket}/d/f5", "-").stdout_bytes == b"evidence"
