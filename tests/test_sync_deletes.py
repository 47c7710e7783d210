"""`sync --delete` reports a delete only once the key is no longer listed (sync/deletes.py), and proves it
at the lower cost: a few deletes beside a large DEST by one listing per deleted key (the key as its
prefix), many deletes, or keys a prefix listing may not carry as listed, by listing DEST again.

On tests/faultserver.py: it counts every request, and its DeleteObjects can answer "done" without deleting
(the quiet answer with nothing in it), which no real server does on demand.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes3 import s3_call
from faultserver import FaultServer

from conftest import ServerInfo, cli_runner, environment_for

BUCKETS = {"default": "del", "video": "del-video", "models": "del-models", "logs": "del-logs"}
FILES = 60


@pytest.fixture(scope="module")
def fake() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@pytest.fixture
def synced(fake: FaultServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Any, Path]:
    """(cli, folder): FILES frames in a folder, synced to s3://del/d/ on the fake."""
    fake.garble.clear()
    fake.objects.clear()
    fake.buckets = set(BUCKETS.values())
    env = environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), BUCKETS, monkeypatch,
                          tmp_path)
    monkeypatch.setenv("MINIO_MAX_RETRIES", "0")
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(FILES):
        (folder / f"f_{i:03d}.jpg").write_bytes(b"%d" % i)
    cli = cli_runner(env)
    assert cli("sync", str(folder), "s3://del/d/", "--json").exit_code == 0
    assert len(fake.objects) == FILES
    return cli, folder


def listings(fake: FaultServer, since: int) -> list[str]:
    """The prefixes of the ListObjectsV2 requests made since request `since`."""
    return [r.query.get("prefix", "") for r in fake.requests[since:] if s3_call(r) == "ListObjectsV2"]


def sync_with_deletes_undone(fake: FaultServer, cli: Any, folder: Path) -> tuple[dict[str, Any], int]:
    """`sync --delete --json` against a DeleteObjects that answers done and deletes nothing: (the report,
    the index of its first request). It must exit 1 and report nothing deleted."""
    fake.garble["DeleteObjects"] = "undone"  # each key named <Deleted>, nothing deleted
    since = len(fake.requests)
    run = cli("sync", str(folder), "s3://del/d/", "--delete", "--json")
    assert run.exit_code == 1, run
    report: dict[str, Any] = run.json()
    assert report["deleted"] == [] and report["totals"]["deleted"] == 0
    return report, since


def test_few_deletes_are_proven_by_one_small_listing_each(fake: FaultServer, synced: tuple[Any, Path]) -> None:
    cli, folder = synced
    for name in ("f_003.jpg", "f_041.jpg"):
        os.unlink(folder / name)
    since = len(fake.requests)
    run = cli("sync", str(folder), "s3://del/d/", "--delete", "--json")
    assert run.exit_code == 0, run
    assert sorted(i["key"] for i in run.json()["deleted"]) == ["d/f_003.jpg", "d/f_041.jpg"]
    assert ("del", "d/f_003.jpg") not in fake.objects and len(fake.objects) == FILES - 2
    # DEST listed once (the march); the proof: one listing per deleted key, not DEST listed again
    assert sorted(listings(fake, since)) == ["d/", "d/f_003.jpg", "d/f_041.jpg"]


@pytest.mark.parametrize("removed", [2, 40], ids=["probed", "relisted"])
def test_a_delete_answered_done_but_still_listed_is_a_failure(fake: FaultServer, synced: tuple[Any, Path],
                                                              removed: int) -> None:
    cli, folder = synced
    for i in range(removed):
        os.unlink(folder / f"f_{i:03d}.jpg")
    report, since = sync_with_deletes_undone(fake, cli, folder)
    assert {i["code"] for i in report["failed"]} == {"not_deleted"} and len(report["failed"]) == removed
    assert len(fake.objects) == FILES
    proof = sorted(listings(fake, since)[1:])  # the probes run on the workers: any order
    assert proof == (["d/f_000.jpg", "d/f_001.jpg"] if removed == 2 else ["d/"])


def test_keys_a_prefix_may_not_carry_and_long_probes_list_dest_again(fake: FaultServer, synced: tuple[Any, Path],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.sync import deletes
    cli, folder = synced
    (folder / "odd name.jpg").write_bytes(b"x")
    assert cli("sync", str(folder), "s3://del/d/", "--json").exit_code == 0
    os.unlink(folder / "odd name.jpg")  # a space: not a plain key
    since = len(fake.requests)
    run = cli("sync", str(folder), "s3://del/d/", "--delete", "--json")
    assert run.exit_code == 0 and [i["key"] for i in run.json()["deleted"]] == ["d/odd name.jpg"], run
    assert listings(fake, since) == ["d/", "d/"]
    # a probe that meets a page of other keys under its key gives way to listing DEST again
    monkeypatch.setattr(deletes, "PROBE_PAGE", 3)
    (folder / "f_00").write_bytes(b"x")  # a key that the names f_000.jpg ... begin with
    assert cli("sync", str(folder), "s3://del/d/", "--json").exit_code == 0
    os.unlink(folder / "f_00")
    since = len(fake.requests)
    run = cli("sync", str(folder), "s3://del/d/", "--delete", "--json")
    assert run.exit_code == 0 and [i["key"] for i in run.json()["deleted"]] == ["d/f_00"], run
    assert listings(fake, since) == ["d/", "d/f_00", "d/"]


def test_plain_keys() -> None:
    from its_store.sync.deletes import plain_key
    for key in ("cam/2024-08-12/frame_0001.jpg", "a/b.c.d", "x:y=z@1+2,3~(4)!*'", "f..g"):
        assert plain_key(key), key
    for key in ("a b", "a//b", "a/./b", "a/../b", "..", "a/", "/a", "é", "a\x01", "a?b", "a%20b", "a#b"):
        assert not plain_key(key), key


@pytest.mark.parametrize("kind", ["seaweedfs", "moto", "rclone"])
def test_probes_prove_a_delete_on_every_server(request: pytest.FixtureRequest, kind: str, buckets: dict[str, str],
                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from helpers import corpus_on
    keys = [f"h/cam/f_{i:02d}.jpg" for i in range(20)]
    corpus = corpus_on(request, kind, buckets, monkeypatch, tmp_path, keys=keys)
    assert corpus.held == keys
    folder = tmp_path / "src"
    (folder / "cam").mkdir(parents=True)
    for key in keys[:5] + keys[6:]:  # all but h/cam/f_05.jpg, each unchanged (older than the object)
        path = folder / key[len("h/"):]
        path.write_bytes(corpus.content[key])
        os.utime(path, (1_600_000_000, 1_600_000_000))
    run = corpus.cli("sync", str(folder), f"s3://{corpus.bucket}/h/", "--delete", "--json")
    assert run.exit_code == 0, run
    report = run.json()
    assert [i["key"] for i in report["deleted"]] == ["h/cam/f_05.jpg"] and report["totals"]["copied"] == 0
    listed = corpus.client.list_objects_v2(Bucket=corpus.bucket, Prefix="h/")["Contents"]
    assert [o["Key"] for o in listed] == keys[:5] + keys[6:]


def test_adjacent_deletes_are_proven_by_one_listing_of_the_prefix_only_they_have(fake: FaultServer,
                                                                                 synced: tuple[Any, Path]) -> None:
    cli, folder = synced
    for name in ("g_1.jpg", "g_2.jpg"):
        (folder / name).write_bytes(b"g")
    assert cli("sync", str(folder), "s3://del/d/", "--json").exit_code == 0
    for name in ("g_1.jpg", "g_2.jpg"):
        os.unlink(folder / name)
    since = len(fake.requests)
    run = cli("sync", str(folder), "s3://del/d/", "--delete", "--json")
    assert run.exit_code == 0, run
    assert [i["key"] for i in run.json()["deleted"]] == ["d/g_1.jpg", "d/g_2.jpg"]
    assert len(fake.objects) == FILES
    # next to each other in DEST, after d/f_059.jpg: "d/g_" is theirs alone, one listing proves both
    assert listings(fake, since) == ["d/", "d/g_"]


def test_a_group_proof_sees_each_key_still_listed(fake: FaultServer, synced: tuple[Any, Path]) -> None:
    cli, folder = synced
    for name in ("g_1.jpg", "g_2.jpg"):
        (folder / name).write_bytes(b"g")
    assert cli("sync", str(folder), "s3://del/d/", "--json").exit_code == 0
    os.unlink(folder / "g_1.jpg")
    os.unlink(folder / "g_2.jpg")
    report, since = sync_with_deletes_undone(fake, cli, folder)
    assert [(i["key"], i["code"]) for i in report["failed"]] == [("d/g_1.jpg", "not_deleted"),
                                                                  ("d/g_2.jpg", "not_deleted")]
    assert listings(fake, since) == ["d/", "d/g_"]


def test_a_group_listing_of_more_than_a_page_gives_way_to_each_keys_own(fake: FaultServer, synced: tuple[Any, Path],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.sync import deletes
    cli, folder = synced
    (folder / "g_dir").mkdir()
    for name in ("g_1.jpg", "g_2.jpg", "g_dir/a", "g_dir/b", "g_dir/c"):
        (folder / name).write_bytes(b"g")
    assert cli("sync", str(folder), "s3://del/d/", "--json").exit_code == 0
    os.unlink(folder / "g_1.jpg")
    os.unlink(folder / "g_2.jpg")
    monkeypatch.setattr(deletes, "PROBE_PAGE", 2)
    since = len(fake.requests)
    # g_dir excluded: not listed by the march, so d/g_ lists its keys too (over the page of 2)
    run = cli("sync", str(folder), "s3://del/d/", "--delete", "--exclude", "g_dir", "--json")
    assert run.exit_code == 0, run
    assert [i["key"] for i in run.json()["deleted"]] == ["d/g_1.jpg", "d/g_2.jpg"]
    assert ("del", "d/g_dir/a") in fake.objects and len(fake.objects) == FILES + 3
    assert listings(fake, since) == ["d/", "d/g_", "d/g_1.jpg", "d/g_2.jpg"]


def test_probe_groups() -> None:
    from its_store.sync.deletes import probe_groups

    def groups(keys: list[str], before: str | None, after: str | None) -> list[tuple[str, int]]:
        out: list[tuple[str, list[str]]] = []
        probe_groups(keys, before, after, out)
        assert [k for _, ks in out for k in ks] == keys  # every key once, in order
        assert all(k.startswith(p) for p, ks in out for k in ks)
        return [(p, len(ks)) for p, ks in out]

    last = [f"w/frame_{i:05d}.jpg" for i in range(1980, 2000)]
    assert groups(last, "w/frame_01979.jpg", "w/new_00_000.jpg") == [("w/frame_0198", 10), ("w/frame_0199", 10)]
    assert groups([f"w/new_05_{i:03d}.jpg" for i in range(20)], "w/frame_01999.jpg", None) == [("w/new_05_0", 20)]
    # the prefix the keys share is a neighbour's too: split by the next character, down to single keys
    assert groups(["d/f_000.jpg", "d/f_001.jpg"], None, "d/f_002.jpg") == [("d/f_000.jpg", 1), ("d/f_001.jpg", 1)]
    # a whole folder gone (the prefix ends with "/"), and a folder's files beside a file of the same stem
    assert groups(["c/a/1", "c/a/2"], "c/0", "c/b") == [("c/a/", 2)]
    assert groups(["c/a", "c/a/1"], "c/0", "c/b") == [("c/a", 2)]
    # no prefix a listing may not carry as listed ("." or ".." as its last segment, empty)
    assert groups(["c/.1", "c/.2"], "c/-", "c/0") == [("c/.1", 1), ("c/.2", 1)]
    assert groups(["a", "b"], None, None) == [("a", 1), ("b", 1)]
    assert groups([], "a", "b") == [] and groups(["k"], None, None) == [("k", 1)]
