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
