"""A large batch leaves the objects that were there before it out of the cyclic collector's passes (gc.freeze)
from its LARGE-th job on, and gives them back when it ends, however it ends; a small batch freezes nothing and
walks nothing (core/heap.older_objects_left_alone)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from its_store.core import errors as E
from its_store.core.heap import LARGE
from its_store.service.batch import BatchItem, BatchResult, Job, run_jobs
from tests.helpers import ROOT

pytestmark = pytest.mark.usefixtures("unfrozen_heap")  # the frozen count is what these tests read (conftest.py)

WORKERS = 3  # look-ahead 2 x WORKERS (run_jobs): a job drawn before the LARGE-th is done well before it


def _jobs(seen: list[tuple[int, int]], n: int = 6, fail_at: int | None = None) -> list[Job]:
    def job(i: int) -> Callable[[], BatchItem]:
        def run() -> BatchItem:
            seen.append((i, gc.get_freeze_count()))
            if i == fail_at:
                raise RuntimeError("not an item's failure: stops the batch")
            if i == 1:
                raise E.ItsStoreError("one item's failure")
            return BatchItem(key=f"k{i}")
        return run
    return [(f"k{i}", job(i)) for i in range(n)]


def _cheap(n: int) -> list[Job]:
    return [(f"k{i}", lambda i=i: BatchItem(key=f"k{i}")) for i in range(n)]


@contextmanager
def _gc_calls() -> Iterator[list[str]]:
    """The names of the gc functions called meanwhile, in this thread and in threads started meanwhile
    (sys/threading.setprofile: C calls are seen as they are made, nothing is patched)."""
    calls: list[str] = []
    watched = {id(gc.freeze): "freeze", id(gc.get_freeze_count): "get_freeze_count", id(gc.unfreeze): "unfreeze"}

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "c_call" and id(arg) in watched:
            calls.append(watched[id(arg)])
    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]


def test_a_large_batch_runs_frozen_from_its_large_th_job_on_and_unfreezes() -> None:
    assert gc.get_freeze_count() == 0
    seen: list[tuple[int, int]] = []
    result = BatchResult(action="upload", bucket="b", prefix="")
    run_jobs(WORKERS, _jobs(seen, n=LARGE + 8), result)
    assert len(seen) == LARGE + 8
    assert all(count == 0 for i, count in seen if i < LARGE - 4 * WORKERS), "a small start froze"
    assert all(count > 0 for i, count in seen if i >= LARGE - 1), "the LARGE-th job on ran unfrozen"
    assert gc.get_freeze_count() == 0  # given back: collected as usual after the batch
    assert result.succeeded == LARGE + 7 and result.failed == 1


def test_a_small_batch_freezes_nothing_and_walks_nothing() -> None:
    """6 jobs: no gc.freeze, and no gc.get_freeze_count either (a walk of every frozen object)."""
    result = BatchResult(action="upload", bucket="b", prefix="")
    with _gc_calls() as calls:
        run_jobs(WORKERS, _cheap(6), result)
    assert calls == [] and result.succeeded == 6


def test_a_large_batch_stopped_by_an_error_unfreezes_too() -> None:
    seen: list[tuple[int, int]] = []
    with pytest.raises(RuntimeError):
        run_jobs(2, _jobs(seen, n=LARGE + 8, fail_at=LARGE + 4), BatchResult(action="upload", bucket="b", prefix=""))
    assert any(count > 0 for _, count in seen)  # it had frozen
    assert gc.get_freeze_count() == 0


def test_objects_frozen_by_someone_else_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        result = BatchResult(action="upload", bucket="b", prefix="")
        run_jobs(2, _cheap(LARGE + 8), result)  # large: it would freeze at its LARGE-th job
        assert result.succeeded == LARGE + 8
        assert gc.get_freeze_count() >= frozen  # not unfrozen by the batch: not its own
    finally:
        gc.unfreeze()


CLI_PROCESS = """
import gc, json, sys, threading
from its_store.core import heap
from its_store.service.batch import BatchItem, BatchResult, run_jobs
heap.collect_rarely_during_start_up()  # as __main__ does
heap.start_up_done()  # as the S3 client's construction does: the start-up heap frozen
calls = []
watched = {id(gc.freeze), id(gc.get_freeze_count), id(gc.unfreeze)}
def profile(frame, event, arg):
    if event == "c_call" and id(arg) in watched:
        calls.append(arg.__name__)
threading.setprofile(profile)
sys.setprofile(profile)
result = BatchResult(action="upload", bucket="b", prefix="")
run_jobs(3, [(f"k{i}", lambda i=i: BatchItem(key=f"k{i}")) for i in range(N)], result)
sys.setprofile(None)
print(json.dumps({"calls": calls, "ok": result.succeeded}))
"""


def test_in_the_its_store_process_a_large_batch_walks_nothing() -> None:
    """The its-store process froze its start-up heap when its client was built (heap.start_up_done): a batch,
    however large, neither freezes nor counts the frozen objects (one walk of ~40,000 a batch before)."""
    n = LARGE + 8
    done = subprocess.run([sys.executable, "-c", CLI_PROCESS.replace("N)", f"{n})")], capture_output=True,
                          text=True, timeout=120, check=False, env={"PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"calls": [], "ok": n}
