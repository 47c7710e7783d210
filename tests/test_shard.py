"""core/shard.py: --shard K/N parsing, stability, and that N shards cover every item exactly once."""

from __future__ import annotations

import hashlib

import pytest

from its_store.core import errors as E
from its_store.core.shard import Shard, parse_shard, shard_of


def test_parse() -> None:
    assert parse_shard(None) is None and parse_shard("") is None
    assert parse_shard("0/4") == Shard(0, 4) and parse_shard(" 3/4 ") == Shard(3, 4)
    assert str(Shard(1, 2)) == "1/2"
    for bad in ("4/4", "1", "a/2", "-1/2", "1/0", "1/-2", "/", "1/2/3", "0x1/2"):
        with pytest.raises(E.InvalidInputError):
            parse_shard(bad)


def test_stable_value() -> None:
    """The spread is SHA-1's first 8 bytes, so that every machine and Python agrees."""
    name = "camera_001/frame_0001.jpg"
    expected = int.from_bytes(hashlib.sha1(name.encode()).digest()[:8], "big") % 7
    assert shard_of(name, 7) == expected
    assert shard_of(name, 1) == 0


@pytest.mark.parametrize("count", [1, 2, 3, 8])
def test_shards_partition_items(count: int) -> None:
    names = [f"cam{i % 5}/frame {i:05d}-ü.jpg" for i in range(5000)]
    shards = [parse_shard(f"{k}/{count}") for k in range(count)]
    for name in names:
        assert sum(name in shard for shard in shards) == 1  # exactly one shard per item
    sizes = [sum(name in shard for name in names) for shard in shards]
    assert min(sizes) > 5000 / count * 0.85  # and spread roughly evenly
    assert 5 not in shards[0] and None not in shards[0]  # only strings belong to a shard
