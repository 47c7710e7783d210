"""Session 32 attack: an object whose key ends in "/" and which holds bytes.

A "folder marker" is an empty object named `dir/` (the S3 console's "Create folder"); another client (boto3,
Hadoop's s3a, a script) may store bytes under such a key, and S3, MinIO, moto and Ceph keep them. its-store takes
every key ending in "/" for a prefix, whatever its size: `ls -r` shows it as `PRE`, and `get -r`, `sync` and
`verify -r` pass over it without a word: `get -r` exits 0 with the bytes never fetched, and `verify -r` counts
1 object of 2 and says ok. The promise (docs/reliability.md, "Keys"): every skipped key is reported with its
reason, and no key blocks or hides another.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer

from helpers import fault_cli

BUCKET = "mark-b"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with FaultServer(buckets=(BUCKET,)) as server:
        server.put_object(BUCKET, "fd/z/", FakeObject(b"data stored under a folder marker"))
        server.put_object(BUCKET, "fd/x/y", FakeObject(b"yy"))
        yield fault_cli(server, tmp_path, monkeypatch)


def test_get_r_reports_a_folder_marker_that_holds_bytes(cli: Any, tmp_path: Path) -> None:
    """Fails on main (a83dc6e): exit 0, `skipped_items` empty, `fd/z/` neither fetched nor named."""
    run = cli("--json", "get", "-r", f"s3://{BUCKET}/fd/", str(tmp_path / "out") + "/")
    doc = run.json()
    named = [item["key"] for item in doc["objects"] + doc["skipped_items"]]
    assert "fd/z/" in named, run
    if "fd/z/" in [item["key"] for item in doc["skipped_items"]]:
        assert run.exit_code != 0, run


def test_verify_r_counts_a_folder_marker_that_holds_bytes(cli: Any) -> None:
    """Fails on main (a83dc6e): `objects` 1, the 33 bytes under `fd/z/` never read."""
    run = cli("--json", "verify", "-r", f"s3://{BUCKET}/fd/")
    assert run.json()["objects"] == 2, run
