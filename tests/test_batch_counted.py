"""A count-only batch takes a Counted (a size) from its jobs instead of a BatchItem built per file that no
one shows (issue 22, W4: `upload -r` without --json); a listing batch refuses one, so that a job that
returned a count where an item is listed fails loudly instead of leaving `objects` short."""

from __future__ import annotations

import pytest

from its_store.service.batch import BatchItem, BatchResult, Counted


def test_counted_batch_counts_sizes_and_lists_nothing() -> None:
    result = BatchResult(action="upload", bucket="b", prefix="p/").count_only()
    assert result.listing is False
    for size in (5, 0, 7):
        result.done(Counted(size))
    result.done(BatchItem(key="k", size=3))
    assert (result.objects, result.succeeded, result.bytes) == ([], 4, 15)
    assert result.model_dump()["succeeded"] == 4 and result.model_dump()["bytes"] == 15


def test_listing_batch_refuses_a_count() -> None:
    result = BatchResult(action="upload", bucket="b", prefix="p/")
    assert result.listing is True
    with pytest.raises(TypeError):
        result.done(Counted(5))
    result.done(BatchItem(key="k", size=3))
    assert (len(result.objects), result.succeeded, result.bytes) == (1, 1, 3)


def _jobs(stop_at: int | None = None) -> list[tuple[str, object]]:
    """Jobs of every outcome: counts, a whole item, a failure; `stop_at`: that job stops the batch (Ctrl-C)."""
    from its_store.core import errors as E

    def job(i: int) -> object:
        def run() -> object:
            if i == stop_at:
                raise KeyboardInterrupt
            if i % 5 == 4:
                raise E.ItsStoreError(f"job {i} failed")
            return BatchItem(key=f"k{i}", size=i) if i % 7 == 6 else Counted(10 * i + 1)
        return run
    return [(f"k{i}", job(i)) for i in range(40)]



def _done_each(jobs: list[tuple[str, object]]) -> BatchResult:
    """The count-only result of done() (or fail()) of each job's outcome, in turn."""
    want = BatchResult(action="upload", bucket="b", prefix="p/").count_only()
    for name, job in jobs:
        try:
            want.done(job())  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - the job's own failure, as run_jobs records it
            want.fail(name, exc)  # type: ignore[arg-type]
    return want


def test_run_jobs_counts_as_done_of_each_outcome() -> None:
    """run_jobs adds a count-only batch's Counted outcomes together (BatchResult.done_counted): the result is
    the one done() of each outcome gives (succeeded, bytes, the document), failures as before."""
    from its_store.service.batch import run_jobs
    got = BatchResult(action="upload", bucket="b", prefix="p/").count_only()
    run_jobs(4, _jobs(), got)  # type: ignore[arg-type]
    want = _done_each(_jobs())
    assert want.succeeded > 0 and want.bytes > 0 and want.failed > 0
    assert (got.succeeded, got.bytes, got.failed) == (want.succeeded, want.bytes, want.failed)
    assert got.model_dump(exclude={"errors"}) == want.model_dump(exclude={"errors"})
    assert sorted(e.key for e in got.errors) == sorted(e.key for e in want.errors)


def test_run_jobs_keeps_the_counts_of_a_batch_stopped() -> None:
    """A batch stopped midway (a job raising KeyboardInterrupt: not an item's failure) keeps the counts of the
    items done before it, as done() of each kept them; a listing batch still refuses a Counted."""
    from its_store.service.batch import run_jobs
    result = BatchResult(action="upload", bucket="b", prefix="p/").count_only()
    with pytest.raises(KeyboardInterrupt):
        run_jobs(1, _jobs(stop_at=20), result)  # type: ignore[arg-type]
    want = _done_each(_jobs()[:20])  # one worker: the jobs before the 20th, each done
    assert want.succeeded > 0
    assert (result.succeeded, result.bytes, result.failed) == (want.succeeded, want.bytes, want.failed)
    listing = BatchResult(action="upload", bucket="b", prefix="p/")
    with pytest.raises(TypeError):
        run_jobs(1, [("k", lambda: Counted(5))], listing)
    assert listing.succeeded == 0
