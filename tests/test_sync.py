"""sync SRC DEST end to end against SeaweedFS (and moto / rclone serve s3 for the basic round trip):
compare modes, the state store, filters, dry run, the JSON report, --delete safety, failures."""

from __future__ import annotations

import calendar
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from conftest import ServerInfo, one_line_error, plain_client
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


def listed_ns(when: datetime) -> int:
    """The mtime a download gives a file from its object's LastModified: the listed time to the second
    (sync/compare.target_mtime_ns; a HEAD's Last-Modified has no finer resolution), in nanoseconds."""
    return calendar.timegm(when.utctimetuple()) * 1_000_000_000


def assert_mtimes_came_back(server: ServerInfo, bucket: str, prefix: str, src: Path, back: Path) -> None:
    """Each downloaded file has the mtime docs/guides/sync.md promises: the object's x-amz-meta-mtime to the
    nanosecond, else (an object without it) its LastModified. Every server keeps the metadata it was sent but
    `rclone serve s3`, which keeps it in memory only and ignores it once the file under the object seems changed
    (`rclone serve s3 --help`): under load it forgot one object's whole record, the its-sha256 as well as the
    mtime, and the download rightly gave that file its LastModified (to the second). So the fallback is
    accepted only on rclone, and only for an object that carries none of the metadata our upload sent."""
    client = plain_client(server)
    listed = {o.object_name: o.last_modified for o in client.list_objects(bucket, prefix, recursive=True)}
    for rel in files_under(src):
        meta = {k.lower(): v for k, v in (client.stat_object(bucket, prefix + rel).metadata or {}).items()}
        got = (back / rel).stat().st_mtime_ns
        if "x-amz-meta-mtime" in meta or server.kind != "rclone":
            assert got == (src / rel).stat().st_mtime_ns, (rel, meta)  # from x-amz-meta-mtime, to the nanosecond
        else:
            assert "x-amz-meta-its-sha256" not in meta, (rel, meta)  # the server forgot it all, not just the mtime
            assert got == listed_ns(listed[prefix + rel]), (rel, listed[prefix + rel])


def test_round_trip_local_s3_local(object_cli: Any, object_server: ServerInfo, object_bucket: str,
                                   tmp_path: Path) -> None:
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
    assert_mtimes_came_back(object_server, object_bucket, "frames/", src, back)
    code, down2 = sync_json(object_cli, f"s3://{object_bucket}/frames/", str(back))
    assert code == 0 and down2["copied"] == [] and down2["totals"]["unchanged"] == 6, down2


def test_unchanged_tree_needs_no_heads(cli: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, count=12)
    dest = f"s3://{bucket}/p/"
    assert sync_json(cli, str(src), dest)[0] == 0
    code, again = sync_json(cli, str(src), dest)
    assert code == 0 and again["copied"] == [] and again["totals"]["unchanged"] == 12
    assert again["totals"]["heads"] == 0, again  # the state store knew every listed ETag
    code, no_state = sync_json(cli, str(src), dest, "--no-state")
    assert code == 0 and no_state["copied"] == [] and no_state["totals"]["heads"] == 12, no_state


def test_state_lost_heads_once_then_none(cli: Any, bucket: str, tmp_path: Path, env: dict[str, str]) -> None:
    src = tmp_path / "src"
    make_tree(src, count=5)
    dest = f"s3://{bucket}/p/"
    assert sync_json(cli, str(src), dest)[0] == 0
    (Path(env["MINIO_CACHE_DIR"]) / "sync-state.sqlite").unlink()
    code, second = sync_json(cli, str(src), dest)
    assert code == 0 and second["copied"] == [] and second["totals"]["heads"] == 5, second
    code, third = sync_json(cli, str(src), dest)
    assert code == 0 and third["copied"] == [] and third["totals"]["heads"] == 0, third


def test_mtime_metadata_is_rclone_text(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    path = write_file(src / "a.bin", 100)
    os.utime(path, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    assert sync_json(cli, str(src), f"s3://{bucket}/")[0] == 0
    info = service.stat_object(bucket, "a.bin", include_tags=False)
    assert info.metadata["mtime"] == "1700000000.123456789"


def test_same_size_change_with_older_mtime_is_sent(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    path = write_file(src / "a.bin", 5000, seed=1)
    dest = f"s3://{bucket}/"
    assert sync_json(cli, str(src), dest)[0] == 0
    old = path.stat().st_mtime_ns - 3600 * 10**9
    path.write_bytes(os.urandom(5000))  # same size, other content, and an OLDER mtime
    os.utime(path, ns=(old, old))
    code, sized = sync_json(cli, str(src), dest, "--size-only")
    assert code == 0 and sized["copied"] == []  # size-only cannot see it, as documented
    code, report = sync_json(cli, str(src), dest)
    assert code == 0 and [(i["path"], i["reason"]) for i in report["copied"]] == [("a.bin", "mtime differs")]
    assert service.s3.get(bucket, "a.bin").read() == path.read_bytes()


def test_checksum_does_not_resend_touched_file(cli: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    path = write_file(src / "a.bin", 4000, seed=2)
    dest = f"s3://{bucket}/"
    assert sync_json(cli, str(src), dest)[0] == 0
    later = path.stat().st_mtime_ns + 5 * 10**9
    os.utime(path, ns=(later, later))  # touched, content unchanged
    code, report = sync_json(cli, str(src), dest, "--checksum")
    assert code == 0 and report["copied"] == [] and report["totals"]["unchanged"] == 1, report
    code, report = sync_json(cli, str(src), dest, "--no-state", "--checksum")  # from a HEAD's sha256 too
    assert code == 0 and report["copied"] == [], report
    before = path.stat().st_mtime_ns
    path.write_bytes(os.urandom(4000))  # same size and mtime, new content
    os.utime(path, ns=(before, before))
    code, report = sync_json(cli, str(src), dest, "--checksum")
    assert code == 0 and [i["reason"] for i in report["copied"]] == ["content differs"], report
    code, report = sync_json(cli, str(src), dest)  # default mode: touched earlier -> mtime differs
    assert code == 0 and report["copied"] == [], report  # ... but the checksum run stored the new mtime


def test_object_without_mtime_compares_last_modified(cli: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    path = write_file(src / "a.bin", 1000, seed=3)
    assert cli("upload", str(path), f"s3://{bucket}/a.bin").exit_code == 0  # no mtime metadata
    old = (path.stat().st_mtime_ns // 10**9 - 3600) * 10**9
    os.utime(path, ns=(old, old))  # older than the object: kept
    code, report = sync_json(cli, str(src), f"s3://{bucket}/")
    assert code == 0 and report["copied"] == [] and report["totals"]["unchanged"] == 1, report
    new = (path.stat().st_mtime_ns // 10**9 + 7200) * 10**9
    os.utime(path, ns=(new, new))  # newer than the object: sent
    code, report = sync_json(cli, str(src), f"s3://{bucket}/")
    assert [i["reason"] for i in report["copied"]] == ["newer than the object"], report


def test_filters_exclude_wins_and_include_only(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for rel in ("a.jpg", "b.tmp", "cam/c.jpg", "cam/tmp/d.jpg", "cam/e.txt"):
        write_file(src / rel, 100)
    code, report = sync_json(cli, str(src), f"s3://{bucket}/x/", "--exclude", "*.tmp", "--exclude", "tmp/",
                             "--exclude", "cam/tmp/**", "--include", "*.jpg", "--include", "cam/tmp/d.jpg")
    assert code == 0 and sorted(copied(report)) == ["a.jpg", "cam/c.jpg"], report
    code, report = sync_json(cli, str(src), f"s3://{bucket}/y/", "--exclude", "cam")
    assert sorted(copied(report)) == ["a.jpg", "b.tmp"], report
    # an excluded object in DEST is neither copied nor deleted
    code, report = sync_json(cli, str(src), f"s3://{bucket}/x/", "--delete", "--include", "cam/*")
    assert sorted(copied(report)) == ["cam/e.txt"] and report["deleted"] == [], report
    assert sorted(keys_under(service, bucket, "x/")) == ["x/a.jpg", "x/cam/c.jpg", "x/cam/e.txt"]


def test_dry_run_changes_nothing(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, count=4)
    assert sync_json(cli, str(src), f"s3://{bucket}/")[0] == 0
    service.upload_object(__import__("its_store").UploadRequest(bucket=bucket, key="extra.bin", data=b"x"))
    write_file(src / "new.bin", 10)
    before = {e.key: e.etag for e in service.s3.list_objects(bucket)}
    run = cli("sync", str(src), f"s3://{bucket}/", "--delete", "--dry-run")
    assert run.exit_code == 0, run
    assert "copy\tnew.bin\tnew" in run.stdout and "delete\textra.bin\tnot in the source" in run.stdout
    code, report = sync_json(cli, str(src), f"s3://{bucket}/", "--delete", "--dry-run")
    assert report["dry_run"] and copied(report) == ["new.bin"]
    assert [i["key"] for i in report["deleted"]] == ["extra.bin"]
    assert {e.key: e.etag for e in service.s3.list_objects(bucket)} == before
    back = tmp_path / "back"
    code, report = sync_json(cli, f"s3://{bucket}/", str(back), "--dry-run")
    assert code == 0 and len(report["copied"]) == 5 and not back.exists()


def test_json_report_shape_and_odd_names(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    names = ["with space.jpg", "ünïcødé/カメラ.jpg", "line\nbreak.jpg"]
    for i, name in enumerate(names):
        write_file(src / name, 50 + i, seed=i)
    code, report = sync_json(cli, str(src), f"s3://{bucket}/o/")
    assert set(report) >= {"source", "dest", "mode", "dry_run", "ok", "exit_code", "source_complete",
                           "delete_refused", "copied", "skipped", "deleted", "failed", "totals", "duration_seconds"}
    assert set(report["totals"]) >= {"copied", "copied_bytes", "unchanged", "skipped", "deleted", "failed", "heads"}
    assert report["mode"] == "size+mtime" and report["ok"] is False
    assert sorted(copied(report)) == ["with space.jpg", "ünïcødé/カメラ.jpg"]
    for item in report["copied"]:
        # "unchecked" (session 32): a check the key could not make, on each item (an added field)
        assert set(item) == {"path", "key", "size", "reason", "code", "delete_marker", "unchecked"}
        assert item["key"] == "o/" + item["path"]
        assert item["code"] is None and item["delete_marker"] is False
    [bad] = report["failed"]
    assert bad["path"] == "line\nbreak.jpg" and bad["code"] == "invalid_input" and "control" in bad["reason"]
    assert code == 2 == report["exit_code"]  # every failure is bad input: its own exit code
    assert sorted(keys_under(service, bucket)) == ["o/with space.jpg", "o/ünïcødé/カメラ.jpg"]
    human = cli("sync", str(src), f"s3://{bucket}/o/")
    assert "FAIL\tline\\nbreak.jpg\t" in human.stdout and human.exit_code == 2  # one line per item


def test_delete_removes_what_source_lacks(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, count=4)
    assert sync_json(cli, str(src), f"s3://{bucket}/")[0] == 0
    gone = sorted(files_under(src))[:2]
    for rel in gone:
        (src / rel).unlink()
    code, report = sync_json(cli, str(src), f"s3://{bucket}/")
    assert report["deleted"] == []  # not without --delete
    code, report = sync_json(cli, str(src), f"s3://{bucket}/", "--delete")
    assert code == 0 and sorted(i["key"] for i in report["deleted"]) == gone
    assert sorted(keys_under(service, bucket)) == sorted(files_under(src))


def test_max_delete(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, count=5)
    assert sync_json(cli, str(src), f"s3://{bucket}/")[0] == 0
    for rel in sorted(files_under(src))[:3]:
        (src / rel).unlink()
    code, report = sync_json(cli, str(src), f"s3://{bucket}/", "--delete", "--max-delete", "2")
    assert code == 1 and report["deleted"] == [] and "--max-delete 2" in report["delete_refused"], report
    assert len(keys_under(service, bucket)) == 5
    code, report = sync_json(cli, str(src), f"s3://{bucket}/", "--delete", "--max-delete", "3")
    assert code == 0 and len(report["deleted"]) == 3 and len(keys_under(service, bucket)) == 2


def test_empty_source_deletes_nothing(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_tree(src, count=3)
    assert sync_json(cli, str(src), f"s3://{bucket}/")[0] == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    code, report = sync_json(cli, str(empty), f"s3://{bucket}/", "--delete")
    assert code == 1 and report["deleted"] == [] and "empty" in report["delete_refused"], report
    assert len(keys_under(service, bucket)) == 3
    code, report = sync_json(cli, str(empty), f"s3://{bucket}/", "--delete", "--allow-empty-source")
    assert code == 0 and len(report["deleted"]) == 3 and keys_under(service, bucket) == {}


def test_s3_to_local_delete_and_s3_to_s3(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    src, local = tmp_path / "src", tmp_path / "local"
    make_tree(src, count=4)
    assert sync_json(cli, str(src), f"s3://{bucket}/a/")[0] == 0
    write_file(local / "stray.bin", 10)
    code, report = sync_json(cli, f"s3://{bucket}/a/", str(local), "--delete")
    assert code == 0 and [i["path"] for i in report["deleted"]] == ["stray.bin"], report
    assert files_under(local) == files_under(src)
    code, report = sync_json(cli, f"s3://{bucket}/a/", f"s3://{bucket}/b/")  # server-side copies
    assert code == 0 and len(report["copied"]) == 4, report
    b = service.stat_object(bucket, "b/" + sorted(files_under(src))[0], include_tags=False)
    assert b.metadata["mtime"]  # the copy kept the metadata
    code, report = sync_json(cli, f"s3://{bucket}/a/", f"s3://{bucket}/b/")
    assert code == 0 and report["copied"] == [] and report["totals"]["unchanged"] == 4, report
    first = sorted(files_under(src))[0]
    write_file(src / first, 77, seed=9)
    assert sync_json(cli, str(src), f"s3://{bucket}/a/")[0] == 0
    code, report = sync_json(cli, f"s3://{bucket}/a/", f"s3://{bucket}/b/", "--delete")
    assert code == 0 and copied(report) == [first] and report["deleted"] == [], report
    assert service.s3.get(bucket, "b/" + first).read() == (src / first).read_bytes()
    code, back = sync_json(cli, f"s3://{bucket}/b/", str(local))
    assert code == 0 and copied(back) == [first] and files_under(local) == files_under(src)


def test_bad_input_exit_codes(cli: Any, bucket: str, tmp_path: Path) -> None:
    assert cli("sync", str(tmp_path), str(tmp_path / "x")).exit_code == 2
    assert cli("sync", str(tmp_path / "missing"), f"s3://{bucket}/").exit_code == 3
    assert cli("sync", str(tmp_path), f"s3://{bucket}/", "--checksum", "--size-only").exit_code == 2
    assert cli("sync", str(tmp_path), f"s3://{bucket}/", "--shard", "3/3").exit_code == 2
    assert cli("sync", f"s3://{bucket}/a/", f"s3://{bucket}/a/b/").exit_code == 2
    assert cli("sync", "s3://no-such-bucket-here/", str(tmp_path / "d")).exit_code == 3
    run = cli("sync", str(tmp_path), f"s3://{bucket}/", "--retain-mode", "compliance")  # a mode needs --retain
    assert run.exit_code == 2 and "--retain" in one_line_error(run)
    run = cli("sync", str(tmp_path), f"s3://{bucket}/", "--exclude", "[abc")
    assert run.exit_code == 2 and "pattern" in one_line_error(run)


def test_library_api(service: Any, bucket: str, tmp_path: Path) -> None:
    """The library example of docs/library/folder-sync.md: StorageService.sync, Sync with on_item, upload_one."""
    from its_store.sync.engine import Sync, upload_one
    from its_store.sync.filters import Filter
    from its_store.sync.model import SyncOptions, UploadOptions
    src = tmp_path / "frames"
    make_tree(src, count=3)
    write_file(src / "x.tmp", 5)
    report = service.sync(str(src), f"s3://{bucket}/cam1/",
                          SyncOptions(delete=True, filter=Filter.of(exclude=["*.tmp"]),
                                      upload=UploadOptions(metadata={"site": "a4"})))
    assert report.exit_code == 0 and report.totals.copied == 3 and report.model_dump(mode="json")["ok"] is True
    info = service.stat_object(bucket, "cam1/cam0/f000.jpg", include_tags=False)
    assert info.metadata["site"] == "a4" and "mtime" in info.metadata
    seen: list[tuple[str, str]] = []
    Sync(service, f"s3://{bucket}/cam1/", str(tmp_path / "back"), SyncOptions(mode="checksum"),
         on_item=lambda kind, item: seen.append((kind, item.path))).run()
    assert sorted(seen) == [("copied", "cam0/f000.jpg"), ("copied", "cam0/f002.jpg"), ("copied", "cam1/f001.jpg")]
    resp = upload_one(service, src / "x.tmp", bucket, "cam1/frame.jpg")
    assert resp.total_size == 5
    assert service.stat_object(bucket, "cam1/frame.jpg", include_tags=False).metadata["mtime"]


def test_checksum_on_encrypted_objects_uses_sha256(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    """SSE-S3: the ETag is no MD5 of the content; --checksum compares the stored sha256 instead."""
    src = tmp_path / "src"
    path = write_file(src / "a.bin", 3000, seed=4)
    dest = f"s3://{bucket}/e/"
    code, report = sync_json(cli, str(src), dest, "--sse", "s3")
    assert code == 0, report
    assert service.stat_object(bucket, "e/a.bin", include_tags=False).encryption == "SSE-S3"
    later = path.stat().st_mtime_ns + 10**9
    os.utime(path, ns=(later, later))
    for extra in ((), ("--no-state",)):
        code, report = sync_json(cli, str(src), dest, "--checksum", *extra)
        assert code == 0 and report["copied"] == [] and report["totals"]["unchanged"] == 1, report
    path.write_bytes(os.urandom(3000))
    os.utime(path, ns=(later, later))
    code, report = sync_json(cli, str(src), dest, "--checksum")
    assert [i["reason"] for i in report["copied"]] == ["content differs"], report


def _rclone(s3_server: Any, tmp_path: Path, *args: str) -> None:
    import subprocess

    from servers import find_rclone
    conf = tmp_path / "rclone.conf"
    conf.write_text("")
    env = {**os.environ, "RCLONE_CONFIG_S_TYPE": "s3", "RCLONE_CONFIG_S_PROVIDER": "Other",
           "RCLONE_CONFIG_S_ACCESS_KEY_ID": s3_server.access_key,
           "RCLONE_CONFIG_S_SECRET_ACCESS_KEY": s3_server.secret_key,
           "RCLONE_CONFIG_S_ENDPOINT": f"http://{s3_server.endpoint}", "RCLONE_CONFIG_S_REGION": "us-east-1"}
    subprocess.run([find_rclone(), "--config", str(conf), "--s3-no-check-bucket", *args], env=env, check=True,
                   capture_output=True, timeout=120)


def test_rclone_interoperates(cli: Any, service: Any, bucket: str, s3_server: Any, tmp_path: Path) -> None:
    """rclone's uploads carry the same x-amz-meta-mtime text: its-store sees them unchanged, and the reverse."""
    src = tmp_path / "src"
    make_tree(src, count=4)
    for i, path in enumerate(sorted(p for p in src.rglob("*") if p.is_file())):
        ns = 1_700_000_000_000_000_000 + i * 1_000_000_007 + 123_456_789
        os.utime(path, ns=(ns, ns))
    _rclone(s3_server, tmp_path, "copy", str(src), f"s:{bucket}/by-rclone")
    from its_store.sync.mtime import parse_mtime
    for rel in files_under(src):  # the same key and number (rclone trims trailing zeros of the fraction)
        meta = service.stat_object(bucket, f"by-rclone/{rel}", include_tags=False).metadata
        assert parse_mtime(meta["mtime"]) == (src / rel).stat().st_mtime_ns, meta
    code, report = sync_json(cli, str(src), f"s3://{bucket}/by-rclone/", "--no-state")
    assert code == 0 and report["copied"] == [] and report["totals"]["unchanged"] == 4, report
    assert sync_json(cli, str(src), f"s3://{bucket}/by-its/")[0] == 0
    back = tmp_path / "back"
    _rclone(s3_server, tmp_path, "copy", f"s:{bucket}/by-its", str(back))
    for rel in files_under(src):  # rclone read our mtime to the nanosecond
        assert (back / rel).stat().st_mtime_ns == (src / rel).stat().st_mtime_ns


def test_download_of_objects_without_mtime(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    """A downloaded file gets the object's LastModified as mtime, so the next sync finds it unchanged."""
    path = write_file(tmp_path / "a.bin", 700, seed=5)
    assert cli("upload", str(path), f"s3://{bucket}/d/a.bin").exit_code == 0  # no x-amz-meta-mtime
    back = tmp_path / "back"
    code, report = sync_json(cli, f"s3://{bucket}/d/", str(back))
    assert code == 0 and copied(report) == ["a.bin"], report
    modified = service.stat_object(bucket, "d/a.bin", include_tags=False).last_modified
    assert (back / "a.bin").stat().st_mtime_ns == int(modified.timestamp()) * 10**9
    code, report = sync_json(cli, f"s3://{bucket}/d/", str(back))
    assert code == 0 and report["copied"] == [] and report["totals"]["unchanged"] == 1, report
    os.utime(back / "a.bin", ns=(10**18, 10**18))  # the local copy touched: same content, only the mtime set
    code, report = sync_json(cli, f"s3://{bucket}/d/", str(back))
    assert code == 0 and report["copied"] == [] and report["totals"]["unchanged"] == 1, report
    assert (back / "a.bin").stat().st_mtime_ns == int(modified.timestamp()) * 10**9
    write_file(back / "a.bin", 700, seed=6)  # changed in place, same size: fetched again
    os.utime(back / "a.bin", ns=(10**18, 10**18))
    code, report = sync_json(cli, f"s3://{bucket}/d/", str(back))
    assert [i["reason"] for i in report["copied"]] == ["mtime differs from LastModified"], report
    assert (back / "a.bin").read_bytes() == path.read_bytes()
