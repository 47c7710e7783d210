"""sync's safety against SeaweedFS: --delete after failed, partial or unreadable listings; kill -9 and
a rerun; files that vanish or change while syncing; symlink loops; 10,000 files in one folder; shards."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Hold

from its_store.core import errors as E

from helpers import write_file

INTERNAL_ERROR = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n"
                  b"Connection: close\r\n\r\n%s")
BODY = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>listing broke'
        b"</Message><Resource>/</Resource><RequestId>fault</RequestId></Error>")


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def sync_json(cli: Any, *args: str, extra_env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    run = cli("sync", *args, "--json", extra_env=extra_env)
    return run.exit_code, json.loads(run.stdout)


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def test_failed_source_listing_deletes_nothing(cli: Any, service: Any, bucket: str, s3_server: Any,
                                               tmp_path: Path) -> None:
    src, local = tmp_path / "src", tmp_path / "local"
    for rel in ("a/1.bin", "b/2.bin", "c/3.bin"):
        write_file(src / rel, 100)
    assert sync_json(cli, str(src), f"s3://{bucket}/p/")[0] == 0
    assert sync_json(cli, f"s3://{bucket}/p/", str(local))[0] == 0
    write_file(local / "stray.bin", 5)

    def broken(seen: Any) -> bytes | None:  # the listing of folder p/b/ fails, the others work
        return INTERNAL_ERROR % (len(BODY), BODY) if seen.query.get("prefix") == "p/b/" else None
    with FaultProxy(_port(s3_server.endpoint), answer=broken) as proxy:
        via = {"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"}
        code, report = sync_json(cli, f"s3://{bucket}/p/", str(local), "--delete", extra_env=via)
    assert code != 0 and report["source_complete"] is False, report
    assert report["deleted"] == [] and "listing" in report["delete_refused"], report
    assert (local / "stray.bin").exists() and (local / "c" / "3.bin").exists()
    assert any(i["code"] != "source_listing" for i in report["failed"])  # the server's error code


def test_unreadable_source_folder_deletes_nothing(env: dict[str, str], service: Any, bucket: str) -> None:
    """As an unprivileged user (root reads everything): a folder it cannot read makes the listing
    partial, so nothing is deleted, the rest is still sent, and the exit code is 1."""
    if os.geteuid() != 0 and shutil.which("setpriv") is None:
        raise AssertionError("needs root (to switch to nobody) or setpriv")
    top = Path(tempfile.mkdtemp(prefix="its-sync-perm-"))
    try:
        top.chmod(0o777)
        src = top / "src"
        for rel in ("open/1.bin", "locked/2.bin"):
            write_file(src / rel, 100)
        cmd = [sys.executable, "-m", "its_store", "sync", str(src), f"s3://{bucket}/p/", "--json"]
        run_env = {**os.environ, **env, "MINIO_CACHE_DIR": str(top / "cache"),
                   "MINIO_AUDIT_LOG": str(top / "state" / "audit.log"), "HOME": str(top)}
        for path in [top, *top.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o666)
        (top / "state").mkdir(mode=0o700)  # the audit log in a folder of nobody's own: a folder others may write
        os.chown(top / "state", 65534, 65534)  # is no trail (state/audit.py: its lines lost, exit 74)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        first = subprocess.run(as_nobody + cmd, env=run_env, capture_output=True, text=True, cwd=top, timeout=120)
        assert first.returncode == 0, first.stderr
        service.upload_object(__import__("its_store").UploadRequest(bucket=bucket, key="p/extra.bin", data=b"x"))
        (src / "locked").chmod(0o000)
        write_file(src / "open" / "new.bin", 10)
        (src / "open" / "new.bin").chmod(0o666)
        done = subprocess.run([*as_nobody, *cmd, "--delete"], env=run_env, capture_output=True, text=True, cwd=top,
                              timeout=120)
        report = json.loads(done.stdout)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert report["source_complete"] is False and report["deleted"] == [], report
        assert [i["path"] for i in report["copied"]] == ["open/new.bin"]
        assert [i["path"] for i in report["failed"]] == ["locked/"], report
        keys = {e.key for e in service.s3.list_objects(bucket, "p/")}
        assert keys == {"p/open/1.bin", "p/open/new.bin", "p/locked/2.bin", "p/extra.bin"}
    finally:
        for path in [top, *top.rglob("*")]:
            if path.is_dir():
                path.chmod(0o777)
        shutil.rmtree(top)


_WITH_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                "os.execv(sys.executable, [sys.executable, '-m', 'its_store', *sys.argv[1:]])")  # as test_faults


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_interrupted_midway_then_rerun_sends_only_the_rest(env: dict[str, str], service: Any, bucket: str,
                                                           s3_server: Any, tmp_path: Path, sig: int) -> None:
    src = tmp_path / "src"
    for i in range(120):
        write_file(src / f"d{i % 3}" / f"f{i:03d}.bin", 20_000 + i, seed=i)
    hold = Hold(20)  # the 20th PUT goes on; the rest wait until the signal was sent: it comes midway
    proxy = FaultProxy(_port(s3_server.endpoint), answer=hold).start()
    try:
        run_env = {**os.environ, **env, "MINIO_ENDPOINT": proxy.endpoint}
        proc = subprocess.Popen([sys.executable, "-c", _WITH_SIGINT, "sync", str(src), f"s3://{bucket}/k/", "-w", "2"],
                                env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
        hold.wait()
        os.kill(proc.pid, sig)
        hold.release()
        _, err = proc.communicate(timeout=60)
        if sig == signal.SIGINT:  # the files in flight finish, then exit 130 (Typer turns Ctrl-C into Exit(130))
            assert proc.returncode == E.EXIT_INTERRUPTED, err
            assert b"Traceback" not in err, err
    finally:
        hold.release()
        proxy.stop(wait=True)  # a request the proxy had passed on before the kill has landed by now
    present = {e.key[2:]: e.size for e in service.s3.list_objects(bucket, "k/")}
    assert 0 < len(present) < 120
    for rel, _size in present.items():  # nothing half-visible: each object is its whole file
        assert service.s3.get(bucket, "k/" + rel).read() == (src / rel).read_bytes()
    from typer.testing import CliRunner

    from its_store.cli.app import app
    rerun = CliRunner().invoke(app, ["sync", str(src), f"s3://{bucket}/k/", "--json"], catch_exceptions=False)
    report = json.loads(rerun.stdout)
    assert rerun.exit_code == 0, rerun.stdout
    assert sorted(i["path"] for i in report["copied"]) == sorted(set(files_under(src)) - set(present))
    assert report["totals"]["unchanged"] == len(present)


def test_vanishing_files_are_skipped(service: Any, bucket: str, tmp_path: Path) -> None:
    from its_store.sync.engine import Sync
    from its_store.sync.model import SyncOptions
    src = tmp_path / "src"
    for i in range(30):
        write_file(src / f"f{i:02d}.bin", 100, seed=i)
    removed: list[str] = []

    def remove_rest(kind: str, item: Any) -> None:
        if not removed:
            for i in range(5, 30):
                (src / f"f{i:02d}.bin").unlink()
                removed.append(f"f{i:02d}.bin")
    report = Sync(service, str(src), f"s3://{bucket}/", SyncOptions(workers=1), on_item=remove_rest).run()
    assert report.failed == [] and report.exit_code == 0
    sent = {i.path for i in report.copied}
    vanished = {i.path for i in report.skipped if i.reason == "vanished"}
    assert sent | vanished == {f"f{i:02d}.bin" for i in range(30)} and not sent & vanished
    assert vanished and {"f00.bin"} <= sent


def test_file_changed_while_uploading(service: Any, bucket: str, tmp_path: Path) -> None:
    from its_store.sync.engine import open_state, upload_one
    path = write_file(tmp_path / "growing.bin", 1000)

    def grow(_: int) -> None:
        with open(path, "ab") as fh:
            fh.write(b"more")
    with pytest.raises(E.FileChangedError):
        upload_one(service, path, bucket, "growing.bin", progress=grow)
    state = open_state(service)
    entry = service.s3.list_objects(bucket)
    [obj] = list(entry)
    assert state.get(bucket, "growing.bin", obj.etag, obj.size) is None  # not remembered as synced
    state.close()
    from its_store.sync.engine import sync
    report = sync(service, str(tmp_path), f"s3://{bucket}/")  # the next run sends it again
    assert [(i.path, i.reason) for i in report.copied] == [("growing.bin", "size differs")]
    assert service.s3.get(bucket, "growing.bin").read() == path.read_bytes()


def test_symlinks_and_loops(service: Any, bucket: str, tmp_path: Path) -> None:
    from its_store.sync.engine import sync
    from its_store.sync.model import SyncOptions
    src, other = tmp_path / "src", tmp_path / "other"
    write_file(src / "a" / "1.bin", 10)
    write_file(other / "2.bin", 20)
    (src / "a" / "loop").symlink_to(src)          # a loop back to the top
    (src / "ext").symlink_to(other)                # a symlinked folder
    (src / "file-link.bin").symlink_to(src / "a" / "1.bin")
    (src / "dangling").symlink_to(tmp_path / "nowhere")
    report = sync(service, str(src), f"s3://{bucket}/s/")  # links are not followed unless asked
    assert sorted(i.path for i in report.copied) == ["a/1.bin"]
    notes = {i.path: i.reason for i in report.skipped}
    assert notes["file-link.bin"] == "symlink (not followed; use --follow-symlinks)"
    assert notes["dangling"] == "broken symlink"
    assert "not followed" in notes["ext/"] and "not followed" in notes["a/loop/"]
    assert report.exit_code == 0
    report = sync(service, str(src), f"s3://{bucket}/s/", SyncOptions(follow_symlinks=True))
    assert sorted(i.path for i in report.copied) == ["ext/2.bin", "file-link.bin"]
    notes = {i.path: i.reason for i in report.skipped}
    assert notes["a/loop/"].startswith("symlink loop") and notes["dangling"] == "broken symlink"


def test_ten_thousand_files_in_one_folder(service: Any, bucket: str, tmp_path: Path) -> None:
    """The walk of one big folder, in order, each file stat-ed once; a dry run plans all of them."""
    from its_store.sync.engine import sync
    from its_store.sync.model import SyncOptions
    from its_store.sync.walk import Walk, walk_local
    src = tmp_path / "big"
    src.mkdir()
    names = [f"frame {i:05d}-ü.jpg" if i % 7 else f"frame_{i:05d}.jpg" for i in range(10_000)]
    for name in names:
        (src / name).write_bytes(b"x")
    walk = Walk()
    rels = [f.rel for f in walk_local(src, walk)]
    assert rels == sorted(names) and walk.count == 10_000 and not walk.problems
    report = sync(service, str(src), f"s3://{bucket}/big/", SyncOptions(dry_run=True))
    assert len(report.copied) == 10_000 and report.exit_code == 0
    assert list(service.s3.list_objects(bucket)) == []


def test_shards_cover_every_file_once(cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(40):
        write_file(src / f"c{i % 4}" / f"f{i:02d}.bin", 10 + i, seed=i)
    seen: list[str] = []
    for k in range(3):
        code, report = sync_json(cli, str(src), f"s3://{bucket}/", "--shard", f"{k}/3", "--delete")
        assert code == 0 and report["deleted"] == [], report  # other shards' objects are not this one's
        seen += [i["path"] for i in report["copied"]]
    assert sorted(seen) == sorted(files_under(src))
    assert len({e.key for e in service.s3.list_objects(bucket)}) == 40


def test_objects_vanishing_between_listing_and_use(service: Any, bucket: str, tmp_path: Path) -> None:
    """s3 -> local: an object deleted after the listing is skipped as vanished, not a failure."""
    from its_store import UploadRequest
    from its_store.sync.engine import Sync
    from its_store.sync.model import SyncOptions
    for i in range(12):
        service.upload_object(UploadRequest(bucket=bucket, key=f"v/o{i:02d}", data=b"x" * (i + 1)))
    gone: list[str] = []

    def delete_rest(kind: str, item: Any) -> None:
        if not gone:
            gone.extend(f"v/o{i:02d}" for i in range(4, 12))
            service.delete_objects(bucket, gone)
    report = Sync(service, f"s3://{bucket}/v/", str(tmp_path / "out"), SyncOptions(workers=1, state=False),
                  on_item=delete_rest).run()
    assert report.failed == [] and report.exit_code == 0, report.failed
    got = {i.path for i in report.copied} | {i.path for i in report.skipped if i.reason == "vanished"}
    assert got == {f"o{i:02d}" for i in range(12)} and any(i.reason == "vanished" for i in report.skipped)


def test_server_gone_midway_then_rerun(env: dict[str, str], tmp_path: Path) -> None:
    """The server is killed during a sync: the sync ends (no hang), exit 69 (every failure is the
    unreachable server), no deletes, nothing half-visible; once it is back, a rerun sends the rest."""
    from its_store import StorageService, load_settings
    from its_store.testing.devserver import SeaweedServer
    server = SeaweedServer(workdir=tmp_path / "server").start()
    try:
        direct = {"endpoint": server.endpoint, "access_key": server.access_key, "secret_key": server.secret_key}
        svc = StorageService(load_settings(**direct))
        svc.ensure_bucket("gone")
        svc.upload_object(__import__("its_store").UploadRequest(bucket="gone", key="p/zz-extra", data=b"x"))
        src = tmp_path / "src"
        for i in range(80):
            write_file(src / f"f{i:03d}.bin", 20_000, seed=i)
        hold = Hold(10)  # the 10th PUT goes on; the rest wait until the server is gone: it goes midway
        proxy = FaultProxy(server.s3_port, answer=hold).start()
        run_env = {**os.environ, **env, "MINIO_ENDPOINT": proxy.endpoint, "MINIO_ACCESS_KEY": server.access_key,
                   "MINIO_SECRET_KEY": server.secret_key, "MINIO_MAX_RETRIES": "1", "MINIO_CONNECT_TIMEOUT": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "its_store", "sync", str(src), "s3://gone/p/", "--delete",
                                 "--json", "-w", "2"], env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=tmp_path)
        hold.wait()
        server.kill()
        hold.release()
        out, err = proc.communicate(timeout=300)
        proxy.stop()
        report = json.loads(out)
        assert proc.returncode == E.EXIT_UNAVAILABLE, (report["failed"][:3], err[-500:])
        assert report["failed"] and {i["code"] for i in report["failed"]} == {"service_unavailable"}
        assert any(i["reason"].startswith("not tried:") for i in report["failed"])  # gave up, no long wait
        assert report["deleted"] == []  # its delete failed too: the server was gone
        server.restart()
        present = {e.key: e.size for e in svc.s3.list_objects("gone", "p/")}
        for key in present:
            if key != "p/zz-extra":
                assert svc.s3.get("gone", key).read() == (src / key[2:]).read_bytes()
        done = subprocess.run([sys.executable, "-m", "its_store", "sync", str(src), "s3://gone/p/", "--delete",
                               "--json"], env={**run_env, "MINIO_ENDPOINT": server.endpoint}, capture_output=True,
                              text=True, cwd=tmp_path, timeout=300)
        again = json.loads(done.stdout)
        assert done.returncode == 0, again["failed"][:3]
        assert {i["path"] for i in again["copied"]} == set(files_under(src)) - {k[2:] for k in present}
        assert [i["key"] for i in again["deleted"]] == ["p/zz-extra"]
    finally:
        server.kill()  # SIGKILL: the folder stays in tmp_path for a look, no clean stop needed (~2 s)


def test_unchanged_tree_requests_on_the_wire(cli: Any, bucket: str, s3_server: Any, tmp_path: Path) -> None:
    """A second sync of an unchanged folder: one listing page (it proves the bucket too), no HEAD, no PUT."""
    src = tmp_path / "src"
    for i in range(30):
        write_file(src / f"f{i:02d}.bin", 100 + i, seed=i)
    with FaultProxy(_port(s3_server.endpoint), record=True) as proxy:
        via = {"MINIO_ENDPOINT": proxy.endpoint}
        assert sync_json(cli, str(src), f"s3://{bucket}/w/", extra_env=via)[0] == 0
        proxy.seen.clear()
        code, report = sync_json(cli, str(src), f"s3://{bucket}/w/", extra_env=via)
        seen = list(proxy.seen)
    assert code == 0 and report["totals"]["unchanged"] == 30
    methods = sorted(r.method for r in seen)
    assert methods == ["GET"], [(r.method, r.target) for r in seen]


def test_first_download_sync_after_get_fetches_only_changed(cli: Any, bucket: str, s3_server: Any,
                                                             tmp_path: Path) -> None:
    """`get -r` keeps no mtime, so every file's mtime differs from its object's LastModified: the first
    sync s3 -> local checks the content (the ETag, known from the state store `get -r` wrote) and only sets
    the mtime of the same files: it sends the listing and nothing else (no HEAD of the bucket, none of an
    object, no GET), while a file changed in place (same size) is fetched again."""
    src = tmp_path / "src"
    for i in range(20):
        write_file(src / f"f{i:02d}.bin", 3000, seed=i)
    back = tmp_path / "back"
    # uploaded on the server's own endpoint: the store's entries are per endpoint, so the sync below HEADs each
    assert cli("upload", "-r", str(src), f"s3://{bucket}/g/").exit_code == 0  # no x-amz-meta-mtime
    with FaultProxy(_port(s3_server.endpoint), record=True) as proxy:
        via = {"MINIO_ENDPOINT": proxy.endpoint}
        assert cli("get", "-r", f"s3://{bucket}/g/", str(back), extra_env=via).exit_code == 0
        write_file(back / "f07.bin", 3000, seed=99)  # same size, other bytes
        later = (int(time.time()) + 3600) * 10**9  # fetched in another second than the upload, whatever the clock
        for path in back.iterdir():
            os.utime(path, ns=(later, later))
        proxy.seen.clear()
        code, report = sync_json(cli, f"s3://{bucket}/g/", str(back), extra_env=via)
        first = [(r.method, r.target) for r in proxy.seen]
        proxy.seen.clear()
        again_code, again = sync_json(cli, f"s3://{bucket}/g/", str(back), extra_env=via)
        seen = [(r.method, r.target) for r in proxy.seen]
    assert code == 0 and [i["path"] for i in report["copied"]] == ["f07.bin"], report
    assert report["copied"][0]["reason"] == "mtime differs from LastModified" and report["totals"]["unchanged"] == 19
    assert report["totals"]["heads"] == 0, report
    listings = [(m, t) for m, t in first if t.startswith(f"/{bucket}?") and "list-type=2" in t]
    assert len(listings) == 1 and first == [*listings, ("GET", f"/{bucket}/g/f07.bin")], first  # the changed file
    assert (back / "f07.bin").read_bytes() == (src / "f07.bin").read_bytes()
    assert again_code == 0 and again["copied"] == [] and again["totals"]["unchanged"] == 20, again
    assert [t for _, t in seen if f"/{bucket}/g/" in t] == [], seen  # mtimes set: no object asked for again


def test_missing_source_bucket_is_told_by_its_listing(cli: Any, bucket: str, s3_server: Any, tmp_path: Path) -> None:
    """A sync from a bucket that does not exist fails as its pre-check did (exit 3, one line, nothing made in
    DEST, neither a folder nor a bucket), told by the source's listing alone: no HEAD of the bucket first."""
    with FaultProxy(_port(s3_server.endpoint), record=True) as proxy:
        via = {"MINIO_ENDPOINT": proxy.endpoint, "MINIO_CREATE_BUCKETS": "true"}
        run = cli("sync", "s3://no-such-bucket-here/a/", str(tmp_path / "d"), extra_env=via)
        to_local = [(r.method, r.target.split("?")[0]) for r in proxy.seen]
        proxy.seen.clear()
        copy = cli("sync", "s3://no-such-bucket-here/a/", "s3://made-by-no-sync/b/", extra_env=via)
        to_bucket = [(r.method, r.target.split("?")[0]) for r in proxy.seen]
    assert run.exit_code == 3 and "bucket not found: no-such-bucket-here" in run.stderr, run
    assert [line for line in run.stderr.splitlines() if line.strip()] == [run.stderr.strip()], run
    assert not (tmp_path / "d").exists() and to_local == [("GET", "/no-such-bucket-here")], to_local
    assert copy.exit_code == 3 and to_bucket == [("GET", "/no-such-bucket-here")], to_bucket


def test_first_sync_after_upload_r_needs_no_heads(cli: Any, bucket: str, s3_server: Any, tmp_path: Path) -> None:
    """`upload -r` records its objects in the sync state store as a sync's uploads are: the first sync of
    the folder after it decides from the listing, with no HEAD per object, and still sends a file changed
    since (a newer mtime); --checksum still finds a file changed with the same size and the same mtime."""
    src = tmp_path / "src"
    for i in range(20):
        write_file(src / f"f{i:02d}.bin", 3000, seed=i)
    with FaultProxy(_port(s3_server.endpoint), record=True) as proxy:
        via = {"MINIO_ENDPOINT": proxy.endpoint}  # one endpoint for both (the store's entries are per endpoint)
        assert cli("upload", "-r", str(src), f"s3://{bucket}/u/", extra_env=via).exit_code == 0
        kept = (src / "f03.bin").stat().st_mtime_ns
        write_file(src / "f03.bin", 3000, seed=99)  # same size, same mtime, other bytes
        os.utime(src / "f03.bin", ns=(kept, kept))
        write_file(src / "f05.bin", 3000, seed=98)  # same size, a later mtime
        later = (int(time.time()) + 3600) * 10**9
        os.utime(src / "f05.bin", ns=(later, later))
        proxy.seen.clear()
        code, report = sync_json(cli, str(src), f"s3://{bucket}/u/", extra_env=via)
        first = [(r.method, r.target) for r in proxy.seen]
        proxy.seen.clear()
        sum_code, summed = sync_json(cli, str(src), f"s3://{bucket}/u/", "--checksum", extra_env=via)
        second = [(r.method, r.target) for r in proxy.seen]
    assert code == 0 and [(i["path"], i["reason"]) for i in report["copied"]] == [
        ("f05.bin", "newer than the object")], report
    assert report["totals"]["heads"] == 0 and [m for m, _ in first if m == "HEAD"] == [], first
    assert sum_code == 0 and [(i["path"], i["reason"]) for i in summed["copied"]] == [
        ("f03.bin", "content differs")], summed
    assert summed["totals"]["heads"] == 0 and [m for m, _ in second if m == "HEAD"] == [], second
