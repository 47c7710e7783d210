"""The metadata cache in StorageService's own terms: object stats and tags, bucket names, documents.

`ServiceCache` wraps a cache.MetadataCache (disk, Redis or none; see cache.py for the backends and the
fallback chain), builds collision-free keys from endpoint, bucket, key and version id, counts hits and
misses into the stats, and never raises: a cache problem is a miss, never a failed command.

Every cached answer is kept for the identity that was shown it by the server, and served to that
identity only: an item's name ends in `identity_of(endpoint, access key, secret)`, the access key and
a fingerprint of the secret. So another user's access key, or the right one with a wrong secret, misses
the cache and asks the server, which refuses it as it should; metadata never crosses identities, and
bad credentials are noticed at once, not an hour later. The identity sits in the item, not the group,
so a write by any identity still invalidates what every identity cached of that object.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring_ascii as _quoted  # json.dumps's own, for str
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from its_store.core.identity import identity_of  # defined in core/ (light: completion keys by it too)
from its_store.state import flush_rule
from its_store.state.cache import DiskCache, MetadataCache, NullCache, ResilientCache, log

if TYPE_CHECKING:
    from its_store.core.models import ObjectInfo
    from its_store.core.settings import Settings
    from its_store.state.reports import CacheCleared as CacheCleared
    from its_store.state.reports import CacheInfo
    from its_store.state.reports import CacheStats as CacheStats
    from its_store.state.stats import StorageStats
else:  # created on first use (state/reports.py: `cache stats`, `cache clear`), then plain names here
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), dict.fromkeys(("CacheCleared", "CacheStats"), "reports"),
                             "its_store.state")


class ForIdentity:
    """A get/set cache shared by the process (the registry's parsed documents, registry/docs.py) as one
    identity sees it: every key is prefixed with identity_of(), computed on first use (an offline
    registry never needs it), so a registry built with other credentials in the same process is never
    served what only this one was shown."""

    def __init__(self, shared: Any, settings: Settings) -> None:
        self.shared = shared
        self.settings = settings
        self._prefix: str | None = None

    def _key(self, key: str) -> str:
        if self._prefix is None:
            s = self.settings
            self._prefix = identity_of(s.server_id(), s.access_key, s.secret_key.get_secret_value()) + "|"
        return self._prefix + key

    def get(self, key: str) -> Any | None:
        return self.shared.get(self._key(key))

    def set(self, key: str, value: Any) -> None:
        self.shared.set(self._key(key), value)


class ServiceCache:
    """What StorageService asks of the cache, in its own terms. Never raises; counts hits and misses.

    Groups are JSON arrays, so no bucket/key/version spelling can collide: ["obj", endpoint, bucket, key]
    holds items ["stat"|"tags", version ("" = latest), identity]; ["buckets", endpoint, access key] holds
    ["names", identity]; ["doc", endpoint, *parts] holds ["v", identity] (e.g. a model manifest, via
    remember()/forget()). The identity (identity_of) is in every item: see the module docstring.
    """

    def __init__(self, backend: MetadataCache, *, endpoint: str, access_key: str, ttl: int,
                 on_lookup: Callable[[bool], None] | None = None, secret: str | None = None) -> None:
        self.backend = backend
        self.endpoint = endpoint
        self.access_key = access_key
        self.identity = identity_of(endpoint, access_key, secret)
        self.ttl = ttl
        self._on_lookup = on_lookup
        self._counting: bool | None = None  # whether lookups count: caching on at the first one (_get)
        self._bound = threading.local()  # .deferral: this thread's batched invalidations, if any
        self._heads: dict[str, str] = {}  # _obj's text before the key, per bucket

    @property
    def warnings(self) -> list[str]:
        return list(getattr(self.backend, "warnings", []))

    # -- keys -------------------------------------------------------------------------------------
    def _obj(self, bucket: str, key: str) -> str:
        """json.dumps(["obj", endpoint, bucket, key]), spelled out: the same text (json.dumps's default
        separators, ASCII escapes) at a third of the cost, paid once per object a batch writes; the text
        before the key made once per bucket."""
        if type(bucket) is not str or type(key) is not str:
            return json.dumps(["obj", self.endpoint, bucket, key])
        head = self._heads.get(bucket)  # the text before the key, made once per bucket (a batch has one)
        if head is None:
            if len(self._heads) >= 64:  # a long-lived service over many buckets: made again, never grown past this
                self._heads.clear()
            head = self._heads[bucket] = f'["obj", {_quoted(self.endpoint)}, {_quoted(bucket)}, '
        return head + _quoted(key) + "]"

    def _buckets(self) -> str:
        return json.dumps(["buckets", self.endpoint, self.access_key])

    def _doc(self, parts: Iterable[str]) -> str:
        return json.dumps(["doc", self.endpoint, *parts])

    def _item(self, *parts: str) -> str:
        """An item name that says whose answer it is (see the module docstring)."""
        return json.dumps([*parts, self.identity])

    # -- safe primitives --------------------------------------------------------------------------
    def _get(self, group: str, item: str) -> Any | None:
        if self._counting is None:  # asked here, not when made: asking opens the backend
            self._counting = self._on_lookup is not None and self.backend.backend != "none"
        try:
            value = self.backend.get(group, item)
        except Exception as exc:  # noqa: BLE001 - a cache must never fail a command
            log.debug("cache get failed: %s", exc)
            value = None
        if self._counting and self._on_lookup is not None:
            self._on_lookup(value is not None)
        return value

    def _put(self, group: str, item: str, value: Any) -> None:
        try:
            self.backend.put(group, item, value, self.ttl)
        except Exception as exc:  # noqa: BLE001
            log.debug("cache put failed: %s", exc)

    def _invalidate(self, groups: list[str]) -> None:
        deferral = getattr(self._bound, "deferral", None)
        if deferral is not None:
            deferral.add(groups)
            return
        self._invalidate_now(groups)

    def _invalidate_now(self, groups: list[str]) -> None:
        try:
            self.backend.invalidate(groups)
        except Exception as exc:  # noqa: BLE001
            log.debug("cache invalidate failed: %s", exc)

    # -- batched invalidation (batch.py's workers) -------------------------------------------------
    def deferral(self) -> Deferral:
        """A collector of invalidations for the threads that bind() to it: one transaction per
        Deferral.MAX_GROUPS groups or MAX_SECONDS, instead of one per object (SQLite commits cost
        more client CPU than uploading a camera frame). The owner flush()es it at the end."""
        return Deferral(self._invalidate_now, self._obj)

    def bind(self, deferral: Deferral | None) -> None:
        """Route this thread's invalidations to `deferral` (None: immediate again). Other threads, and
        so any read-after-write of theirs, are not affected."""
        self._bound.deferral = deferral

    # -- objects ----------------------------------------------------------------------------------
    def object_info(self, bucket: str, key: str, version_id: str | None, fetch: Callable[[], ObjectInfo],
                    listed: ObjectInfo | None = None) -> ObjectInfo:
        """The ObjectInfo (without tags) of an object, cached, else `fetch()`ed (a HEAD) and stored.

        With `listed` (an ObjectInfo from a listing), a cached entry whose ETag or size differ is stale, and so
        is one dated before the listed Last-Modified: another client's in-place metadata replace (CopyObject
        onto itself) keeps ETag and size and changes only the date (see _listed_later).
        """
        from its_store.core.models import ObjectInfo
        group, item = self._obj(bucket, key), self._item("stat", version_id or "")
        cached = self._get(group, item)
        if cached is not None:
            try:
                info = ObjectInfo.model_validate(cached)
            except ValueError:
                info = None
            if info is not None and (listed is None or ((info.etag, info.size) == (listed.etag, listed.size)
                                                        and not _listed_later(listed, info))):
                return info
            self._invalidate([group])  # changed behind our back: its tags may be stale too
        info = fetch()
        if getattr(info, "encryption", None) != "SSE-C":  # its HEAD needs the key: never answer without it
            self._put(group, item, info.model_dump(mode="json", exclude={"tags"}))
        return info

    def tags(self, bucket: str, key: str, version_id: str | None,
             fetch: Callable[[], dict[str, str]]) -> dict[str, str]:
        group, item = self._obj(bucket, key), self._item("tags", version_id or "")
        cached = self._get(group, item)
        if isinstance(cached, dict):
            return {str(k): str(v) for k, v in cached.items()}
        tags = fetch()
        self._put(group, item, dict(tags))
        return tags

    def invalidate_object(self, bucket: str, key: str) -> None:
        """Drop every cached version and the tags of one object (after a write, delete, tag...)."""
        self._invalidate([self._obj(bucket, key)])

    def invalidate_objects(self, bucket: str, keys: Iterable[str]) -> None:
        self._invalidate([self._obj(bucket, k) for k in keys])

    def invalidate_bucket(self, bucket: str) -> None:
        """Drop every object of a bucket (after a bucket delete) and the bucket list."""
        prefix = json.dumps(["obj", self.endpoint, bucket])[:-1] + ", "
        try:
            self.backend.invalidate_prefix(prefix)
        except Exception as exc:  # noqa: BLE001
            log.debug("cache invalidate failed: %s", exc)
        self.invalidate_buckets()

    # -- bucket names (for shell completion) ------------------------------------------------------
    def bucket_names(self, fetch: Callable[[], list[str]] | None = None) -> list[str] | None:
        """Cached bucket names; on a miss, `fetch()` and store them (None if no fetch given)."""
        cached = self._get(self._buckets(), self._item("names"))
        if isinstance(cached, list):
            return [str(n) for n in cached]
        if fetch is None:
            return None
        names = fetch()
        self.remember_bucket_names(names)
        return names

    def remember_bucket_names(self, names: list[str]) -> None:
        self._put(self._buckets(), self._item("names"), sorted(names))

    def invalidate_buckets(self) -> None:
        self._invalidate([self._buckets()])

    # -- documents (model manifests and the like) -------------------------------------------------
    def remember(self, parts: tuple[str, ...], fetch: Callable[[], Any]) -> Any:
        """A JSON-able document under `parts` (e.g. ("manifest", bucket, key)), cached, else fetched."""
        group, item = self._doc(parts), self._item("v")
        cached = self._get(group, item)
        if cached is not None:
            return cached
        value = fetch()
        self._put(group, item, value)
        return value

    def forget(self, parts: tuple[str, ...]) -> None:
        self._invalidate([self._doc(parts)])

    # -- housekeeping -----------------------------------------------------------------------------
    def info(self) -> CacheInfo:
        """What the backend holds and where; never raises (a backend that cannot say: `error`)."""
        try:
            return self.backend.info()
        except Exception as exc:  # noqa: BLE001
            from its_store.state.reports import CacheInfo
            return CacheInfo(backend=self.backend.backend, location=self.backend.location, error=str(exc))

    def report(self, stats: StorageStats) -> CacheStats:
        """`cache stats`: info(), the TTL, and the hit rate of `stats` (the persisted totals)."""
        from its_store.state.reports import CacheStats
        return CacheStats(**dict(self.info()), ttl_seconds=self.ttl, enabled=self.backend.backend != "none",
                          hits=stats.cache_hits, misses=stats.cache_misses,
                          hit_rate=round(stats.get_cache_hit_rate(), 3), warnings=self.warnings)

    def clear(self) -> CacheCleared:
        """Drop every entry (disk and Redis); objects in the bucket are untouched."""
        cleared = int(self.backend.clear())  # first: a level that fails here is no longer the backend
        unmarked: dict[str, str] = dict(getattr(self.backend, "unmarked", {}))
        if unmarked:  # neither cleared nor marked to be: its entries stay, and saying "cleared" would be a lie
            from its_store.core.errors import LocalIOError
            why = "; ".join(f"the {name} cache ({reason})" for name, reason in unmarked.items())
            raise LocalIOError(f"cannot clear {why}: its entries are still there",
                               hint="make the cache folder writable, then run `its-store cache clear` again")
        from its_store.state.reports import CacheCleared
        return CacheCleared(backend=self.backend.backend, cleared=cleared)

    def close(self) -> None:
        self.backend.close()


def _listed_later(listed: ObjectInfo, cached: ObjectInfo) -> bool:
    """Whether the listing dates the object in a later second than the cached HEAD did (HEAD's Last-Modified
    has one-second resolution, a listing's milliseconds: compared in whole seconds, so an unchanged object
    is never stale)."""
    if listed.last_modified is None or cached.last_modified is None:
        return False
    return int(listed.last_modified.timestamp()) > int(cached.last_modified.timestamp())


def _labelled(label: str, factory: Callable[[], MetadataCache]) -> Callable[[], MetadataCache]:
    factory.label = label  # type: ignore[attr-defined]
    return factory


def open_cache(settings: Settings) -> MetadataCache:
    """The cache MINIO_* settings ask for: Redis (disk fallback) if a URL is set, else disk; off if disabled.
    Nothing is opened here (see ResilientCache, DiskCache)."""
    if not settings.enable_caching or settings.cache_ttl <= 0:
        return NullCache()
    from its_store.core.identity import cache_key_of
    base = Path(settings.cache_dir or ".")
    key = cache_key_of(settings.server_id(), settings.access_key, settings.secret_key.get_secret_value())
    disk = _labelled("disk", lambda: DiskCache(base / "metadata", key=key))
    levels: list[tuple[Callable[[], MetadataCache], Path | None]] = []
    if settings.redis_url:
        from its_store.state.redis_cache import RedisCache, redact_url
        url = settings.redis_url
        levels.append((_labelled(f"Redis ({redact_url(url)})", lambda: RedisCache(url, key=key)),
                       base / "redis.stale"))
    levels.append((disk, base / "disk.stale"))
    return ResilientCache(levels)


def open_service_cache(settings: Settings, on_lookup: Callable[[bool], None] | None = None) -> ServiceCache:
    return ServiceCache(open_cache(settings), endpoint=settings.server_id(), access_key=settings.access_key,
                        ttl=settings.cache_ttl, on_lookup=on_lookup, secret=settings.secret_key.get_secret_value())


class CacheOwner(Protocol):
    """What `report()` needs of its caller (the CLI passes its service): the cache and the stats."""

    @property
    def cache(self) -> ServiceCache: ...

    def get_stats(self) -> StorageStats: ...


def report(owner: CacheOwner) -> CacheStats:
    """`its-store cache stats`: backend, location, entries, size, TTL, and the persisted hit rate."""
    return owner.cache.report(owner.get_stats())


class Deferral:
    """Invalidations collected from several threads, flushed in batches (see ServiceCache.deferral).

    Flushed by the thread that made it (the batch's owner: Recording.tick as each outcome comes back), so
    that the cache is opened by that one thread: each worker that flushed opened its own SQLite connection,
    and closing the cache then ran a full garbage collection to free them. A worker flushes only past
    WORKER_SCALE times the limits (an owner that does not tick).

    An object a batch's operation wrote (context.Op.finish) comes in as (bucket, key), `add_object`: a deque
    append on the worker, no lock, the group's text made when flushed. Handed over as text (ServiceCache.
    invalidate_object: the cache property, the thread's binding, the lock, a clock read), a camera frame
    paid ~15k instructions for its invalidation and ~5k more for the owner's flush_due (callgrind, issue 22).
    Due at MAX_GROUPS, or after MAX_SECONDS with flush_rule.FEW waiting, or ten times as long with fewer
    (flush_rule.py: a slow run does not pay an SQLite transaction every few objects)."""

    MAX_GROUPS = 256
    MAX_SECONDS = 0.5
    WORKER_SCALE = 4

    def __init__(self, invalidate: Callable[[list[str]], None],
                 group_of: Callable[[str, str], str] | None = None) -> None:
        self._invalidate = invalidate
        self._group_of = group_of  # (bucket, key) -> the object's group (ServiceCache._obj), for add_object
        self._lock = threading.Lock()
        self._groups: list[str] = []
        self._objects: deque[tuple[str, str]] = deque()  # add_object's, not yet made groups: append/popleft atomic
        self._since = time.monotonic()
        self._owner = threading.get_ident()

    def add(self, groups: list[str]) -> None:
        with self._lock:
            self._groups.extend(groups)
            due = self._due(1 if threading.get_ident() == self._owner else self.WORKER_SCALE)
        if due:
            self.flush()

    def add_object(self, bucket: str, key: str) -> None:
        """Invalidate object `key` of `bucket` (ServiceCache.invalidate_object's group) with the next flush."""
        objects = self._objects
        objects.append((bucket, key))
        if len(objects) >= self.MAX_GROUPS * self.WORKER_SCALE:  # an owner that does not tick
            self.flush()

    def flush_due(self) -> None:
        """Flush if the limits are reached (the owner's call, between outcomes). Read without the lock: a
        length and a time, each read whole; flush() takes it."""
        if (self._groups or self._objects) and self._due(1):
            self.flush()

    def _due(self, scale: int) -> bool:
        return flush_rule.due(len(self._groups) + len(self._objects), self.MAX_GROUPS * scale,
                              time.monotonic() - self._since, self.MAX_SECONDS * scale)

    def flush(self) -> None:
        with self._lock:
            groups, self._groups = self._groups, []
            self._since = time.monotonic()
            objects = self._objects
            taken = [objects.popleft() for _ in range(len(objects))]  # those added since stay for the next flush
        if taken:
            group_of = self._group_of
            if group_of is None:
                raise RuntimeError("this Deferral was made without group_of: add_object cannot be used")
            groups += [group_of(bucket, key) for bucket, key in taken]
        if groups:
            self._invalidate(list(dict.fromkeys(groups)))
