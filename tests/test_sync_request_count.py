"""The requests of an incremental sync (issue 22 W7's shape), counted by a recording proxy: a guard that no
request per unchanged object comes back (a HEAD, a second listing) and that nothing the deletes' rules need is
dropped.

The W7 shape, small: 150 files synced once, then 3 changed (same size, new content, newer mtime), 3 new and 3
deleted next to each other at the end of the folder. The second sync sends, and only sends: one listing of
DEST (one page), one PUT per changed or new file, one DeleteObjects, one GetBucketVersioning (an unversioned
bucket's delete answer does not say whether a marker was left: `deleted` or `hid ... still stored` rests on
it), and one prefix listing proving the three deleted keys no longer listed (their common prefix is one no
other key has). The state store answers the mtimes of the 144 unchanged objects: no HEAD.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from faultproxy import FaultProxy

from conftest import unique
from helpers import write_file

_SUBRESOURCES = ("versioning", "delete", "uploads", "tagging", "location", "policy", "lifecycle", "acl")


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def _kind(method: str, path: str, query: dict[str, str], bucket: str) -> str:
    """One request named by what it asks: 'list PREFIX', 'PUT KEY', 'delete', 'versioning', or as sent."""
    at_bucket = path.rstrip("/") == f"/{bucket}"
    if at_bucket and method == "GET" and "list-type" in query:
        return f"list {query.get('prefix', '')}"
    if at_bucket and method == "GET" and "versioning" in query:
        return "versioning"
    if at_bucket and method == "POST" and "delete" in query:
        return "delete"
    if method == "PUT" and not any(name in query for name in _SUBRESOURCES):
        return f"PUT {path.split('/', 2)[2]}"
    return f"{method} {path}?{'&'.join(sorted(query))}"


def test_an_incremental_sync_sends_one_request_per_change_and_none_per_unchanged_object(
        cli: Any, service: Any, s3_server: Any, tmp_path: Path) -> None:
    bucket = unique("w7")  # unversioned, as the bench's (the `bucket` fixture's is versioned)
    service.s3.make_bucket(bucket)
    src = tmp_path / "frames"
    for i in range(147):  # enough that a probe listing costs less than listing DEST again (sync/deletes)
        write_file(src / f"a{i:03d}.jpg", 500, seed=i)
    for i in range(3):
        write_file(src / f"z{i}.jpg", 500, seed=1000 + i)
    with FaultProxy(_port(s3_server.endpoint), record=True) as proxy:
        env = {"MINIO_ENDPOINT": proxy.endpoint}  # the state store is kept per endpoint: both runs through it
        first = cli("sync", str(src), f"s3://{bucket}/w7/", "--delete", "--json", extra_env=env)
        assert first.exit_code == 0, first.stderr
        assert json.loads(first.stdout)["totals"]["copied"] == 150
        later = os.stat(src / "a000.jpg").st_mtime + 10
        for i in range(3):  # changed: same size, new content, newer mtime
            write_file(src / f"a{i:03d}.jpg", 500, seed=2000 + i)
            os.utime(src / f"a{i:03d}.jpg", (later, later))
            write_file(src / f"n{i}.jpg", 500, seed=3000 + i)  # new
            (src / f"z{i}.jpg").unlink()  # deleted: next to each other, the last of DEST
        start = len(proxy.seen)  # the first run is over: nothing in flight
        run = cli("sync", str(src), f"s3://{bucket}/w7/", "--delete", "--json", extra_env=env)
        seen = list(proxy.seen)[start:]
    assert run.exit_code == 0, run.stderr
    report = json.loads(run.stdout)
    assert (report["totals"]["copied"], report["totals"]["deleted"], report["totals"]["unchanged"]) == (6, 3, 144)
    assert report["totals"]["heads"] == 0 and report["delete_markers"] is False, report["totals"]
    kinds = sorted(_kind(s.method, s.path, s.query, bucket) for s in seen)
    changed = [f"PUT w7/a{i:03d}.jpg" for i in range(3)] + [f"PUT w7/n{i}.jpg" for i in range(3)]
    assert kinds == sorted(["list w7/", *changed, "delete", "versioning", "list w7/z"]), kinds
