"""Session 34 attack: the two-names overlap check (service/xmove.one_server) asks about ONE object, the first
key under the outer prefix, HEADed on each name. The first key of a bucket being an SSE-C object (its key-less
HEAD is a 400) ended every sync/cp -r between endpoints over nested prefixes of one bucket with exit 1
'BadRequest', one server or two: now both names LIST that key (a listing names an SSE-C object without its key).

Real SeaweedFS reached as `num` (127.0.0.1) and `name` (localhost); no mocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import one_line_error, unique
from helpers import put_sse_c


def test_sync_delete_under_two_names_with_an_sse_c_first_key_is_an_overlap(cli: Any, service: Any, twice: None,
                                                                             tmp_path: Path) -> None:
    """`sync num:B/p/ name:B/ --delete`: the destination B/ holds the source B/p/ (one server). The first key of
    the bucket is an SSE-C object whose key-less HEAD is refused: the check said "not one server" and the
    sync deleted the source p/ as "not in the source"."""
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    put_sse_c(cli, bucket, "0-sealed.bin", tmp_path)
    for key in ("p/a.jpg", "p/b.jpg"):
        assert cli("upload", "-", f"s3://{bucket}/{key}", input=key.encode()).exit_code == 0
    run = cli("sync", f"num:{bucket}/p/", f"name:{bucket}/", "--delete")
    listed = sorted(item.key for item in service.s3.list_objects(bucket, "", recursive=True))
    assert "p/a.jpg" in listed and "p/b.jpg" in listed, (listed, run)
    assert run.exit_code == 2 and "overlap" in one_line_error(run), run


def test_sync_between_two_servers_with_an_sse_c_first_key_still_syncs(cli: Any, service: Any, twice: None,
                                                                       second_seaweed: Any, tmp_path: Path,
                                                                       monkeypatch: Any) -> None:
    """The same sync to another server is a sync like any: the check's key-less HEAD of the SSE-C first key
    (a 400 on SeaweedFS, AWS and MinIO) ended it, exit 1 'BadRequest', before anything was copied."""
    monkeypatch.setenv("ITS_STORE_REMOTE_OTHER_ENDPOINT", f"http://{second_seaweed.endpoint}")
    monkeypatch.setenv("ITS_STORE_REMOTE_OTHER_ACCESS_KEY", second_seaweed.access_key)
    monkeypatch.setenv("ITS_STORE_REMOTE_OTHER_SECRET_KEY", second_seaweed.secret_key)
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    put_sse_c(cli, bucket, "0-sealed.bin", tmp_path)
    assert cli("upload", "-", f"s3://{bucket}/p/a.jpg", input=b"frame").exit_code == 0
    run = cli("sync", f"num:{bucket}/p/", f"other:{bucket}/")
    assert run.exit_code == 0, run
    got = cli("get", f"other:{bucket}/a.jpg", "-")
    assert got.exit_code == 0 and got.stdout_bytes == b"frame", got


def test_cp_and_mv_of_an_sse_c_object_to_the_same_key_on_another_server(cli: Any, service: Any, twice: None,
                                                                        second_seaweed: Any, tmp_path: Path,
                                                                        monkeypatch: Any) -> None:
    """`cp num:B/K other:B/K --sse-c-key-file F` copies as it does to any other key of `other`; without the key
    (cp or mv) it is the documented 'its key is needed' (exit 2). The same-object check HEADed without the key:
    exit 1 'BadRequest' for all three."""
    monkeypatch.setenv("ITS_STORE_REMOTE_OTHER_ENDPOINT", f"http://{second_seaweed.endpoint}")
    monkeypatch.setenv("ITS_STORE_REMOTE_OTHER_ACCESS_KEY", second_seaweed.access_key)
    monkeypatch.setenv("ITS_STORE_REMOTE_OTHER_SECRET_KEY", second_seaweed.secret_key)
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    key_file = put_sse_c(cli, bucket, "e/enc.bin", tmp_path)
    for verb in ("cp", "mv"):
        run = cli(verb, f"num:{bucket}/e/enc.bin", f"other:{bucket}/e/enc.bin")
        assert run.exit_code == 2 and "key is needed" in one_line_error(run), run
    run = cli("cp", f"num:{bucket}/e/enc.bin", f"other:{bucket}/e/enc.bin", "--sse-c-key-file", str(key_file))
    assert run.exit_code == 0, run
    got = cli("get", f"other:{bucket}/e/enc.bin", "-", "--sse-c-key-file", str(key_file))
    assert got.exit_code == 0 and got.stdout_bytes == b"sealed", got


def test_cp_of_an_sse_c_object_onto_itself_under_two_names_with_its_key_is_refused(cli: Any, service: Any,
                                                                                  twice: None,
                                                                                  tmp_path: Path) -> None:
    bucket = unique("b")
    service.s3.make_bucket(bucket)
    key_file = put_sse_c(cli, bucket, "e/enc.bin", tmp_path)
    service.s3.set_versioning(bucket, True)
    before = sorted(v.version_id or "" for v in service.s3.list_objects(bucket, "", include_versions=True))
    run = cli("cp", f"num:{bucket}/e/enc.bin", f"name:{bucket}/e/enc.bin", "--sse-c-key-file", str(key_file))
    assert run.exit_code == 2 and "itself" in one_line_error(run), run
    after = sorted(v.version_id or "" for v in service.s3.list_objects(bucket, "", include_versions=True))
    assert after == before
