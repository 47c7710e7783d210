"""A weak ETag (W/"...") leaves a download unverified, and now says why.

None of the servers of tests/servers.py sends one (test_no_server_here_weakens_its_etags); a proxy or cache that
may change a body does (nginx with gzip turns a strong ETag weak). A weak ETag promises equivalent content, not
these bytes: it is no MD5 of them, so the W/ is not stripped to compare one (bytes a proxy re-encoded would fail
it, exit 4, with nothing wrong stored; a match would claim what the server did not). The download is kept,
`verified: false` as before, and `note` (--json) and the human line now say why: it was unexplained.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from conftest import plain_client, unique

DATA = b"a frame behind a proxy that marks its ETag weak"


def test_no_server_here_weakens_its_etags(object_server: Any, object_env: Any) -> None:
    from its_store import StorageService, load_settings
    bucket = unique("w")
    plain_client(object_server).make_bucket(bucket)
    plain_client(object_server).put_object(bucket, "k", io.BytesIO(DATA), len(DATA))
    head = StorageService(load_settings()).s3.stat(bucket, "k")
    assert not head.etag.lstrip('"').startswith("W/"), head.etag


def test_a_weak_etag_is_unverified_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from faultserver import FakeObject, FaultServer

    from helpers import fault_cli

    weak = f'W/"{hashlib.md5(DATA).hexdigest()}"'
    with FaultServer(lambda *_: False, buckets=("cams",)) as server:
        cli = fault_cli(server, tmp_path, monkeypatch)
        server.put_object("cams", "a.jpg", FakeObject(DATA, headers={"ETag": weak}))
        run = cli("get", "s3://cams/a.jpg", "a.jpg", "--json")
        human = cli("get", "s3://cams/a.jpg", "b.jpg")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["verified"] is False and "weak ETag" in (doc["note"] or ""), doc
    assert (tmp_path / "a.jpg").read_bytes() == DATA
    assert human.exit_code == 0 and "not verified: the server sent a weak ETag" in human.stderr, human
