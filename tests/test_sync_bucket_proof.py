"""sync to a bucket: the destination's listing stands for the bucket's HEAD (one request fewer, as s5cmd
makes), and a missing bucket is still said as before (exit 3 with its hint, nothing sent) or created
(MINIO_CREATE_BUCKETS, the default) before anything is uploaded into it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from faultproxy import FaultProxy

from conftest import unique
from helpers import write_file


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def _tree(root: Path) -> Path:
    for i in range(3):
        write_file(root / f"f{i}.bin", 50 + i, seed=i)
    return root


def test_existing_bucket_no_head(cli: Any, bucket: str, s3_server: Any, tmp_path: Path) -> None:
    """A first sync into an existing bucket asks nothing of the bucket itself: listing, PUTs (and no object HEAD)."""
    src = _tree(tmp_path / "src")
    with FaultProxy(_port(s3_server.endpoint), record=True) as proxy:
        run = cli("sync", str(src), f"s3://{bucket}/p/", "--json", extra_env={"MINIO_ENDPOINT": proxy.endpoint})
        seen = list(proxy.seen)
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["totals"]["copied"] == 3
    assert [r.method for r in seen if r.method == "HEAD"] == [], [(r.method, r.target) for r in seen]
    assert sorted(r.method for r in seen).count("PUT") == 3


def test_missing_bucket_said_as_before_nothing_sent(cli: Any, service: Any, s3_server: Any,
                                                    tmp_path: Path) -> None:
    """MINIO_CREATE_BUCKETS=false: `bucket not found` with the hint, exit 3, no PUT, no bucket made."""
    src, name = _tree(tmp_path / "src"), unique("nob")
    with FaultProxy(_port(s3_server.endpoint), record=True) as proxy:
        env = {"MINIO_ENDPOINT": proxy.endpoint, "MINIO_CREATE_BUCKETS": "false"}
        run = cli("sync", str(src), f"s3://{name}/p/", "--delete", extra_env=env)
        as_json = cli("sync", str(src), f"s3://{name}/p/", "--json", extra_env=env)
        seen = list(proxy.seen)
    assert run.exit_code == 3
    assert run.stderr.strip() == (f"its-store: error: bucket not found: {name} "
                                  "(hint: create it, or set MINIO_CREATE_BUCKETS=true)")
    assert as_json.exit_code == 3
    assert json.loads(as_json.stdout or as_json.stderr)["error"] == {
        "code": "bucket_not_found", "message": f"bucket not found: {name}",
        "hint": "create it, or set MINIO_CREATE_BUCKETS=true"}
    assert [r.method for r in seen if r.method in ("PUT", "POST", "DELETE")] == []
    assert not service.s3.bucket_exists(name)


def test_missing_bucket_created_then_filled(cli: Any, service: Any, tmp_path: Path) -> None:
    """The default: the bucket is made on first use, the files land in it, nothing is reported failed."""
    src, name = _tree(tmp_path / "src"), unique("new")
    run = cli("sync", str(src), f"s3://{name}/p/", "--delete", "--json")
    assert run.exit_code == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["failed"] == [] and report["totals"]["copied"] == 3
    assert service.s3.bucket_exists(name)
    assert sorted(e[0] for e in service.s3.list_objects(name, "p/")) == [
        "p/f0.bin", "p/f1.bin", "p/f2.bin"]
