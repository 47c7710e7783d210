"""cp and mv between locations: s3 -> s3 (server-side copy), local -> s3 (upload), s3 -> local (download),
and s3 -> s3 between two endpoints (streamed through this process: service/xcopy.py).

s3 -> s3 is a server-side copy: the bytes never leave the server. Up to `copy_threshold` (5 GiB, the
CopyObject limit) one CopyObject keeps metadata, content type and tags (directive COPY: the server copies
them, nothing is sent again; a server without object tagging has none to keep). Above it, a multipart
copy (UploadPartCopy of ranges) sends metadata and tags again, since a multipart copy keeps none, and
reads the tags back (service/tagcheck.tags_kept: exit 78 tags_not_kept, the source kept). Its part size
follows the source's own (x-amz-meta-its-part-size) when the source was uploaded in parts, so that the
copy's multipart ETag equals the source's and proves the bytes.

local <-> s3 go through service/objects.upload / download, so checksums, stats, audit
and cache invalidation happen once, exactly as for `upload` and `get`. The local side of a recursive
copy is a core/localtree.LocalTree: files are read, written and removed through the descriptors of
the folders below the one named, never following a folder swapped for a link mid-run.

mv = copy, verify, delete the source. Nothing is deleted whose copy was not verified:
- s3 -> s3: a HEAD of the copy: same size, and the same ETag or the same its-sha256;
- s3 -> s3 between endpoints: the bytes read matched the source's own checksum (its-sha256, else its
  CRC32 or MD5 ETag) before the copy was completed, and a HEAD of the copy shows what its write answered;
- local -> s3: the upload succeeded (the server checked each request's CRC32), a HEAD of the object
  shows the size and ETag the upload reported, and the file did not change (size, mtime) meanwhile;
  it is then removed by its name in the folder it was read from, only while that name still holds
  the file that was read (core/localtree: never a file outside the source folder);
- s3 -> local: the download's own verification (`verified`: CRC32, MD5 ETag or sha256).
A failed item is reported and the rest go on (BatchResult); the CLI exits non-zero if any failed.
"""

from __future__ import annotations

import os
import posixpath
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.files import is_folder
from its_store.core.localtree import LocalTree, OpenFile, TreeFile
from its_store.core.models import DownloadRequest, ListObjectsRequest, UploadRequest
from its_store.core.refs import is_folder_marker, join_key, local_key, validate_new_key
from its_store.core.remotes import one_endpoint
from its_store.service import objects
from its_store.service.batch import Job, run_jobs, upload_reader, walk_files
from its_store.service.batch_result import BatchItem, BatchResult
from its_store.service.bucket_use import bucket_seen, ensure_bucket
from its_store.service.context import Context, HasContext, as_context
from its_store.service.listing import iter_objects

if TYPE_CHECKING:
    from its_store.core.models import DeleteResult
    from its_store.core.shard import Shard
    from its_store.s3.client import ObjectStat

GiB = 1024 ** 3
COPY_LIMIT = 5 * GiB          # the largest object one CopyObject may copy
DEFAULT_COPY_PART = 512 * 1024 ** 2
_META = "x-amz-meta-"
ONTO_ITSELF = "nothing was copied; the two endpoints are one server: a copy within it is `cp s3://... s3://...`"


@dataclass(frozen=True)
class Location:
    """A place to copy from or to: an s3 bucket + key (or prefix), or a local path."""

    bucket: str | None = None
    key: str = ""
    path: Path | None = None
    folder: bool = False  # a local path written with a trailing '/': a folder, made if missing

    @property
    def remote(self) -> bool:
        return self.bucket is not None

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.remote else str(self.path)


def parse_location(text: str) -> Location:
    """'s3://B/K' is remote; anything else a local path ('-' is refused: cp/mv move files and objects).
    The rule is core/remotes.parse_location's: `NAME:B/K` names a remote, which a Copier (one
    endpoint, its Context's) cannot serve: refused; a local path with ':' is written ./a:b."""
    if text == "-" or not text:
        raise E.InvalidInputError(f"{text!r} is not a location", hint="use s3://BUCKET/KEY or a local path "
                                  "(stdin and stdout: `upload -` and `get ... -`)")
    where = one_endpoint(text)
    if where.ref is not None:
        return Location(bucket=where.ref.bucket, key=where.ref.key)
    return Location(path=Path(text), folder=text.endswith(("/", os.sep)))


class Copier:
    """cp and mv over one Context (or the StorageService holding it). `copy_threshold` and `copy_part_size`
    are parameters so that the multipart copy path can be exercised with small objects."""

    def __init__(self, owner: Context | HasContext, *, workers: int | None = None, copy_threshold: int = COPY_LIMIT,
                 copy_part_size: int | None = None, options: dict[str, Any] | None = None,
                 follow_symlinks: bool = False, dest_owner: Context | HasContext | None = None) -> None:
        """`owner`: the source's context; `dest_owner`: the destination's when it is another endpoint (an
        s3 -> s3 copy between two stores streams through this process, service/xcopy.py); a local source
        is uploaded with `dest_owner`."""
        from its_store.service.xcopy import is_cross
        self.ctx = as_context(owner)
        self.dst_ctx = as_context(dest_owner) if dest_owner is not None else self.ctx
        self.cross = is_cross(self.ctx, self.dst_ctx)
        self.follow_symlinks = follow_symlinks  # local sources: symbolic links are skipped (and said) unless set
        self.workers = workers or self.ctx.workers
        self.copy_threshold = min(copy_threshold, COPY_LIMIT)
        self.copy_part_size = copy_part_size
        self.options = options or {}  # more UploadRequest / DownloadRequest fields (sse_c_key_file ...)

    # -- entry points ---------------------------------------------------------------------------------
    def copy(self, source: str | Location, dest: str | Location, *, recursive: bool = False,
             move: bool = False, shard: Shard | None = None, exact: bool = False) -> BatchResult:
        """Copy (or move) one object/file, or with `recursive` everything under a prefix/folder. `exact`
        (one object, s3->s3): `dest` is the target key itself, never a prefix to put the source's name
        below, and the source was listed (a sync's pair: a `dir/` holding bytes is copied to its own key)."""
        from its_store.core.shard import checked_shard
        shard = checked_shard(shard)
        src = source if isinstance(source, Location) else parse_location(source)
        dst = dest if isinstance(dest, Location) else parse_location(dest)
        if not src.remote and not dst.remote:
            raise E.InvalidInputError("both locations are local", hint="one of them must be s3://BUCKET/...")
        if not src.remote and self.dst_ctx is not self.ctx:  # an upload: the destination's context does it
            return Copier(self.dst_ctx, workers=self.workers, copy_threshold=self.copy_threshold,
                          copy_part_size=self.copy_part_size, options=self.options,
                          follow_symlinks=self.follow_symlinks).copy(src, dst, recursive=recursive, move=move,
                                                                     shard=shard)
        if shard is not None and not recursive:
            raise E.InvalidInputError("--shard splits a recursive copy; add -r")
        started = time.perf_counter()
        action = "move" if move else "copy"
        result = BatchResult(action=action, bucket=src.bucket or dst.bucket or "",
                             prefix=src.key if src.remote else str(src.path))
        with ExitStack() as trees:  # the local folders of a recursive copy, closed when its pool is done
            jobs = self._recursive_jobs(src, dst, move, shard, result, trees) if recursive \
                else self._single_job(src, dst, move, exact)
            writer = self.dst_ctx if (self.cross and dst.remote) else self.ctx  # where the writes are recorded
            run_jobs(self.workers, _reported(jobs, str(src)), result, writer)
        hidden = [item for item in result.objects if item.delete_marker]
        if src.remote and str(src.bucket) in self.ctx.markers_unknown and any(item.deleted for item in result.objects):
            result.delete_markers, result.still_stored_bytes = None, None  # unknown: never "erased"
        elif hidden:  # a versioned source bucket: the moved objects are hidden, their bytes still stored
            result.delete_markers = True
            result.still_stored_bytes = sum(item.source_size or 0 for item in hidden)
        result.duration_seconds = round(time.perf_counter() - started, 3)
        return result

    def move(self, source: str | Location, dest: str | Location, *, recursive: bool = False,
             shard: Shard | None = None) -> BatchResult:
        """Copy, verify each copy, then delete its source (see the module's docstring)."""
        return self.copy(source, dest, recursive=recursive, move=True, shard=shard)

    # -- planning -------------------------------------------------------------------------------------
    def _single_job(self, src: Location, dst: Location, move: bool, exact: bool = False) -> Iterator[Job]:
        """The one job of a non-recursive copy, planned (and its bucket made) before the pool starts."""
        return iter(list(self._plan_single(src, dst, move, exact)))

    def _plan_single(self, src: Location, dst: Location, move: bool, exact: bool = False) -> Iterator[Job]:
        if src.remote:
            # a key ending in '/' names the object of that key when one is stored (listed: `exact`), else a prefix
            if not src.key or (src.key.endswith("/") and not (exact or self._stored(src))):
                raise E.InvalidInputError(f"{src} names a prefix, not an object", hint="add -r")
            name = posixpath.basename(src.key.rstrip("/")) + ("/" if src.key.endswith("/") else "")
        else:
            path = Path(src.path)  # type: ignore[arg-type]
            if path.is_dir():
                raise E.InvalidInputError(f"{path} is a folder", hint="add -r")
            if not path.exists():
                raise E.LocalFileNotFoundError(f"no such file: {path}")
            name = path.name
        if dst.remote:
            key = dst.key if exact else (join_key(dst.key, name) if (not dst.key or dst.key.endswith("/"))
                                         else dst.key)
            target = Location(bucket=dst.bucket, key=validate_new_key(key, copy_of=src.key if src.remote else None))
        else:
            folder = dst.folder or dst.path.is_dir()  # type: ignore[union-attr]
            if folder and name.endswith("/"):  # `dir/` cannot become a file of that name: name the file
                raise E.InvalidInputError(f"{src} has no file name to use in {dst.path}", hint="name the file")
            target = Location(path=Path(dst.path, name) if folder else dst.path)  # type: ignore[arg-type]
        if src.remote and target.remote:
            if not self.cross:
                self._not_itself(src, target)
            elif not (move or exact) and (src.bucket, src.key) == (target.bucket, target.key):
                from its_store.service.xcopy import CrossOptions  # each side's key, as the copy takes them
                from its_store.service.xmove import same_object  # a move checks it itself (MoveGuard)
                keys = CrossOptions.of(self.options)
                if same_object(self.ctx, self.dst_ctx, str(src.bucket), str(src.key), keys.source_key(),
                               keys.dest_key()):
                    raise E.InvalidInputError(f"{src} would be copied onto itself: the destination endpoint holds "
                                              "this very object (one server under two names)", hint=ONTO_ITSELF)
            ensure_bucket(self.dst_ctx, str(target.bucket))
        elif target.remote:
            ensure_bucket(self.ctx, str(target.bucket))
        yield str(src), self._job(src, target, move, None)

    def _recursive_jobs(self, src: Location, dst: Location, move: bool, shard: Shard | None,
                        result: BatchResult, trees: ExitStack) -> Iterator[Job]:
        """Checks first (bad input raises here, before any copy), then the jobs, lazily from the listing
        or the folder walk: memory does not grow with the number of items."""
        prefix = ""
        if dst.remote:
            prefix = dst.key if (not dst.key or dst.key.endswith("/")) else dst.key + "/"
            ensure_bucket(self.dst_ctx, str(dst.bucket))
        if src.remote:
            base = src.key if (not src.key or src.key.endswith("/")) else src.key + "/"
            if dst.remote and src.bucket == dst.bucket and (prefix.startswith(base) or base.startswith(prefix)):
                self._not_overlapping(src, dst, base, prefix, move)
            if not bucket_seen(self.ctx, str(src.bucket)):  # a denied HEAD: the listing will tell
                raise E.BucketNotFoundError(f"bucket not found: {src.bucket}")
            tree = None if dst.remote else trees.enter_context(LocalTree(Path(dst.path), create=True))  # type: ignore[arg-type]
            return self._remote_jobs(src, dst, base, prefix, move, shard, tree)
        folder = Path(src.path)  # type: ignore[arg-type]
        if not folder.is_dir():
            raise (E.LocalFileNotFoundError(f"no such folder: {folder}") if not folder.exists()
                   else E.InvalidInputError(f"{folder} is not a folder"))
        tree = trees.enter_context(LocalTree(folder, follow_symlinks=self.follow_symlinks))
        return self._local_jobs(tree, dst, prefix, move, shard, result)

    def _remote_jobs(self, src: Location, dst: Location, base: str, prefix: str, move: bool,
                     shard: Shard | None, tree: LocalTree | None) -> Iterator[Job]:
        listing = iter_objects(self.ctx, ListObjectsRequest(bucket=str(src.bucket), prefix=base, recursive=True))
        for info in listing:
            rel = info.key[len(base):]
            if is_folder_marker(info.key, info.size) or (shard is not None and rel not in shard):
                continue  # empty folder markers are not copied; other shards' keys are not ours
            source = Location(bucket=src.bucket, key=info.key)
            yield info.key, self._lazy_target(source, dst, rel, prefix, tree, move, info.size, info.etag)

    def _local_jobs(self, tree: LocalTree, dst: Location, prefix: str, move: bool, shard: Shard | None,
                    result: BatchResult) -> Iterator[Job]:
        for path, rel in walk_files(tree.root, result, self.follow_symlinks, tree):
            if shard is not None and rel not in shard:
                continue
            yield path, self._walked_job(tree, rel, dst, prefix, move)

    def _walked_job(self, tree: LocalTree, rel: str, dst: Location, prefix: str, move: bool) -> Callable[[], BatchItem]:
        """The job of one file of the walk; its key is checked when the job runs (a bad name fails alone)."""
        def run() -> BatchItem:
            return self._local_to_s3(tree, rel, Location(bucket=dst.bucket, key=local_key(prefix, rel)), move)
        return run

    def _lazy_target(self, source: Location, dst: Location, rel: str, prefix: str, tree: LocalTree | None,
                     move: bool, size: int, etag: str | None = None) -> Callable[[], BatchItem]:
        """The job of one listed object (`size` and `etag` as listed); its target is checked when the job runs (a
        bad key fails alone)."""
        def run() -> BatchItem:
            if tree is None:
                key = validate_new_key(join_key(prefix, rel), copy_of=source.key)
                return self._s3_to_s3(source, Location(bucket=dst.bucket, key=key), move, size, etag)
            return self._s3_to_local(source, tree.file(rel), move, size, etag)  # no safe local name: skipped
        return run

    def _stored(self, src: Location) -> bool:
        """Whether a key ending in '/' names a stored object (service/heads.names_stored_object: one HEAD; an
        empty answer is a folder marker, as stat/get/rm decide)."""
        from its_store.service.heads import names_stored_object
        return names_stored_object(self.ctx, str(src.bucket), str(src.key))

    def _not_overlapping(self, src: Location, dst: Location, base: str, prefix: str, move: bool) -> None:
        """Nested or equal prefixes of one bucket: an overlap on one endpoint, and on two that are one server
        under two names (service/xmove.py: equal prefixes would copy each object onto itself)."""
        from its_store.service.xmove import one_server, one_server_nested
        if not self.cross:
            raise E.InvalidInputError(f"{src} and {dst} overlap", hint="copy between disjoint prefixes")
        if base == prefix:
            if one_server(self.ctx, self.dst_ctx, str(src.bucket), base):
                raise E.InvalidInputError(f"{src} and {dst} are one server under two names: each object would be "
                                          f"{'moved' if move else 'copied'} onto itself", hint=ONTO_ITSELF)
        elif one_server_nested(self.ctx, base, self.dst_ctx, prefix, str(src.bucket)):
            raise E.InvalidInputError(f"{src} and {dst} overlap", hint="copy between disjoint prefixes")

    @staticmethod
    def _not_itself(src: Location, dst: Location) -> None:
        if src.bucket == dst.bucket and src.key == dst.key:
            raise E.InvalidInputError(f"{src} would be copied onto itself")

    def _job(self, src: Location, dst: Location, move: bool, size: int | None) -> Callable[[], BatchItem]:
        if src.remote and dst.remote:
            return lambda: self._s3_to_s3(src, dst, move)
        if dst.remote:  # the file the user named: its folder is followed (theirs), the name only if asked
            path = Path(src.path)  # type: ignore[arg-type]
            return lambda: self._local_to_s3(LocalTree(path.parent, follow_symlinks=self.follow_symlinks, keep=0),
                                             path.name, dst, move)
        return lambda: self._s3_to_local(src, Path(dst.path), move, size)  # type: ignore[arg-type]

    # -- the three kinds of copy ------------------------------------------------------------------------
    def _s3_to_s3(self, src: Location, dst: Location, move: bool, size: int | None = None,
                  etag: str | None = None) -> BatchItem:
        if self.cross:
            return self._relay(src, dst, move, size, etag)
        from its_store.service.copying import server_copy, verify_copy
        ctx, sb, sk, db, dk = self.ctx, str(src.bucket), src.key, str(dst.bucket), dst.key
        with ctx.op("cp", bucket=db, key=dk, stat="copy", source=f"s3://{sb}/{sk}") as op:
            head, etag, version, multipart, unchecked = server_copy(
                ctx, sb, sk, db, dk, threshold=self.copy_threshold, part_size=self.copy_part_size, move=move)
            op.nbytes = head.size
        item = BatchItem(source=str(src), dest=str(dst), size=head.size, etag=etag, version_id=version,
                         multipart_copy=multipart, unchecked=unchecked)
        if move:
            from its_store.service.xmove import MoveGuard
            with _unchecked_copy(item, f"s3://{sb}/{sk}"):
                if unchecked == "tags":  # a multipart copy's tags, not proven kept: the source keeps them
                    from its_store.service.tagcheck import unproven
                    raise unproven(str(dst))
                item.verified_by = verify_copy(ctx, head, db, dk)  # raises IntegrityError: source kept
                MoveGuard.of_head(ctx, sb, sk, head).still_the_source()  # rewritten since: ConflictError, kept
            _delete_source(ctx, item, sb, sk, (head.etag, head.version_id, head.size), head.size)  # only as copied
        return item

    def _relay(self, src: Location, dst: Location, move: bool, size: int | None, etag: str | None = None) -> BatchItem:
        """s3 -> s3 between two endpoints: streamed (service/xcopy.py), recorded on the destination; a move
        deletes the source only once the copy is confirmed (xcopy.confirm_copy)."""
        from its_store.service.xcopy import CrossOptions, confirm_copy, copy_object
        from its_store.service.xmove import MoveGuard
        sb, sk = str(src.bucket), src.key
        options = CrossOptions.of({"workers": max(1, self.workers // 2), "part_size": self.copy_part_size,
                                   **self.options, "move": move})
        guard = MoveGuard.before_copy(self.ctx, sb, sk, self.dst_ctx, str(dst.bucket), dst.key,
                                      key_file=options.source_key(), dest_key_file=options.dest_key()) if move else None
        copied = copy_object(self.ctx, sb, sk, self.dst_ctx, str(dst.bucket), dst.key, options, size_hint=size,
                             etag_hint=etag)
        item = BatchItem(source=str(src), dest=str(dst), size=copied.size, etag=copied.etag,
                         version_id=copied.version_id, verified=copied.verified_by is not None,
                         multipart_copy=False,  # streamed, never UploadPartCopy: a bool, as cp --json has it
                         unchecked=copied.unchecked)
        if move:
            with _unchecked_copy(item, f"s3://{sb}/{sk}"):
                item.verified_by = confirm_copy(self.dst_ctx, copied, options)  # raises IntegrityError: kept
                if guard is not None:
                    guard.still_the_source()  # raises ConflictError: source kept (service/xmove.py)
            before = guard.before if guard is not None and guard.before is not None else (None, None, None, None)
            _delete_source(self.ctx, item, sb, sk, (before[1], before[0], before[2]), copied.size,  # only as copied
                           guard.key_file if guard is not None else None)
        return item

    def _local_to_s3(self, tree: LocalTree, rel: str, dst: Location, move: bool) -> BatchItem:
        """Upload tree/rel, read only through the descriptor opened in its folder's descriptor; with
        `move`, verify and remove it there (_remove_moved)."""
        with tree.open_file(rel) as opened, upload_reader(opened) as source:
            path = opened.path
            resp = objects.upload(self.ctx, UploadRequest(bucket=dst.bucket, key=dst.key, file_path=path,
                                                          follow_symlinks=self.follow_symlinks,
                                                          workers=max(1, self.workers // 2), **self.options),
                                  source=source, source_stat=opened.stat)
            item = BatchItem(source=str(path), dest=str(dst), size=resp.total_size, etag=resp.etag,
                             version_id=resp.version_id, unchecked=resp.unchecked)
            if move:
                stat = self._moved_object(dst, resp.version_id, resp.encryption == "SSE-C")
                stored = resp.stored_size if resp.stored_size is not None else resp.total_size
                if stat.size != stored or (stat.etag or "").strip('"') != resp.etag:
                    raise E.IntegrityError(f"the uploaded {dst} does not match what was sent; {path} kept")
                item.verified_by = "upload"
                _remove_moved(opened)
                item.deleted = True
        return item

    def _source_key(self) -> Path | bytes | None:
        """The SSE-C key a download was read with, as it was given: its bytes (`sse_c_key`, first, as resolve_key
        takes them) or its file; the source's checks before its DELETE use it (MoveGuard, delete_guard)."""
        given = self.options.get("sse_c_key")
        return given if given is not None else self.options.get("sse_c_key_file")

    def _moved_object(self, dst: Location, version_id: str | None, sse_c: bool) -> ObjectStat:
        """The HEAD of a moved file's object before the file goes, never from a cache: with the SSE-C key
        it was stored with (a key-less HEAD of it is refused; skipping it removed the file on the strength
        of the PUT's answer alone). Not found: the server did not keep it, and the file stays."""
        from its_store.codec.encryption import resolve_key
        from its_store.service.decoding import stat_with_key
        key = resolve_key(self.ctx.settings, self.options.get("sse_c_key"), self.options.get("sse_c_key_file")) \
            if sse_c else None
        try:
            return stat_with_key(self.ctx, str(dst.bucket), dst.key, version_id, key)
        except E.NotFoundError:
            raise E.IntegrityError(f"the server answered the upload of {dst} but does not have it; the local "
                                   "file was kept", hint="check the server, then move the file again") from None

    def _s3_to_local(self, src: Location, target: Path | TreeFile, move: bool, size: int | None,
                     etag: str | None = None) -> BatchItem:
        """Download to `target`: a path the user named, or a file under the folder of a recursive copy
        (TreeFile: written through that folder's descriptors; a folder in its place is ConflictError). `size`
        and `etag`: as a listing gave them (a GET answering another is not taken: service/fetch.open_answer)."""
        into = target if isinstance(target, TreeFile) else None
        if into is None and is_folder(target):  # type: ignore[arg-type]
            raise E.ConflictError(f"{target} is a folder; cannot write object {src.key} there")
        if move and into is None:  # the file the user named, written through its folder's descriptor (below)
            path = Path(str(target))
            with LocalTree(path.parent, create=True, keep=0) as tree:
                return self._s3_to_local(src, TreeFile(tree, path.name), move, size, etag)
        if move and into is not None:  # on disk before the only other copy goes: a power cut keeps one. Flushed by
            into.durable = True  # the descriptors that wrote the file and renamed it (LocalTree.write), never
            # by its name opened again: renamed or replaced meanwhile, another file was flushed, this one deleted
        request = DownloadRequest(bucket=str(src.bucket), key=src.key, file_path=Path(str(target)), size_hint=size,
                                  etag_hint=etag, workers=max(1, self.workers // 2), custody=move, **self.options)
        resp = objects.download(self.ctx, request, into=into)
        item = BatchItem(source=str(src), dest=str(resp.file_path), size=resp.size, verified=resp.verified)
        if move:
            if not resp.verified:
                raise E.IntegrityError(f"{src} was downloaded to {resp.file_path} but could not be verified "
                                       "(no checksum to compare); the object was kept",
                                       hint="check the file, then remove the object with `its-store rm`")
            item.verified_by = "download"
            from its_store.service.xmove import MoveGuard  # rewritten since the download: ConflictError, kept
            stored = resp.size if resp.stored_size is None else resp.stored_size
            key_file = self._source_key()
            MoveGuard.of_download(self.ctx, str(src.bucket), src.key, resp.etag, resp.version_id, stored,
                                  key_file).still_the_source()
            _delete_source(self.ctx, item, str(src.bucket), src.key, (resp.etag or None, resp.version_id, stored),
                           size if size is not None else resp.size, key_file)  # and only what was downloaded
        return item


@contextmanager
def _unchecked_copy(item: BatchItem, source: str) -> Iterator[None]:
    """A move's checks after its copy (the copy read back, the source unchanged): one the key may not make
    (a key that may write the destination but not read it) keeps the source, and its line says that the
    copy was made (it said only "access denied to HeadObject on DEST": nothing told that DEST was written)."""
    try:
        yield
    except E.AccessDeniedError as exc:
        raise type(exc)(f"{item.dest} was copied but could not be checked, so its source {source} was not "
                        f"deleted (both are kept): {exc.message}", hint=exc.hint) from None


def _delete_source(ctx: Context, item: BatchItem, bucket: str, key: str,
                   copied: tuple[str | None, str | None, int | None], stored: int,
                   key_file: Path | bytes | None = None) -> None:
    """Delete a moved object's source, only the one copied (`copied`: its ETag, sent as If-Match, its version id
    and stored size, which a server that ignores If-Match on DELETE needs: service/delete_guard.py; there, in a
    bucket that keeps no versions, the item says `delete_conditional` false). A DELETE that got no answer is
    looked at (object_delete._lost_answer): gone, the move is done; else the error says the copy exists. So
    does a DELETE refused (a key that may write the destination but not delete the source, an object lock):
    the same error kind (exit 6), its line saying that the copy was made and both are kept (it said only
    "access denied to DeleteObject": nothing told that the destination had been written). An SSE-C source is
    HEADed there with the key it was read with (`key_file`, else the settings'), as MoveGuard HEADs it; a key-less
    refusal there (SseKeyRequiredError) says the copy was made too."""
    done = "downloaded" if item.verified_by == "download" else "copied"
    try:
        result = objects.delete(ctx, bucket, key, if_match=copied[0], copied_version=copied[1],
                                copied_size=copied[2], copied_key_file=key_file)
    except E.ServiceUnavailableError as exc:
        raise E.ServiceUnavailableError(f"{item.dest} was {done} and verified, but {exc.message}",
                                        hint=exc.hint) from None
    except (E.AccessDeniedError, E.SseKeyRequiredError) as exc:
        raise type(exc)(f"{item.dest} was {done} and verified, but its source s3://{bucket}/{key} was not "
                        f"deleted (both are kept): {exc.message}", hint=exc.hint) from None
    _deleted(item, result, stored)


def _deleted(item: BatchItem, result: DeleteResult, stored: int) -> None:
    """Mark a moved object's source as deleted; in a versioned bucket that delete only added a delete
    marker (`delete_marker`), and `source_size` bytes are still stored behind it."""
    item.deleted = True
    item.delete_conditional = result.delete_conditional  # False: a plain DELETE (service/delete_guard.py)
    if result.delete_marker is not False:  # True: hidden; None: unknown (versioning unreadable)
        item.delete_marker = result.delete_marker
        item.source_size = stored if result.delete_marker else None


def _reported(jobs: Iterator[Job], where: str) -> Iterator[Job]:
    """The jobs; a listing or walk that fails midway becomes one failed item (never a silent stop, never
    a crash in a worker thread), so the run exits non-zero and says where it stopped."""
    try:
        yield from jobs
    except E.ItsStoreError as exc:
        def fail(exc: E.ItsStoreError = exc) -> BatchItem:
            raise exc
        yield f"{where} (listing)", fail


def _remove_moved(opened: OpenFile) -> None:
    """Remove a moved file once its upload is verified: by its name in the folder descriptor it was read
    from, only while that name still holds the file that was read, unchanged (size, mtime) since it was
    opened. Else it is kept and the item fails (IntegrityError: exit 4, the object is stored)."""
    if not opened.unchanged():
        raise E.IntegrityError(f"{opened.path} changed while it was uploaded; it was kept",
                               hint="move it again once it is complete")
    try:
        removed = opened.remove_if()
    except E.LocalIOError as exc:  # a folder the user may not change (read-only, immutable, another owner's)
        raise E.LocalIOError(f"uploaded and verified, but {exc.message}; the file was kept") from None
    if removed is False:
        raise E.IntegrityError(f"{opened.path} was replaced while it was uploaded; the new file was kept",
                               hint="move it again")
    if removed is None:
        raise E.LocalIOError(f"uploaded and verified, but {opened.path} was no longer there to remove "
                             "(removed or renamed meanwhile)")
