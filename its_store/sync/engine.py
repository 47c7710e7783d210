"""Sync: make DEST like SRC (local -> s3, s3 -> local, s3 -> s3, also between two endpoints), the way
rclone's march does it.

Both listings are walked side by side in the same sorted order (walk.py) and each pair decided on
its own (compare.py): only in SRC -> copy; in both -> copy if it differs; only in DEST -> a delete
candidate. Pairs needing a HEAD or a transfer run on a thread pool of the service's workers with a
bounded look-ahead; pairs the state store (state.py) can decide cost nothing. Deletes run last
(deletes.py), and only when the WHOLE source listing succeeded, was complete, in order and not empty
(unless allowed), and within --max-delete: a failed or partial listing never turns into deletes.
Every item goes into the report through reporter.py.

What is synced where is location.py (Route: both sides, the kind of sync, what is refused before any
listing); what a pair that needs a request does (HEAD and compare, upload, download, copy, relay) is
transfers.py. A failing item is reported and the rest goes on; an interrupted sync leaves nothing
half-visible and a rerun sends only what is still missing.

Between two endpoints (`dest_owner`: the destination's Context) the march, the comparison, the filters and
the delete rules are the same; each side is listed, HEADed and remembered (state.py) on its own endpoint,
and a copy streams through this process (service/xcopy.py) instead of being a server-side copy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.files import local_error
from its_store.core.lazy import lazy_names
from its_store.core.localtree import LocalTree
from its_store.core.refs import UnsafeKeyError
from its_store.service.bucket_use import bucket_seen, ensure_bucket
from its_store.service.context import Context, HasContext
from its_store.sync import compare as C
from its_store.sync.ahead import ReadAhead
from its_store.sync.deletes import Deletes
from its_store.sync.location import Location, Route
from its_store.sync.model import Item, SyncOptions, SyncReport
from its_store.sync.mtime import format_mtime
from its_store.sync.remember import STATE_FILE, open_state
from its_store.sync.reporter import Reporter
from its_store.sync.walk import LocalFile, Walk, read_local, walk_local, walk_remote
from its_store.transfer.fanout import fan_out

if TYPE_CHECKING:
    from its_store.sync.single import sync_request, upload_one
    from its_store.sync.transfers import Transfers, not_comparable

__all__ = ["STATE_FILE", "Location", "Sync", "not_comparable", "open_state", "sync", "sync_request", "upload_one"]

# names that lived here before the split, imported on their first use: a sync that transfers nothing (an unchanged
# tree) imports neither the transfers nor the single-file upload (core/lazy.py)
_MOVED = {"sync_request": "single", "upload_one": "single", "not_comparable": "transfers"}

if not TYPE_CHECKING:  # hidden from type checkers, which see the imports above
    __getattr__ = lazy_names(globals(), _MOVED, "its_store.sync")

    def __dir__() -> list[str]:
        """The module's names and the moved ones (help(), dir() and completion list them before their first use)."""
        return sorted({*globals(), *_MOVED})


class Sync:
    """One sync of `source` to `dest` (each 's3://BUCKET/PREFIX/' or a local folder).

    `on_item(kind, item)` is called for each copied, skipped, deleted or failed item as it happens
    (kind is the report list's name), e.g. for log lines or progress."""

    def __init__(self, owner: Context | HasContext, source: str, dest: str, options: SyncOptions | None = None, *,
                 on_item: Callable[[str, Item], None] | None = None,
                 dest_owner: Context | HasContext | None = None) -> None:
        self.options = options or SyncOptions()
        if self.options.mode not in ("size+mtime", "checksum", "size-only"):
            raise E.InvalidInputError(f"unknown compare mode {self.options.mode!r}")
        from its_store.core.shard import checked_shard
        checked_shard(self.options.shard)  # a tuple (0, 2) matched no path: a sync of nothing, said to succeed
        self.route = route = Route.of(owner, source, dest, dest_owner)
        self.src, self.dst, self.kind, self.cross = route.src, route.dst, route.kind, route.cross
        self.ctx, self.dst_ctx = route.ctx, route.dst_ctx  # an upload's ctx is the destination's, which runs it
        self.src_prefix, self.dst_prefix = route.src_prefix, route.dst_prefix
        self._dst_bucket = str(self.dst.bucket)
        self.report = SyncReport(source=str(source), dest=str(dest), mode=self.options.mode,
                                 dry_run=self.options.dry_run)
        self.reporter = Reporter(self.report, on_item)
        self._lock = threading.Lock()
        # after this many items in a row failed as unreachable (each after its retries), the rest fail
        # at once instead of each waiting for its own timeouts and retries
        self._unreachable: tuple[int, E.ItsStoreError] | None = None
        self._give_up = 2 * (self.options.workers or self.ctx.batch_workers) + 4
        # the local side, read or written through the descriptors of its folders (core/localtree)
        self._tree: LocalTree | None = None
        self._around: tuple[str | None, str | None] = (None, None)  # set by the march for each delete candidate
        self._same = 0  # pairs _decide found unchanged on its fast path: the march's (one thread at a time)

    # ------------------------------------------------------------------------------------- running
    def run(self) -> SyncReport:
        started = time.perf_counter()
        self._preflight()
        self._open_stores()
        src_walk, dst_walk = Walk(), Walk()
        workers = self.options.workers or self.ctx.batch_workers
        self.deletes = Deletes(self.options, self.reporter, ctx=self.dst_ctx,
                               bucket=str(self.dst.bucket) if self.dst.remote else None, prefix=self.dst_prefix,
                               state=self.dst_state, tree=None if self.dst.remote else self._tree, workers=workers,
                               fetched=(self._folder, str(self.src.bucket), self.src_prefix) if self._folder else None)
        pairs = self._march(self._side(self.src, src_walk, True), self._side(self.dst, dst_walk, False), src_walk)
        # the march and each pair's decision run on their own thread (sync/ahead.py), at most 4 x workers tasks
        # ahead of the workers that run the pairs needing a HEAD or a transfer; once the march is done, that
        # thread asks what the deletes need while the last transfers run (Deletes.prepare)
        tasks = ReadAhead(self._tasks(pairs), 4 * workers, name="its-sync-march",
                          then=lambda: self.deletes.prepare(src_walk, dst_walk))
        try:
            with self.ctx.batch() as recording:  # the copies' stats, audit lines, cache invalidations
                for outcome in fan_out(self._run_task, tasks, workers=workers, ahead=4 * workers,
                                       ordered=False, name="its-sync", initializer=recording.bind):
                    recording.tick()  # the cache invalidations due, written by this thread
                    outcome.result()  # _guarded made every failure an item; anything else stops the sync
            tasks.close()  # the march is over: its counts and delete candidates are final
            self._walk_outcome(src_walk, dst_walk)
            self.deletes.run(src_walk, dst_walk)
        except BaseException as exc:  # stopped, and waited for as fan_out waits for its workers
            tasks.close(interrupted=isinstance(exc, (KeyboardInterrupt, SystemExit)))
            raise
        finally:
            self._close_stores(started)
        return self.reporter.finish()

    def _open_stores(self) -> None:
        """What a run reads and writes besides the two listings: the local side's tree (its folders'
        descriptors), the state store of each side (the remote side's entries read while the listing's
        first page is asked for) and the HEAD counters over them. _close_stores closes them."""
        local = self.dst if self.kind == "download" else self.src
        if local.path is not None:
            self._tree = LocalTree(local.path, follow_symlinks=self.options.follow_symlinks and self.kind == "upload",
                                   create=self.kind == "download", sweep=self.kind == "download")
        # a dry run changes no state: its HEADs' answers are not kept either (but the watcher's first pass's are)
        dry = self.options.dry_run and not self.options.keep_heads
        self.state = open_state(self.ctx, self.options.state, read_only=dry)
        self.dst_state = open_state(self.dst_ctx, self.options.state, read_only=dry) if self.cross else self.state
        # a download's folder as the state store names it (what each download left there: state.Fetched)
        self._folder = str(Path(self.dst.path).resolve()) if self.kind == "download" else None  # type: ignore[arg-type]
        for loc, prefix, state in ((self.src, self.src_prefix, self.state),
                                   (self.dst, self.dst_prefix, self.dst_state)):
            if loc.remote:  # read while the listing's first page is asked for
                state.preload_behind(str(loc.bucket), prefix, self._folder if loc is self.src else None)
        self.heads = C.Heads(self.ctx, self.state)
        self.dst_heads = C.Heads(self.dst_ctx, self.dst_state) if self.cross else self.heads
        self.transfers: Transfers | None = None  # made for the first pair that needs a request (_tasks)

    def _close_stores(self, started: float) -> None:
        """Close what _open_stores and the deletes opened, whatever stopped the run, and put the run's HEAD
        count, unchanged pairs and duration in the report."""
        if self._tree is not None:
            self._tree.close()
        self.state.close()
        self.dst_state.close()
        self.report.state_off = self.state.off or self.dst_state.off  # said once on stderr too (SyncState._off)
        self.deletes.close()
        self.reporter.unchanged(self._same)
        self._same = 0
        self.report.totals.heads = self.heads.count + (self.dst_heads.count if self.cross else 0)
        self.report.duration_seconds = round(time.perf_counter() - started, 3)

    def _tasks(self, pairs: Iterator[tuple[Any, Any]]) -> Iterator[tuple[Callable[[Any, Any], None], Any, Any]]:
        """(task, source item, dest item) of each pair that is not decided without a request."""
        for s, d in pairs:
            task = self._decide(s, d)
            if task is not None:
                if self.transfers is None:  # imported here, not at start-up: an unchanged tree never needs it
                    from its_store.sync.transfers import Transfers
                    self.transfers = Transfers(self.route, self.options, self.reporter, self._tree, state=self.state,
                                               dst_state=self.dst_state, heads=self.heads, dst_heads=self.dst_heads,
                                               folder=self._folder)
                yield task, s, d

    def _run_task(self, job: tuple[Callable[[Any, Any], None], Any, Any]) -> None:
        task, s, d = job
        self._guarded(task, s, d)

    def _preflight(self) -> None:
        """Fail early, once, on what would fail every item: missing source, unusable destination."""
        if not self.src.remote:  # a source bucket: its listing stands for its HEAD (_listing_proves_source)
            root = Path(self.src.path)  # type: ignore[arg-type]
            if not root.exists():
                raise E.LocalFileNotFoundError(f"no such folder: {root}")
            if not root.is_dir():
                raise E.InvalidInputError(f"{root} is not a folder", hint="sync copies folders; use cp for one file")
        if self.dst.remote:
            # a dry run asks whether the bucket exists (nothing is created); a real one lets the destination's
            # listing stand for that question (_listing_proves_bucket): one request fewer
            self._dst_missing = self.options.dry_run and not bucket_seen(self.dst_ctx, str(self.dst.bucket))
        else:
            root = Path(self.dst.path)  # type: ignore[arg-type]
            if root.exists() and not root.is_dir():
                raise E.InvalidInputError(f"{root} is not a folder")
            if not self.options.dry_run and not self.src.remote:
                self._make_dest(root)  # else once the source listing answered (_dest_made)

    @staticmethod
    def _make_dest(root: Path) -> None:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise E.LocalIOError(f"cannot create {root}: {exc.strerror}") from None

    def _dest_made(self, listed: Iterator[Any], walk: Walk) -> Iterator[Any]:
        """The source listing of a download; the local DEST is made once it answered (its first item, or its
        end without error): a listing refused as a whole makes nothing."""
        made = False
        for item in listed:
            if not made:
                made = True
                self._make_dest(Path(self.dst.path))  # type: ignore[arg-type]
            yield item
        if not made and walk.error is None:
            self._make_dest(Path(self.dst.path))  # type: ignore[arg-type]

    def _side(self, loc: Any, walk: Walk, source: bool) -> Iterator[Any]:
        if loc.remote:
            if not source and getattr(self, "_dst_missing", False):
                return iter(())
            prefix = self.src_prefix if source else self.dst_prefix
            listed = walk_remote(self.ctx if source else self.dst_ctx, str(loc.bucket), prefix, walk,
                                 self.options.filter.prunes)
            if source:
                listed = self._listing_proves_source(listed, walk)
                return listed if self.dst.remote or self.options.dry_run else self._dest_made(listed, walk)
            return listed if self.options.dry_run else self._listing_proves_bucket(listed, walk)
        root = Path(loc.path)
        if not source and not root.exists():
            return iter(())
        # listed through the descriptors its files are then read from or written in, following links only
        # where the tree does (a download never does)
        tree = self._tree
        return walk_local(root, walk, follow_symlinks=tree.follow_symlinks if tree else False,
                          prune=self.options.filter.prunes, tree=tree)

    def _listing_proves_source(self, listed: Iterator[Any], walk: Walk) -> Iterator[Any]:
        """The source's listing, standing for its bucket's HEAD (a pre-check of old: one request fewer a sync):
        one answered "no such bucket" before any item is that pre-check's BucketNotFoundError (exit 3). The
        march asks for the source's first item before the destination's, so nothing is listed, made or
        decided in DEST first; a denied listing stays the listing's failure, as after a denied HEAD."""
        yield from listed
        if isinstance(walk.error, E.BucketNotFoundError) and not walk.count:
            raise E.BucketNotFoundError(f"bucket not found: {self.src.bucket}")

    def _listing_proves_bucket(self, listed: Iterator[Any], walk: Walk) -> Iterator[Any]:
        """The destination's listing, standing for its bucket's HEAD (ensure_bucket): a listing answered proves
        the bucket exists (uploads then make no HEAD); one answered "no such bucket" before any item hands over
        to ensure_bucket, which creates the bucket (MINIO_CREATE_BUCKETS) or raises what the HEAD said (exit 3,
        with its hint). The march asks for the destination's first item before it yields a pair, so either
        happens before any transfer or delete is decided."""
        bucket, known = str(self.dst.bucket), self.dst_ctx.known_buckets
        for item in listed:  # the first item proves it; the rest pass through without a step here each
            known.add(bucket)
            yield item
            yield from listed
        if walk.error is None:
            known.add(bucket)
        elif isinstance(walk.error, E.BucketNotFoundError) and bucket not in known:
            walk.error = None
            walk.problems.clear()  # only the listing's own failure: nothing was listed
            ensure_bucket(self.dst_ctx, bucket)

    def _march(self, a: Iterator[Any], b: Iterator[Any], src_walk: Walk) -> Iterator[tuple[Any, Any]]:
        """Pairs (source item or None, dest item or None) by relative path, both walks advancing in
        step. Items outside the filter or the shard are dropped on both sides, and so is a DEST item whose
        path the source walk passed over (Walk.passed_over: never deleted as "not in the source"). An item
        out of order (a listing that is not sorted as we assume) marks the source as unsafe for deletes."""
        opts = self.options
        wanted = self._wanted if (opts.filter or opts.shard is not None) else None
        x, y = next(a, None), next(b, None)
        last_x = last_y = ""
        while x is not None or y is not None:
            if x is not None and y is not None and (rel := x.rel) == y.rel:  # the same path on both sides: most
                if rel < last_x or rel < last_y:  # pairs, checked first (the one-sided ones follow)
                    src_walk.problems.append(("", "a listing came out of order; nothing is deleted"))
                pair, last_x, last_y = (x, y), rel, rel
                x, y = next(a, None), next(b, None)
                if wanted is None or wanted(rel):
                    yield pair
                continue
            if (x is not None and x.rel < last_x) or (y is not None and y.rel < last_y):
                src_walk.problems.append(("", "a listing came out of order; nothing is deleted"))
            if x is not None and (y is None or x.rel < y.rel):
                pair, last_x, x = (x, None), x.rel, next(a, None)
            elif y is not None:  # only in DEST (y is before x, or x is None): always so here
                before = last_y or None  # DEST's paths either side of a delete candidate (deletes.py groups
                pair, last_y, y = (None, y), y.rel, next(b, None)  # the proof of adjacent ones by them)
                self._around = (before, y.rel if y is not None else None)
                if src_walk.passed_over(last_y):
                    continue
            if wanted is None or wanted(last_x if pair[0] is not None else last_y):  # the path of the pair
                yield pair

    def _wanted(self, rel: str) -> bool:
        opts = self.options
        return (not opts.filter or opts.filter.accepts(rel)) and (opts.shard is None or rel in opts.shard)

    # ------------------------------------------------------------------------------------ deciding
    def _decide(self, s: Any, d: Any) -> Callable[[Any, Any], None] | None:
        """The task for a pair, or None when it is decided here (unchanged, or a delete candidate)."""
        if s is None:
            if self.options.delete:
                self.deletes.add(d, *self._around)
            return None
        if d is None:
            return self._copy_new
        mode = self.options.mode
        if self.kind == "upload":
            if mode == "size-only" and s.size == d.size:
                return self._unchanged()
            known = self.state.get(self._dst_bucket, d.key, d.etag, d.size)  # heads.cached(), without its call
            if known is not None and mode != "checksum":
                if known.size == s.size and known.mtime is not None and known.mtime == format_mtime(s.mtime_ns):
                    self._same += 1  # upload_reason's "unchanged" of most pairs, without its calls and a lock
                    return None
                reason, _ = C.upload_reason(mode, s, d, known, self._read_local)
                if reason is None:
                    return self._unchanged()
                why = reason  # a str, for the task below
                return lambda s, d: self._work.upload(s, why)
        elif self.kind == "download" and mode == "size-only" and s.size == d.size:
            return self._unchanged()
        elif self.kind == "download":
            bucket = str(self.src.bucket)
            left = self.state.fetched(self._folder, bucket, s.key)  # type: ignore[arg-type]
            if left is not None and left.left_as(d.size, d.mtime_ns) and left.rewritten(s.etag, s.size):
                # written on the server since it was downloaded, the file untouched since: fetched whatever the
                # object's metadata says (another tool's rewrite may carry the old bytes' its-sha256 and mtime)
                return lambda s, d: self._work.download(s, C.REWRITTEN, None)
            known = self.heads.cached(bucket, s)
            if known is not None and mode != "checksum":
                reason = C.download_reason(mode, d, s, known, self._read_local)
                if reason is None:
                    if not self.options.dry_run:  # a dry run records nothing of local files (docs/guides/sync.md)
                        C.note_fetched(self.state, self._folder, bucket, s, d, left)  # type: ignore[arg-type]
                    return self._unchanged()
                return lambda s, d: self._work.fetch(s, d, reason, known)
        return self._compare

    def _unchanged(self) -> Callable[[Any, Any], None] | None:
        """Count an unchanged pair: it has no task (None, so that _decide can return this)."""
        self.reporter.unchanged()
        return None

    def _guarded(self, task: Callable[[Any, Any], None], s: Any, d: Any) -> None:
        """Run a pair's task; any failure becomes a failed item (the rest of the sync goes on)."""
        item = s or d
        gone = self._unreachable
        if gone is not None and gone[0] >= self._give_up:  # the server is gone: no more requests
            self._fail(item, f"not tried: {gone[1].message}", gone[1].code, gone[1].exit_code)
            return
        try:
            task(s, d)
            self._unreachable = None
        except (E.LocalFileNotFoundError, E.ObjectNotFoundError) as exc:
            if not self._source_gone(exc):  # the other side: a failure (a local write never says this)
                self._fail(item, exc.message, exc.code, exc.exit_code)
                return
            self._add("skipped", Item(path=item.rel, key=self.route.key_of(item.rel), size=0, reason="vanished"))
        except UnsafeKeyError as exc:  # no safe local name (core/refs.py): said, the rest goes on, exit 1
            self.reporter.unwritten()
            self._add("skipped", Item(path=item.rel, key=self.route.key_of(item.rel), size=getattr(item, "size", 0),
                                      reason=exc.reason, code=exc.code))
        except E.ServiceUnavailableError as exc:
            with self._lock:
                self._unreachable = ((self._unreachable or (0, exc))[0] + 1, exc)
            self._fail(item, exc.message, exc.code, exc.exit_code)
        except E.ItsStoreError as exc:
            self._fail(item, exc.message, exc.code, exc.exit_code)
        except OSError as exc:  # the net under the places that name what they did
            error = local_error(exc)
            self._fail(item, error.message, error.code, error.exit_code)

    def _source_gone(self, exc: E.ItsStoreError) -> bool:
        """Whether `exc` says the SOURCE of a pair is gone since it was listed (then the pair is skipped
        as "vanished"): a local file not found when the source is local, an object not found when it is
        remote. Anything else not found is that item's failure."""
        if self.src.remote:
            return isinstance(exc, E.ObjectNotFoundError)
        return isinstance(exc, E.LocalFileNotFoundError)

    @property
    def _work(self) -> Transfers:
        """The transfers, which _tasks made before it handed on the first pair's task."""
        if self.transfers is None:  # never so: a task runs only after _tasks yielded it
            raise RuntimeError("a sync's pair task ran before the sync's transfers were made")
        return self.transfers

    def _compare(self, s: Any, d: Any) -> None:
        """A pair the state store could not decide (transfers.Transfers.compare)."""
        self._work.compare(s, d)

    def _copy_new(self, s: Any, d: Any) -> None:
        """A pair only in the source (transfers.Transfers.copy_new)."""
        self._work.copy_new(s, d)

    def _read_local(self, local: LocalFile) -> AbstractContextManager[IO[bytes]]:
        """A walked local file opened for reading in the folder walked (transfers.read_local)."""
        return read_local(self._tree, local)

    # ------------------------------------------------------------------------------------- report
    def _add(self, kind: str, item: Item) -> None:
        self.reporter.add(kind, item)

    def _fail(self, item: Any, reason: str, code: str, exit_code: int) -> None:
        self.reporter.fail(item.rel, self.route.key_of(item.rel), getattr(item, "size", 0), reason, code, exit_code)

    def _walk_outcome(self, src_walk: Walk, dst_walk: Walk) -> None:
        self.report.totals.listed_source, self.report.totals.listed_dest = src_walk.count, dst_walk.count
        for rel, reason, size in src_walk.notes:
            if self._wanted(rel.rstrip("/") or rel):
                self._add("skipped", Item(path=rel, key=None, size=size, reason=reason))
        for walk, code in ((src_walk, "source_listing"), (dst_walk, "dest_listing")):
            for rel, reason in walk.problems:
                error = walk.error
                self.reporter.fail(rel, None, 0, reason, error.code if error is not None else code,
                                   error.exit_code if error is not None else E.EXIT_ERROR)
        if src_walk.problems:
            self.report.source_complete = False
            if src_walk.error is not None and not src_walk.count:
                self.report.listing_refused()


def sync(owner: Context | HasContext, source: str, dest: str, options: SyncOptions | None = None,
         **kwargs: Any) -> SyncReport:
    """Make `dest` like `source`; see Sync. Returns the report (check `report.ok` / `exit_code()`)."""
    return Sync(owner, source, dest, options, **kwargs).run()

