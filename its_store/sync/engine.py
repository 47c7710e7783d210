"""Sync: make DEST like SRC (local -> s3, s3 -> local, s3 -> s3, also between two endpoints), the way
rclone's march does it.

Both listings are walked side by side in the same sorted order (walk.py) and each pair decided on
its own (compare.py): only in SRC -> copy; in both -> copy if it differs; only in DEST -> a delete
candidate. Pairs needing a HEAD or a transfer run on a thread pool of the service's workers with a
bounded look-ahead; pairs the state store (state.py) can decide cost nothing. Deletes run last
(deletes.py), and only when the WHOLE source listing succeeded, was complete, in order and not empty
(unless allowed), and within --max-delete: a failed or partial listing never turns into deletes.
Every item goes into the report through reporter.py.

A failing item is reported and the rest goes on. Uploads go through single.upload_one (service/objects.upload:
stats, audit, codec, checksums once), downloads through objects.download (temp file + rename):
an interrupted sync leaves nothing half-visible and a rerun sends only what is still missing.

Between two endpoints (`dest_owner`: the destination's Context) the march, the comparison, the filters and
the delete rules are the same; each side is listed, HEADed and remembered (state.py) on its own endpoint,
and a copy streams through this process (service/xcopy.py) instead of being a server-side copy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from its_store.core import errors as E
from its_store.core import models  # DownloadRequest: created on a download's first use (core/download_models.py)
from its_store.core.files import NotRegularError, local_error
from its_store.core.localtree import LocalTree
from its_store.core.refs import UnsafeKeyError, local_key
from its_store.service import objects
from its_store.service.bucket_use import bucket_seen, ensure_bucket
from its_store.service.context import Context, HasContext, as_context
from its_store.sync import compare as C
from its_store.sync.ahead import ReadAhead
from its_store.sync.deletes import Deletes
from its_store.sync.model import Item, SyncOptions, SyncReport
from its_store.sync.mtime import format_mtime
from its_store.sync.remember import STATE_FILE, known_from_info, open_state
from its_store.sync.reporter import Reporter
from its_store.sync.single import sync_request, upload_one
from its_store.sync.state import Known
from its_store.sync.walk import LocalFile, RemoteObject, Walk, walk_local, walk_remote
from its_store.transfer.fanout import fan_out

__all__ = ["STATE_FILE", "Location", "Sync", "open_state", "sync", "sync_request", "upload_one"]


@dataclass(frozen=True)
class Location:
    """s3://BUCKET/PREFIX (bucket set) or a local folder (path set)."""

    bucket: str | None = None
    key: str = ""
    path: Path | None = None

    @property
    def remote(self) -> bool:
        return self.bucket is not None

    @classmethod
    def parse(cls, text: str) -> Location:
        """s3://BUCKET/PREFIX or a local folder, by core/remotes.parse_location's rule (a remote's
        NAME: is refused: sync/copy.one_endpoint)."""
        from its_store.core.remotes import one_endpoint
        if not text or text == "-":
            raise E.InvalidInputError(f"{text!r} is not a folder", hint="sync takes folders and s3://BUCKET/PREFIX/")
        where = one_endpoint(text)
        if where.ref is not None:
            return cls(bucket=where.ref.bucket, key=where.ref.key)
        return cls(path=Path(text))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.remote else str(self.path)


def _remote_prefix(key: str) -> str:
    return key if (not key or key.endswith("/")) else key + "/"


class Sync:
    """One sync of `source` to `dest` (each 's3://BUCKET/PREFIX/' or a local folder).

    `on_item(kind, item)` is called for each copied, skipped, deleted or failed item as it happens
    (kind is the report list's name), e.g. for log lines or progress."""

    def __init__(self, owner: Context | HasContext, source: str, dest: str, options: SyncOptions | None = None, *,
                 on_item: Callable[[str, Item], None] | None = None,
                 dest_owner: Context | HasContext | None = None) -> None:
        self.ctx, self.options = as_context(owner), options or SyncOptions()
        if self.options.mode not in ("size+mtime", "checksum", "size-only"):
            raise E.InvalidInputError(f"unknown compare mode {self.options.mode!r}")
        self.src, self.dst = Location.parse(source), Location.parse(dest)
        if not self.src.remote and not self.dst.remote:
            raise E.InvalidInputError("both locations are local", hint="one of them must be s3://BUCKET/PREFIX/")
        self.kind = "copy" if (self.src.remote and self.dst.remote) else ("upload" if self.dst.remote else "download")
        # `owner` is the source's context, `dest_owner` the destination's (an upload runs on the latter)
        self.dst_ctx = as_context(dest_owner) if dest_owner is not None else self.ctx
        if self.kind == "upload":
            self.ctx = self.dst_ctx
        self.cross = False
        if self.kind == "copy":  # service/xcopy is imported only where it may be used
            from its_store.service.xcopy import is_cross
            from its_store.service.xmove import one_server_nested
            self.cross = is_cross(self.ctx, self.dst_ctx)
        self._dst_bucket = str(self.dst.bucket)
        self.src_prefix = _remote_prefix(self.src.key) if self.src.remote else ""
        self.dst_prefix = _remote_prefix(self.dst.key) if self.dst.remote else ""
        if self.kind == "copy" and self.src.bucket == self.dst.bucket and (
                self.src_prefix.startswith(self.dst_prefix) or self.dst_prefix.startswith(self.src_prefix)) and (
                not self.cross or one_server_nested(self.ctx, self.src_prefix, self.dst_ctx, self.dst_prefix,
                                                    str(self.src.bucket))):
            raise E.InvalidInputError("source and destination overlap", hint="sync between disjoint prefixes")
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
        local = self.dst if self.kind == "download" else self.src
        if local.path is not None:
            self._tree = LocalTree(local.path, follow_symlinks=self.options.follow_symlinks and self.kind == "upload",
                                   create=self.kind == "download")
        self.state = open_state(self.ctx, self.options.state)
        self.dst_state = open_state(self.dst_ctx, self.options.state) if self.cross else self.state
        for loc, prefix, state in ((self.src, self.src_prefix, self.state),
                                   (self.dst, self.dst_prefix, self.dst_state)):
            if loc.remote:  # read while the listing's first page is asked for
                state.preload_behind(str(loc.bucket), prefix)
        self.heads = C.Heads(self.ctx, self.state)
        self.dst_heads = C.Heads(self.dst_ctx, self.dst_state) if self.cross else self.heads
        src_walk, dst_walk = Walk(), Walk()
        workers = self.options.workers or self.ctx.batch_workers
        self.deletes = Deletes(self.options, self.reporter, ctx=self.dst_ctx,
                               bucket=str(self.dst.bucket) if self.dst.remote else None, prefix=self.dst_prefix,
                               state=self.dst_state, tree=None if self.dst.remote else self._tree, workers=workers)
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
            if self._tree is not None:
                self._tree.close()
            self.state.close()
            self.dst_state.close()
            self.deletes.close()
            self.reporter.unchanged(self._same)
            self._same = 0
            self.report.totals.heads = self.heads.count + (self.dst_heads.count if self.cross else 0)
            self.report.duration_seconds = round(time.perf_counter() - started, 3)
        return self.reporter.finish()

    def _tasks(self, pairs: Iterator[tuple[Any, Any]]) -> Iterator[tuple[Callable[[Any, Any], None], Any, Any]]:
        """(task, source item, dest item) of each pair that is not decided without a request."""
        for s, d in pairs:
            task = self._decide(s, d)
            if task is not None:
                yield task, s, d

    def _run_task(self, job: tuple[Callable[[Any, Any], None], Any, Any]) -> None:
        task, s, d = job
        self._guarded(task, s, d)

    def _preflight(self) -> None:
        """Fail early, once, on what would fail every item: missing source, unusable destination."""
        if self.src.remote:
            if not bucket_seen(self.ctx, str(self.src.bucket)):  # a denied HEAD: the listing will tell
                raise E.BucketNotFoundError(f"bucket not found: {self.src.bucket}")
        else:
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
            if source and not self.dst.remote and not self.options.dry_run:
                return self._dest_made(listed, walk)
            return listed if source or self.options.dry_run else self._listing_proves_bucket(listed, walk)
        root = Path(loc.path)
        if not source and not root.exists():
            return iter(())
        # listed through the descriptors its files are then read from or written in, following links only
        # where the tree does (a download never does)
        tree = self._tree
        return walk_local(root, walk, follow_symlinks=tree.follow_symlinks if tree else False,
                          prune=self.options.filter.prunes, tree=tree)

    def _listing_proves_bucket(self, listed: Iterator[Any], walk: Walk) -> Iterator[Any]:
        """The destination's listing, standing for its bucket's HEAD (ensure_bucket): a listing answered proves
        the bucket exists (uploads then make no HEAD); one answered "no such bucket" before any item hands over
        to ensure_bucket, which creates the bucket (MINIO_CREATE_BUCKETS) or raises what the HEAD said (exit 3,
        with its hint). The march asks for the destination's first item before it yields a pair, so either
        happens before any transfer or delete is decided."""
        bucket, known = str(self.dst.bucket), self.dst_ctx.known_buckets
        for item in listed:
            known.add(bucket)
            yield item
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
            if (x is not None and x.rel < last_x) or (y is not None and y.rel < last_y):
                src_walk.problems.append(("", "a listing came out of order; nothing is deleted"))
            if x is not None and (y is None or x.rel < y.rel):
                pair, last_x, x = (x, None), x.rel, next(a, None)
            elif y is not None and (x is None or y.rel < x.rel):
                before = last_y or None  # DEST's paths either side of a delete candidate (deletes.py groups
                pair, last_y, y = (None, y), y.rel, next(b, None)  # the proof of adjacent ones by them)
                self._around = (before, y.rel if y is not None else None)
                if src_walk.passed_over(last_y):
                    continue
            elif x is not None and y is not None:  # the same path on both sides (always so here)
                pair, last_x, last_y = (x, y), x.rel, y.rel
                x, y = next(a, None), next(b, None)
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
            known = self.heads.cached(self._dst_bucket, d)
            if known is not None and mode != "checksum":
                if known.size == s.size and known.mtime is not None and known.mtime == format_mtime(s.mtime_ns):
                    self._same += 1  # upload_reason's "unchanged" of most pairs, without its calls and a lock
                    return None
                reason, _ = C.upload_reason(mode, s, d, known, self._read_local)
                if reason is None:
                    return self._unchanged()
                why = reason  # a str, for the task below
                return lambda s, d: self._upload(s, why)
        elif self.kind == "download" and mode == "size-only" and s.size == d.size:
            return self._unchanged()
        elif self.kind == "download":
            known = self.heads.cached(str(self.src.bucket), s)
            if known is not None and mode != "checksum":
                reason = C.download_reason(mode, d, s, known, self._read_local)
                return self._unchanged() if reason is None else (lambda s, d: self._fetch(s, d, reason, known))
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
            self._add("skipped", Item(path=item.rel, key=self._key_of(item.rel), size=0, reason="vanished"))
        except UnsafeKeyError as exc:  # no safe local name (core/refs.py): said, the rest goes on, exit 1
            self.reporter.unwritten()
            self._add("skipped", Item(path=item.rel, key=self._key_of(item.rel), size=getattr(item, "size", 0),
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

    def _compare(self, s: Any, d: Any) -> None:
        """A pair the state store could not decide: HEAD (one side, or both for s3 -> s3), compare."""
        mode = self.options.mode
        if self.kind == "upload":
            try:
                known = self.heads.known(str(self.dst.bucket), d, mode == "checksum")
            except E.ObjectNotFoundError:  # deleted since it was listed
                self._upload(s, "new")
                return
            except E.AccessDeniedError:  # a key that may write and list, not read: cannot compare, so send it
                self._upload(s, not_comparable(self.ctx, str(self.dst.bucket), d.key))  # (its state is then kept)
                return
            reason, sha = C.upload_reason(mode, s, d, known, self._read_local)
            if reason is None:
                self._unchanged()
            else:
                self._upload(s, reason, sha)
        elif self.kind == "download":
            known = self.heads.known(str(self.src.bucket), s, mode == "checksum")
            reason = C.download_reason(mode, d, s, known, self._read_local)
            if reason is None:
                self._unchanged()
            else:
                self._fetch(s, d, reason, known)
        else:
            if mode == "size-only" and s.size == d.size:
                self._unchanged()
                return
            a = self.heads.known(str(self.src.bucket), s, mode == "checksum")
            b = self.dst_heads.known(str(self.dst.bucket), d, mode == "checksum")
            reason = C.copy_reason(mode, s, a, d, b)
            if reason is None:
                self._unchanged()
            else:
                self._server_copy(s, reason, a)

    def _copy_new(self, s: Any, d: Any) -> None:
        if self.kind == "upload":
            self._upload(s, "new")
        elif self.kind == "download":
            self._download(s, "new", None)
        else:
            self._server_copy(s, "new", None)

    # ----------------------------------------------------------------------------------- transfers
    def _key_of(self, rel: str) -> str | None:
        if self.kind == "download":
            return self.src_prefix + rel
        return self.dst_prefix + rel

    @contextmanager
    def _read_local(self, local: LocalFile) -> Iterator[IO[bytes]]:
        """A walked local file opened for reading in the folder walked (--checksum): a link swapped in for
        the file or a folder on its way is refused, never read through."""
        with self._tree.open_file(local.rel) as opened, opened.reader() as fh:  # type: ignore[union-attr]
            yield fh

    def _upload(self, s: LocalFile, reason: str, sha: str | None = None) -> None:
        key = local_key(self.dst_prefix, s.rel)  # a name that cannot be a key: this item fails, named
        unchecked = None
        if not self.options.dry_run:
            # read in the folder walked: a link swapped in for the file or a folder on its way is refused
            with self._tree.open_file(s.rel) as opened:  # type: ignore[union-attr]
                unchecked = upload_one(self.ctx, s.path, str(self.dst.bucket), key, self.options.upload,
                                       state=self.state, sha256=sha, follow_symlinks=self.options.follow_symlinks,
                                       opened=opened).unchecked
        self._add("copied", Item(path=s.rel, key=key, size=s.size, reason=reason, unchecked=unchecked))

    def _fetch(self, s: RemoteObject, d: LocalFile, reason: str, known: Known) -> None:
        """Download `s` over the file `d`; when only the mtimes differ and the object's checksum shows the
        same content (a file fetched by `get -r`, which keeps no mtime), the file only gets its mtime: no GET."""
        if not (self.options.mode == "size+mtime" and reason.startswith("mtime differs") and self._touch(s, d, known)):
            self._download(s, reason, known)

    def _touch(self, s: RemoteObject, d: LocalFile, known: Known) -> bool:
        """Set the mtime of `d` to the one a download would give it, if its content is the object's (the MD5 ETag
        of a plain object, else the stored sha256) and it was not written since the walk; else False."""
        wanted = C.target_mtime_ns(known, s)
        if wanted is None:
            return False
        try:
            held = self._tree.open_file(d.rel)  # type: ignore[union-attr]
        except (E.LocalIOError, E.NotFoundError, NotRegularError):  # not ours to read (another user's 0600
            return False  # file), gone or no regular file since the walk: the download decides, as before this path
        with held as opened:
            if (opened.stat.st_size, opened.stat.st_mtime_ns) != (d.size, d.mtime_ns):
                return False
            # the server's own checksum where there is one (a plain object's MD5 ETag): the custody sha256 is
            # metadata, which any writer sets (another tool's rewrite may carry the old bytes' sha256 over)
            server = Known(known.etag, known.stored_size, known.size, known.mtime, None, True) if known.md5 else known
            differs, _ = C.content_differs(d, server, lambda _: opened.reader())
            if differs is not False or not opened.unchanged():
                return False
            # on the file hashed, not by name: one renamed over it keeps its own. Another user's file (EPERM):
            # downloaded instead, as before this path (the folder may let the download replace it)
            if not self.options.dry_run and not opened.set_mtime(wanted):
                return False
        self._unchanged()
        return True

    def _download(self, s: RemoteObject, reason: str, known: Known | None) -> None:
        target = self._tree.file(s.rel)  # type: ignore[union-attr]  # no safe local name: UnsafeKeyError
        if self.options.dry_run:
            self._add("copied", Item(path=s.rel, key=s.key, size=known.size if known else s.size, reason=reason))
            return
        # written through the descriptors of the destination's folders: a folder swapped for a link is
        # not followed, a folder in the file's place is ConflictError. One GET: its answer says what a
        # HEAD would (service/fetch.py), kept in the state store as a HEAD's answer is
        request = models.DownloadRequest(bucket=str(self.src.bucket), key=s.key, file_path=target.path,
                                         size_hint=s.size,  # `get`'s key, as `get` takes it
                                         sse_c_key_file=self.options.upload.sse_c_key_file)
        resp, info = objects.download_info(self.ctx, request, into=target)
        if info is not None:
            known = known_from_info(info)
            self.state.put(str(self.src.bucket), s.key, known)
        elif known is None:
            known = self.heads.known(str(self.src.bucket), s)
        wanted = C.target_mtime_ns(known, s)
        if wanted is not None:
            target.set_mtime(wanted)
        self._add("copied", Item(path=s.rel, key=s.key, size=resp.size, reason=reason))

    def _server_copy(self, s: RemoteObject, reason: str, known: Known | None) -> None:
        from its_store.service.lockcheck import LockCheck, lock_after_copy, require_bucket_lock
        from its_store.sync import copy
        key = self.dst_prefix + s.rel
        if self.cross:
            self._relay(s, key, reason, known)
            return
        unchecked = None
        if not self.options.dry_run:
            require_bucket_lock(self.ctx, str(self.dst.bucket), LockCheck.of(self.options.upload.extra))
            result = copy.Copier(self.ctx, workers=1).copy(copy.Location(bucket=self.src.bucket, key=s.key),
                                                           copy.Location(bucket=self.dst.bucket, key=key), exact=True)
            result.raise_for_failures()
            copied = result.objects[0]
            unchecked = copied.unchecked
            lock_after_copy(self.ctx, str(self.dst.bucket), key, copied.version_id,
                            self.options.upload.extra)  # --retain / --legal-hold: a copy carries no lock headers
            known = known or self.heads.cached(str(self.src.bucket), s)
            if known is not None:  # the copy keeps content and metadata: same knowledge, new ETag
                etag = copied.etag or ""
                self.state.put(str(self.dst.bucket), key, Known(etag, known.stored_size, known.size, known.mtime,
                                                                known.sha256, known.md5 and etag == known.etag))
        self._add("copied", Item(path=s.rel, key=key, size=known.size if known else s.size, reason=reason,
                                 unchecked=unchecked))

    def _relay(self, s: RemoteObject, key: str, reason: str, known: Known | None) -> None:
        """A copy between endpoints (service/xcopy.py): streamed with its metadata, tags and the lock asked
        for; the destination's state entry takes what the source's said (same content and metadata)."""
        from its_store.service.xcopy import CrossOptions, copy_object
        up = self.options.upload
        known = known or self.heads.cached(str(self.src.bucket), s)
        unchecked = None
        if not self.options.dry_run:
            options = CrossOptions.of({"sse": up.sse, "sse_c_key_file": up.sse_c_key_file, "part_size": up.part_size,
                                       **up.extra})
            copied = copy_object(self.ctx, str(self.src.bucket), s.key, self.dst_ctx, str(self.dst.bucket), key,
                                 options, size_hint=s.size)
            unchecked = copied.unchecked  # "sse": its encryption not checked, the read-back denied (as _upload)
            if known is not None:
                md5 = known.md5 and copied.etag == known.etag and copied.encryption not in ("SSE-C", "SSE-KMS")
                self.dst_state.put(str(self.dst.bucket), key, Known(copied.etag, known.stored_size, known.size,
                                                                    known.mtime, known.sha256, md5))
        self._add("copied", Item(path=s.rel, key=key, size=known.size if known else s.size, reason=reason,
                                 unchecked=unchecked))

    # ------------------------------------------------------------------------------------- report
    def _add(self, kind: str, item: Item) -> None:
        self.reporter.add(kind, item)

    def _fail(self, item: Any, reason: str, code: str, exit_code: int) -> None:
        self.reporter.fail(item.rel, self._key_of(item.rel), getattr(item, "size", 0), reason, code, exit_code)

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


def not_comparable(ctx: Context, bucket: str, key: str) -> str:
    """The reason to upload a same-size file whose object the key may not HEAD (s3:PutObject and
    s3:ListBucket without s3:GetObject: an edge box's key over objects it did not upload): said once per
    context; the upload records the sync state, so the next run compares from it and is clean."""
    from its_store.service.kept import denied_read_back
    denied_read_back(ctx, "files of the same size are uploaded again", "what the server holds",
                     f"s3://{bucket}/{key}", "s3:GetObject; or compare by size alone: --size-only")
    return "not comparable (the key may not read the object)"

