"""The Redis level of the metadata cache (the protocol: state/cache_base.py; the entry format and the disk
level: state/cache.py; the chain: state/resilient_cache.py).

One Redis hash per group, one field per item, values as JSON text with their expiry and a MAC keyed from
the secret key (cache._encode), so a shared Redis is read as input: an entry that does not verify or
parse is a miss. redis is imported when a RedisCache
is made, which service_cache.open_cache() does only when MINIO_REDIS_URL (or REDIS_URL) is set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from its_store.state.cache import REDIS_PREFIX, CacheBackendError, Signer, _decode, _encode

if TYPE_CHECKING:
    from its_store.state.reports import CacheInfo


def redact_url(url: str) -> str:
    """A Redis URL without user or password, for messages: redis://host:port/db."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "redis://?"
    return f"{parts.scheme or 'redis'}://{host}{port}{parts.path or ''}"


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


class RedisCache:
    """One Redis hash per group (`its-store:meta:<group>`), one field per item, EXPIRE on the hash.

    No client retries and short timeouts: a dead Redis must cost one fast failure, then the fallback.
    """

    backend = "redis"

    def __init__(self, url: str, *, connect_timeout: float = 0.5, timeout: float = 2.0, key: bytes = b"") -> None:
        self.location = redact_url(url)
        self.signer = Signer(key)  # of the entries' MACs (cache._encode): not known to other Redis clients
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as exc:
            raise CacheBackendError("the redis package is not installed (pip install 'its-store[redis]')") \
                from exc
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        try:  # urlsplit refuses some URLs (a bracketed host left open) that redact_url shows as redis://?
            secret = urlsplit(url).password if "@" in url else None
        except ValueError:
            raise CacheBackendError(f"invalid Redis URL {self.location}") from None
        self._secret = secret or None
        try:
            self._r = redis.Redis.from_url(url, socket_connect_timeout=connect_timeout, socket_timeout=timeout,
                                           retry=Retry(NoBackoff(), 0), decode_responses=True)
        except ValueError as exc:
            raise CacheBackendError(f"invalid Redis URL {self.location}") from exc
        self._do(lambda r: r.ping())

    def _do(self, fn: Callable[[Any], Any]) -> Any:
        try:
            return fn(self._r)
        except self._errors as exc:
            text = str(exc) or type(exc).__name__
            if self._secret:
                text = text.replace(self._secret, "********")
            raise CacheBackendError(text[:160].rstrip(".")) from exc

    def get(self, group: str, item: str) -> Any | None:
        return _decode(self._do(lambda r: r.hget(REDIS_PREFIX + group, item)), group, item, self.signer)

    def put(self, group: str, item: str, value: Any, ttl: int) -> None:
        text = _encode(value, ttl, group, item, self.signer)

        def run(r: Any) -> None:
            pipe = r.pipeline(transaction=False)
            pipe.hset(REDIS_PREFIX + group, item, text)
            pipe.expire(REDIS_PREFIX + group, ttl)
            pipe.execute()
        self._do(run)

    def _delete(self, names: list[str]) -> int:
        def delete(chunk: list[str]) -> int:
            return int(self._do(lambda r: r.delete(*chunk)))
        return sum(delete(names[start:start + 500]) for start in range(0, len(names), 500))

    def _scan(self, prefix: str) -> list[str]:
        pattern = _glob_escape(REDIS_PREFIX + prefix) + "*"
        return list(self._do(lambda r: list(r.scan_iter(match=pattern, count=1000))))

    def invalidate(self, groups: Iterable[str]) -> None:
        self._delete([REDIS_PREFIX + g for g in groups])

    def invalidate_prefix(self, prefix: str) -> int:
        return self._delete(self._scan(prefix))

    def clear(self) -> int:
        return self.invalidate_prefix("")

    def info(self) -> CacheInfo:
        names = self._scan("")

        def run(r: Any) -> tuple[int, int | None]:
            pipe = r.pipeline(transaction=False)
            for name in names:
                pipe.hlen(name)
                pipe.memory_usage(name)
            values = pipe.execute(raise_on_error=False)
            entries = sum(v for v in values[0::2] if isinstance(v, int))
            sizes = [v for v in values[1::2] if isinstance(v, int)]
            return entries, sum(sizes) if len(sizes) == len(names) else None
        entries, size = self._do(run)
        from its_store.state.reports import CacheInfo
        return CacheInfo(backend=self.backend, location=self.location, entries=entries, size_bytes=size,
                         groups=len(names))

    def close(self) -> None:
        try:
            self._r.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
