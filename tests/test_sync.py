"""sync SRC DEST end to end against SeaweedFS (and moto / rclone serve s3 for the basic round trip):
compare modes, the state store, filters, dry run, the JSON report, --delete safety, failures."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from helpers import write_file


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def keys_under(service: Any, bucket: str, prefix: str = "") -> dict[str, int]:
    return {e.key: e.size for e in service.s3.list_objects(bucket, prefix)}


def make_tree(root: Path, count: int = 6, size: int = 3000) -> None:
    for i in range(count):
        write_file(root / f"cam{i % 2}" / f"f{i:03d}.jpg", size + i, seed=i)


def sync_json(cli: Any, *args: str) -> tuple[int, dict[str, Any]]:
    run = cli("sync", *args, "--json")
    return run.exit_code, json.loads(run.stdout)


def copied(report: dict[str, Any]) -> list[str]:
    return [i["path"] for i in report["copied"]]


def test_round_trip_local_s3_local(object_cli: Any, object_bucket: str, tmp_path: Path) -> None:
    src, back = tmp_path / "src", tmp_path / "back"
    make_tree(src)
    code, report = sync_json(object_cli, str(src), f"s3://{object_bucket}/frames/")
    assert code == 0, report
    assert sorted(copied(report)) == sorted(files_under(src))
    assert all(i["reason"] == "new" for i in report["copied"])
    code, again = sync_json(object_cli, str(src), f"s3://{object_bucket}/frames/")
    assert code == 0 and again["copied"] == [] and again["totals"]["unchanged"] == 6, again
    code, down = sync_json(object_cli, f"s3://{object_bucket}/frames/", str(back))
    assert code == 0, down
    assert files_under(back) == files_under(src)
    for rel in files_under(src):  # the mtime came back to the nanosecond from x-amz-meta-mtime
        assert (back / rel).stat().st_mtime_ns == (src / rel).stat().st_mtime_ns
    code, down2 = sync_json(object_cli, f"s3://{object_bucket}/frames/", str(back))
    assert code == 0 and down2["copied"] == [] and down2["totals"]["unchanged"] == 6, down2
