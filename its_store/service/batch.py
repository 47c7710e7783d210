"""Operations over many objects: recursive upload and download, prefix delete.

Objects run concurrently on a bounded pool sharing the service's one client. A failure of one object
does not stop the others; it is reported in the BatchResult, and the CLI exits non-zero.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.files import local_error
from its_store.core.localtree import LocalTree
from its_store.core.models import DownloadRequest, ListObjectsRequest, ObjectType, UploadRequest
from its_store.core.refs import UnsafeKeyError, local_key, validate_bucket
from its_store.service import objects
from its_store.service.buckets import ensure_bucket, resolve_bucket
from its_store.service.listing import iter_objects
from its_store.service.versions import leaves_delete_markers

if TYPE_CHECKING:
    from its_store.service.context import Context

ProgressFn = Callable[[int], None]
GARBLED = ("the server's listing altered this key's name (characters XML 1.0 cannot carry), so no request "
           "can name it; not deleted")


@dataclass
class BatchResult:
    """Outcome of a batch: per-object results, failures as (key or path, error), local entries not
    uploaded as {"path", "reason"} (symbolic links not followed, FIFOs, devices...), and totals."""

    action: str
    bucket: str
    prefix: str
    succeeded: list[dict[str, Any]] = field(default_factory=list)
    failed: list[tuple[str, E.ItsStoreError]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"key" or "path", "reason"}: not copied
    total_bytes: int = 0
    duration_seconds: float = 0.0
    dry_run: bool = False
    delete_markers: bool = False  # a delete in a versioned bucket: markers added, every version still stored
    still_stored_bytes: int = 0  # with delete_markers: the bytes hidden behind them, not freed

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action, "bucket": self.bucket, "prefix": self.prefix, "dry_run": self.dry_run,
            **({"delete_markers": True, "still_stored_bytes": self.still_stored_bytes}
               if self.delete_markers else {}),
            "succeeded": len(self.succeeded), "failed": len(self.failed), "bytes": self.total_bytes,
            "duration_seconds": round(self.duration_seconds, 3),
            "objects": self.succeeded,
            "errors": [{"key": key, **err.to_dict()} for key, err in self.failed],
            "skipped": len(self.skipped), "skipped_items": self.skipped,
        }

    def raise_for_failures(self) -> None:
        """The batch's one error line: its failures (exit code by E.batch_error's one rule), else the
        keys skipped for having no safe local name (exit 1: their objects did not come down)."""
        unwritten = [item for item in self.skipped if "key" in item]
        total = len(self.failed) + len(self.succeeded) + len(unwritten)
        if self.failed:
            key, first = self.failed[0]
            message = f"{len(self.failed)} of {total} objects failed; first: {key}: {first.message}"
            raise E.batch_error(message, [err for _, err in self.failed])
        if unwritten:
            first_skip = unwritten[0]
            raise E.ItsStoreError(f"{len(unwritten)} of {total} objects not written: their keys have no safe local "
                                  f"name; first: {first_skip['key']}: {first_skip['reason']}",
                                  hint="each is listed as skipped; rename them on the server to fetch them")


def _run_pool(workers: int, jobs: Iterator[tuple[str, Callable[[], dict[str, Any]]]],
              result: BatchResult, cache: Any = None) -> None:
    """Run (name, job) pairs on `workers` threads that pull the next job themselves; collect outcomes.

    No Future per job and no task queue: each worker takes the next pair from the shared iterator
    (under a lock, so at most `workers` jobs are drawn ahead of completion) and reports through one
    queue that this thread drains. Per-object bookkeeping of a pool (Futures, their conditions, a
    work queue) cost more client CPU than the request of a 100 KB camera frame. With `cache` (a
    ServiceCache), the workers' cache invalidations are batched (ServiceCache.deferral)."""
    done: queue.SimpleQueue[tuple[str, dict[str, Any] | None, BaseException | None]] = queue.SimpleQueue()
    take = threading.Lock()
    stop = threading.Event()
    deferral = cache.deferral() if cache is not None else None

    def worker() -> None:
        if deferral is not None:
            cache.bind(deferral)
        try:
            while not stop.is_set():
                with take:
                    pair = next(jobs, None)
                if pair is None:
                    return
                name, job = pair
                try:
                    done.put((name, job(), None))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
                    done.put((name, None, exc))
        finally:
            done.put(("", None, _WorkerExit()))

    threads = [threading.Thread(target=worker, name=f"its-batch-{i}", daemon=True) for i in range(max(workers, 1))]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            name, item, exc = done.get()
            if isinstance(exc, _WorkerExit):
                running -= 1
            elif isinstance(exc, UnsafeKeyError):  # no safe local name: skipped, said, never fatal
                result.skipped.append({"key": name, "reason": exc.reason})
            elif isinstance(exc, E.ItsStoreError):
                result.failed.append((name, exc))
            elif isinstance(exc, OSError):  # a local file: that item's failure, never the run's
                result.failed.append((name, local_error(exc)))
            elif exc is not None:
                raise exc
            else:
                result.succeeded.append(item)  # type: ignore[arg-type]
                result.total_bytes += int(item.get("size", 0))  # type: ignore[union-attr]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        if deferral is not None:
            deferral.flush()


def _noop(_: int) -> None:
    pass


class _WorkerExit(Exception):
    """A worker ran out of jobs (or was stopped)."""


class Batch:
    """Batch operations over one Context (`svc.batch()`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def upload_directory(self, local_dir: Path, bucket: str | None, prefix: str = "", *,
                         object_type: ObjectType = ObjectType.OTHER, metadata: dict[str, str] | None = None,
                         tags: dict[str, str] | None = None, content_type: str | None = None,
                         workers: int | None = None, progress: ProgressFn | None = None,
                         on_done: Callable[[], None] | None = None,
                         options: dict[str, Any] | None = None, follow_symlinks: bool = False) -> BatchResult:
        """Upload every regular file under `local_dir` to BUCKET/PREFIX/<relative path>.

        Symbolic links (to files and folders) are skipped unless `follow_symlinks`; FIFOs, devices,
        sockets and broken links always; each skip is in `result.skipped`. An unreadable folder is a
        failure. `options`: more UploadRequest fields for every file (compression, sse, ...)."""
        started = time.perf_counter()
        root = Path(local_dir)
        if not root.is_dir():
            raise (E.LocalFileNotFoundError(f"no such folder: {root}") if not root.exists()
                   else E.InvalidInputError(f"{root} is not a folder"))
        ctx = self.ctx
        bucket = resolve_bucket(ctx, bucket, object_type)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        result = BatchResult("upload", bucket, prefix)
        ensure_bucket(ctx, bucket)
        n = workers or ctx.workers

        def request(path: Path, key: str) -> UploadRequest:
            return UploadRequest(bucket=bucket, key=key, file_path=path, object_type=object_type,
                                 metadata=dict(metadata or {}), tags=dict(tags or {}), content_type=content_type,
                                 workers=max(1, n // 2), follow_symlinks=follow_symlinks, **(options or {}))

        def job(tree: LocalTree, path: Path, rel: str) -> Callable[[], dict[str, Any]]:
            def run() -> dict[str, Any]:
                key = local_key(prefix, rel)  # a name that cannot be a key fails alone, named
                with tree.open_file(rel) as opened, opened.reader() as source:
                    resp = objects.upload(ctx, request(path, key), progress=progress, source=source)
                if on_done:
                    on_done()
                return {"key": key, "size": resp.total_size, "etag": resp.etag, "source": str(path)}
            return run

        with LocalTree(root, follow_symlinks=follow_symlinks) as tree:  # files read from the folders walked
            jobs = ((str(path), job(tree, path, rel)) for path, rel in walk_files(root, result, follow_symlinks, tree))
            _run_pool(n, jobs, result, ctx.cache)
        result.duration_seconds = time.perf_counter() - started
        return result

    def download_prefix(self, bucket: str, prefix: str, dest: Path, *, workers: int | None = None,
                        progress: ProgressFn | None = None,
                        on_done: Callable[[], None] | None = None,
                        options: dict[str, Any] | None = None) -> BatchResult:
        """Download every object under BUCKET/PREFIX into `dest`, keys mapped safely to paths.

        `options`: more DownloadRequest fields for every object (raw, sse_c_key_file...)."""
        started = time.perf_counter()
        ctx = self.ctx
        result = BatchResult("download", bucket, prefix)
        base = prefix if (not prefix or prefix.endswith("/")) else prefix.rsplit("/", 1)[0] + "/" \
            if "/" in prefix else ""
        listing = iter_objects(ctx, ListObjectsRequest(bucket=bucket, prefix=prefix, recursive=True))
        n = workers or ctx.workers

        def thread_job(tree: LocalTree, key: str, size: int) -> Callable[[], dict[str, Any]]:
            def run() -> dict[str, Any]:
                target = tree.file(key[len(base):])  # no safe local name: UnsafeKeyError, skipped, said
                resp = objects.download(ctx, DownloadRequest(bucket=bucket, key=key, file_path=target.path,
                                                        size_hint=size, workers=max(1, n // 2),
                                                        **(options or {})), progress=progress, into=target)
                if on_done:
                    on_done()
                return {"key": key, "size": resp.size, "path": str(resp.file_path),
                        "verified": resp.verified}
            return run

        with LocalTree(dest, create=True) as tree:  # written through its folders' descriptors
            jobs = ((info.key, thread_job(tree, info.key, info.size)) for info in listing
                    if not info.key.endswith("/"))  # folder marker objects are skipped
            _run_pool(n, jobs, result, ctx.cache)
        result.duration_seconds = time.perf_counter() - started
        return result

    def delete_prefix(self, bucket: str, prefix: str, *, dry_run: bool = False, shard: Any = None) -> BatchResult:
        """Delete every object under BUCKET/PREFIX in batches of 1,000 (or only list them: dry_run).

        `shard` (core.shard.Shard): only the keys of that shard, by the key relative to the prefix."""
        started = time.perf_counter()
        ctx = self.ctx
        result = BatchResult("delete", bucket, prefix, dry_run=dry_run)
        result.delete_markers = leaves_delete_markers(ctx, bucket)  # then nothing is erased: say so
        batch: list[tuple[str, int, str | None]] = []

        def flush() -> None:
            if not batch:
                return
            sizes = {key: size for key, size, _ in batch}
            failures = {} if dry_run else objects.remove_batch(ctx, bucket, list(sizes), sizes)
            for key, size, etag in batch:
                if failures.get(key):
                    from its_store.s3.client import failure_error
                    result.failed.append((key, failure_error(failures[key], bucket, key)))
                else:
                    result.succeeded.append({"key": key, "size": size, "etag": etag})
                    result.total_bytes += size
            batch.clear()

        for info in ctx.s3.list_objects(validate_bucket(bucket), prefix, recursive=True):
            if shard is not None and info.key[len(prefix):] not in shard:
                continue
            if info.garbled:  # its delete would "succeed" on a name the server does not hold
                result.failed.append((info.key, E.ItsStoreError(GARBLED)))
                continue
            batch.append((info.key, info.size, info.etag))
            if len(batch) >= 1000:
                flush()
        flush()
        if not dry_run and result.succeeded:
            _prove_deleted(ctx, result)
        if result.delete_markers and not dry_run:
            result.still_stored_bytes = result.total_bytes
        result.duration_seconds = time.perf_counter() - started
        return result


def walk_files(root: Path, result: BatchResult, follow_symlinks: bool = False,
               tree: LocalTree | None = None) -> Iterator[tuple[Path, str]]:
    """(path, relative path) of the regular files under `root`, in order, by sync's walk (walk.py):
    symbolic links only with `follow_symlinks` (folder loops never), and what is not uploaded is
    said, as sync says it: skips (links not followed, FIFOs, devices, sockets, broken links) go to
    `result.skipped`, unreadable folders to `result.failed` (once the walk is done). `tree`: the
    LocalTree of `root` the files will be read through, whose folder descriptors the walk lists."""
    from its_store.sync.walk import Walk, walk_local
    walk = Walk()
    for item in walk_local(root, walk, follow_symlinks=follow_symlinks, tree=tree):
        yield Path(item.path), item.rel
    for rel, reason, _ in walk.notes:  # a folder keeps its "/": "linked-dir/"
        result.skipped.append({"path": os.path.join(root, rel), "reason": reason})
    for rel, reason in walk.problems:
        result.failed.append((os.path.join(root, rel), E.LocalIOError(f"{os.path.join(root, rel)}: {reason}")))


def _prove_deleted(ctx: Context, result: BatchResult) -> None:
    """List the prefix again (cheap: what was deleted is no longer listed): an object still listed
    as it was is reported as not deleted, whatever the server answered (rclone's server accepts the
    delete of an entry it keeps listing). A key listed again with another ETag was written anew."""
    before = {item["key"]: item["etag"] for item in result.succeeded}
    still = {info.key for info in ctx.s3.list_objects(result.bucket, result.prefix, recursive=True)
             if info.key in before and info.etag == before[info.key]}
    if not still:
        return
    kept = [item for item in result.succeeded if item["key"] in still]
    result.succeeded = [item for item in result.succeeded if item["key"] not in still]
    result.total_bytes -= sum(item["size"] for item in kept)
    result.failed += [(item["key"], E.ItsStoreError("still listed after its delete: not deleted"))
                      for item in kept]
