"""Attack on the library's `shard` argument (session 37). The CLI's --shard K/N is checked (core/shard.parse_shard),
but a script builds the Shard itself: Shard(JOB_COMPLETION_INDEX, N) with an index from the scheduler and N
from its own config. An index outside 0..N-1 (Shard(5, 2)), or a tuple where a Shard belongs ((0, 2), which
`key in shard` answers False for every key), matched no key at all, and the call succeeded having done
nothing: verify() reported 0 corrupt after reading no object (a scrub job green while checking nothing), and
sync, copy and delete_prefix did nothing without a word; Shard(0, 0) ended in ZeroDivisionError. Now each
is InvalidInputError (exit 2) before any request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from its_store import InvalidInputError
from its_store.core.shard import Shard
from its_store.sync.copy import Copier
from its_store.sync.model import SyncOptions


@pytest.mark.parametrize("make", [lambda: Shard(5, 2), lambda: Shard(0, 0), lambda: Shard(-1, 2),
                                  lambda: Shard(True, 2), lambda: Shard("0", 2)],  # type: ignore[arg-type]
                         ids=["5/2", "0/0", "-1/2", "True/2", "'0'/2"])
def test_a_shard_that_cannot_exist_is_refused(make: Any) -> None:
    """Fails on main (e7ffee0): each is made, and matches no key (0/0: ZeroDivisionError on first use)."""
    with pytest.raises(InvalidInputError):
        make()


def test_a_shard_of_another_type_is_refused_before_any_work(service: Any, bucket: str, tmp_path: Path) -> None:
    """Fails on main (e7ffee0): each call succeeds, having verified, synced, copied and deleted nothing."""
    service.s3.put(bucket, "cam/a.jpg", b"frame a", {})
    service.s3.put(bucket, "cam/b.jpg", b"frame b", {})
    wrong: Any = (0, 2)
    calls = {
        "verify": lambda: service.verify(bucket, "cam/", shard=wrong),
        "sync": lambda: service.sync(f"s3://{bucket}/cam/", str(tmp_path / "out"), SyncOptions(shard=wrong)),
        "copy": lambda: Copier(service).copy(f"s3://{bucket}/cam/", f"s3://{bucket}/copy/", recursive=True,
                                             shard=wrong),
        "delete_prefix": lambda: service.batch().delete_prefix(bucket, "cam/", shard=wrong),
    }
    done = {}
    for name, call in calls.items():
        try:
            call()
        except InvalidInputError as exc:
            assert "shard" in str(exc), (name, exc)
        else:
            done[name] = "no error"
    assert done == {}
    assert sorted(service.s3.stat(bucket, k).size for k in ("cam/a.jpg", "cam/b.jpg")) == [7, 7]  # nothing deleted
