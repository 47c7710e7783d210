"""A listed download (get -r, sync s3 -> local) behind a proxy that marks GET and HEAD answers' ETags weak.

The GET of a listed object must name the ETag the listing gave (service/fetch.open_answer's `etag`), else the
HEAD path asks again: a HEAD and a second GET. A proxy or cache that may re-encode bodies (nginx with gzip on)
turns an answer's `ETag: "x"` into `W/"x"`, while the listing's XML, a body, keeps `"x"`. The listing's ETag was
read as `x`, the answer's as `W/"x` (quotes stripped at its ends only): never equal, so every object silently
cost three requests instead of one (found by attack, session 37: GET, HEAD, GET for each). A weak tag names the
same entity by its opaque part; the download stays unverified and says why (tests/test_get_weak_etag.py). A
cross-server copy (service/xcopy.py) holds its one GET to the listing the same way. The
proxy (tests/faultproxy.py, head_of) in front of each of the four servers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy

from conftest import plain_client, unique
from helpers import write_file

_ETAG = re.compile(rb'(?im)^(etag:[ \t]*)"')


def _weakened(method: str, head: bytes) -> bytes:
    """An answer's head with its ETag marked weak, as nginx's gzip filter marks it."""
    return _ETAG.sub(rb'\1W/"', head)


@pytest.mark.parametrize("command", ["get", "sync"])
def test_a_weak_answer_etag_costs_a_listed_object_one_get(object_server: Any, object_cli: Any, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    bucket = unique("b")
    plain_client(object_server).make_bucket(bucket)
    for i in range(3):
        write_file(tmp_path / "src" / f"f{i}.jpg", 5_000 + i, seed=i)
    assert object_cli("upload", "-r", str(tmp_path / "src"), f"s3://{bucket}/s/").exit_code == 0
    with FaultProxy(int(object_server.endpoint.rpartition(":")[2]), record=True, head_of=_weakened) as proxy:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        args = ("get", "-r") if command == "get" else ("sync",)
        run = object_cli(*args, f"s3://{bucket}/s/", str(tmp_path / "back") + "/")
        methods = [seen.method for seen in proxy.seen if seen.path.startswith(f"/{bucket}/s/")]
    monkeypatch.setenv("MINIO_ENDPOINT", object_server.endpoint)
    assert run.exit_code == 0, run
    assert methods == ["GET"] * 3, methods
    for i in range(3):
        assert (tmp_path / "back" / f"f{i}.jpg").read_bytes() == (tmp_path / "src" / f"f{i}.jpg").read_bytes()


def test_a_weak_answer_etag_costs_a_cross_server_copy_one_get(object_server: Any, object_env: Any,
                                                              second_seaweed: Any, tmp_path: Path) -> None:
    """`cp -r` from one server to another (service/xcopy.py): each small listed object by one GET there too."""
    import io

    from its_store import load_settings
    from its_store.service.context import Context
    from its_store.sync.copy import Copier
    bucket, dest = unique("b"), unique("d")
    plain_client(object_server).make_bucket(bucket)
    for i in range(3):
        write_file(tmp_path / "src" / f"f{i}.jpg", 5_000 + i, seed=i)

    def on(endpoint: str, keys: Any, name: str) -> Context:
        return Context(load_settings(endpoint=endpoint, access_key=keys.access_key, secret_key=keys.secret_key,
                                     secure=False, region="us-east-1", cache_dir=tmp_path / name, max_retries=1))

    to = on(second_seaweed.endpoint, second_seaweed, "dest")
    with FaultProxy(int(object_server.endpoint.rpartition(":")[2]), record=True, head_of=_weakened) as proxy:
        via = on(proxy.endpoint, object_server, "via")
        try:
            for i in range(3):
                data = (tmp_path / "src" / f"f{i}.jpg").read_bytes()
                plain_client(object_server).put_object(bucket, f"s/f{i}.jpg", io.BytesIO(data), len(data))
            proxy.seen.clear()
            result = Copier(via, dest_owner=to).copy(f"s3://{bucket}/s/", f"s3://{dest}/s/", recursive=True)
            methods = [seen.method for seen in proxy.seen if seen.path.startswith(f"/{bucket}/s/")]
        finally:
            via.close()
            to.close()
    assert result.succeeded == 3 and result.failed == 0, result
    assert methods == ["GET"] * 3, methods


def test_etags_compare_by_their_digest_whatever_the_spelling_around_it() -> None:
    """comparable_etag: quotes, W/, case and a part count ("-N", added by some servers in one answer and not in
    another) aside; another digest is another object."""
    from its_store.transfer.download import comparable_etag
    same = ['"68e25f42f10376bc676adb553f7930d3"', 'W/"68E25F42F10376BC676ADB553F7930D3"',
            "68e25f42f10376bc676adb553f7930d3-1", '"68e25f42f10376bc676adb553f7930d3-12"']
    assert {comparable_etag(e) for e in same} == {"68e25f42f10376bc676adb553f7930d3"}
    assert comparable_etag('"68e25f42f10376bc676adb553f7930d4-1"') != comparable_etag(same[0])
    assert comparable_etag("abc-def") == "abc-def" and comparable_etag("-1") == "-1" and comparable_etag(None) == ""
