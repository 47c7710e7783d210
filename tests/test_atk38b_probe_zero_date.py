"""mv's sweep of stale If-Match probe markers (service/delete_guard._sweep_probes) judges a marker's age against
the probe's own marker's Last-Modified less STALE_PROBE. A server that lists that marker with Go's zero time
(0001-01-01T00:00:00Z: the date of a time.Time never set, what a Go server writes for a date it did not keep)
made that subtraction overflow: mv failed after its copy with "unexpected OverflowError" (exit 1, the source
kept), before the probe's own marker was removed, so every such run left one more marker. The sweep is best
effort: with no date to judge by it sweeps nothing, and the move goes on.

tests/faultserver.py plays a versioned server that ignores If-Match on DELETE (the probe leaves a marker) and lists
the probe's marker with the zero time, beside another probe-shaped key's marker dated 2026.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer, response

from tests.helpers import fault_cli

STAMPED = {"Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT"}  # the fake dates an object "now" on each HEAD: a move
# read two dates across a second and kept its source (changed while copied)


def _marker(key: str, version: str, at: str) -> str:
    return (f"<DeleteMarker><Key>{key}</Key><VersionId>{version}</VersionId><IsLatest>true</IsLatest>"
            f"<LastModified>{at}</LastModified></DeleteMarker>")


def test_a_probe_marker_dated_year_one_does_not_fail_the_move(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.service.delete_guard import PROBE_NAME
    other = f"in/{PROBE_NAME}ffffffffffffffff"
    probes: list[str] = []
    removed: list[tuple[str, str]] = []

    def handler(server: FaultServer, req: Any, conn: Any) -> bool:
        if req.method == "DELETE" and PROBE_NAME in req.key and "versionId" not in req.query:
            probes.append(req.key)  # the probe: If-Match ignored, a delete marker left
            conn.send(response(204, headers={"x-amz-version-id": "m-probe", "x-amz-delete-marker": "true"}))
        elif req.method == "DELETE" and "versionId" in req.query:
            removed.append((req.key, req.query["versionId"]))
            conn.send(response(204))
        elif req.method == "GET" and "versions" in req.query and probes:
            body = ('<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult '
                    'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>frames</Name><Prefix></Prefix>'
                    "<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
                    + _marker(probes[0], "m-probe", "0001-01-01T00:00:00Z")
                    + _marker(other, "m-other", "2026-01-01T00:00:00.000Z") + "</ListVersionsResult>")
            conn.send(response(200, body.encode(), content_type="application/xml"))
        else:
            return False
        return True

    with FaultServer(handler, buckets=("frames",)) as server:
        server.put_object("frames", "in/a.jpg", FakeObject(b"the frame that is moved", headers=STAMPED))
        cli = fault_cli(server, tmp_path, monkeypatch)
        run = cli("mv", "s3://frames/in/a.jpg", "s3://frames/out/a.jpg")
        moved = ("frames", "in/a.jpg") not in server.objects and ("frames", "out/a.jpg") in server.objects
    assert run.exit_code == 0 and moved, run
    assert probes and (probes[0], "m-probe") in removed, removed  # the probe's own marker removed
    assert (other, "m-other") not in removed, removed  # no age to judge it by
