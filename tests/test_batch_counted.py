"""A count-only batch takes a Counted (a size) from its jobs instead of a BatchItem built per file that no
one shows (issue 22, W4: `upload -r` without --json); a listing batch refuses one, so that a job that
returned a count where an item is listed fails loudly instead of leaving `objects` short."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from its_store.service.batch import BatchItem, BatchResult, Counted

from helpers import write_file


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


def _jobs(stop_at: int | None = None, listing: bool = False) -> list[tuple[str, object]]:
    """Jobs of every outcome: counts (`listing`: items), a whole item, a failure; `stop_at`: that job stops the
    batch (Ctrl-C)."""
    from its_store.core import errors as E

    def job(i: int) -> object:
        def run() -> object:
            if i == stop_at:
                raise KeyboardInterrupt
            if i % 5 == 4:
                raise E.ItsStoreError(f"job {i} failed")
            if listing or i % 7 == 6:
                return BatchItem(key=f"k{i}", size=10 * i + 1)
            return Counted(10 * i + 1)
        return run
    return [(f"k{i}", job(i)) for i in range(40)]



def _done_each(jobs: list[tuple[str, object]], listing: bool = False) -> BatchResult:
    """The result (count-only unless `listing`) of done() (or fail()) of each job's outcome, in turn."""
    want = BatchResult(action="upload", bucket="b", prefix="p/")
    if not listing:
        want.count_only()
    for name, job in jobs:
        try:
            want.done(job())  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - the job's own failure, as run_jobs records it
            want.fail(name, exc)  # type: ignore[arg-type]
    return want


@pytest.mark.parametrize("listing", [False, True])
def test_run_jobs_counts_as_done_of_each_outcome(listing: bool) -> None:
    """run_jobs adds a batch's items done together (BatchResult.done_counted, done_listed): the result is the
    one done() of each outcome gives (succeeded, bytes, the items in order, the document), failures as before."""
    from its_store.service.batch import run_jobs
    got = BatchResult(action="upload", bucket="b", prefix="p/")
    if not listing:
        got.count_only()
    run_jobs(1, _jobs(listing=listing), got)  # type: ignore[arg-type]  # one worker: outcomes in order
    want = _done_each(_jobs(listing=listing), listing)
    assert len(want.objects) == (want.succeeded if listing else 0)
    assert want.succeeded > 0 and want.bytes > 0 and want.failed > 0
    assert (got.succeeded, got.bytes, got.failed) == (want.succeeded, want.bytes, want.failed)
    assert got.model_dump(exclude={"errors"}) == want.model_dump(exclude={"errors"})
    assert sorted(e.key for e in got.errors) == sorted(e.key for e in want.errors)


@pytest.mark.parametrize("listing", [False, True])
def test_run_jobs_keeps_the_counts_of_a_batch_stopped(listing: bool) -> None:
    """A batch stopped midway (a job raising KeyboardInterrupt: not an item's failure) keeps the items done
    before it, as done() of each kept them; a listing batch still refuses a Counted."""
    from its_store.service.batch import run_jobs
    result = BatchResult(action="upload", bucket="b", prefix="p/")
    if not listing:
        result.count_only()
    with pytest.raises(KeyboardInterrupt):
        run_jobs(1, _jobs(stop_at=20, listing=listing), result)  # type: ignore[arg-type]
    want = _done_each(_jobs(listing=listing)[:20], listing)  # one worker: the jobs before the 20th, each done
    assert want.succeeded > 0
    assert (result.succeeded, result.bytes, result.failed) == (want.succeeded, want.bytes, want.failed)
    assert result.model_dump(exclude={"errors"}) == want.model_dump(exclude={"errors"})
    listing = BatchResult(action="upload", bucket="b", prefix="p/")
    with pytest.raises(TypeError):
        run_jobs(1, [("k", lambda: Counted(5))], listing)
    assert listing.succeeded == 0


def test_a_count_only_get_r_builds_no_item_and_counts_as_a_listed_one(
        service: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`get -r` without --json (list_items=False) hands run_jobs a Counted per object, as `upload -r` does:
    no BatchItem built (a pydantic model, ~3 us) and no done() per frame (its private attributes, ~14 us);
    the totals are the listed run's, every file written and verified alike."""
    from its_store.service import batch
    src = tmp_path / "src"
    for i in range(12):
        write_file(src / "cam" / f"f{i:02d}.jpg", 300 + i, seed=i)
    service.batch().upload_directory(src, bucket, "cnt/", workers=4)
    listed = service.batch().download_prefix(bucket, "cnt/", tmp_path / "listed", workers=4)
    built = [0]

    class Item(batch.BatchItem):
        def __init__(self, **data: Any) -> None:
            built[0] += 1
            super().__init__(**data)
    monkeypatch.setattr(batch, "BatchItem", Item)
    counted = service.batch().download_prefix(bucket, "cnt/", tmp_path / "counted", workers=4, list_items=False)
    monkeypatch.undo()
    assert built[0] == 0
    assert listed.succeeded == 12 and all(item.verified for item in listed.objects)
    assert (counted.objects, counted.succeeded, counted.bytes, counted.failed) == ([], 12, listed.bytes, 0)
    for i in range(12):
        name = f"cam/f{i:02d}.jpg"
        assert (tmp_path / "counted" / name).read_bytes() == (src / name).read_bytes()
