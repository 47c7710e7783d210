"""What a watcher's stop leaves behind when the server stalls (its_store/sync/watch.py, STOP_GRACE).

stop() gives the uploads in flight STOP_GRACE seconds, then abandons them. Two things must hold then:
an upload that had already finished is recorded (not owed again, so not sent again after a restart),
and a multipart upload the watcher started for an abandoned file is aborted on the server (no stored
parts left behind). Driven turn by turn (tests/watchstep.py) through tests/faultproxy.py, whose
`answer` hook holds chosen PUTs in the proxy, so that "finished" and "stalled" are states the test
holds the watcher in; STOP_GRACE is set to 0 so that the stop abandons at its first step (no waiting).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from test_watch import Events, make_watcher, owed_paths
from watchstep import DEADLINE, Stepper

from its_store.sync import watch

from helpers import random_bytes

pytestmark = pytest.mark.timeout(120)

MiB = 1024 * 1024


class HoldPuts:
    """A FaultProxy `answer` hook: holds every PUT that `which` picks until release(name) for its file
    name (the last path segment); `seen` counts the held PUTs per name."""

    def __init__(self, which: Callable[[Seen], bool]) -> None:
        self.which = which
        self.seen: dict[str, int] = {}
        self._released: set[str] = set()
        self._cond = threading.Condition()

    def __call__(self, seen: Seen) -> None:
        if seen.method != "PUT" or not self.which(seen):
            return None
        name = seen.path.rsplit("/", 1)[-1]
        with self._cond:
            self.seen[name] = self.seen.get(name, 0) + 1
            self._cond.notify_all()
            released = self._cond.wait_for(lambda: name in self._released, timeout=DEADLINE)
        assert released, f"a held PUT of {name} was never released"  # a safety net
        return None

    def wait(self, name: str) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: name in self.seen, timeout=DEADLINE), f"no PUT of {name} came"

    def release(self, *names: str) -> None:
        with self._cond:
            self._released.update(names)
            self._cond.notify_all()


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
    hold = HoldPuts(lambda seen: "/cams/" in seen.path)
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
    hold = HoldPuts(lambda seen: "partNumber" in seen.query)
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
            finally:
                hold.release("big.mp4")
        watcher.service.close()
