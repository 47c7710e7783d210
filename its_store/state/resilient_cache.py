"""ResilientCache: a chain of metadata-cache backends (Redis -> disk -> none) that degrades on failure.

One concern: what happens when a level fails (one warning on the `its_store.state.cache` logger, the next
level used, invalidations reaching every persistent level, a stale marker for a level that could not be
reached). The backends themselves are state/cache.py and state/redis_cache.py; the contract
state/cache_base.py. Also importable from its_store.state.cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import forks
from its_store.state.cache_base import CacheBackendError, MetadataCache, NullCache, log

if TYPE_CHECKING:
    from its_store.state.reports import CacheInfo


class ResilientCache:
    """A chain of backends (e.g. Redis → disk → none): use the first that works, degrade on failure.

    Each degradation logs one warning (also kept in `.warnings`). Invalidations reach every persistent
    level; if one cannot be reached, its `stale_marker` file is touched and that level is cleared the
    next time it opens, so a write during an outage is never hidden by an entry cached before it.

    Nothing is opened (no Redis connection, no disk cache) before the first operation: a command that
    caches nothing pays for none of it.
    """

    def __init__(self, levels: list[tuple[Callable[[], MetadataCache], Path | None]]) -> None:
        self.warnings: list[str] = []
        self.degraded_from: list[str] = []
        self.unmarked: dict[str, str] = {}  # name -> why: levels neither reached nor marked stale (_mark)
        self._levels = [*levels, (NullCache, None)]
        self._opened: dict[int, MetadataCache | None] = {}
        self._failures: dict[int, CacheBackendError] = {}
        self._lock = threading.RLock()
        forks.renew_in_child(self._renew_in_child)
        self._index = -1  # no level chosen yet: _start() picks one on first use
        self._active: MetadataCache = NullCache()

    def _renew_in_child(self) -> None:
        self._lock = threading.RLock()  # another thread of the parent may have held it at the fork

    def _start(self) -> None:
        """Pick the first level that opens (logging what failed), once, on first use."""
        if self._index < 0:
            with self._lock:
                if self._index < 0:
                    self._advance()

    @property
    def backend(self) -> str:
        self._start()
        return self._active.backend

    @property
    def location(self) -> str:
        self._start()
        return self._active.location

    def _open(self, index: int) -> MetadataCache | None:
        """Level `index`, opened once (None if it failed); cleared first when its marker says stale."""
        with self._lock:
            if index not in self._opened:
                factory, marker = self._levels[index]
                try:
                    cache = factory()
                    if marker is not None and marker.exists():
                        cache.clear()
                        marker.unlink(missing_ok=True)
                    self._opened[index] = cache
                except CacheBackendError as exc:
                    self._opened[index] = None
                    self._failures[index] = exc
            return self._opened[index]

    def _advance(self, failed: CacheBackendError | None = None) -> None:
        """Move to the next level that opens; log one warning naming what failed and what is used now."""
        with self._lock:
            skipped: list[int] = []
            if failed is not None:
                self._opened[self._index] = None
                self._failures[self._index] = failed
                skipped.append(self._index)
            for index in range(self._index + 1, len(self._levels)):
                cache = self._open(index)
                if cache is not None:
                    self._index, self._active = index, cache
                    break
                skipped.append(index)
            if skipped:
                self._warn(skipped)

    def _warn(self, failed: list[int]) -> None:
        parts = [f"{_level_name(self._levels[i][0])} cache unavailable ({self._failures[i]})" for i in failed]
        now = _level_name(self._levels[self._index][0])
        then = "metadata caching is off for this run" if now == "none" else f"using the {now} cache"
        message = "; ".join([*parts, then])
        self.degraded_from.extend(_level_name(self._levels[i][0]) for i in failed)
        self.warnings.append(message)
        log.warning("%s", message)

    def _run(self, op: str, *args: Any) -> Any:
        self._start()
        while True:
            cache, index = self._active, self._index
            try:
                return getattr(cache, op)(*args)
            except CacheBackendError as exc:
                with self._lock:
                    if index == self._index:  # not already degraded by another thread
                        self._advance(exc)

    def get(self, group: str, item: str) -> Any | None:
        return self._run("get", group, item)

    def put(self, group: str, item: str, value: Any, ttl: int) -> None:
        self._run("put", group, item, value, ttl)

    def _everywhere(self, op: str, *args: Any, say: bool = True) -> int:
        """An invalidation on every persistent level; a level it cannot reach is marked stale (a level that
        cannot be marked either is in `unmarked`, and said unless `say` is False: clear() fails instead)."""
        self._start()
        total = 0
        for index, (_factory, marker) in enumerate(self._levels[:-1]):
            cache = self._open(index) if index >= self._index else None
            if cache is None:
                self._mark(index, marker, say)
                continue
            try:
                total += int(getattr(cache, op)(*args) or 0)
            except CacheBackendError as exc:
                self._mark(index, marker, say)
                with self._lock:
                    if index == self._index:
                        self._advance(exc)
                    else:
                        self._opened[index] = None
                        self._failures[index] = exc
        return total

    def _mark(self, index: int, marker: Path | None, say: bool) -> None:
        """Touch level `index`'s stale marker, so that it is cleared when it next opens. When the marker
        cannot be made either (a read-only or vanished folder), what the level holds stays and may be
        served by a later run, after this one changed it: said once per level, with the way out."""
        if marker is None:
            return
        why = _touch(marker)
        name = _level_name(self._levels[index][0])
        if why is None or name in self.unmarked:
            return
        self.unmarked[name] = why
        if not say:
            return
        message = (f"cannot mark the {name} cache stale ({why}): it may answer with what this run changed "
                   f"until its entries expire; run `its-store cache clear` once {marker.parent} is writable")
        self.warnings.append(message)
        log.warning("%s", message)

    def invalidate(self, groups: Iterable[str]) -> None:
        self._everywhere("invalidate", list(groups))

    def invalidate_prefix(self, prefix: str) -> int:
        return self._everywhere("invalidate_prefix", prefix)

    def clear(self) -> int:
        return self._everywhere("clear", say=False)

    def info(self) -> CacheInfo:
        info: CacheInfo = self._run("info")
        return info.model_copy(update={"degraded_from": list(self.degraded_from)}) if self.degraded_from else info

    def close(self) -> None:
        for cache in self._opened.values():
            if cache is not None:
                cache.close()


def _level_name(factory: Any) -> str:
    return str(getattr(factory, "label", getattr(factory, "backend", "cache")))


def _touch(path: Path) -> str | None:
    """Make the marker `path` (0600, as every state file: one left 0644 by an older its-store is made so; never
    through a link); None when done, else why not."""
    import os
    try:
        from its_store.core.private_dirs import make_private_folder
        make_private_folder(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.utime(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None
