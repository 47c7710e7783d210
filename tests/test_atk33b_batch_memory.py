"""Session 33, attacker 2: `upload -r` and `get -r` hold no record of each file done when only totals are shown.

Every item done was kept in BatchResult.objects (a pydantic BatchItem, ~1.5 KB each) for the whole run, also
when the CLI printed only "uploaded N objects": 50,000 empty files took the peak RSS (VmHWM) of `upload -r`
from 59 MB (5,000 files) to 131 MB, and of `get -r` from 58 to 108 MB; an edge box's day of frames (500,000
files) would hold ~750 MB more. Now the CLI without --json asks for counts only (list_items=False): the
totals are the same, and the items are not kept. --json still lists every item (its documented output).
"""

from __future__ import annotations

from pathlib import Path


def _tree(root: Path, n: int) -> int:
    size = 0
    for i in range(n):
        path = root / f"d{i % 3}" / f"f{i:03d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * i)
        size += i
    return size


def test_library_batches_can_count_without_listing(service, bucket: str, tmp_path: Path) -> None:
    """Fails on main (6f7ffca): upload_directory/download_prefix take no `list_items`. Expected: with
    list_items=False, `objects` stays empty while succeeded and bytes are those of the listed run."""
    size = _tree(tmp_path / "up", 30)
    counted = service.batch().upload_directory(tmp_path / "up", bucket, "c/", list_items=False)
    assert (counted.objects, counted.succeeded, counted.bytes, counted.failed) == ([], 30, size, 0)
    listed = service.batch().upload_directory(tmp_path / "up", bucket, "l/")
    assert (len(listed.objects), listed.succeeded, listed.bytes) == (30, 30, size)
    down = service.batch().download_prefix(bucket, "c/", tmp_path / "down", list_items=False)
    assert (down.objects, down.succeeded, down.bytes, down.failed) == ([], 30, size, 0)
    assert sorted(p.name for p in (tmp_path / "down").rglob("*.bin")) == sorted(p.name for p in
                                                                             (tmp_path / "up").rglob("*.bin"))


def test_cli_totals_and_json_items_unchanged(cli, bucket: str, tmp_path: Path) -> None:
    """The human line says the same count and bytes; --json still lists every item."""
    size = _tree(tmp_path / "up", 12)
    human = cli("upload", "-r", str(tmp_path / "up"), f"s3://{bucket}/h/")
    assert human.exit_code == 0 and "(12 objects," in human.stderr, human
    as_json = cli("upload", "-r", str(tmp_path / "up"), f"s3://{bucket}/j/", "--json")
    doc = as_json.json()
    assert (len(doc["objects"]), doc["succeeded"], doc["bytes"]) == (12, 12, size), as_json
    got = cli("get", "-r", f"s3://{bucket}/h/", str(tmp_path / "got") + "/")
    assert got.exit_code == 0 and "(12 objects," in got.stderr, got
    got_json = cli("get", "-r", f"s3://{bucket}/j/", str(tmp_path / "gotj") + "/", "--json").json()
    assert (len(got_json["objects"]), got_json["succeeded"], got_json["bytes"]) == (12, 12, size)


def test_rm_r_counts_without_listing_and_still_proves(service, cli, bucket: str, tmp_path: Path) -> None:
    """Fails on main (6f7ffca): delete_prefix takes no `list_items` (`rm -r` of 50,000 objects peaked at 104 MB,
    5,000 at 57 MB). Expected: counted, `objects` empty, the same totals as a listed run; the CLI's line and
    --json unchanged; and what the second listing still shows is failed, never counted."""
    size = _tree(tmp_path / "up", 20)
    service.batch().upload_directory(tmp_path / "up", bucket, "a/")
    service.batch().upload_directory(tmp_path / "up", bucket, "b/")
    counted = service.batch().delete_prefix(bucket, "a/", list_items=False)
    assert (counted.objects, counted.succeeded, counted.bytes, counted.failed) == ([], 20, size, 0)
    assert list(service.s3.list_objects(bucket, "a/", recursive=True)) == []
    service.batch().upload_directory(tmp_path / "up", bucket, "c/")
    dry = cli("rm", "-r", f"s3://{bucket}/c/", "--dry-run")
    assert dry.exit_code == 0 and len([ln for ln in dry.stdout.splitlines() if ln.startswith("c/")]) == 20, dry
    human = cli("rm", "-r", f"s3://{bucket}/c/", "--yes")
    assert human.exit_code == 0 and "(20 objects," in human.stderr, human
    doc = cli("rm", "-r", f"s3://{bucket}/b/", "--yes", "--json").json()
    assert (len(doc["objects"]), doc["succeeded"], doc["bytes"]) == (20, 20, size), doc
