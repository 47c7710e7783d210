"""A sync's march runs ahead of its workers (sync/ahead.py): while every worker is busy with a transfer the
march goes on to the end of both listings, and once it is there asks what the deletes need (whether they leave
delete markers) while the last transfers run, instead of after them.

sync/ahead.ReadAhead on its own: items in order, the source's error after the items before it, a stop midway
closes the source on its own thread, `then` only once the source is used up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import Conn, FakeObject, FaultServer, Request

from its_store.sync.ahead import ReadAhead

from conftest import ServerInfo, cli_runner, environment_for

BUCKETS = {"default": "ahd", "video": "ahd-video", "models": "ahd-models", "logs": "ahd-logs"}
DEADLINE = 60.0  # a safety net only: each wait below ends as soon as what it waits for happens


# ------------------------------------------------------------------------------------------ ReadAhead
def test_the_source_is_read_ahead_of_the_reader_up_to_the_limit() -> None:
    reached = threading.Event()
    taken: list[int] = []

    def source() -> Iterator[int]:
        for i in range(10):
            taken.append(i)
            if i == 3:
                reached.set()
            yield i

    ahead = ReadAhead(source(), 3)
    assert next(ahead) == 0
    assert reached.wait(DEADLINE), "the source was not read while the reader held its first item"
    assert list(ahead) == list(range(1, 10))
    ahead.close()


def test_the_limit_bounds_what_is_read_and_not_taken() -> None:
    at_limit = threading.Event()
    gave: list[int] = []

    def source() -> Iterator[int]:
        for i in range(100):
            gave.append(i)
            if i == 2:
                at_limit.set()
            yield i

    ahead = ReadAhead(source(), 2)
    assert at_limit.wait(DEADLINE)
    ahead.close()  # joins the thread: what it gave is final
    assert len(gave) <= 3  # two waiting, the third held by the thread when it stopped


def test_the_source_error_comes_after_its_items_and_then_is_not_run() -> None:
    ran: list[bool] = []

    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("listing failed")

    ahead = ReadAhead(source(), 8, then=lambda: ran.append(True))
    assert next(ahead) == 1 and next(ahead) == 2
    with pytest.raises(ValueError, match="listing failed"):
        next(ahead)
    with pytest.raises(StopIteration):
        next(ahead)
    ahead.close()
    assert ran == []


def test_a_stop_midway_closes_the_source_on_its_thread() -> None:
    closed_on: list[str] = []

    def source() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed_on.append(threading.current_thread().name)

    ahead = ReadAhead(source(), 1, name="its-test-ahead")
    assert next(ahead) == 0
    ahead.close()
    assert closed_on == ["its-test-ahead"]


def test_then_runs_on_the_thread_before_the_reader_sees_the_end() -> None:
    ran: list[str] = []
    ahead = ReadAhead(iter([1, 2]), 8, name="its-test-then", then=lambda: ran.append(threading.current_thread().name))
    assert list(ahead) == [1, 2]
    assert ran == ["its-test-then"]
    ahead.close()


# ----------------------------------------------------------------------------------------- the sync
@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[FaultServer, Any, dict[str, Any]]]:
    """(server, cli, hold): a PUT of s3://ahd/k/a.bin is held until the server was asked for the bucket's
    versioning (or hold["wait"], DEADLINE unless set); hold["asked_first"] says whether it was."""
    asked = threading.Event()
    hold: dict[str, Any] = {"asked_first": None}

    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        if req.method == "GET" and "versioning" in req.query:
            asked.set()
        elif req.method == "PUT" and req.key == "k/a.bin":
            hold["asked_first"] = asked.wait(hold.get("wait", DEADLINE))
        return False  # the tiny S3 answers

    with FaultServer(handler, buckets=tuple(BUCKETS.values())) as server:
        env = environment_for(ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123"), BUCKETS,
                              monkeypatch, tmp_path)
        yield server, cli_runner(env), hold


def test_a_real_sync_asks_the_versioning_only_after_a_delete_answer_that_does_not_say(
        fake: tuple[FaultServer, Any, dict[str, Any]], tmp_path: Path) -> None:
    """A real sync's deletes are told by their answers whether they left markers (DeleteObjects' DeleteMarker;
    session 33): the march no longer asks for the versioning ahead while the workers upload (it did, for
    deletes that then needed it). This fake's answer names no marker (S3 omits it in a plain bucket), so
    the versioning is asked once, after the delete answer, and not while the PUT is held."""
    server, cli, hold = fake
    server.put_object("ahd", "k/old.bin", FakeObject(b"old"))
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.bin").write_bytes(b"new file")
    hold["wait"] = 0.5  # the held PUT waits only this long: nothing asks for the versioning meanwhile
    run = cli("sync", str(folder), "s3://ahd/k/", "--delete", "-w", "1", "--json")
    assert run.exit_code == 0, run
    report = run.json()
    assert [i["key"] for i in report["copied"]] == ["k/a.bin"]
    assert [i["key"] for i in report["deleted"]] == ["k/old.bin"]
    assert hold["asked_first"] is False
    order = [("versioning" if "versioning" in r.query else "delete" if "delete" in r.query else r.method)
             for r in server.requests if r.method in ("PUT", "POST") or "versioning" in r.query]
    assert order == ["PUT", "delete", "versioning"], order  # asked once, after the answer that did not say
    assert ("ahd", "k/old.bin") not in server.objects


def test_no_versioning_question_when_the_deletes_are_refused(fake: tuple[FaultServer, Any, dict[str, Any]],
                                                            tmp_path: Path) -> None:
    server, cli, _ = fake
    server.put_object("ahd", "k/old.bin", FakeObject(b"old"))
    server.put_object("ahd", "k/old2.bin", FakeObject(b"old"))
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "b.bin").write_bytes(b"x")
    run = cli("sync", str(folder), "s3://ahd/k/", "--delete", "--max-delete", "1", "--json")
    assert run.exit_code == 1, run
    assert "--max-delete" in run.json()["delete_refused"]
    assert server.seen("GET", lambda r: "versioning" in r.query) == []
    assert ("ahd", "k/old.bin") in server.objects and ("ahd", "k/old2.bin") in server.objects
