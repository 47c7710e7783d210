"""fix3: a key ending in '/' that holds bytes (`dir/`) is an object as any other: named exactly, stat/get/rm/cp
address it when it is stored (else it names a prefix, as before), and a copy keeps its own name below the new
prefix (core/refs.validate_new_key's `copy_of`: the only new key ending in '/' is the copy of a stored one)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from its_store.core.errors import InvalidInputError
from its_store.core.refs import validate_new_key

from conftest import ServerInfo, cli_runner, environment_for, plain_client, unique

BODY = b"0123456789"


def test_a_new_key_ending_in_slash_only_as_the_copy_of_one() -> None:
    assert validate_new_key("q/dir/", copy_of="p/dir/") == "q/dir/"
    for key, source in (("q/dir/", None), ("q/dir/", "p/dir"), ("q//dir/", "p/dir/"), ("q/../dir/", "p/dir/")):
        with pytest.raises(InvalidInputError):
            validate_new_key(key, copy_of=source)


@pytest.fixture
def stored(moto_server_info: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
           tmp_path: Path) -> tuple[Any, Any, str]:
    cli = cli_runner(environment_for(moto_server_info, buckets, monkeypatch, tmp_path))
    raw = plain_client(moto_server_info)
    bucket = unique("dobjf")
    raw.make_bucket(bucket)
    raw.put_object(bucket, "p/dir/", io.BytesIO(BODY), len(BODY))
    raw.put_object(bucket, "p/dir/b.txt", io.BytesIO(b"bb"), 2)
    return cli, raw, bucket


def test_exact_dir_keys_copy_and_prefixes_still_refused(stored: tuple[Any, Any, str], tmp_path: Path) -> None:
    cli, raw, bucket = stored
    run = cli("cp", f"s3://{bucket}/p/dir/", f"s3://{bucket}/x/")  # into a prefix: under its own name
    assert run.exit_code == 0, run
    assert raw.stat_object(bucket, "x/dir/").size == len(BODY)
    run = cli("cp", f"s3://{bucket}/p/dir/", str(tmp_path))  # a folder: it has no file name there
    assert run.exit_code == 2 and "name the file" in run.stderr, run
    for args in (("stat", f"s3://{bucket}/p/none/"), ("rm", f"s3://{bucket}/p/none/"),
                 ("cp", f"s3://{bucket}/p/none/", f"s3://{bucket}/y/")):
        run = cli(*args)  # nothing stored under that exact key: a prefix, as before (exit 2)
        assert run.exit_code == 2 and "prefix" in run.stderr, (args, run)
    assert sorted(o.object_name for o in raw.list_objects(bucket, "", recursive=True)) == [
        "p/dir/", "p/dir/b.txt", "x/dir/"]
