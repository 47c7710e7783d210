"""Session 33 round 2 attack: a copy between endpoints onto a target whose key may only write.

An edge or backup target is often given a key that may PUT and nothing else (tests/test_atk34_least_privilege).
Telling one server under two names from two servers HEADs the destination (service/xmove.py): a `cp` of
BUCKET/KEY to the same BUCKET/KEY of such a target, or a `cp -r` over equal prefixes, must not fail on that
HEAD being denied: a denied HEAD does not say the two are one server, and the copy is done as before.
Real SeaweedFS (the session's as the source, one with a write-only identity as the target); no mocks.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from its_store.testing.devserver import SeaweedServer

from conftest import unique


@pytest.fixture(scope="module")
def write_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SeaweedServer, tuple[str, str]]]:
    """A SeaweedFS with an admin and a `Write`-only identity: (server, (access key, secret key))."""
    folder = tmp_path_factory.mktemp("write-only")
    server = SeaweedServer(workdir=folder / "server")
    writer = ("itswo" + secrets.token_hex(4), secrets.token_urlsafe(18))
    config = folder / "s3.json"
    config.write_text(json.dumps({"identities": [
        {"name": "admin", "credentials": [{"accessKey": server.access_key, "secretKey": server.secret_key}],
         "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
        {"name": "writer", "credentials": [{"accessKey": writer[0], "secretKey": writer[1]}], "actions": ["Write"]}]}))
    server.extra_args.append(f"-s3.config={config}")
    server.start()
    yield server, writer
    server.kill()


@pytest.fixture
def edge(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
         write_only: tuple[SeaweedServer, tuple[str, str]]) -> str:
    """Remote `edge`: the write-only identity of that server; the bucket made there by its admin."""
    server, (access, secret) = write_only
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path.parent / f"{tmp_path.name}-config"))
    for name in list(os.environ):
        if name.startswith("ITS_STORE_REMOTE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ENDPOINT", f"http://{server.endpoint}")
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_ACCESS_KEY", access)
    monkeypatch.setenv("ITS_STORE_REMOTE_EDGE_SECRET_KEY", secret)
    bucket = unique("wo")
    admin(server).make_bucket(bucket)
    return bucket


def admin(server: SeaweedServer) -> Any:
    from minio import Minio
    return Minio(server.endpoint, access_key=server.access_key, secret_key=server.secret_key, secure=False)


@pytest.mark.parametrize("recursive", [False, True, "nested"])
def test_cp_to_the_same_key_of_a_write_only_target_copies(cli: Any, service: Any, edge: str,
                                                           write_only: tuple[SeaweedServer, Any],
                                                           recursive: bool | str) -> None:
    service.s3.make_bucket(edge)
    assert cli("upload", "-", f"s3://{edge}/cams/frame.jpg", input=b"frame").exit_code == 0
    args = {False: ["cp", f"s3://{edge}/cams/frame.jpg", f"edge:{edge}/cams/frame.jpg"],
            True: ["cp", "-r", f"s3://{edge}/cams/", f"edge:{edge}/cams/"],
            "nested": ["cp", "-r", f"s3://{edge}/cams/", f"edge:{edge}/"]}[recursive]
    run = cli(*args)
    assert run.exit_code == 0, run
    key = "frame.jpg" if recursive == "nested" else "cams/frame.jpg"
    assert admin(write_only[0]).get_object(edge, key).read() == b"frame"

