"""The fake server of the tests of mv's sweep of stale If-Match probe markers (service/delete_guard._sweep_probes):
a versioned server that ignores If-Match on DELETE (Ceph RGW 16.2, MinIO), played on tests/faultserver.py. The
probe's DELETE leaves a delete marker its answer names ("m-probe"); each DELETE by version id is recorded; a
versions listing, once the probe has run, is what the test's `listing(prefix)` gives (its entries: `page`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer, response

from tests.helpers import fault_cli

# a fixed date for the moved object's HEADs (the fake dated each answer "now": two HEADs of a move either side of
# a second read as a change while it was copied)
STAMPED = {"Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT"}


def page(entries: str, prefix: str = "") -> bytes:
    """A ListVersionsResult of `entries` (DeleteMarker/Version elements), not truncated."""
    return ('<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult '
            'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>frames</Name>'
            f"<Prefix>{prefix}</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
            + entries + "</ListVersionsResult>").encode()


class ProbeMarkers:
    """The server's record: the probe's keys (`probes`), the (key, version id) DELETEs (`removed`)."""

    def __init__(self, listing: Callable[[str], bytes]) -> None:
        self.listing = listing
        self.probes: list[str] = []
        self.removed: list[tuple[str, str]] = []

    def handler(self, server: FaultServer, req: Any, conn: Any) -> bool:
        from its_store.service.delete_guard import PROBE_NAME
        if req.method == "DELETE" and PROBE_NAME in req.key and "versionId" not in req.query:
            self.probes.append(req.key)  # the probe: If-Match ignored, a delete marker left
            conn.send(response(204, headers={"x-amz-version-id": "m-probe", "x-amz-delete-marker": "true"}))
        elif req.method == "DELETE" and "versionId" in req.query:
            self.removed.append((req.key, req.query["versionId"]))
            conn.send(response(204))
        elif req.method == "GET" and "versions" in req.query and self.probes:
            conn.send(response(200, self.listing(req.query.get("prefix", "")), content_type="application/xml"))
        else:
            return False
        return True

    def move(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, bool]:
        """`mv s3://frames/in/a.jpg s3://frames/out/a.jpg` through this server; (its run, whether it moved)."""
        with FaultServer(self.handler, buckets=("frames",)) as server:
            server.put_object("frames", "in/a.jpg", FakeObject(b"the frame that is moved", headers=STAMPED))
            run = fault_cli(server, tmp_path, monkeypatch)("mv", "s3://frames/in/a.jpg", "s3://frames/out/a.jpg")
            moved = ("frames", "in/a.jpg") not in server.objects and ("frames", "out/a.jpg") in server.objects
        return run, moved
