"""Async facade over the synchronous library, for asyncio services.

The product documentation (written for an earlier async design) shows every storage call awaited:
`storage = await get_storage_service()`, `await storage.upload_object(request)`, `registry = await
get_model_registry()`. This module gives exactly those names as coroutines. The work itself stays in
the synchronous, thread-safe core (StorageService, ModelRegistry), run in a small dedicated thread
pool, so the event loop is never blocked by network or disk I/O. A dedicated pool (not the loop's
default executor) keeps slow transfers from starving the loop's own blocking work, such as DNS look-ups.

Two documented calls are used without `await` and then subscripted: `storage.get_health_status()['status']`
and `storage.get_stats().get_success_rate()`. `get_stats()` therefore returns the stats object itself
(it reads counters: memory and a small local file, no network), and `get_health_status()` returns a
HealthStatus: a dict that is also awaitable. Awaited, the check runs in a worker thread; read without
`await`, it runs on first access.

What such a call returns is made async too, so that nothing it does later runs on the loop: a generator
(`iter_objects`, a listing of millions) becomes an async iterator whose items are read in the worker
threads, a bounded chunk at a time (_AsyncIterator); a focused service (`versions()`, `batch()`,
`tagging()` ...) becomes a façade of its own on the same threads (_AsyncService).

Cancelling an awaiting task does not stop the thread already running the call: the operation finishes
(or fails) in the background and its result is dropped.

Layout: this module holds the façades (AsyncStorageService, AsyncModelRegistry, get_storage_service(),
get_model_registry()) and what makes a call's result async (_AsyncIterator, _AsyncService); the worker
threads are runner.py, the awaitable health dict health.py.

Debug logs of this facade go to the `its_store.aio` logger, so `logging.getLogger("its_store")` is the
equivalent of the documentation's `logging.getLogger("its_camera_ai.storage")`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from its_store.aio.health import HealthStatus
from its_store.aio.runner import DEFAULT_THREADS, _Runner

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path
    from typing import IO

    from its_store.core.enums import ObjectType
    from its_store.core.errors import ItsStoreError
    from its_store.core.localtree import TreeFile
    from its_store.core.models import (
        DeleteResult,
        DownloadRequest,
        DownloadResponse,
        ListObjectsRequest,
        ObjectInfo,
        UploadRequest,
        UploadResponse,
    )
    from its_store.core.settings import Settings
    from its_store.registry.registry import ModelRegistry
    from its_store.service.storage import StorageService
    from its_store.state.stats import StorageStats

__all__ = [
    "AsyncStorageService", "AsyncModelRegistry", "HealthStatus", "get_storage_service", "get_model_registry",
    "UploadRequest", "UploadResponse", "DownloadRequest", "DownloadResponse", "ListObjectsRequest", "ObjectInfo",
    "ObjectType", "Settings", "StorageStats", "ItsStoreError",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")
W = TypeVar("W", bound="_AsyncWrapper")

# Names re-exported from the package so that `from its_store.aio import UploadRequest, ObjectType`
# works as the documentation's import line does; loaded on first use like `its_store` itself.
_REEXPORTS = ("UploadRequest", "UploadResponse", "DownloadRequest", "DownloadResponse", "ListObjectsRequest",
              "ObjectInfo", "ObjectType", "Settings", "StorageStats", "ItsStoreError")


if not TYPE_CHECKING:  # hidden from type checkers, which see the imports above (see its_store/__init__.py)
    def __getattr__(name: str) -> Any:
        if name in _REEXPORTS:
            import its_store
            return getattr(its_store, name)
        raise AttributeError(f"module 'its_store.aio' has no attribute {name!r}")

    def __dir__() -> list[str]:
        """The module's names and the re-exported ones (help(), dir() and completion list them before use)."""
        return sorted({*globals(), *_REEXPORTS})


_RUNNER = _Runner(DEFAULT_THREADS)


if TYPE_CHECKING:  # pragma: no cover
    def _awaited(method: Callable[Concatenate[Any, P], T]) -> Callable[Concatenate[Any, P], Coroutine[object, None, T]]:
        """`method` of the wrapped class, awaited: what _AsyncWrapper.__getattr__ gives at run time."""
        raise NotImplementedError

    def _iterated(method: Callable[Concatenate[Any, P], Iterator[T]],
                  ) -> Callable[Concatenate[Any, P], Coroutine[object, None, AsyncIterator[T]]]:
        """`method` returning an iterator, awaited: an async iterator (_AsyncIterator) at run time."""
        raise NotImplementedError

    def _service(method: Callable[Concatenate[Any, P], object],
                 ) -> Callable[Concatenate[Any, P], Coroutine[object, None, _AsyncService]]:
        """`method` returning a focused service, awaited: its façade (_AsyncService) at run time."""
        raise NotImplementedError


CHUNK = 256  # items an async iterator reads ahead in a worker thread: one thread hop per chunk, bounded memory


class _AsyncIterator(AsyncIterator[T]):
    """A synchronous iterator read in the façade's threads, CHUNK items at a time: the loop only hands
    items out. At most one chunk is held, so a listing of millions is never read into memory.

    The source runs in one thread at a time: a chunk read and the close never overlap (a generator closed
    while another thread runs it raises "generator already executing", which replaced the CancelledError
    of a task cancelled mid-read, and the listing stayed open). aclose() during a read does not wait for
    it (its request may take long, and a cancelled task must end now): the read's own thread closes the
    source as soon as that read returns."""

    def __init__(self, source: Iterator[T], runner: _Runner) -> None:
        self._source = source
        self._runner = runner
        self._chunk: list[T] = []
        self._done = False
        self._lock = threading.Lock()  # guards the two flags below
        self._reading = False  # a chunk read runs in a worker thread
        self._close_after_read = False  # aclose() came during it: that read's thread closes the source

    def __aiter__(self) -> _AsyncIterator[T]:
        return self

    def _read(self) -> list[T]:
        import itertools
        try:
            return list(itertools.islice(self._source, CHUNK))
        finally:
            with self._lock:
                self._reading = False
                close = self._close_after_read
            if close:
                self._close_source()

    def _close_source(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()

    async def __anext__(self) -> T:
        if not self._chunk and not self._done:
            with self._lock:
                self._reading = True
            chunk = await self._runner.run(self._read)
            if self._done:  # closed meanwhile (by another task): nothing more is handed out
                raise StopAsyncIteration
            self._chunk = chunk
            self._chunk.reverse()  # popped from the end, in order
            self._done = not self._chunk
        if not self._chunk:
            raise StopAsyncIteration
        return self._chunk.pop()

    async def aclose(self) -> None:
        """Close the source (a generator's `finally:` runs in a worker thread), now or, when a chunk read is
        running, in that read's thread once it returns."""
        self._done, self._chunk = True, []
        with self._lock:
            if self._reading:
                self._close_after_read = True
                return
        await self._runner.run(self._close_source)


def _made_async(value: Any, runner: _Runner, service: bool) -> Any:
    """What a wrapped call returned, made async where using it would block the loop: an iterator (not a
    file object) is an _AsyncIterator, a focused service (`service`) an _AsyncService."""
    if service:
        return _AsyncService(value, runner)
    if isinstance(value, Iterator):
        import io
        if not isinstance(value, io.IOBase):
            return _AsyncIterator(value, runner)
    return value


class _AsyncWrapper:
    """Any public method of the wrapped sync object not written out below becomes a coroutine too."""

    _sync: object  # each façade below says which
    _runner: _Runner
    _services: frozenset[str] = frozenset()  # methods returning a focused service (wrapped: _AsyncService)

    def __getattr__(self, name: str) -> Any:
        if name in ("_sync", "_runner"):  # not set yet (during __init__): no recursion
            raise AttributeError(name)
        value = getattr(self._sync, name)
        if name.startswith("_") or not callable(value):
            return value
        service = name in self._services

        @functools.wraps(value)
        async def call(*args: Any, **kwargs: Any) -> Any:
            return _made_async(await self._runner.run(value, *args, **kwargs), self._runner, service)

        return call

    _owns: bool = False

    async def close(self) -> None:
        """Stop this façade's worker threads, and close the wrapped object if the façade built it (or was
        told to own it). The threads are joined in the loop's default executor, never on the loop."""
        await asyncio.get_running_loop().run_in_executor(None, self._close_now)

    def _close_now(self) -> None:
        self._runner.shutdown()
        close = getattr(self._sync, "close", None) if self._owns else None
        if close is not None:
            close()

    async def __aenter__(self: W) -> W:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()


class _AsyncService(_AsyncWrapper):
    """A focused service (Versions, Batch, Tagging ...) returned by an awaited call: every public method
    awaited in the façade's threads, as the façade's own; close() leaves those threads to the façade."""

    def __init__(self, service: object, runner: _Runner) -> None:
        self._sync = service
        self._runner = runner

    async def close(self) -> None:
        close = getattr(self._sync, "close", None)
        if close is not None:
            await self._runner.run(close)


class AsyncStorageService(_AsyncWrapper):
    """StorageService with awaitable operations. `.sync` is the wrapped synchronous service."""

    _sync: StorageService
    _services = frozenset({"batch", "versions", "tagging", "lifecycle", "retention", "buckets", "policies"})

    def __init__(self, service: StorageService | None = None, *, threads: int | None = None,
                 own: bool | None = None) -> None:
        """`own`: close() also closes `service` (default: only a service built here)."""
        self._owns = service is None if own is None else own
        if service is None:
            from its_store.service.storage import StorageService
            service = StorageService()
        self._sync = service
        self._runner = _Runner(threads or DEFAULT_THREADS)  # this façade's own threads, created on first call

    @property
    def sync(self) -> StorageService:
        return self._sync

    @property
    def closed(self) -> bool:
        return self._runner.closed

    @property
    def settings(self) -> Settings:
        return self._sync.settings

    async def upload_object(self, request: UploadRequest, progress: Callable[[int], None] | None = None, *,
                            source: IO[bytes] | None = None) -> UploadResponse:
        """StorageService.upload_object, with its every parameter (`source`: request.file_path already opened
        by the caller, read in the worker thread); `progress` is called from the worker thread with byte counts."""
        return await self._runner.run(self._sync.upload_object, request, progress, source=source)

    async def download_object(self, request: DownloadRequest, progress: Callable[[int], None] | None = None, *,
                              into: TreeFile | None = None) -> DownloadResponse:
        """StorageService.download_object, with its every parameter (`into`: a file under a LocalTree folder,
        written through the tree instead of request.file_path)."""
        return await self._runner.run(self._sync.download_object, request, progress, into=into)

    async def list_objects(self, request: ListObjectsRequest) -> list[ObjectInfo]:
        return await self._runner.run(self._sync.list_objects, request)

    async def stat_object(self, bucket: str, key: str, version_id: str | None = None, include_tags: bool = True,
                          *, sse_c_key: bytes | None = None, sse_c_key_file: Path | None = None) -> ObjectInfo:
        """StorageService.stat_object, with its every parameter (an SSE-C object's HEAD needs its key)."""
        return await self._runner.run(self._sync.stat_object, bucket, key, version_id, include_tags,
                                      sse_c_key=sse_c_key, sse_c_key_file=sse_c_key_file)

    async def delete_object(self, bucket: str, key: str, version_id: str | None = None, *,
                            bypass_governance: bool = False) -> DeleteResult:
        """StorageService.delete_object, with its every parameter (a governance-retained version needs the bypass)."""
        return await self._runner.run(self._sync.delete_object, bucket, key, version_id,
                                      bypass_governance=bypass_governance)

    async def delete_objects(self, bucket: str, keys: list[str]) -> list[DeleteResult]:
        return await self._runner.run(self._sync.delete_objects, bucket, keys)

    async def generate_presigned_url(self, bucket: str, key: str, expires_in_seconds: int = 3600,
                                     method: str = "GET") -> str:
        return await self._runner.run(self._sync.generate_presigned_url, bucket, key, expires_in_seconds, method)

    def get_health_status(self) -> HealthStatus:
        """A HealthStatus: awaitable (checked in a worker thread), or read directly (checked then)."""
        return HealthStatus(self._sync.get_health_status, self._runner)

    def get_stats(self) -> StorageStats:
        """The counters, returned directly as the documentation uses them (no network involved)."""
        return self._sync.get_stats()

    # The other public methods of StorageService, awaited (run by __getattr__; typed here). `sync` is the
    # service itself and `close` the façade's own, so StorageService.sync and .close are not among them.
    if TYPE_CHECKING:  # pragma: no cover - declarations only
        journal = _awaited(StorageService.journal)
        resolve_bucket = _awaited(StorageService.resolve_bucket)
        ensure_bucket = _awaited(StorageService.ensure_bucket)
        list_buckets = _awaited(StorageService.list_buckets)
        cached_bucket_names = _awaited(StorageService.cached_bucket_names)
        init_buckets = _awaited(StorageService.init_buckets)
        download_to_stream = _awaited(StorageService.download_to_stream)
        head = _awaited(StorageService.head)
        iter_objects = _iterated(StorageService.iter_objects)
        remove_batch = _awaited(StorageService.remove_batch)
        leaves_delete_markers = _awaited(StorageService.leaves_delete_markers)
        batch = _service(StorageService.batch)
        versions = _service(StorageService.versions)
        tagging = _service(StorageService.tagging)
        lifecycle = _service(StorageService.lifecycle)
        retention = _service(StorageService.retention)
        buckets = _service(StorageService.buckets)
        policies = _service(StorageService.policies)
        verify = _awaited(StorageService.verify)
        get_bucket_encryption = _awaited(StorageService.get_bucket_encryption)
        set_bucket_encryption = _awaited(StorageService.set_bucket_encryption)
        delete_bucket_encryption = _awaited(StorageService.delete_bucket_encryption)
        flush_stats = _awaited(StorageService.flush_stats)
        reset_stats = _awaited(StorageService.reset_stats)
        disk_usage = _awaited(StorageService.disk_usage)
        presign = _awaited(StorageService.presign)


class AsyncModelRegistry(_AsyncWrapper):
    """ModelRegistry with awaitable operations. `.sync` is the wrapped synchronous registry.

    Every public method of ModelRegistry is awaitable with its own parameters and result: at run time
    _AsyncWrapper.__getattr__ runs it in this façade's threads; a type checker sees the declarations below
    (the sync method's signature, its result awaited), so a misspelt method or field is an error, not Any."""

    _sync: ModelRegistry

    def __init__(self, registry: ModelRegistry, *, threads: int | None = None, own: bool = False) -> None:
        """`own`: close() also closes `registry` (when it has a close())."""
        self._owns = own
        self._sync = registry
        self._runner = _Runner(threads or DEFAULT_THREADS)

    @property
    def sync(self) -> ModelRegistry:
        return self._sync

    if TYPE_CHECKING:  # pragma: no cover - declarations only; see the class docstring
        register_model = _awaited(ModelRegistry.register_model)
        list_models = _awaited(ModelRegistry.list_models)
        versions = _awaited(ModelRegistry.versions)
        show_model = _awaited(ModelRegistry.show_model)
        resolve = _awaited(ModelRegistry.resolve)
        promote = _awaited(ModelRegistry.promote)
        get_aliases = _awaited(ModelRegistry.get_aliases)
        delete_model = _awaited(ModelRegistry.delete_model)
        flush_webhooks = _awaited(ModelRegistry.flush_webhooks)
        gc = _awaited(ModelRegistry.gc)
        lineage = _awaited(ModelRegistry.lineage)
        seal = _awaited(ModelRegistry.seal)
        diff = _awaited(ModelRegistry.diff)
        verify_model = _awaited(ModelRegistry.verify_model)
        get_model = _awaited(ModelRegistry.get_model)
        generate_download_url = _awaited(ModelRegistry.generate_download_url)
        download_urls = _awaited(ModelRegistry.download_urls)


_shared: dict[int, AsyncStorageService] = {}
_shared_lock = threading.Lock()


async def get_storage_service(settings: Settings | None = None) -> AsyncStorageService:
    """The async view of the process-wide StorageService (built from MINIO_* and .env on first use).

    With `settings`, a new, unshared service. Reading settings touches the disk (.env, secret file),
    so even building the service happens in a worker thread.
    """
    from its_store.service import storage as sync_service
    sync = await _RUNNER.run(sync_service.get_storage_service, settings)
    if settings is not None:
        return AsyncStorageService(sync, own=True)
    with _shared_lock:  # one wrapper per shared sync instance (tests may replace that instance)
        wrapper = _shared.get(id(sync))
        if wrapper is None or wrapper.sync is not sync or wrapper.closed:
            _shared.clear()
            wrapper = _shared[id(sync)] = AsyncStorageService(sync)
        return wrapper


async def get_model_registry(settings: Settings | None = None) -> AsyncModelRegistry:
    """The async view of `its_store.registry.registry.get_model_registry(settings)`."""
    try:
        from its_store.registry import registry
    except ImportError as exc:
        if exc.name != f"{__package__}.registry":
            raise
        from its_store.core.errors import ItsStoreError
        raise ItsStoreError("the model registry is not available in this version of its-store") from None
    sync = await _RUNNER.run(registry.get_model_registry, settings)
    return AsyncModelRegistry(sync)
