"""Session 34, small: the two-names check (service/xmove.one_server) with its first object deleted between the
listing and the HEADs.

Both HEADs then find nothing, and `None == None` said "one server under two names": a sync or recursive copy
between two servers was refused (exit 2). A stamp must be found to tell anything: when either HEAD finds nothing
the object went meanwhile, and the check asks again from a new listing (its next first object). Two fake servers
(tests/faultserver.py) list the same two objects alike; each deletes `a.jpg` when it is first HEADed; `b.jpg` is
stored on each under its own version id (two servers).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from faultserver import Conn, FakeObject, FaultServer, Request

from helpers import fault_cli

DATE = {"Last-Modified": "Mon, 07 Dec 2026 12:00:00 GMT"}


def _vanishing(server: FaultServer, req: Request, conn: Conn) -> bool:
    """The first HEAD of a.jpg finds it deleted (another client removed it after the listing)."""
    if req.method == "HEAD" and req.key == "a.jpg":
        server.objects.pop(("evidence", "a.jpg"), None)
    return False


def _server(version: str) -> FaultServer:
    server = FaultServer(_vanishing, buckets=("evidence",)).start()
    server.put_object("evidence", "a.jpg", FakeObject(b"frame a", headers=dict(DATE)))
    server.put_object("evidence", "b.jpg", FakeObject(b"frame b", headers={**DATE, "x-amz-version-id": version}))
    return server


def test_two_servers_whose_first_object_vanished_are_not_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store import StorageService, load_settings
    from its_store.service.xmove import one_server
    first, second = _server("v-first"), _server("v-second")
    try:
        fault_cli(first, tmp_path, monkeypatch)
        with StorageService(load_settings()) as a, StorageService(load_settings(endpoint=second.endpoint)) as b:
            assert one_server(a, b, "evidence", "") is False
        assert [r.key for r in first.seen("HEAD") if r.key] == ["a.jpg", "b.jpg"]  # a.jpg went: asked of b.jpg
    finally:
        first.stop()
        second.stop()


def test_one_server_whose_first_object_vanished_is_still_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store import StorageService, load_settings
    from its_store.service.xmove import one_server
    server = _server("v-one")
    try:
        fault_cli(server, tmp_path, monkeypatch)
        other = load_settings(endpoint=server.endpoint.replace("127.0.0.1", "localhost"))
        with StorageService(load_settings()) as a, StorageService(other) as b:
            assert one_server(a, b, "evidence", "") is True
    finally:
        server.stop()
