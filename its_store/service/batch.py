"""Operations over many objects: recursive upload and download, prefix delete.

Objects run concurrently on a bounded pool sharing the service's one client. A failure of one object
does not stop the others; it is reported in the BatchResult, and the CLI exits non-zero.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from its_store.core import errors as E
from its_store.core.files import local_error
from its_store.core.heap import older_objects_left_alone
from its_store.core.localtree import LocalTree, OpenFile
from its_store.core.models import DownloadRequest, ListObjectsRequest, ObjectType, UploadRequest, copier
from its_store.core.refs import UnsafeKeyError, is_folder_marker, local_key, validate_bucket
from its_store.service import objects
from its_store.service.batch_result import (  # re-exported (`as`): library callers import them from here
    BatchError as BatchError,
)
from its_store.service.batch_result import (
    BatchItem as BatchItem,
)
from its_store.service.batch_result import (
    BatchResult as BatchResult,
)
from its_store.service.batch_result import (
    Counted as Counted,
)
from its_store.service.batch_result import (
    SkippedItem as SkippedItem,
)
from its_store.service.bucket_use import ensure_bucket, resolve_bucket
from its_store.service.listing import iter_objects

if TYPE_CHECKING:
    from its_store.core.models import ObjectInfo, UploadResponse
    from its_store.core.shard import Shard
    from its_store.core.tree_files import TreeFile
    from its_store.service.context import Context
    from its_store.service.object_download import Answered

    Left = Callable[[str, ObjectInfo, int, TreeFile], None]  # download_prefix's on_file

ProgressFn = Callable[[int], None]
GARBLED = ("the server's listing altered this key's name (characters XML 1.0 cannot carry), so no request "
           "can name it; not deleted")


Job = tuple[str, Callable[[], BatchItem | Counted]]  # (key or path, what to do with it)


def run_jobs(workers: int, jobs: Iterable[Job], result: BatchResult, ctx: Context | None = None) -> None:
    """Run (name, job) pairs on `workers` threads (transfer/fanout.fan_out: bounded look-ahead, per-item
    outcomes, a clean stop on Ctrl-C) and collect each outcome into `result`: a done item, a key with no
    safe local name (skipped, said, never fatal), an ItsStoreError or a local OSError (that item's failure,
    never the run's). Any other exception stops the batch and is raised. With `ctx` the workers' operations
    are recorded as one batch (Context.batch: stats, audit lines and cache invalidations written together,
    and once more at the end, whatever ends it)."""
    from its_store.transfer.fanout import fan_out
    recording = ctx.batch() if ctx is not None else None

    def run(job: Job) -> BatchItem | Counted:
        return job[1]()

    n = max(workers, 1)
    counted = [0, 0]  # the Counted items done and their bytes, added to `result` together (done_counted)
    listed: list[BatchItem] = []  # the items done of a listing batch, added to `result` together (done_listed)
    counting = not result.listing  # else a Counted goes to done(), which refuses it (a job's bug) at once
    with recording if recording is not None else contextlib.nullcontext(), older_objects_left_alone() as heap:
        try:
            for out in fan_out(run, heap.over(jobs), workers=n, ahead=2 * n, ordered=False, name="its-batch",
                               initializer=recording.bind if recording is not None else None):
                if recording is not None:
                    recording.tick()
                exc = out.error
                if exc is None:
                    done = out.result()
                    if counting and isinstance(done, Counted):
                        counted[0] += 1
                        counted[1] += done.size
                    elif not counting and isinstance(done, BatchItem):
                        listed.append(done)
                    else:
                        result.done(done)
                else:
                    _failed(exc, out.item[0], result)
        finally:
            result.done_listed(listed)
            result.done_counted(*counted)


def _failed(exc: BaseException, name: str, result: BatchResult) -> None:
    """A job's exception into `result` (run_jobs), or raised: it stops the batch."""
    if isinstance(exc, UnsafeKeyError):  # no safe local name: skipped, said, never fatal
        result.skipped_items.append(SkippedItem(key=name, reason=exc.reason))
    elif isinstance(exc, E.ItsStoreError):
        result.fail(name, exc)
    elif isinstance(exc, OSError):  # a local file: that item's failure, never the run's
        result.fail(name, local_error(exc))
    else:
        raise exc


def _noop(_: int) -> None:
    pass


class Batch:
    """Batch operations over one Context (`svc.batch()`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def upload_directory(self, local_dir: Path, bucket: str | None, prefix: str = "", *,
                         object_type: ObjectType = ObjectType.OTHER, metadata: dict[str, str] | None = None,
                         tags: dict[str, str] | None = None, content_type: str | None = None,
                         workers: int | None = None, progress: ProgressFn | None = None,
                         on_done: Callable[[], None] | None = None,
                         options: dict[str, Any] | None = None, follow_symlinks: bool = False,
                         list_items: bool = True,
                         on_object: Callable[[UploadRequest, UploadResponse], None] | None = None,
                         on_response: Callable[[UploadResponse], None] | None = None) -> BatchResult:
        """Upload every regular file under `local_dir` to BUCKET/PREFIX/<relative path>.

        Symbolic links (to files and folders) are skipped unless `follow_symlinks`; FIFOs, devices,
        sockets and broken links always; each skip is in `result.skipped_items`. An unreadable folder is a
        failure. `options`: more UploadRequest fields for every file (compression, sse, ...). `list_items`
        False: the files done are counted, not listed in `objects` (BatchResult.count_only). `on_object(request,
        response)` is called for each object stored, on the thread that uploaded it, with a request naming
        that file and key (a copy of the batch's, made for it); `on_response(response)` likewise, with no
        request made per file (`upload -r` records each object in the sync state store:
        sync/remember.remembering_responses)."""
        started = time.perf_counter()
        if tags:  # bad tags: one error (exit 2) before the walk and any request, not one failure per file
            from its_store.service.tags import check_tags
            check_tags(tags)
        from its_store.core.localname import checked
        root = Path(checked(local_dir, "cannot read"))
        if not root.is_dir():
            raise (E.LocalFileNotFoundError(f"no such folder: {root}") if not root.exists()
                   else E.InvalidInputError(f"{root} is not a folder"))
        ctx = self.ctx
        bucket = resolve_bucket(ctx, bucket, object_type)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        result = BatchResult(action="upload", bucket=bucket, prefix=prefix)
        if not list_items:
            result.count_only()
        ensure_bucket(ctx, bucket)
        n = workers or ctx.batch_workers

        # validated once (bad flags: exit 2 before any file); each file is stored with it, its file and key
        # (checked by local_key) beside it (object_upload.upload_walked): no copy of the request per file
        template = UploadRequest(bucket=bucket, key="", file_path=root, object_type=object_type,
                                 metadata=dict(metadata or {}), tags=dict(tags or {}), content_type=content_type,
                                 workers=_part_workers(ctx, n), follow_symlinks=follow_symlinks,
                                 **(options or {}))
        try:  # headers, metadata, tags, lock, SSE: worked out once for every file
            shared: objects.SharedUpload | None = objects.plan_shared(ctx, template)
        except E.ItsStoreError:
            shared = None  # each file plans (and fails) on its own, said per file as before

        def request(path: str, key: str) -> UploadRequest:
            return template.model_copy(update={"key": key, "file_path": Path(path)})

        listing = result.listing
        walked = objects.upload_walked

        def job(tree: LocalTree, path: str, rel: str) -> Callable[[], BatchItem | Counted]:
            def run() -> BatchItem | Counted:
                key = local_key(prefix, rel)  # a name that cannot be a key fails alone, named
                with tree.open_file(rel) as opened, upload_reader(opened) as source:
                    if shared is not None:
                        resp = walked(ctx, shared, template, key, path, source, opened.stat, progress)
                    else:  # planned per file (and failing there, as a lone upload does)
                        resp = objects.upload(ctx, request(path, key), progress=progress, source=source,
                                              source_stat=opened.stat)
                if on_object:
                    on_object(request(path, key), resp)
                if on_response:
                    on_response(resp)
                if on_done:
                    on_done()
                if not listing:  # count-only (the CLI without --json): no model built that no one shows
                    return Counted(resp.total_size)
                return BatchItem(key=key, size=resp.total_size, etag=resp.etag, source=path,
                                 unchecked=resp.unchecked)
            return run

        with LocalTree(root, follow_symlinks=follow_symlinks) as tree:  # files read from the folders walked
            jobs = ((path, job(tree, path, rel)) for path, rel in walk_files(root, result, follow_symlinks, tree))
            run_jobs(n, jobs, result, ctx)
        result.duration_seconds = round(time.perf_counter() - started, 3)
        return result

    def download_prefix(self, bucket: str, prefix: str, dest: Path, *, workers: int | None = None,
                        progress: ProgressFn | None = None,
                        on_done: Callable[[], None] | None = None,
                        options: dict[str, Any] | None = None, list_items: bool = True,
                        on_object: Answered | None = None, on_file: Left | None = None) -> BatchResult:
        """Download every object under BUCKET/PREFIX into `dest`, keys mapped safely to paths.

        `options`: more DownloadRequest fields for every object (raw, sse_c_key_file...). `list_items` False:
        the objects done are counted, not listed in `objects` (BatchResult.count_only). `on_object(bucket, key,
        etag, stored size, headers)`: what each object's GET answer said of it (objects.download_into's
        on_answer), on the thread that downloaded it (`get -r` records it in the sync state store:
        sync/remember.remembering_gets). `on_file(bucket, listed, size, file)`: each object as listed (ObjectInfo)
        and the file it left (bytes written, TreeFile), once written (`get -r` records it as a sync records its
        downloads: sync/remember.remembering_files)."""
        started = time.perf_counter()
        from its_store.core.localname import checked
        checked(dest, "cannot write")
        ctx = self.ctx
        result = BatchResult(action="download", bucket=bucket, prefix=prefix)
        if not list_items:
            result.count_only()
        base = prefix if (not prefix or prefix.endswith("/")) else prefix.rsplit("/", 1)[0] + "/" \
            if "/" in prefix else ""
        listing = iter_objects(ctx, ListObjectsRequest(bucket=bucket, prefix=prefix, recursive=True))
        n = workers or ctx.batch_workers

        # validated once (bad options: exit 2 before any object); each object's request is a copy naming it
        template = DownloadRequest(bucket=bucket, key=prefix or "-", file_path=Path(dest),
                                   workers=_part_workers(ctx, n), **(options or {}))

        listing_items = result.listing
        # each object's request: the template with its key, listed size and ETag (as model_copy(update=...) makes it)
        request_for = copier(template, ("key", "size_hint", "etag_hint"))

        def thread_job(tree: LocalTree, info: ObjectInfo) -> Callable[[], BatchItem | Counted]:
            key = info.key

            def run() -> BatchItem | Counted:
                target = tree.file(key[len(base):])  # no safe local name: UnsafeKeyError, skipped, said
                # file_path stays the folder's: the file is `into` (its Path, ~15K instructions, built only when shown)
                request = request_for(key, info.size, info.etag)
                written, verified = objects.download_into(ctx, request, target, progress, on_object)
                if on_file is not None:
                    on_file(bucket, info, written, target)
                if on_done:
                    on_done()
                if not listing_items:  # count-only (the CLI without --json): no model built that no one shows
                    return Counted(written)
                return BatchItem(key=key, size=written, path=str(target.path), verified=verified)
            return run

        with LocalTree(dest, create=True, sweep=True) as tree:  # through its folders' descriptors; dead temps swept
            jobs = ((info.key, thread_job(tree, info)) for info in listing
                    if not is_folder_marker(info.key, info.size))  # empty folder markers are passed over
            run_jobs(n, jobs, result, ctx)
        result.duration_seconds = round(time.perf_counter() - started, 3)
        return result

    def delete_objects(self, targets: Iterable[tuple[str, str]], version_id: str | None = None, *,
                       bypass_governance: bool = False) -> objects.DeletedObjects:
        """Delete each named (bucket, key), in turn; the first failure raises (objects.delete_each)."""
        return objects.delete_each(self.ctx, targets, version_id, bypass_governance=bypass_governance)

    def plan_delete(self, targets: Iterable[tuple[str, str]], version_id: str | None = None) -> objects.DeletePlan:
        """What delete_objects() would delete, each checked to exist; nothing deleted (objects.plan_delete)."""
        return objects.plan_delete(self.ctx, targets, version_id)

    def delete_prefix(self, bucket: str, prefix: str, *, dry_run: bool = False,
                      shard: Shard | None = None, list_items: bool = True) -> BatchResult:
        """Delete every object under BUCKET/PREFIX in batches of 1,000 (or only list them: dry_run).

        `shard` (core.shard.Shard): only the keys of that shard, by the key relative to the prefix.
        `list_items` False: the objects deleted are counted, not listed in `objects` (BatchResult.count_only);
        until the second listing proves them gone each is held as (key, size, etag) only."""
        from its_store.core.shard import checked_shard
        shard = checked_shard(shard)
        started = time.perf_counter()
        ctx = self.ctx
        result = BatchResult(action="delete", bucket=bucket, prefix=prefix, dry_run=dry_run)
        if not list_items:
            result.count_only()
        deleted: list[tuple[str, int, str | None]] = []  # each deleted key, until _prove_deleted
        batch: list[tuple[str, int, str | None]] = []
        markers: dict[str, bool | None] = {}  # what each delete did, by its answer (objects.remove_batch)

        def flush() -> None:
            if not batch:
                return
            sizes = {key: size for key, size, _ in batch}
            failures = {} if dry_run else objects.remove_batch(ctx, bucket, list(sizes), sizes, markers=markers)
            for key, size, etag in batch:
                if failures.get(key):
                    from its_store.s3.client import failure_error
                    result.fail(key, failure_error(failures[key], bucket, key))
                else:
                    deleted.append((key, size, etag))
            batch.clear()

        for info in ctx.s3.list_objects(validate_bucket(bucket), prefix, recursive=True):
            if shard is not None and info.key[len(prefix):] not in shard:
                continue
            if info.garbled:  # its delete would "succeed" on a name the server does not hold
                result.fail(info.key, E.ItsStoreError(GARBLED))
                continue
            batch.append((info.key, info.size, info.etag))
            if len(batch) >= 1000:
                flush()
        flush()
        done = _prove_deleted(ctx, result, deleted, markers)
        _markers_said(ctx, result, done)
        result.duration_seconds = round(time.perf_counter() - started, 3)
        return result


def _markers_said(ctx: Context, result: BatchResult, done: list[tuple[int, bool | None]]) -> None:
    """An `rm -r`'s delete_markers and still_stored_bytes: from what each delete's answer said (`done`: the
    size and delete marker of each object proven deleted; versions.markers_of), the bucket's versioning for
    a dry run or when nothing was deleted; None: unknown."""
    from its_store.service.markers import markers_said, summed  # on use: not on a transfer's path
    if result.dry_run or not done:
        result.delete_markers = markers_said(ctx, result.bucket)  # then nothing is erased: say so
        if result.delete_markers is not False and not result.dry_run:
            result.still_stored_bytes = 0 if result.delete_markers else None
        return
    result.delete_markers = summed(marker for _, marker in done)
    unknown = any(marker is None for _, marker in done)
    result.still_stored_bytes = None if unknown else sum(size for size, marker in done if marker)


def upload_reader(opened: OpenFile) -> DescriptorSource:
    """The file object an upload reads `opened` through (DescriptorSource). Closing it leaves the
    descriptor open (OpenFile closes it)."""
    return DescriptorSource(opened.fd)


class DescriptorSource:
    """An open file as an upload's `source`: fileno() is the descriptor itself, all a small file's one
    PUT or a multipart upload uses (they read by position); read()/seek()/... (a compressed or SSE-C
    upload's reader) go to an unbuffered io.FileIO over it, made on first use. Made for every file,
    io.FileIO cost one more fstat each (its own check of the descriptor), a system call and so a GIL
    hand-over among a batch's threads; os.fdopen's buffered reader two more (isatty, tell)."""

    __slots__ = ("_fd", "_file")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._file: io.FileIO | None = None

    def fileno(self) -> int:
        return self._fd

    def __getattr__(self, name: str) -> Any:
        if self._file is None:
            self._file = io.FileIO(self._fd, "rb", closefd=False)
        return getattr(self._file, name)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> IO[bytes]:
        return cast("IO[bytes]", self)

    def __exit__(self, *_: object) -> None:
        self.close()


def _part_workers(ctx: Context, n: int) -> int:
    """Each file's parts (a large file of a batch): half of -w / MINIO_MAX_WORKERS, not of the files in flight."""
    return max(1, min(n, ctx.workers) // 2)


def walk_files(root: Path, result: BatchResult, follow_symlinks: bool = False,
               tree: LocalTree | None = None) -> Iterator[tuple[str, str]]:
    """(path, relative path) of the regular files under `root`, in order, by sync's walk (walk.py), the path
    as the walk's str (a Path made per file, and its str() for the job's name, cost ~33k instructions a camera
    frame, callgrind, issue 22):
    symbolic links only with `follow_symlinks` (folder loops never), and what is not uploaded is
    said, as sync says it: skips (links not followed, FIFOs, devices, sockets, broken links) go to
    `result.skipped_items`, unreadable folders to `result.errors` (once the walk is done). `tree`: the
    LocalTree of `root` the files will be read through, whose folder descriptors the walk lists."""
    from its_store.sync.walk import Walk, walk_local
    walk = Walk(sizes=False)  # each file is opened and fstat-ed by its job: not stat-ed in the walk too
    for item in walk_local(root, walk, follow_symlinks=follow_symlinks, tree=tree):
        yield item.path, item.rel
    for rel, reason, _ in walk.notes:  # a folder keeps its "/": "linked-dir/"
        result.skipped_items.append(SkippedItem(path=os.path.join(root, rel), reason=reason))
    for rel, reason in walk.problems:
        result.fail(os.path.join(root, rel), E.LocalIOError(f"{os.path.join(root, rel)}: {reason}"))


def _prove_deleted(ctx: Context, result: BatchResult, deleted: list[tuple[str, int, str | None]],
                   markers: dict[str, bool | None]) -> list[tuple[int, bool | None]]:
    """List the prefix again (cheap: what was deleted is no longer listed): an object still listed
    as it was is reported as not deleted, whatever the server answered (rclone's server accepts the
    delete of an entry it keeps listing). A key listed again with another ETag was written anew. Each
    of `deleted` is then done (result.done, with the delete marker its answer said: `markers`) or failed.
    A dry run lists nothing again. Returns (size, delete marker) of each object done."""
    still: set[str] = set()
    if deleted and not result.dry_run:
        before = {key: etag for key, _, etag in deleted}
        still = {info.key for info in ctx.s3.list_objects(result.bucket, result.prefix, recursive=True)
                 if info.key in before and info.etag == before[info.key]}
    done: list[tuple[int, bool | None]] = []
    for key, size, etag in deleted:
        if key in still:
            result.fail(key, E.ItsStoreError("still listed after its delete: not deleted"))
        else:
            marker = None if result.dry_run else markers.get(key)
            result.done(BatchItem(key=key, size=size, etag=etag, delete_marker=marker))
            done.append((size, marker))
    return done
