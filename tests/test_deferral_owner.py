"""A batch's cache invalidations are written by the batch's own thread (state/service_cache.Deferral flushed by
Recording.tick), not by whichever worker found them due: each worker that wrote opened its own SQLite
connection, and closing the cache then needed a full garbage collection to free them. Counted, never timed."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from its_store.state.service_cache import Deferral
from tests.helpers import write_file


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
    main, opened_by = threading.get_ident(), []
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        opened_by.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    flushes: list[int] = []
    real_flush = Deferral.flush

    def flush(self: Deferral) -> None:
        flushes.append(threading.get_ident())
        real_flush(self)

    monkeypatch.setattr(Deferral, "flush", flush)
    result = service.batch().upload_directory(src, bucket, "again/", workers=8)
    monkeypatch.undo()
    assert result.succeeded == 48 and not result.errors
    assert len(flushes) >= 2 and set(flushes) == {main}, flushes  # one mid-batch at least, then the end
    assert set(opened_by) <= {main}, opened_by
