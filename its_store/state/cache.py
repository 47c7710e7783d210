"""Metadata cache: object stat results, tags, bucket lists and small JSON documents, kept between runs.

A CLI process lives for one command, so the cache must outlive it: `DiskCache` (diskcache/SQLite under
MINIO_CACHE_DIR) by default, `RedisCache` (state/redis_cache.py) when MINIO_REDIS_URL (or REDIS_URL) is
set, `NullCache` when MINIO_ENABLE_CACHING=false or MINIO_CACHE_TTL=0. This module and redis_cache.py are
the only ones that import diskcache or redis, and they import them lazily.

Correctness rules the callers (service/storage.py, service/batch.py) follow: every write or delete invalidates what it
touched; a cached entry never decides anything destructive and never verifies integrity (downloads and
deletes HEAD the server); a listing validates a cached stat against the listed ETag and size.

Failures never reach the user as errors. `ResilientCache` walks a chain (Redis → disk → nothing): when a
level fails it logs ONE warning on the `its_store.state.cache` logger and continues on the next level. The
library never prints; the CLI routes that logger to stderr (see cli/logs.py), and the text is also
kept in `ResilientCache.warnings`. Invalidations go to every persistent level, so an entry stored in
the disk fallback during a Redis outage does not survive a later write; an invalidation that could not
reach a level leaves a marker file, and that level is cleared the next time it opens.

Values are stored as JSON text, never pickled: a tampered cache file cannot run code; each carries an
HMAC keyed from the secret key (_encode), so a value another Redis client or a writer of the cache folder
put there is a miss, not an answer (and a cache folder another user owns or others may write is not
opened at all: core/private_dirs). What the service
caches, and under which keys, is state/service_cache.py.

Layout: this module is the stored entry (its JSON text, its MAC, its expiry: _encode, _decode, _now) and the
disk backend (DiskCache) that keeps it; the contract every backend offers (MetadataCache, CacheInfo,
CacheBackendError, NullCache) is state/cache_base.py, the degrading chain state/resilient_cache.py, the guard
that keeps diskcache from loading a pickle state/diskcache_guard.py. All their names are importable here.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import forks

# The contract, the chain and the diskcache guard live in their own modules; every name stays importable
# from here, as before (service_cache.py, redis_cache.py and the tests import them from this module).
from its_store.state.cache_base import CacheBackendError as CacheBackendError
from its_store.state.cache_base import MetadataCache as MetadataCache
from its_store.state.cache_base import NullCache as NullCache
from its_store.state.cache_base import log as log
from its_store.state.diskcache_guard import _json_only_disk
from its_store.state.resilient_cache import ResilientCache as ResilientCache

if TYPE_CHECKING:
    from its_store.state.reports import CacheInfo as CacheInfo
else:  # created on first use (state/reports.py), then a plain name of this module
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), {"CacheInfo": "reports"}, "its_store.state")

REDIS_PREFIX = "its-store:meta:"
_SEP = "\x1f"  # between group and item in disk keys; JSON groups never contain it raw


def _now() -> float:
    """The clock of entry expiry (a function, so that tests can move it forward)."""
    return time.time()


class Signer:
    """HMAC-SHA256 of stored entries under one key: the key's inner and outer pads are hashed once, here, and
    each MAC copies that state (1.7 us a value against hmac.digest's 2.5 us: a listing with --metadata or a
    type filter makes one per object). Thread-safe: the base state is never updated, only copied."""

    def __init__(self, key: bytes) -> None:
        import hashlib
        self._base = hmac.new(key, digestmod=hashlib.sha256)

    def mac(self, group: str, item: str, text: str) -> str:
        """The MAC (hex) of one entry under its group and item: an entry copied to another name (one
        object's stat under another's key) fails as a rewritten one does."""
        h = self._base.copy()
        h.update(f"{group}{_SEP}{item}{_SEP}{text}".encode("utf-8", "surrogatepass"))
        return h.hexdigest()


def _encode(value: Any, ttl: int, group: str, item: str, signer: Signer) -> str:
    """The stored text of an entry: the JSON object {"x": expiry, "v": value, "m": MAC}, the MAC (64 hex)
    made by `signer` (keyed from the secret key: core/identity.cache_key_of) over the text before it. A
    shared Redis or a cache folder another process may write is input: only what carries a MAC that
    verifies is read back (_decode). Still one JSON document, so `cache` tools and tests can read it."""
    text = json.dumps({"x": _now() + ttl, "v": value}, separators=(",", ":"))[:-1]
    return f'{text},"m":"{signer.mac(group, item, text)}"}}'


_MAC_TAIL = len(',"m":""}') + 64


def _decode(stored: Any, group: str, item: str, signer: Signer) -> Any | None:
    """The value of a stored entry, or None when its MAC does not verify, or it is expired or unreadable
    (each treated as a miss): json.loads raises RecursionError (not a ValueError) on deep nesting."""
    if not isinstance(stored, str) or len(stored) <= _MAC_TAIL or not stored.endswith('"}'):
        return None
    text = stored[:-_MAC_TAIL]
    if not hmac.compare_digest(stored[-_MAC_TAIL + 6:-2], signer.mac(group, item, text)):
        return None
    try:
        doc = json.loads(stored)
        return doc["v"] if doc["x"] > _now() else None
    except (TypeError, ValueError, KeyError, RecursionError):
        return None


class DiskCache:
    """diskcache (SQLite) in one folder. Process- and thread-safe; a corrupt database is wiped and rebuilt.

    Opened on first use, not when made: importing diskcache and opening its database (diskcache.Cache runs
    some forty statements, half of them writes, and checkpoints the WAL when closed) cost a command ~15 ms
    of CPU, for nothing when it ends up caching nothing. And while no database file exists yet, nothing is
    cached here, so a lookup is a miss and an invalidation has nothing to drop: neither creates the file
    (see `_absent`)."""

    backend = "disk"

    def __init__(self, directory: Path, *, size_limit: int = 256 * 1024 * 1024, key: bytes = b"") -> None:
        self.directory = Path(directory)
        self.signer = Signer(key)  # of the entries' MACs (_encode); open_cache passes core/identity.cache_key_of's
        self.location = str(self.directory)
        self.size_limit = size_limit
        self.rebuilt = False
        self._threads: set[int] = set()  # the threads that used it (close() frees their connections)
        self._dc: Any = None  # the diskcache module, imported on first use
        self._cache: Any = None
        self._closed = False
        self._opening = threading.Lock()
        forks.renew_in_child(self._renew_in_child)

    def _renew_in_child(self) -> None:
        self._opening = threading.Lock()  # another thread of the parent may have been opening at the fork

    @property
    def db_path(self) -> Path:
        """diskcache's SQLite file (diskcache.core.DBNAME, spelt here so that `_absent` needs no import)."""
        return self.directory / "cache.db"

    def _absent(self) -> bool:
        """Whether nothing can be cached here: not opened by this object, and no database file (or no folder).

        Then a lookup is a miss and an invalidation is already done, without creating the file. That keeps
        the promise an invalidation made before: every entry that exists when it runs is dropped. An entry
        can only exist in the file, and the file did not exist at this check, which runs after our write;
        an entry stored later by another process (one that read the object before our write) is the race
        that an invalidation never covered, whether it opened the database or not."""
        if self._cache is not None or self._closed:
            return False
        try:
            self.db_path.lstat()
        except (FileNotFoundError, NotADirectoryError):
            return True
        except OSError:
            return False  # cannot tell: open it and let SQLite say
        return False

    def _handle(self) -> Any:
        """The diskcache.Cache, opened once, on first use."""
        if self._cache is None:
            with self._opening:
                if self._closed:
                    raise CacheBackendError(f"{self.location}: closed")
                if self._cache is None:
                    try:
                        import diskcache
                    except ImportError as exc:
                        from its_store.core.errors import out_of_memory
                        if out_of_memory(exc):  # installed, but not loadable now: not "not installed"
                            raise CacheBackendError(f"out of memory loading the diskcache package: {exc}") from exc
                        raise CacheBackendError("the diskcache package is not installed") from exc
                    self._dc = diskcache
                    self._cache = self._open()
        return self._cache

    def _connect(self) -> Any:
        from its_store.core.private_dirs import create_private_file, make_private_folder
        make_private_folder(self.directory)
        create_private_file(self.directory / self._dc.core.DBNAME)  # diskcache's database
        return self._dc.Cache(str(self.directory), timeout=2, tag_index=True, size_limit=self.size_limit,
                              eviction_policy="least-recently-stored", disk=_json_only_disk(self._dc))

    def _open(self) -> Any:
        import sqlite3

        from its_store.core.statefile import NotRegularFile, check_state
        if self.directory.exists() and not self.directory.is_dir():
            return self._rebuild()  # a file where the cache folder belongs
        try:
            check_state(self.db_path)  # diskcache's SQLite file, opened by name
        except NotRegularFile:
            return self._rebuild()  # a FIFO or link there: SQLite would fail on it every run
        except OSError:
            pass  # SQLite says what it is below
        try:
            return self._connect()
        except (sqlite3.OperationalError, OSError) as exc:
            raise CacheBackendError(f"cannot open {self.location}: {exc}") from exc
        except sqlite3.DatabaseError:
            return self._rebuild()

    def _rebuild(self) -> Any:
        """Wipe the folder (it holds nothing but this cache) and start empty."""
        import shutil
        import sqlite3
        old = self._cache
        if old is not None:
            try:
                old.close()
            except Exception:  # noqa: BLE001 - closing a corrupt handle may fail in many ways
                pass
        try:
            if self.directory.is_dir() and not self.directory.is_symlink():
                shutil.rmtree(self.directory)
            elif self.directory.exists() or self.directory.is_symlink():
                self.directory.unlink()
            cache = self._connect()
        except (sqlite3.Error, OSError) as exc:
            raise CacheBackendError(f"cannot rebuild {self.location}: {exc}") from exc
        self.rebuilt = True
        log.warning("the disk cache at %s was corrupt; rebuilt it empty", self.location)
        return cache

    def _do(self, fn: Callable[[Any], Any]) -> Any:
        if self._closed:
            raise CacheBackendError(f"{self.location}: closed")
        cache = self._handle()
        import sqlite3
        self._threads.add(threading.get_ident())  # see close()
        try:
            return fn(cache)
        except (sqlite3.OperationalError, OSError, self._dc.Timeout) as exc:
            raise CacheBackendError(f"{self.location}: {exc}") from exc
        except sqlite3.DatabaseError:
            with self._opening:
                self._cache = self._rebuild()
            try:
                return fn(self._cache)
            except (sqlite3.Error, OSError, self._dc.Timeout) as exc:
                raise CacheBackendError(f"{self.location}: {exc}") from exc

    def get(self, group: str, item: str) -> Any | None:
        if self._absent():
            return None
        return _decode(self._do(lambda c: c.get(group + _SEP + item)), group, item, self.signer)

    def put(self, group: str, item: str, value: Any, ttl: int) -> None:
        text = _encode(value, ttl, group, item, self.signer)
        self._do(lambda c: c.set(group + _SEP + item, text, expire=ttl, tag=group))

    def invalidate(self, groups: Iterable[str]) -> None:
        groups = list(groups)
        if not groups or self._absent():
            return

        def run(cache: Any) -> None:
            with cache.transact():
                for group in groups:
                    cache.evict(group)
        self._do(run)

    def invalidate_prefix(self, prefix: str) -> int:
        if self._absent():
            return 0

        def run(cache: Any) -> int:
            doomed = [k for k in cache.iterkeys() if isinstance(k, str) and k.startswith(prefix)]
            return sum(1 for k in doomed if cache.delete(k))
        return int(self._do(run))

    def clear(self) -> int:
        if self._absent():
            return 0
        return int(self._do(lambda c: c.clear()))

    def info(self) -> CacheInfo:
        from its_store.state.reports import CacheInfo

        def run(cache: Any) -> CacheInfo:
            cache.expire()
            return CacheInfo(backend=self.backend, location=self.location, entries=len(cache),
                             size_bytes=int(cache.volume()))
        info: CacheInfo = self._do(run)
        return info

    def close(self) -> None:
        """Close this thread's SQLite connection and drop the diskcache object. Later calls fail as a
        closed backend (one never opened just becomes closed).

        diskcache keeps one connection per thread, and a connection can only be closed by its own thread.
        Those of threads that have ended (a batch's workers, a closed async façade's threads) are freed
        with them, but an unclosed sqlite3 connection sits in a reference cycle, so it holds its
        descriptors until the cycle collector runs: when other threads used this cache, it runs here,
        once. (A thread that is still alive keeps its connection until it ends.)"""
        with self._opening:
            self._closed = True
            cache, self._cache = self._cache, None
        if cache is None:
            return
        try:
            cache.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
        del cache
        if self._threads - {threading.get_ident()}:
            import gc
            gc.collect()


