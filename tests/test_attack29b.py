"""Session 29's second attacker (issue 22): the changes merged late in the session (adjacent deletes proven
by one listing, the unstat-ed upload walk and its descriptor source, the shared upload plan, unsized files
refused, the s3 client's split, the start-up heap's freeze), probed as a hostile user, a hostile server and
a different machine would. Each test is one finding (or one guard kept by it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes3 import s3_call
from faultserver import Conn, FakeObject, FaultServer, Request, response, s3_error

from conftest import ServerInfo, cli_runner, environment_for

XML = "application/xml"
BUCKETS = {"default": "del", "video": "del-video", "models": "del-models", "logs": "del-logs"}


# -- 1. sync --delete: a group's proof listing that fails after it saw a key still there -------------------
class Pager:
    """A handler: the listing of `prefix` (a group's proof) answered as a page listing `keys` and truncated,
    its next page a 500 (`then` "fail") or the same page again (`then` "repeat": a listing in a loop)."""

    def __init__(self) -> None:
        self.prefix: str | None = None
        self.keys: list[str] = []
        self.then = "fail"

    def __call__(self, server: FaultServer, req: Request, conn: Conn) -> bool:
        if self.prefix is None or s3_call(req) != "ListObjectsV2" or req.query.get("prefix") != self.prefix:
            return False
        conn.read_body(req)
        if "continuation-token" in req.query and self.then == "fail":
            conn.send(s3_error(500, "InternalError", "page 2 lost", req.path))
            return True
        contents = "".join(f"<Contents><Key>{k}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                           f"<ETag>&quot;x&quot;</ETag><Size>1</Size></Contents>" for k in self.keys)
        body = ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
                'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>del</Name>'
                f"<Prefix>{self.prefix}</Prefix><KeyCount>{len(self.keys)}</KeyCount><MaxKeys>1000</MaxKeys>"
                "<IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken>"
                f"{contents}</ListBucketResult>")
        conn.send(response(200, body.encode(), content_type=XML))
        return True


@pytest.fixture
def paged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[FaultServer, Pager, Any, Path]]:
    """(server, pager, cli, folder): 62 frames synced to s3://del/d/ on a fake whose proof listings the pager
    may answer."""
    pager = Pager()
    with FaultServer(pager, buckets=tuple(BUCKETS.values())) as fake:
        env = environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"),
                              BUCKETS, monkeypatch, tmp_path)
        monkeypatch.setenv("MINIO_MAX_RETRIES", "0")
        folder = tmp_path / "frames"
        folder.mkdir()
        for name in [f"f_{i:02d}.jpg" for i in range(60)] + ["g_1.jpg", "g_2.jpg"]:  # few deletes: probed
            (folder / name).write_bytes(b"x")
        cli = cli_runner(env)
        assert cli("sync", str(folder), "s3://del/d/", "--json").exit_code == 0
        yield fake, pager, cli, folder


@pytest.mark.parametrize("then", ["fail", "repeat"])
def test_a_key_a_failed_group_listing_showed_still_there_is_not_reported_deleted(
        paged: tuple[FaultServer, Pager, Any, Path], then: str) -> None:
    """The group d/g_ is listed after its deletes: page 1 lists d/g_1.jpg (the server kept it), page 2 fails
    (or lists it again: a loop). d/g_1.jpg was seen after its delete: a failure, not 'deleted' (its own
    probe, before groups, said so); d/g_2.jpg has no proof either way and stays as the server answered."""
    _, pager, cli, folder = paged
    os.unlink(folder / "g_1.jpg")
    os.unlink(folder / "g_2.jpg")
    pager.prefix, pager.keys, pager.then = "d/g_", ["d/g_1.jpg"], then
    run = cli("sync", str(folder), "s3://del/d/", "--delete", "--json")
    report = run.json()
    assert [(i["key"], i["code"]) for i in report["failed"]] == [("d/g_1.jpg", "not_deleted")], report
    assert [i["key"] for i in report["deleted"]] == ["d/g_2.jpg"]
    assert run.exit_code == 1


# -- 3. sync --watch stored a /proc file empty ------------------------------------------------------------
def test_the_watcher_refuses_a_file_that_says_0_bytes_but_has_content(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    """upload, cp, sync and upload -r refuse a file whose fstat says 0 bytes but reads more (/proc, some
    /sys files: core/files.refuse_unsized, exit 2); the watcher's own read (sync/watch_source.upload_source)
    stored it as an empty object and said 'uploaded'. A real empty file is still sent."""
    from its_store import StorageService, load_settings
    from its_store.sync import watch_source
    from its_store.sync.watch import Watcher
    with FaultServer(buckets=tuple(BUCKETS.values())) as fake:
        environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), BUCKETS, monkeypatch,
                        tmp_path)
        folder = tmp_path / "drop"
        folder.mkdir()
        os.symlink("/proc/version", folder / "v")
        (folder / "empty").write_bytes(b"")
        watcher = Watcher(StorageService(load_settings()), folder, "del", "cams/", follow_symlinks=True,
                          first_pass=False, state_dir=tmp_path / "watch-state")
        out = watch_source.send(watcher, "v")
        assert out.kind == "skipped", out  # a pseudo filesystem's file: refused at its open (core/fstype.py)
        assert "proc pseudo filesystem" in out.reason
        assert ("del", "cams/v") not in fake.objects
        assert watch_source.send(watcher, "empty").kind == "uploaded"
        assert fake.objects[("del", "cams/empty")].data == b""


# -- 5. a freeze made while a batch runs is not undone by the batch's end ---------------------------------
@pytest.mark.usefixtures("unfrozen_heap")
def test_a_freeze_made_during_a_batch_is_kept_when_the_batch_ends() -> None:
    """A library caller's thread freezes its heap (gc.freeze before forking workers, as a pre-fork server
    does) while a batch runs on another: the batch's end (core/heap.older_objects_left_alone's unfreeze)
    unfroze it too, so the workers forked later shared no frozen pages."""
    import gc

    from its_store.core.heap import LARGE, older_objects_left_alone
    assert gc.get_freeze_count() == 0
    try:
        with older_objects_left_alone() as heap:
            for _ in heap.over(range(LARGE)):  # a large batch: frozen from its LARGE-th job on
                pass
            batch_froze = gc.get_freeze_count()
            kept = [[] for _ in range(100)]  # the caller's objects, made while the batch runs
            gc.freeze()  # the caller's own freeze (any thread)
            assert gc.get_freeze_count() > batch_froze
        assert gc.get_freeze_count() > 0, "the caller's freeze was undone by the batch's end"
        del kept
    finally:
        gc.unfreeze()
    with older_objects_left_alone() as heap:  # alone, the batch leaves nothing frozen
        for _ in heap.over(range(LARGE)):
            pass
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


# -- 1b. a listing naming a key outside DEST's prefix ------------------------------------------------------
def test_sync_delete_never_deletes_a_key_outside_dest_that_a_listing_named(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    """A hostile (or broken) server lists, under DEST's prefix d/, a key that is not under it (keep/zz.jpg).
    The walk cut the prefix's length off every key (rel 'zz.jpg'), so the key was a delete candidate of
    sync --delete and 'keep/zz.jpg', outside DEST, was deleted. A listed key outside the prefix asked for
    is a bad answer: the DEST listing failed, nothing is deleted."""
    def outsider(server: FaultServer, req: Request, conn: Conn) -> bool:
        if s3_call(req) != "ListObjectsV2" or req.query.get("prefix") != "d/":
            return False
        conn.read_body(req)
        keys = ["d/a.jpg", "keep/zz.jpg"]
        contents = "".join(f"<Contents><Key>{k}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                           f"<ETag>&quot;x&quot;</ETag><Size>1</Size></Contents>" for k in keys)
        body = ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
                'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>del</Name><Prefix>d/</Prefix>'
                "<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
                f"{contents}</ListBucketResult>")
        conn.send(response(200, body.encode(), content_type=XML))
        return True

    with FaultServer(outsider, buckets=tuple(BUCKETS.values())) as fake:
        env = environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), BUCKETS,
                              monkeypatch, tmp_path)
        monkeypatch.setenv("MINIO_MAX_RETRIES", "0")
        fake.objects[("del", "keep/zz.jpg")] = FakeObject(b"not DEST's")
        folder = tmp_path / "frames"
        folder.mkdir()
        (folder / "a.jpg").write_bytes(b"x")
        run = cli_runner(env)("sync", str(folder), "s3://del/d/", "--delete", "--json")
        assert ("del", "keep/zz.jpg") in fake.objects, run
        assert run.exit_code != 0 and run.json()["deleted"] == [], run
