"""A batch leaves the objects that were there before it out of the cyclic collector's passes (gc.freeze) while
it runs, and gives them back when it ends, however it ends (core/heap.older_objects_left_alone)."""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest

from its_store.core import errors as E
from its_store.service.batch import BatchItem, BatchResult, Job, run_jobs


def _jobs(seen: list[int], n: int = 6, fail_at: int | None = None) -> list[Job]:
    def job(i: int) -> Callable[[], BatchItem]:
        def run() -> BatchItem:
            seen.append(gc.get_freeze_count())
            if i == fail_at:
                raise RuntimeError("not an item's failure: stops the batch")
            if i == 1:
                raise E.ItsStoreError("one item's failure")
            return BatchItem(key=f"k{i}")
        return run
    return [(f"k{i}", job(i)) for i in range(n)]


def test_a_batch_runs_with_the_older_objects_frozen_and_unfreezes_them() -> None:
    assert gc.get_freeze_count() == 0
    seen: list[int] = []
    result = BatchResult(action="upload", bucket="b", prefix="")
    run_jobs(3, _jobs(seen), result)
    assert len(seen) == 6 and all(count > 0 for count in seen), seen
    assert gc.get_freeze_count() == 0  # given back: collected as usual after the batch
    assert result.succeeded == 5 and result.failed == 1


def test_a_batch_stopped_by_an_error_unfreezes_too() -> None:
    seen: list[int] = []
    with pytest.raises(RuntimeError):
        run_jobs(2, _jobs(seen, fail_at=3), BatchResult(action="upload", bucket="b", prefix=""))
    assert seen and all(count > 0 for count in seen)
    assert gc.get_freeze_count() == 0


def test_objects_frozen_by_someone_else_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        seen: list[int] = []
        run_jobs(2, _jobs(seen), BatchResult(action="upload", bucket="b", prefix=""))
        assert gc.get_freeze_count() >= frozen  # not unfrozen by the batch: not its own
    finally:
        gc.unfreeze()
