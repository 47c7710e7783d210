"""Upload threads that retire when idle (session 30, gaps item 3).

The watcher's pool (concurrent.futures.ThreadPoolExecutor) started a thread per upload while none was idle,
up to --workers, and kept every one until the watcher stopped: after a backlog drained, a systemd service
kept its peak's threads for months. core/idle_pool.IdlePool ends a thread idle for `idle` seconds (60 by
default). Every wait here is on a condition (an event, a join, the pool's own condition); the idle time is
injected short, and a deadline is only a safety net.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from test_watch import Events, make_watcher, running, write_complete

from its_store.core.idle_pool import IdlePool

DEADLINE = 60.0  # a safety net only


def _grow(pool: IdlePool, n: int) -> tuple[threading.Event, list[threading.Thread], list[Any]]:
    """n tasks that hold their thread until released: the pool grows to n threads."""
    release, started, cond = threading.Event(), [], threading.Condition()

    def task(i: int) -> int:
        with cond:
            started.append(threading.current_thread())
            cond.notify_all()
        assert release.wait(DEADLINE)
        return i

    futures = [pool.submit(task, i) for i in range(n)]
    with cond:
        assert cond.wait_for(lambda: len(started) == n, DEADLINE), "the pool did not grow to n threads"
    return release, started, futures


def test_threads_grow_with_the_backlog_and_retire_when_it_drains() -> None:
    pool = IdlePool(4, idle=0.01, name="t-idle")
    try:
        release, threads, futures = _grow(pool, 4)
        assert len(set(threads)) == 4 and pool.threads == 4
        release.set()
        assert [f.result(DEADLINE) for f in futures] == [0, 1, 2, 3]
        assert pool.wait_threads(lambda n: n == 0, DEADLINE), "idle threads were not retired"
        for thread in threads:
            thread.join(DEADLINE)
            assert not thread.is_alive()
        # a later task starts a thread again
        assert pool.submit(lambda: "again").result(DEADLINE) == "again"
    finally:
        pool.shutdown()
    assert not [t for t in threading.enumerate() if t.name.startswith("t-idle")]


def test_threads_within_their_idle_time_are_kept_and_reused() -> None:
    pool = IdlePool(3, idle=3600.0, name="t-kept")
    try:
        release, threads, futures = _grow(pool, 3)
        release.set()
        for f in futures:
            f.result(DEADLINE)
        assert pool.threads == 3  # idle, not retired before an hour
        ran_on = {pool.submit(threading.current_thread).result(DEADLINE) for _ in range(10)}
        assert ran_on <= set(threads) and pool.threads == 3  # reused: no new thread for a task while one idles
    finally:
        pool.shutdown()
    assert all(not t.is_alive() for t in threads)


def test_one_thread_runs_tasks_in_order_and_failures_reach_the_future() -> None:
    with IdlePool(1, idle=3600.0, name="t-order") as pool:
        seen: list[int] = []
        futures = [pool.submit(seen.append, i) for i in range(20)]
        failed = pool.submit(lambda: 1 / 0)
        for f in futures:
            f.result(DEADLINE)
        assert seen == list(range(20))
        with pytest.raises(ZeroDivisionError):
            failed.result(DEADLINE)
    with pytest.raises(RuntimeError):
        pool.submit(print)


def test_shutdown_finishes_queued_tasks_or_cancels_them() -> None:
    pool = IdlePool(1, idle=3600.0, name="t-shut")
    release, _, _ = _grow(pool, 1)
    queued = [pool.submit(lambda i=i: i) for i in range(3)]
    pool.shutdown(wait=False, cancel_futures=True)  # while the one thread is busy: the queue is cancelled
    release.set()
    pool.shutdown()  # joins the thread
    assert all(f.cancelled() for f in queued)
    pool = IdlePool(1, idle=3600.0, name="t-shut2")
    release, _, _ = _grow(pool, 1)
    queued = [pool.submit(lambda i=i: i) for i in range(3)]
    release.set()
    pool.shutdown()
    assert [f.result(0) for f in queued] == [0, 1, 2]


def test_the_watchers_upload_threads_end_when_idle(service: Any, bucket: str, tmp_path: Path) -> None:
    """The watcher itself: after its uploads, its idle upload threads end while it keeps watching."""
    folder = tmp_path / "drop"
    folder.mkdir()
    events = Events()
    earlier = set(threading.enumerate())  # an upload thread of another watcher (an earlier test's) is not this one's
    watcher = make_watcher(service, folder, bucket, events, workers=4)
    watcher.thread_idle = 0.01
    with running(watcher):
        for i in range(6):
            write_complete(folder / f"f{i}.jpg", b"frame %d" % i)
        events.wait(lambda: len(events.of("uploaded")) == 6, DEADLINE)
        ups = [t for t in threading.enumerate() if t.name.startswith("its-watch-up") and t not in earlier]
        deadline = time.monotonic() + DEADLINE
        for thread in ups:
            thread.join(max(0.0, deadline - time.monotonic()))
            assert not thread.is_alive(), "an idle upload thread was kept"
        assert watcher.feed.stopping.is_set() is False  # still watching
