"""The metadata cache's contract: what every backend offers (MetadataCache), what it reports (CacheInfo, a model
of state/reports.py created on first use), how it fails (CacheBackendError), and the backend that caches
nothing (NullCache).

One concern: the interface the service codes against (state/service_cache.py) and the backends implement
(state/cache.py's DiskCache, state/redis_cache.py's RedisCache, state/resilient_cache.py's chain). Every
name here is also importable from its_store.state.cache, as it always was. The logger is that module's
(`its_store.state.cache`), defined here so that every backend logs under the one documented name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from its_store.state.reports import CacheInfo as CacheInfo
else:  # created on first use (a report of `cache stats`, not of every command): state/reports.py
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), {"CacheInfo": "reports"}, "its_store.state")

log = logging.getLogger("its_store.state.cache")
logging.getLogger("its_store").addHandler(logging.NullHandler())  # a library logs; the app decides


class CacheBackendError(Exception):
    """A backend failed (Redis down, SQLite unusable). Handled inside this module, never shown raw."""


class MetadataCache(Protocol):
    """A TTL'd store of JSON values, addressed by (group, item); a group is invalidated as a whole.

    A group is one object (all its versions and tags), one bucket list, or one document.
    """

    @property
    def backend(self) -> str: ...

    @property
    def location(self) -> str: ...

    def get(self, group: str, item: str) -> Any | None: ...

    def put(self, group: str, item: str, value: Any, ttl: int) -> None: ...

    def invalidate(self, groups: Iterable[str]) -> None: ...

    def invalidate_prefix(self, prefix: str) -> int: ...

    def clear(self) -> int: ...

    def info(self) -> CacheInfo: ...

    def close(self) -> None: ...


class NullCache:
    """Caching off: every lookup misses, every write is dropped."""

    backend = "none"
    location = ""

    def get(self, group: str, item: str) -> Any | None:
        return None

    def put(self, group: str, item: str, value: Any, ttl: int) -> None:
        pass

    def invalidate(self, groups: Iterable[str]) -> None:
        pass

    def invalidate_prefix(self, prefix: str) -> int:
        return 0

    def clear(self) -> int:
        return 0

    def info(self) -> CacheInfo:
        from its_store.state.reports import CacheInfo
        return CacheInfo(backend=self.backend, location="", entries=0, size_bytes=0)

    def close(self) -> None:
        pass

