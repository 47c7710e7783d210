"""The per-object fast paths of a batch upload give exactly what the general code they replace gives: the audit
line's time (state/audit._stamp against datetime's isoformat) and the cache group of an object
(state/service_cache.ServiceCache._obj against json.dumps), on hostile inputs."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from its_store.state import audit
from its_store.state.cache import NullCache
from its_store.state.service_cache import ServiceCache

EDGES = [0, 999_999, 1_000_000, 999_999_999, 1_000_000_000, 1_733_500_000_000_000_000,
         1_733_500_000_999_999_999, 1_733_500_001_000_000_000, 951_782_400_000_000_000,  # 2000-02-29
         4_102_444_799_999_000_000, 253_402_300_799_999_999_999]  # the last millisecond of 2099, of 9999


def _iso(ns: int) -> str:
    """What the audit line said before: datetime.now(UTC) (microseconds, floored) in ISO 8601, milliseconds."""
    moment = datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(microsecond=ns % 1_000_000_000 // 1000)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_audit_time_is_datetimes_text() -> None:
    rng = random.Random(22)
    moments = EDGES + [rng.randrange(0, 4_102_444_800 * 10**9) for _ in range(2000)]
    moments += [moments[-1] + step for step in (1, 10**6, 10**9 - 1, 10**9)]  # the cached second, then the next
    for ns in moments:
        assert audit._stamp(ns) == _iso(ns), ns


def test_audit_time_is_now() -> None:
    before = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    now = audit._now()
    after = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert before <= now <= after


HOSTILE = ["k", "", 'a"b', "a\\b", "ctl\x00\x01\x1f\x7f", "caf\u00e9/\u00fc.jpg", "\u2028\u2029", "\U0001f600",
           "bad\udcff", "\ud800x", "</script>", "a, b", "[\"obj\"]", " lead and trail ", "\t\n\r\b\f", "e\u0301"]


@pytest.mark.parametrize("endpoint", ["127.0.0.1:9000", "h\u00f6st:1", 'q"uote'])
def test_cache_group_of_an_object_is_its_json(endpoint: str) -> None:
    cache = ServiceCache(NullCache(), endpoint=endpoint, access_key="ak", ttl=60, secret="sk")
    for bucket in ("bench", "b-1.x", "\u00fc"):
        for key in HOSTILE:
            assert cache._obj(bucket, key) == json.dumps(["obj", endpoint, bucket, key]), (bucket, key)
    odd: Any = None  # not a str: the general spelling, whatever it is
    assert cache._obj("b", odd) == json.dumps(["obj", endpoint, "b", None])


def test_an_object_group_starts_with_its_buckets_prefix() -> None:
    """invalidate_bucket drops every group that starts with the bucket's prefix: the fast spelling keeps it."""
    cache = ServiceCache(NullCache(), endpoint="e:1", access_key="ak", ttl=60, secret="sk")
    for key in HOSTILE:
        prefix = json.dumps(["obj", "e:1", "bench"])[:-1] + ", "
        assert cache._obj("bench", key).startswith(prefix)
