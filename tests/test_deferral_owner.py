"""A batch's cache invalidations are written by the batch's own thread (state/service_cache.Deferral flushed by
Recording.tick), not by whichever worker found them due: each worker that wrote opened its own SQLite
connection, and closing the cache then needed a full garbage collection to free them. Counted, never timed."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from its_store.state.service_cache import Deferral, ServiceCache
from tests.helpers import inside, named_by, write_file


def _made_here(monkeypatch: pytest.MonkeyPatch) -> list[Deferral]:
    """The Deferrals ServiceCache.deferral() makes from now on in this thread (a batch's, made by its owner):
    a patch of Deferral's methods is process-wide, and another thread's (a leftover batch or watcher of an
    earlier test) must not count."""
    made_here: list[Deferral] = []
    real, here = ServiceCache.deferral, threading.get_ident()

    def deferral(self: ServiceCache) -> Deferral:
        made = real(self)
        if threading.get_ident() == here:
            made_here.append(made)
        return made

    monkeypatch.setattr(ServiceCache, "deferral", deferral)
    return made_here


def test_workers_leave_the_flush_to_the_owner_below_the_safety_limit() -> None:
    flushed: list[tuple[int, list[str]]] = []
    deferral = Deferral(lambda groups: flushed.append((threading.get_ident(), groups)))
    deferral.MAX_SECONDS = 1e9  # only the counts decide here
    below = Deferral.MAX_GROUPS * Deferral.WORKER_SCALE - 1

    def worker(base: int, n: int) -> None:
        for i in range(n):
            deferral.add([f"g{base + i}"])

    threads = [threading.Thread(target=worker, args=(k * 1000, below // 3)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert flushed == []  # over MAX_GROUPS, but no worker wrote
    deferral.flush_due()
    assert [ident for ident, _ in flushed] == [threading.get_ident()]
    assert len(flushed[0][1]) == 3 * (below // 3)
    deferral.flush_due()  # nothing waits: nothing written
    assert len(flushed) == 1


def test_a_worker_still_flushes_past_the_safety_limit() -> None:
    flushed: list[int] = []
    deferral = Deferral(lambda groups: flushed.append(threading.get_ident()))
    deferral.MAX_SECONDS = 1e9
    t = threading.Thread(target=lambda: [deferral.add([f"g{i}"])
                                         for i in range(Deferral.MAX_GROUPS * Deferral.WORKER_SCALE)])
    t.start()
    t.join()
    assert len(flushed) == 1 and flushed[0] != threading.get_ident()


def test_upload_r_opens_the_cache_in_its_own_thread_only(service: Any, bucket: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    for i in range(48):
        write_file(src / f"f{i:02d}.jpg", 100 + i, seed=i)
    service.batch().upload_directory(src, bucket, "warm/", workers=4)  # cache made and opened, bucket known
    monkeypatch.setattr(Deferral, "MAX_GROUPS", 8)  # a flush every few files; the counts alone decide
    monkeypatch.setattr(Deferral, "MAX_SECONDS", 1e9)
    # a worker's own flush is the safety net of an owner that does not tick: out of reach here, so that an
    # owner slowed down by a loaded machine still shows whether it ticks (how many flushes is scheduling)
    monkeypatch.setattr(Deferral, "WORKER_SCALE", 10**6)
    # the patches are process-wide: only this service's cache database and the batch's own Deferrals count
    # (made by this thread), not a connection or a flush of another thread (a leftover one of an earlier test)
    main, opened_by = threading.get_ident(), []
    real, ours = sqlite3.connect, inside(Path(os.environ["MINIO_CACHE_DIR"]))

    def connect(*args: Any, **kwargs: Any) -> Any:
        if ours(named_by(args, kwargs)):
            opened_by.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    flushes: list[int] = []
    batch_owned = _made_here(monkeypatch)
    real_flush = Deferral.flush

    def flush(self: Deferral) -> None:
        if any(self is owned for owned in batch_owned):
            flushes.append(threading.get_ident())
        real_flush(self)

    monkeypatch.setattr(Deferral, "flush", flush)
    result = service.batch().upload_directory(src, bucket, "again/", workers=8)
    monkeypatch.undo()
    assert result.succeeded == 48 and not result.errors
    assert batch_owned  # the batch's Deferral was made by this thread: its flushes are the ones counted
    assert len(flushes) >= 2 and set(flushes) == {main}, flushes  # one mid-batch at least, then the end
    assert set(opened_by) <= {main}, opened_by


def test_objects_added_are_invalidated_as_their_groups_with_the_next_flush() -> None:
    """Deferral.add_object (w4, s37): a (bucket, key) a batch's Op wrote becomes its group (group_of) when
    flushed, with the groups added as text, each once; a worker below the safety limit flushes nothing."""
    flushed: list[list[str]] = []
    deferral = Deferral(flushed.append, lambda bucket, key: f"{bucket}|{key}")
    deferral.MAX_SECONDS = 1e9
    t = threading.Thread(target=lambda: [deferral.add_object("b", f"k{i}") for i in range(5)])
    t.start()
    t.join()
    deferral.add(["text"])
    deferral.add_object("b", "k0")
    assert flushed == []
    deferral.flush_due()  # below MAX_GROUPS: not due
    assert flushed == []
    deferral.flush()
    assert flushed == [["text", "b|k0", "b|k1", "b|k2", "b|k3", "b|k4"]]
    deferral.flush()
    assert len(flushed) == 1


def test_upload_r_hands_each_object_to_the_deferral_as_a_pair(service: Any, bucket: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch's Op puts the object it wrote into the batch's Deferral as (bucket, key), not through
    ServiceCache.invalidate_object (the cache property, the thread's binding, a lock: ~15k instructions a
    camera frame); the groups flushed are the ones invalidate_object makes."""
    src = tmp_path / "src"
    for i in range(6):
        write_file(src / f"f{i}.jpg", 100 + i, seed=i)
    service.batch().upload_directory(src, bucket, "warm/", workers=2)  # cache made and opened
    cache = service.ctx.cache
    expected = []
    real_invalidate = cache.invalidate_object

    # the patches are process-wide: only this service's cache and the batch's own Deferrals (made by this
    # thread) are looked at, not another thread's (a leftover one of an earlier test) flushes
    one_by_one: list[str] = []

    def invalidate_object(self: ServiceCache, b: str, k: str) -> None:
        if self is cache:
            one_by_one.append(f"{b}/{k}")
        real_invalidate_of(self, b, k)

    real_invalidate_of = ServiceCache.invalidate_object
    monkeypatch.setattr(ServiceCache, "invalidate_object", invalidate_object)
    flushed: list[str] = []
    real_flush = Deferral.flush
    batch_owned = _made_here(monkeypatch)

    def flush(self: Deferral) -> None:
        if not any(self is owned for owned in batch_owned):
            return real_flush(self)
        real = self._invalidate
        self._invalidate = lambda groups: (flushed.extend(groups), real(groups))  # type: ignore[assignment]
        try:
            real_flush(self)
        finally:
            self._invalidate = real  # type: ignore[method-assign]

    monkeypatch.setattr(Deferral, "flush", flush)
    result = service.batch().upload_directory(src, bucket, "again/", workers=3)
    monkeypatch.undo()
    assert result.succeeded == 6 and not result.errors
    assert one_by_one == [], "invalidated one by one"
    for i in range(6):  # the group text invalidate_object makes, caught at the backend
        got: list[list[str]] = []
        monkeypatch.setattr(cache.backend, "invalidate", got.append)
        real_invalidate(bucket, f"again/f{i}.jpg")
        monkeypatch.undo()
        expected += got[0]
    assert sorted(flushed) == sorted(expected)
