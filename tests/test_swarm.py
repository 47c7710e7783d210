"""swarm.py, the event-loop engine of recursive transfers: plain small objects go through it, the
rest (compressed, large, SSE-C) is handed to the threaded path, and both together give the same
files, stats, audit lines and errors as the per-object path."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from its_store.service import swarm

from conftest import unique
from helpers import random_bytes, write_file


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _mixed_folder(root: Path) -> dict[str, bytes]:
    """Frames for the swarm; a compressible log and a file over swarm.MAX_BYTES for the threads."""
    for cam in range(3):
        for n in range(15):
            path = root / f"cam{cam}" / "2026-11-24" / f"f{n:03d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\xff\xd8\xff\xe0" + random_bytes(2000 + 97 * n, seed=cam * 100 + n))
    (root / "empty.jpg").write_bytes(b"")
    (root / "logs").mkdir()
    (root / "logs" / "run.log").write_text("frame ok latency=12ms\n" * 20_000)
    write_file(root / "big.bin", swarm.MAX_BYTES + 12_345, seed=9)
    return _tree(root)


def test_mixed_folder_round_trip_with_stats_and_audit(cli, env, tmp_path: Path):
    bucket = unique("b")
    expected = _mixed_folder(tmp_path / "site")
    count = len(expected)
    run = cli("upload", "site", f"s3://{bucket}/site/", "-r", "--compress", "auto", "--json", "-w", "8")
    assert run.exit_code == 0, run
    assert run.json()["succeeded"] == count and run.json()["failed"] == 0
    log = cli("stat", f"s3://{bucket}/site/logs/run.log", "--json").json()
    assert log["codec"] == "zstd"  # the threaded path compressed it
    frame = cli("stat", f"s3://{bucket}/site/cam1/2026-11-24/f003.jpg", "--json").json()
    assert frame["codec"] is None and frame["object_type"] == "other"

    run = cli("get", f"s3://{bucket}/site/", "back", "-r", "--json", "-w", "8")
    assert run.exit_code == 0, run
    assert run.json()["succeeded"] == count
    assert _tree(tmp_path / "back") == expected
    assert not [p for p in (tmp_path / "back").rglob("*") if ".its-tmp" in p.name]

    stats = cli("stats", "--json").json()["operations"]
    assert stats["upload"]["count"] == count and stats["download"]["count"] == count  # none counted twice
    lines = [json.loads(line) for line in Path(env["MINIO_AUDIT_LOG"]).read_text().splitlines()]
    uploads = [line for line in lines if line.get("operation") == "upload" and line.get("bucket") == bucket]
    assert len(uploads) == count and all(line["result"] == "ok" for line in uploads)


def test_per_object_failures_do_not_stop_the_batch(cli, tmp_path: Path):
    """A key that maps onto an existing folder fails alone; the others arrive; exit code non-zero."""
    bucket = unique("b")
    for n in range(20):
        write_file(tmp_path / "src" / f"k{n:02d}", 500, seed=n)
    assert cli("upload", "src", f"s3://{bucket}/p/", "-r").exit_code == 0
    (tmp_path / "dst" / "k07").mkdir(parents=True)
    run = cli("get", f"s3://{bucket}/p/", "dst", "-r", "--json")
    assert run.exit_code == 5, run
    report = run.jsonl()[0]  # then the error object
    assert report["succeeded"] == 19 and [e["key"] for e in report["errors"]] == ["p/k07"]


def test_library_batch_inside_a_running_event_loop(service, tmp_path: Path):
    """asyncio.run cannot nest: called from a coroutine, a batch runs on threads instead."""
    bucket = unique("b")
    for n in range(10):
        write_file(tmp_path / "src" / f"f{n}.jpg", 300, seed=n)

    async def caller() -> tuple[int, int]:
        assert not swarm.usable()
        up = service.batch().upload_directory(tmp_path / "src", bucket, "x/")
        down = service.batch().download_prefix(bucket, "x/", tmp_path / "dst")
        return len(up.succeeded), len(down.succeeded)

    assert asyncio.run(caller()) == (10, 10)
    assert _tree(tmp_path / "dst") == _tree(tmp_path / "src")


def test_a_symlink_in_the_destination_is_replaced_not_followed(cli, tmp_path: Path):
    """dst/k0 is a symlink to a file outside: the download replaces the link, the outside file stays."""
    bucket = unique("b")
    for n in range(3):
        write_file(tmp_path / "src" / f"k{n}", 700, seed=n)
    assert cli("upload", "src", f"s3://{bucket}/p/", "-r").exit_code == 0
    outside = write_file(tmp_path / "outside.txt", 10, seed=99)
    (tmp_path / "dst").mkdir()
    (tmp_path / "dst" / "k0").symlink_to(outside)
    run = cli("get", f"s3://{bucket}/p/", "dst", "-r")
    assert run.exit_code == 0, run
    assert outside.read_bytes() == random_bytes(10, seed=99)
    assert not (tmp_path / "dst" / "k0").is_symlink()
    assert _tree(tmp_path / "dst") == _tree(tmp_path / "src")


def test_an_object_that_grew_since_the_listing_is_handed_back(service, bucket, tmp_path: Path):
    """The listing said 10 bytes; the GET answers more than swarm.MAX_BYTES: the swarm does not read
    it into memory but hands the object to the threaded path (None), and writes nothing."""
    from its_store.core.models import DownloadRequest
    big = swarm.MAX_BYTES + 1
    service.s3.put(bucket, "grew", random_bytes(big, seed=5), {"Content-Type": "application/octet-stream"})
    request = DownloadRequest(bucket=bucket, key="grew", file_path=tmp_path / "grew", size_hint=10)
    outcomes: list = []
    swarm.Swarm(service, 2).run(iter([("grew", swarm.download_job(service, request, lambda n: None, None))]),
                                outcomes.append)
    assert outcomes == [("grew", None, None)]
    assert list(tmp_path.iterdir()) == []
