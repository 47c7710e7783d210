"""What a watcher's stop leaves behind when the server stalls (its_store/sync/watch.py, STOP_GRACE).

stop() gives the uploads in flight STOP_GRACE seconds, then abandons them. Two things must hold then:
an upload that had already finished is recorded (not owed again, so not sent again after a restart),
and a multipart upload the watcher started for an abandoned file is aborted on the server (no stored
parts left behind), unless its CompleteMultipartUpload may have been sent (an abort then could delete the
completed object's data on SeaweedFS), and an upload whose abort was claimed never sends one. Driven
turn by turn (tests/watchstep.py) through tests/faultproxy.py, whose `answer` hook holds chosen
requests in the proxy, so that "finished" and "stalled" are states the test holds the watcher in;
STOP_GRACE is set to 0 so that the stop abandons at its first step (no waiting).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import response
from test_watch import Events, make_watcher, owed_paths, read_object, running
from watchstep import DEADLINE, Stepper

from its_store.sync import watch

from helpers import random_bytes

pytestmark = pytest.mark.timeout(120)

MiB = 1024 * 1024


class Hold:
    """A FaultProxy `answer` hook: holds every request that `label` names (None: not held) until
    release(name); `seen` counts the held requests per name."""

    def __init__(self, label: Callable[[Seen], str | None]) -> None:
        self.label = label
        self.seen: dict[str, int] = {}
        self._released: set[str] = set()
        self._cond = threading.Condition()

    def __call__(self, seen: Seen) -> None:
        name = self.label(seen)
        if name is None:
            return None
        with self._cond:
            self.seen[name] = self.seen.get(name, 0) + 1
            self._cond.notify_all()
            released = self._cond.wait_for(lambda: name in self._released, timeout=DEADLINE)
        assert released, f"a held request {name} was never released"  # a safety net
        return None

    def wait(self, name: str) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: name in self.seen, timeout=DEADLINE), f"no request {name} came"

    def release(self, *names: str) -> None:
        with self._cond:
            self._released.update(names)
            self._cond.notify_all()


def _put_of(seen: Seen) -> str | None:
    """The file name of a PUT under cams/ (a whole object or a part), else None."""
    return seen.path.rsplit("/", 1)[-1] if seen.method == "PUT" and "/cams/" in seen.path else None


def _proxied_watcher(env: dict[str, str], proxy: FaultProxy, folder: Path, bucket: str, **settings: Any) -> Any:
    from its_store import StorageService, load_settings
    service = StorageService(load_settings(endpoint=proxy.endpoint, **settings))
    return make_watcher(service, folder, bucket, Events(), workers=2)


def _stop_now(st: Stepper, monkeypatch: pytest.MonkeyPatch) -> None:
    """stop(), then the loop as run() runs it: with STOP_GRACE 0 it abandons what is in flight at once."""
    monkeypatch.setattr(watch, "STOP_GRACE", 0.0)
    st.w.abort_wait = DEADLINE  # the abort's bound is not what this test is about
    st.w.stop()
    st.w._loop(st.pool)


def test_an_upload_finished_before_the_stop_abandoned_is_not_owed_again(
        env: dict[str, str], bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    for name in ("quick.jpg", "stalled.jpg"):
        (folder / name).write_bytes(random_bytes(20_000, seed=len(name)))
    hold = Hold(_put_of)
    with FaultProxy(int(env["MINIO_ENDPOINT"].rsplit(":", 1)[1]), answer=hold) as proxy:
        watcher = _proxied_watcher(env, proxy, folder, bucket)
        with Stepper(watcher) as st:
            try:
                st.event("added", "quick.jpg")
                st.event("added", "stalled.jpg")
                st.until(lambda: {"quick.jpg", "stalled.jpg"} <= set(st.w._inflight), "both in flight")
                hold.wait("quick.jpg")
                hold.release("quick.jpg")
                st.finished_unheard()  # quick.jpg is on the server; the scheduler has not heard yet
                _stop_now(st, monkeypatch)
                assert owed_paths(watcher.journal) == ["stalled.jpg"]
                assert watcher._abandoned == 1
            finally:
                hold.release("quick.jpg", "stalled.jpg")
        watcher.service.close()


def test_a_multipart_upload_abandoned_at_stop_is_aborted(
        env: dict[str, str], service: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "big.mp4").write_bytes(random_bytes(6 * MiB, seed=6))  # two parts of 5 MiB and 1 MiB
    hold = Hold(lambda seen: _put_of(seen) if "partNumber" in seen.query else None)
    with FaultProxy(int(env["MINIO_ENDPOINT"].rsplit(":", 1)[1]), answer=hold) as proxy:
        watcher = _proxied_watcher(env, proxy, folder, bucket, part_size=5 * MiB)
        with Stepper(watcher) as st:
            try:
                st.event("added", "big.mp4")
                st.in_flight("big.mp4")
                hold.wait("big.mp4")  # the multipart upload exists, a part is held
                assert [key for key, _id in service.s3.list_multipart_uploads(bucket, "cams/")] == ["cams/big.mp4"]
                _stop_now(st, monkeypatch)
                assert watcher._abandoned == 1
                assert service.s3.list_multipart_uploads(bucket, "cams/") == []  # no parts left on the server
                assert owed_paths(watcher.journal) == ["big.mp4"]  # still owed: sent after the restart
                hold.release("big.mp4")  # its parts now reach an upload that is no more: the upload fails
                st.finished_unheard()
                watcher.outcomes.record_finished()  # as run() ends: a failure of its own abort is no reason to drop it
                assert owed_paths(watcher.journal) == ["big.mp4"]
                assert not watcher.feed.on_event.of("failed")
            finally:
                hold.release("big.mp4")
        watcher.service.close()


def test_an_upload_finishing_while_the_stop_aborts_the_others_is_not_owed_again(
        env: dict[str, str], service: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole run(): quick.jpg and big.mp4 are abandoned (both held in the proxy); while the abort of
    big.mp4's multipart upload is held, quick.jpg's upload finishes. run() records it before it
    closes the journal: only big.mp4 is owed, and its parts are gone from the server."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "quick.jpg").write_bytes(random_bytes(20_000, seed=1))
    (folder / "big.mp4").write_bytes(random_bytes(6 * MiB, seed=6))

    def label(seen: Seen) -> str | None:
        if seen.method == "DELETE" and "uploadId" in seen.query:
            return "abort"
        name = _put_of(seen)
        return name if name == "quick.jpg" or "partNumber" in seen.query else None

    hold = Hold(label)
    monkeypatch.setattr(watch, "STOP_GRACE", 0.0)
    with FaultProxy(int(env["MINIO_ENDPOINT"].rsplit(":", 1)[1]), answer=hold) as proxy:
        watcher = _proxied_watcher(env, proxy, folder, bucket, part_size=5 * MiB)
        watcher.abort_wait = DEADLINE
        with running(watcher):
            try:
                watcher.feed.put("scan", "quick.jpg")
                watcher.feed.put("scan", "big.mp4")
                hold.wait("quick.jpg")
                hold.wait("big.mp4")
                watcher.stop()  # both abandoned at once; big.mp4's abort is held
                hold.wait("abort")
                hold.release("quick.jpg")
                deadline = time.monotonic() + DEADLINE  # a safety net: the condition is the queued outcome
                while watcher.outcomes.queue.empty():
                    assert time.monotonic() < deadline, "quick.jpg's upload never finished"
                    time.sleep(0.01)  # poll pace
                hold.release("abort")
            finally:
                hold.release("quick.jpg", "abort", "big.mp4")
        assert watcher._abandoned == 2
        watcher.journal.open()
        try:
            assert owed_paths(watcher.journal) == ["big.mp4"]
        finally:
            watcher.journal.close()
        watcher.service.close()
    assert service.s3.list_multipart_uploads(bucket, "cams/") == []


def test_a_multipart_upload_abandoned_while_completing_is_not_aborted(
        env: dict[str, str], service: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stop abandons big.mp4 while its CompleteMultipartUpload is held in the proxy. No abort may be
    sent for that upload: on SeaweedFS an abort that lands while the completion runs deletes the chunks
    the completed object is made of (resume.UploadJournal.completing). Released, the Complete makes a
    whole object: its bytes, and the its-sha256 they hash to."""
    folder = tmp_path / "drop"
    folder.mkdir()
    data = random_bytes(6 * MiB, seed=7)  # two parts of 5 MiB and 1 MiB
    (folder / "big.mp4").write_bytes(data)

    def complete(seen: Seen) -> str | None:
        return "complete" if seen.method == "POST" and "uploadId" in seen.query else None

    hold = Hold(complete)
    with FaultProxy(int(env["MINIO_ENDPOINT"].rsplit(":", 1)[1]), answer=hold, record=True) as proxy:
        watcher = _proxied_watcher(env, proxy, folder, bucket, part_size=5 * MiB)
        with Stepper(watcher) as st:
            try:
                st.event("added", "big.mp4")
                st.in_flight("big.mp4")
                hold.wait("complete")  # the parts are stored, the Complete is held
                [(_key, upload_id)] = service.s3.list_multipart_uploads(bucket, "cams/")
                _stop_now(st, monkeypatch)
                assert watcher._abandoned == 1
                assert not proxy.requests_to("DELETE", lambda seen: seen.query.get("uploadId") == upload_id)
                hold.release("complete")
                st.finished_unheard()
                watcher.outcomes.record_finished()
                assert not watcher.feed.on_event.of("failed")
            finally:
                hold.release("complete")
        watcher.service.close()
    assert read_object(service, bucket, "cams/big.mp4") == data
    found = service.s3.stat(bucket, "cams/big.mp4").metadata.get("x-amz-meta-its-sha256")
    assert found == hashlib.sha256(data).hexdigest()
    assert service.s3.list_multipart_uploads(bucket, "cams/") == []


def test_an_upload_whose_abort_failed_at_stop_is_never_completed(
        env: dict[str, str], service: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stop's abort of big.mp4's upload fails (the proxy answers 503: for all the watcher knows, the
    abort may still run on the server). That abort claimed the upload: once its held parts are released,
    the upload thread must not send its CompleteMultipartUpload (the two could cross on the server).
    Its record stays for the next upload of the key; the file stays owed."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "big.mp4").write_bytes(random_bytes(6 * MiB, seed=8))  # two parts of 5 MiB and 1 MiB
    hold = Hold(lambda seen: _put_of(seen) if "partNumber" in seen.query else None)

    def answer(seen: Seen) -> bytes | None:
        if seen.method == "DELETE" and "uploadId" in seen.query:
            return response(503, reason="Service Unavailable")
        return hold(seen)

    with FaultProxy(int(env["MINIO_ENDPOINT"].rsplit(":", 1)[1]), answer=answer, record=True) as proxy:
        watcher = _proxied_watcher(env, proxy, folder, bucket, part_size=5 * MiB, max_retries=0)
        with Stepper(watcher) as st:
            try:
                st.event("added", "big.mp4")
                st.in_flight("big.mp4")
                hold.wait("big.mp4")
                _stop_now(st, monkeypatch)
                assert proxy.requests_to("DELETE", lambda seen: "uploadId" in seen.query)  # the abort was tried
                hold.release("big.mp4")
                st.finished_unheard()
                watcher.outcomes.record_finished()
                assert owed_paths(watcher.journal) == ["big.mp4"]
            finally:
                hold.release("big.mp4")
        assert not proxy.requests_to("POST", lambda seen: "uploadId" in seen.query)  # no Complete sent
        assert watcher.service.journal().load(bucket, "cams/big.mp4") is not None
        watcher.service.close()
    for key, upload_id in service.s3.list_multipart_uploads(bucket, "cams/"):  # the next upload's work
        service.s3.abort_multipart(bucket, key, upload_id)


def test_a_second_stop_does_not_put_off_the_abandoning(
        env: dict[str, str], bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM (or Ctrl-C) again while a stop waits for a stalled upload: stop() took the time of the LAST
    signal, so each new one gave the uploads STOP_GRACE seconds more, and signals coming faster than that
    never let the watcher end (a supervisor repeating SIGTERM, a user pressing Ctrl-C). The grace counts from
    the first stop. The watcher's clock is the test's: STOP_GRACE after the first stop, the loop abandons at
    once, without a turn of waiting."""
    import types
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "stalled.jpg").write_bytes(random_bytes(20_000, seed=2))
    hold = Hold(_put_of)
    with FaultProxy(int(env["MINIO_ENDPOINT"].rsplit(":", 1)[1]), answer=hold) as proxy:
        watcher = _proxied_watcher(env, proxy, folder, bucket)
        watcher.abort_wait = DEADLINE
        with Stepper(watcher) as st:
            try:
                st.event("added", "stalled.jpg")
                st.in_flight("stalled.jpg")
                hold.wait("stalled.jpg")
                now = [1000.0]  # the watcher's clock from here on (the file was complete by the real one)
                monkeypatch.setattr(watch, "time", types.SimpleNamespace(
                    monotonic=lambda: now[0], perf_counter=time.perf_counter, sleep=time.sleep, time=time.time))
                watcher.stop("SIGTERM")
                now[0] += watch.STOP_GRACE - 0.5
                watcher.stop("SIGTERM")  # again, before the grace ran out
                now[0] += 1.0  # STOP_GRACE + 0.5 after the first

                def turn(*_: Any, **__: Any) -> float:
                    raise AssertionError("the loop waited on, past STOP_GRACE after the first stop")

                monkeypatch.setattr(watcher, "_turn", turn)
                watcher._loop(st.pool)
                assert watcher._abandoned == 1
                assert owed_paths(watcher.journal) == ["stalled.jpg"]
            finally:
                hold.release("stalled.jpg")
        watcher.service.close()
