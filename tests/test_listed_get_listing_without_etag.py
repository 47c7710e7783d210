"""A listing that names no ETag (a server or proxy that leaves <ETag> out of ListObjects) leaves a listing-driven
GET nothing to hold its answer to but the size: the answer may be another request's, read off a kept connection
(tests/test_listed_get_answer_without_etag.py), and one of the listed size was written as the key's file,
unverified, exit 0. Such an entry now takes the HEAD path (a HEAD, then a GET held to the HEAD's size and ETag,
on a fresh connection), as an entry the listing did not size does (service/fetch.one_get_will_do); so does a
copy between endpoints (service/xcopy._Origin.open)."""

from __future__ import annotations

from pathlib import Path

import pytest
from faultserver import FakeObject
from test_listed_get_answer_without_etag import BUCKET, ONE, TWO, _server

from helpers import fault_cli


@pytest.mark.parametrize("command", [["get", "-r"], ["sync"], ["cp", "-r"]], ids=["get-r", "sync", "cp-r"])
def test_an_entry_listed_without_etag_is_not_taken_on_its_size_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    with _server() as server:
        server.list_etags = False
        server.put_object(BUCKET, "p/a.bin", FakeObject(ONE))
        server.put_object(BUCKET, "p/b.bin", FakeObject(TWO))
        cli = fault_cli(server, tmp_path, monkeypatch, MINIO_MAX_WORKERS="1", MINIO_MAX_POOL_CONNECTIONS="1")
        out = tmp_path / "out"
        run = cli(*command, f"s3://{BUCKET}/p/", str(out) + "/")
        heads = [r.key for r in server.seen("HEAD") if r.key]
    assert run.exit_code == 0, run
    assert (out / "a.bin").read_bytes() == ONE
    assert (out / "b.bin").read_bytes() == TWO, "b.bin holds a stray answer's bytes"
    assert sorted(heads) == ["p/a.bin", "p/b.bin"], heads  # the HEAD path, for each
