"""What the local state's housekeeping reports: CacheInfo (a cache backend's contents and place), CacheStats
(`cache stats`), CacheCleared (`cache clear`) and StatsReset (`stats --reset`).

A module of its own so that these models are created only by the commands that print them (a pydantic class
costs its creation at import: issue 22, start-up). Every name stays importable where it was: CacheInfo from
state/cache_base.py and state/cache.py, CacheStats and CacheCleared from state/service_cache.py, StatsReset
from state/stats.py and state/stats_model.py.
"""

from __future__ import annotations

from pydantic import Field

from its_store.core.models import Result


class CacheInfo(Result):
    """What a cache holds and where (`cache stats` prints it, with the TTL and the hit rate). `entries` and
    `size_bytes` are null when they could not be read (Redis without MEMORY USAGE; `error` then says why
    when the backend could not be asked at all); `groups` is Redis's count of hashes (null on disk);
    `degraded_from` names the levels that failed this run (Redis, disk), null when none did."""

    backend: str = Field(description="disk, redis or none (caching off).")
    location: str = ""
    entries: int | None = None
    size_bytes: int | None = None
    groups: int | None = None
    degraded_from: list[str] | None = None
    error: str | None = None


class CacheStats(CacheInfo):
    """What `cache stats` prints: the backend's CacheInfo, the TTL, whether caching is on, and the hit rate
    of the persisted stats (every run on this machine, like `stats`); `warnings` are this run's
    degradations (e.g. Redis unreachable, the disk cache used instead)."""

    ttl_seconds: int
    enabled: bool
    hits: int
    misses: int
    hit_rate: float = Field(description="Percentage (0-100) of lookups answered by the cache, 3 decimals.")
    warnings: list[str] = Field(default_factory=list)


class CacheCleared(Result):
    """What `cache clear` prints: the backend cleared and how many entries it dropped."""

    backend: str
    cleared: int


class StatsReset(Result):
    """What `stats --reset` prints: the saved totals were zeroed."""

    reset: bool = True
