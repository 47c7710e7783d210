"""mv's plain DELETE on a server that ignores If-Match on DELETE (`rclone serve s3`): the edges of its last check.

(service/delete_guard.py; tests/test_mv_delete_if_match_ignored.py has the rewrites.) Through tests/faultproxy.py
in front of the real server:
- the source's folder is the only place the key may delete (every other DELETE denied): the probe is made there,
  and the move is done;
- the bucket's versioning cannot be read (denied): taken as a bucket that keeps no versions, the move is done by
  the HEAD-then-plain-DELETE path, never failed;
- the source removed by another client after the copy, before that last HEAD: its DELETE is harmless, the move
  is done (the copy is made), never an error for an object already gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import response

from conftest import plain_client, unique

MOVED = b"the frame that is moved"
DENIED = response(403, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access '
                       b"Denied</Message></Error>", content_type="application/xml")


def _move(object_server: Any, object_cli: Any, monkeypatch: pytest.MonkeyPatch, bucket: str, key: str,
          target: str, answer: Any) -> Any:
    with FaultProxy(int(object_server.endpoint.rpartition(":")[2]), answer=answer) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = object_cli("mv", f"s3://{bucket}/{key}", target, "--json")
    monkeypatch.setenv("MINIO_ENDPOINT", object_server.endpoint)
    return run


def _bucket(object_server: Any, object_cli: Any, key: str) -> str:
    bucket = unique("b")
    plain_client(object_server).make_bucket(bucket)
    assert object_cli("upload", "-", f"s3://{bucket}/{key}", input=MOVED).exit_code == 0
    return bucket


@pytest.mark.parametrize("object_server", ["rclone"], indirect=True)
def test_a_key_that_may_delete_only_in_the_sources_folder_moves_it(object_server: Any, object_cli: Any,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    bucket = _bucket(object_server, object_cli, "cam/src.jpg")
    denied: list[str] = []

    def answer(seen: Seen) -> bytes | None:
        if seen.method == "DELETE" and not seen.path.lstrip("/").startswith(f"{bucket}/cam/"):
            denied.append(seen.path)
            return DENIED
        return None

    run = _move(object_server, object_cli, monkeypatch, bucket, "cam/src.jpg", str(tmp_path / "dst.jpg"), answer)
    assert run.exit_code == 0 and not denied, (run, denied)
    assert run.json()["objects"][0]["delete_conditional"] is False, run
    assert (tmp_path / "dst.jpg").read_bytes() == MOVED
    assert object_cli("stat", f"s3://{bucket}/cam/src.jpg").exit_code == 3


@pytest.mark.parametrize("object_server", ["rclone"], indirect=True)
def test_a_bucket_whose_versioning_cannot_be_read_is_moved_by_the_plain_delete(object_server: Any, object_cli: Any,
                                                                              monkeypatch: pytest.MonkeyPatch,
                                                                              tmp_path: Path) -> None:
    bucket = _bucket(object_server, object_cli, "src.jpg")
    asked: list[str] = []

    def answer(seen: Seen) -> bytes | None:
        if seen.method == "GET" and "versioning" in seen.query:
            asked.append(seen.path)
            return DENIED
        return None

    run = _move(object_server, object_cli, monkeypatch, bucket, "src.jpg", str(tmp_path / "dst.jpg"), answer)
    assert asked, "the versioning was never asked"
    assert run.exit_code == 0, run
    assert run.json()["objects"][0]["delete_conditional"] is False, run
    assert (tmp_path / "dst.jpg").read_bytes() == MOVED
    assert object_cli("stat", f"s3://{bucket}/src.jpg").exit_code == 3


@pytest.mark.parametrize("object_server", ["rclone"], indirect=True)
def test_a_source_removed_before_the_last_head_is_a_move_done(object_server: Any, object_cli: Any,
                                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bucket = _bucket(object_server, object_cli, "src.jpg")
    direct, removed = plain_client(object_server), []

    def answer(seen: Seen) -> bytes | None:  # another client removes it as the versioning is read (just before)
        if seen.method == "GET" and "versioning" in seen.query and not removed:
            direct.remove_object(bucket, "src.jpg")
            removed.append(True)
        return None

    run = _move(object_server, object_cli, monkeypatch, bucket, "src.jpg", str(tmp_path / "dst.jpg"), answer)
    assert removed, "the other client never removed it"
    assert run.exit_code == 0, run
    assert (tmp_path / "dst.jpg").read_bytes() == MOVED
