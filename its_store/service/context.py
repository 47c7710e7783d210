"""Context: what every storage service shares, and the one place an operation is recorded.

A Context holds the settings, the worker count, the S3 client (built on first use, or the one the caller
passed in, like httpx's `transport=`), the metadata cache, the audit log, the stats and the upload journal,
plus what is remembered for the life of one service (buckets known to exist, which buckets leave delete
markers). The focused services (objects.py, versions.py, ...) are functions and small classes over a
Context; StorageService (storage.py) is a thin facade over one.

`ctx.op(...)` is how an operation is recorded: the stats count, the cache invalidation and the audit line
happen once, when it ends, whichever path moved the bytes (`ctx.each(...)` for the per-key outcomes of one
request, such as a DeleteObjects). Nothing else calls stats.record, audit.record or cache.invalidate_* for
an operation.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from its_store.core import errors as E
from its_store.core import forks, heap
from its_store.core.settings import Settings
from its_store.state.stats import StatsStore, flush_pending, flush_when_collected

if TYPE_CHECKING:
    from its_store.s3.client import S3Client
    from its_store.state.audit import AuditBuffer, AuditLog
    from its_store.state.service_cache import Deferral, ServiceCache
    from its_store.state.stats import StatsTally, StorageStats
    from its_store.transfer.resume import UploadJournal

__all__ = ["BATCH_WORKERS", "Context", "HasContext", "Op", "Recording", "as_context"]

BATCH_WORKERS = 16  # on 2 cores, 100 KB frames: 16 in flight beat 8 by ~20-40 % wall at the same CPU

Forget = Literal["object", "bucket", "buckets"] | None
"""What an operation makes stale in the cache: the object, a whole bucket, the bucket list, or nothing."""


class HasContext(Protocol):
    """Anything built over a Context (StorageService): entry points accept it as well as a Context, so that
    scripts and tests can hand them the service they hold."""

    @property
    def ctx(self) -> Context: ...


def as_context(owner: Context | HasContext) -> Context:
    """The Context of `owner` (itself when it is one)."""
    return owner if isinstance(owner, Context) else owner.ctx


MAX_WORKERS = 256  # as MINIO_MAX_WORKERS and --workers


class Context:
    """Settings, S3 client, cache, audit, stats, journal and workers of one service (module docstring)."""

    def __init__(self, settings: Settings, *, workers: int | None = None, s3: S3Client | None = None) -> None:
        if workers is not None and (type(workers) is not int or not 1 <= workers <= MAX_WORKERS):
            # a script's -1, 2.5 or "8" surfaced as a TypeError or ValueError deep in a transfer, after requests
            raise E.InvalidInputError(f"invalid StorageService: workers: must be a whole number from 1 to "
                                      f"{MAX_WORKERS} (got {workers!r})", hint="or None: MINIO_MAX_WORKERS")
        self.settings = settings
        self.workers = workers or settings.max_workers
        # objects in flight in a batch (upload -r, get -r, sync): many small requests wait on the server, not
        # on the client's CPU, so more in flight is faster at the same CPU (bench/RESULTS.md, issue 22); the
        # -w asked for, else MINIO_MAX_WORKERS when set, else BATCH_WORKERS
        given = workers or (settings.max_workers if "max_workers" in settings.model_fields_set else None)
        self.batch_workers = given or max(settings.max_workers, BATCH_WORKERS)
        self._s3 = s3
        self._owns_s3 = s3 is None  # a client the caller passed in is the caller's to close
        self._cache: ServiceCache | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.known_buckets: set[str] = set()  # buckets seen to exist: ensure_bucket() skips their HEAD
        self.markers_seen: dict[str, bool] = {}  # bucket -> whether a DELETE leaves a delete marker
        self.markers_unknown: set[str] = set()  # buckets whose versioning could not be read (said once)
        self.versioning_seen: dict[str, str] = {}  # bucket -> its versioning (service/delete_guard.versioning)
        self.versioning_lock = threading.Lock()  # held while a bucket's versioning is first read (delete_guard)
        forks.renew_in_child(self._new_locks)  # a child forked while a worker held one gets its own, free
        self._audit: AuditLog | None = None
        self._journal: UploadJournal | None = None
        self._bound = threading.local()  # .recording: the Recording this thread's operations go to, if any
        # Stats persist between runs (stats.py): flushed by close(), every 30 s, and at exit/GC.
        self.stats_store = StatsStore(Path(settings.cache_dir or "."))
        self._stats = LiveStats(self.stats_store)
        weakref.finalize(self, self._stats.flush_when_collected)

    @property
    def stats(self) -> StorageStats:
        """The live counter (LiveStats: its model is built when something is first counted)."""
        return self._stats.get()

    def _new_locks(self) -> None:
        """In a forked child: locks of its own (one a parent's thread held at the fork, a GET ?versioning in
        flight, would never be released there: the child's first move out of that bucket waited for ever)."""
        self._lock = threading.Lock()
        self.versioning_lock = threading.Lock()

    # ------------------------------------------------------------------------------ shared parts
    @property
    def closed(self) -> bool:
        return self._closed

    def check_open(self) -> None:
        """Refuse use after close(): a closed service must not silently open a new pool or cache."""
        if self._closed:
            raise E.ClosedError("this StorageService is closed", hint="create a new one")

    @property
    def s3(self) -> S3Client:
        """The S3 client: the one passed in, else built on first use with a pool sized for the workers."""
        self.check_open()
        if self._s3 is None:
            with self._lock:
                if self._s3 is None:
                    from its_store.s3.client import S3Client
                    pool = max(self.settings.max_pool_connections, self.workers, self.batch_workers)
                    self._s3 = S3Client(self.settings, pool_size=pool, bwlimit=self.settings.endpoint_bwlimit)
                    heap.start_up_done()  # the its-store process's start-up ends here (core/heap.py)
        return self._s3

    @property
    def owns_s3(self) -> bool:
        """Whether the S3 client is this Context's own, built from its settings (not one the caller passed in,
        whose timeouts and retries are the caller's: the health check then uses it as it is)."""
        return self._owns_s3

    @property
    def s3_opened(self) -> bool:
        """Whether the S3 client exists yet (offline paths prove they made none)."""
        return self._s3 is not None

    @property
    def cache(self) -> ServiceCache:
        """The metadata cache, opened on first use; never raises."""
        self.check_open()
        if self._cache is None:
            with self._lock:
                if self._cache is None:
                    from its_store.state.service_cache import open_service_cache
                    self._cache = open_service_cache(self.settings, self._stats.record_cache)
        return self._cache

    @property
    def audit(self) -> AuditLog:
        """The audit log of these settings (one per file and identity per process)."""
        if self._audit is None:
            from its_store.state import audit
            self._audit = audit.for_settings(self.settings)
        return self._audit

    def journal(self) -> UploadJournal:
        """The journal of multipart uploads in flight for this endpoint and proxy (resume.py;
        Settings.server_id); made once (every upload asks for it, a single PUT never writes to it)."""
        if self._journal is None:
            from its_store.transfer.resume import UploadJournal
            self._journal = UploadJournal(Path(str(self.settings.cache_dir)) / "uploads", self.settings.server_id(),
                                          self.settings.former_server_id())
        return self._journal

    # ------------------------------------------------------------------------------- recording
    def op(self, operation: str, *, bucket: str | None = None, key: str | None = None,
           stat: str | None = None, audit: bool = True, forget: Forget = "object", timed: bool = False,
           **fields: Any) -> Op:
        """One operation to record when it ends (a context manager, or `.finish()` by hand).

        `stat`: the stats counter it counts under (None: not counted); `audit`: whether it writes an audit
        line, named `operation`; `forget`: what it makes stale in the cache ("object" needs `key`);
        `timed`: the stats count gets the seconds from now (or `op.started`) to the end. Fields learnt in the block go
        into `op.fields` (audit line) and `op.nbytes` (stats)."""
        return Op(self, operation, bucket=bucket, key=key, stat=stat, audit=audit, forget=forget,
                  timed=timed, fields=fields)

    def each(self, operation: str, bucket: str, outcomes: Mapping[str, str | None], *, stat: str | None = None,
             audit: bool = True, sizes: Mapping[str, int] | None = None, **fields: Any) -> None:
        """The per-key outcomes of one request over many keys ({key: error message or None}): one cache
        invalidation for all of them, then one stats count and one audit line per key (the lines written
        together, with the batch's when this thread works for one: Recording)."""
        self.forget_keys(bucket, outcomes)
        bound = self.recording()
        with contextlib.nullcontext(bound) if bound is not None else self.recording_for_one_request() as rec:
            for key, error in outcomes.items():
                if stat is not None:
                    rec.count(stat, ok=error is None)
                if audit:
                    rec.audit_line(operation, bucket=bucket, key=key, size=(sizes or {}).get(key), ok=error is None,
                                   error=error, **fields)

    def forget(self, what: Forget, bucket: str | None, key: str | None = None) -> None:
        """Drop what an operation made stale: an object, a whole bucket, or the bucket list."""
        if what is None or self._cache_unused():
            return
        if what == "object" and bucket is not None and key is not None:
            self.cache.invalidate_object(bucket, key)
        elif what == "bucket" and bucket is not None:
            self.cache.invalidate_bucket(bucket)
        elif what == "buckets":
            self.cache.invalidate_buckets()

    def forget_keys(self, bucket: str, keys: Iterable[str]) -> None:
        """Drop many objects of one bucket in one cache transaction (a batch's ops use forget=None)."""
        keys = list(keys)
        if keys and not self._cache_unused():
            self.cache.invalidate_objects(bucket, keys)

    # ------------------------------------------------------------------------------ batches
    def batch(self) -> Recording:
        """The bookkeeping of a batch of operations run on worker threads (Recording): each worker
        calls `bind()` first; the owner uses it as a context manager, which flushes it at the end."""
        return Recording(self)

    def recording(self) -> Recording | None:
        """The Recording this thread's operations are counted in, if it works for a batch."""
        return getattr(self._bound, "recording", None)

    def recording_for_one_request(self) -> Recording:
        """A Recording for the outcomes of one request over many keys (each()), flushed when it ends."""
        return Recording(self, cache=False, signals=False)

    def _cache_unused(self) -> bool:
        """After close() nothing is cached any more that could be stale: no invalidation to do."""
        return self._closed

    # ---------------------------------------------------------------------------- stats, close
    def flush_stats(self) -> bool:
        """Save what this process counted since the last flush. False (and kept) if it could not."""
        return self._stats.flush()

    def close(self) -> None:
        """Save stats, close the cache and the S3 client this context made. Safe to call twice."""
        if self._closed:
            return
        self.flush_stats()
        self._closed = True
        cache, self._cache = self._cache, None
        s3, self._s3 = self._s3, None
        for part, ours in ((cache, True), (s3, self._owns_s3)):
            if part is not None and ours:
                try:
                    part.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass


class Op:
    """One operation being recorded (Context.op): stats, cache invalidation and audit line, once, at the end.

    Used as `with ctx.op(...) as op:` (ok unless the block raises; the exception's code goes into the audit
    line), or by hand with `op.finish(ok=..., error=...)` when the outcome is known otherwise."""

    def __init__(self, ctx: Context, operation: str, *, bucket: str | None, key: str | None, stat: str | None,
                 audit: bool, forget: Forget, timed: bool, fields: dict[str, Any]) -> None:
        self.ctx, self.operation, self.stat, self.audit, self.forget = ctx, operation, stat, audit, forget
        self.bucket, self.key = bucket, key
        self.fields: dict[str, Any] = {"bucket": bucket, "key": key, **fields}
        self.nbytes = 0
        self.started = time.perf_counter() if timed else None  # a caller may set an earlier start
        self._done = False

    def __enter__(self) -> Op:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.finish(ok=exc is None, error=exc)

    def finish(self, *, ok: bool, error: BaseException | str | None = None) -> None:
        """Record the outcome (once: a second call does nothing)."""
        if self._done:
            return
        self._done = True
        rec = self.ctx.recording()
        if self.stat is not None:
            seconds = time.perf_counter() - self.started if self.started is not None else 0.0
            nbytes = self.nbytes if ok else 0
            if rec is not None:
                rec.count(self.stat, ok=ok, nbytes=nbytes, seconds=seconds)
            else:
                self.ctx.stats.record(self.stat, ok=ok, nbytes=nbytes, seconds=seconds)
        if rec is not None and self.forget == "object" and rec.deferral is not None and self.key is not None \
                and self.bucket is not None and not self.ctx.closed:
            rec.deferral.add_object(self.bucket, self.key)  # a batch's: with its next flush (Deferral.add_object)
        elif self.forget is not None:  # nothing to forget (a download): no call (once an object of get -r)
            self.ctx.forget(self.forget, self.bucket, self.key)
        if self.audit:
            error = error if not ok else None
            if rec is not None:
                rec.audit_fields(self.operation, self.fields, ok=ok, error=error)
            else:
                self.ctx.audit.record(self.operation, ok=ok, error=error, **self.fields)


class Recording:
    """The bookkeeping of a batch of operations (upload -r, get -r, cp/mv -r, sync): what each one records
    (stats count, audit line, cache invalidation) is gathered and written together, instead of a lock,
    a model update, an open-write-close of the audit log and an SQLite transaction per camera frame.
    Nothing is lost or merged: one audit line per operation, stamped when it ended, and one count.

    The worker threads call `bind()` (the fan-out's initializer); the owner holds it as a context manager
    around the whole batch: flushed as it goes (state/audit.AuditBuffer, state/stats.StatsTally,
    state/service_cache.Deferral: every few hundred operations, or by time with a few waiting: state/flush_rule.py)
    and once more when it ends, whatever ends it. While it runs in the main thread where SIGTERM still has its
    default action, a SIGTERM stops the batch as Ctrl-C does (SystemExit 143: operations in flight finish, nothing new
    starts) instead of killing the process with lines unwritten; a buffer still holding lines at exit
    is written by an atexit hook (AuditBuffer)."""

    def __init__(self, ctx: Context, *, cache: bool = True, signals: bool = True) -> None:
        self.ctx = ctx
        self._audit: AuditBuffer | None = None
        self._tally: StatsTally | None = None  # made at the first count (LiveStats: a sync with nothing to do)
        # the cache invalidations of this batch's threads (bind); its Ops put the objects they wrote in directly
        self.deferral: Deferral | None = ctx.cache.deferral() if cache and not ctx.closed else None
        self._signals = signals
        self._previous: Any = None
        self._guard = threading.Lock()

    def bind(self) -> None:
        """Route this thread's operations (and its cache invalidations) to this batch."""
        self.ctx._bound.recording = self
        if self.deferral is not None:
            self.ctx.cache.bind(self.deferral)

    def count(self, stat: str, *, ok: bool, nbytes: int = 0, seconds: float = 0.0) -> None:
        tally = self._tally
        if tally is None:
            with self._guard:
                if self._tally is None:
                    self._tally = self.ctx.stats.tally()
                tally = self._tally
        tally.add(stat, ok=ok, nbytes=nbytes, seconds=seconds)

    def audit_line(self, operation: str, **fields: Any) -> None:
        self._buffer().add(operation, **fields)

    def audit_fields(self, operation: str, fields: dict[str, Any], *, ok: bool, error: Any = None) -> None:
        """audit_line(operation, ok=ok, error=error, **fields), from an Op's own dict of fields."""
        self._buffer().add_fields(operation, fields, ok=ok, error=error)

    def _buffer(self) -> AuditBuffer:
        if self._audit is None:
            with self._guard:
                if self._audit is None:
                    self._audit = self.ctx.audit.buffer()
        return self._audit

    def tick(self) -> None:
        """The owner's call as each outcome comes back: the cache invalidations due are written by the owner's
        thread (state/service_cache.Deferral), never by a worker's."""
        if self.deferral is not None:
            self.deferral.flush_due()

    def flush(self) -> None:
        """Write what waits: audit lines, counts, cache invalidations."""
        if self._audit is not None:
            self._audit.flush()
        if self._tally is not None:
            self._tally.flush()
        if self.deferral is not None:
            self.deferral.flush()

    def __enter__(self) -> Recording:
        if self._signals:
            self._previous = _stop_on_sigterm()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.flush()
        finally:
            if self._previous is not None:
                import signal
                signal.signal(signal.SIGTERM, self._previous)


def _stop_on_sigterm() -> Any:
    """In the main thread, while SIGTERM has its default action: make it raise SystemExit(143) for the
    time of a batch, as Ctrl-C raises KeyboardInterrupt. Returns the handler to put back (None: not set)."""
    import signal
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return None
        return signal.signal(signal.SIGTERM, _terminate)
    except (ValueError, OSError):  # not the main interpreter, or signals unavailable
        return None


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


class LiveStats:
    """The live StorageStats of one Context, built on first use: `ls` or a `sync` with nothing to do counts
    nothing, and the model's classes (state/stats_model.py) cost ~15M instructions to create at start-up
    (callgrind; issue 22). Saved by Context.close(), every AUTOFLUSH_SECONDS while it counts, and when the
    Context is collected (weakref.finalize on this object's method: it holds no reference to the Context)."""

    def __init__(self, store: StatsStore) -> None:
        self.store = store
        self._stats: StorageStats | None = None
        self._lock = threading.Lock()

    def get(self) -> StorageStats:
        stats = self._stats
        if stats is None:
            with self._lock:
                if self._stats is None:
                    from its_store.state.stats_model import StorageStats
                    made = StorageStats()
                    made.autoflush = lambda stats=made, store=self.store: flush_pending(stats, store)
                    self._stats = made
                stats = self._stats
        return stats

    def record_cache(self, hit: bool) -> None:
        """The cache's hit/miss hook (ServiceCache.on_lookup)."""
        self.get().record_cache(hit)

    def flush(self) -> bool:
        """flush_pending() of the counter; nothing counted yet: nothing to save."""
        return True if self._stats is None else flush_pending(self._stats, self.store)

    def flush_when_collected(self) -> None:
        if self._stats is not None:
            flush_when_collected(self._stats, self.store)
