"""The work of one sync's pairs that the march (engine.py) could not decide for nothing: HEAD and compare
(compare.py), then upload, download, copy on the server or relay between endpoints, or only set a local
file's mtime. Each runs on a worker of the engine's pool; a failure is raised to the engine's _guarded, which
makes it the pair's failed item.

Uploads go through single.upload_one (service/objects.upload: stats, audit, codec, checksums once), downloads
through objects.download_into (temp file + rename), each recording in the state store (state.py) what the
server said of the object, so that the next run decides it from the listing.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import IO, Any

from its_store.core import errors as E
from its_store.core import models  # DownloadRequest: created on a download's first use (core/download_models.py)
from its_store.core.files import NotRegularError
from its_store.core.localtree import LocalTree
from its_store.core.refs import local_key
from its_store.service import objects
from its_store.service.context import Context
from its_store.sync import compare as C
from its_store.sync.location import Route
from its_store.sync.model import Item, SyncOptions
from its_store.sync.remember import known_from_answer
from its_store.sync.reporter import Reporter
from its_store.sync.single import upload_one
from its_store.sync.state import Fetched, Known, SyncState, listed_at
from its_store.sync.walk import LocalFile, RemoteObject, read_local


class Transfers:
    """The pair tasks of one sync over `route`: `tree` its local side (None for s3 -> s3), `state` and `heads`
    the source's state store and HEADs (`dst_state`, `dst_heads` the destination's: other ones between two
    endpoints), `reporter` where each item goes."""

    def __init__(self, route: Route, options: SyncOptions, reporter: Reporter, tree: LocalTree | None, *,
                 state: SyncState, dst_state: SyncState, heads: C.Heads, dst_heads: C.Heads,
                 folder: str | None = None) -> None:
        self.route, self.options, self.reporter, self.tree = route, options, reporter, tree
        self.folder = folder or ""  # a download's folder as the state store names it (state.Fetched)
        self.ctx, self.src, self.dst = route.ctx, route.src, route.dst
        self.state, self.dst_state, self.heads, self.dst_heads = state, dst_state, heads, dst_heads

    def read_local(self, local: LocalFile) -> AbstractContextManager[IO[bytes]]:
        """read_local() in this sync's local folder (compare.py's reader of a file to hash)."""
        return read_local(self.tree, local)

    def compare(self, s: Any, d: Any) -> None:
        """A pair the state store could not decide: HEAD (one side, or both for s3 -> s3), compare."""
        mode = self.options.mode
        kind = self.route.kind
        if kind == "upload":
            try:
                known = self.heads.known(str(self.dst.bucket), d, mode == "checksum")
            except E.ObjectNotFoundError:  # deleted since it was listed
                self.upload(s, "new")
                return
            except E.AccessDeniedError:  # a key that may write and list, not read: cannot compare, so send it
                self.upload(s, not_comparable(self.ctx, str(self.dst.bucket), d.key))  # (its state is then kept)
                return
            reason, sha = C.upload_reason(mode, s, d, known, self.read_local)
            if reason is None:
                self.reporter.unchanged()
            else:
                self.upload(s, reason, sha)
        elif kind == "download":
            known = self.heads.known(str(self.src.bucket), s, mode == "checksum")
            reason = C.download_reason(mode, d, s, known, self.read_local)
            if reason is None:
                if not self.options.dry_run:  # a dry run records nothing of local files (docs/guides/sync.md)
                    C.note_fetched(self.state, self.folder, str(self.src.bucket), s, d,
                                   self.state.fetched(self.folder, str(self.src.bucket), s.key))
                self.reporter.unchanged()
            else:
                self.fetch(s, d, reason, known)
        else:
            if mode == "size-only" and s.size == d.size:
                self.reporter.unchanged()
                return
            a = self.heads.known(str(self.src.bucket), s, mode == "checksum")
            b = self.dst_heads.known(str(self.dst.bucket), d, mode == "checksum")
            reason = C.copy_reason(mode, s, a, d, b)
            if reason is None:
                self.reporter.unchanged()
            else:
                self.server_copy(s, reason, a)

    def copy_new(self, s: Any, d: Any) -> None:
        """A pair only in the source."""
        kind = self.route.kind
        if kind == "upload":
            self.upload(s, "new")
        elif kind == "download":
            self.download(s, "new", None)
        else:
            self.server_copy(s, "new", None)

    def upload(self, s: LocalFile, reason: str, sha: str | None = None) -> None:
        key = local_key(self.route.dst_prefix, s.rel)  # a name that cannot be a key: this item fails, named
        unchecked = None
        if not self.options.dry_run:
            # read in the folder walked: a link swapped in for the file or a folder on its way is refused
            with self.tree.open_file(s.rel) as opened:  # type: ignore[union-attr]
                unchecked = upload_one(self.ctx, s.path, str(self.dst.bucket), key, self.options.upload,
                                       state=self.state, sha256=sha, follow_symlinks=self.options.follow_symlinks,
                                       opened=opened).unchecked
        self.reporter.add("copied", Item(path=s.rel, key=key, size=s.size, reason=reason, unchecked=unchecked))

    def fetch(self, s: RemoteObject, d: LocalFile, reason: str, known: Known) -> None:
        """Download `s` over the file `d`; when only the mtimes differ and the object's checksum shows the
        same content (a file fetched by `get -r`, which keeps no mtime), the file only gets its mtime: no GET."""
        if not (self.options.mode == "size+mtime" and reason.startswith("mtime differs") and self._touch(s, d, known)):
            self.download(s, reason, known)

    def _touch(self, s: RemoteObject, d: LocalFile, known: Known) -> bool:
        """Set the mtime of `d` to the one a download would give it, if its content is the object's (the MD5 ETag
        of a plain object, else the stored sha256) and it was not written since the walk; else False."""
        wanted = C.target_mtime_ns(known, s)
        if wanted is None:
            return False
        try:
            held = self.tree.open_file(d.rel)  # type: ignore[union-attr]
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
        if not self.options.dry_run:  # from now on, a listing with another ETag or size fetches it (state.Fetched)
            C.note_fetched(self.state, self.folder, str(self.src.bucket), s, LocalFile(d.rel, d.path, d.size, wanted),
                           None)
        self.reporter.unchanged()
        return True

    def download(self, s: RemoteObject, reason: str, known: Known | None) -> None:
        target = self.tree.file(s.rel)  # type: ignore[union-attr]  # no safe local name: UnsafeKeyError
        if self.options.dry_run:
            self.reporter.add("copied", Item(path=s.rel, key=s.key, size=known.size if known else s.size,
                                             reason=reason))
            return
        # written through the descriptors of the destination's folders: a folder swapped for a link is
        # not followed, a folder in the file's place is ConflictError. One GET: its answer says what a
        # HEAD would (service/fetch.py), kept in the state store as a HEAD's answer is
        request = models.DownloadRequest(bucket=str(self.src.bucket), key=s.key, file_path=target.path,
                                         size_hint=s.size, etag_hint=s.etag,  # `get`'s key, as `get` takes it
                                         sse_c_key_file=self.options.upload.sse_c_key_file)
        answered: list[Known] = []  # read from the answer's headers (remember.known_from_answer): no ObjectInfo
        versions: list[str | None] = []

        def on_answer(_b: str, _k: str, etag: str, stored: int, headers: Mapping[str, str]) -> None:
            answered.append(known_from_answer(etag, stored, headers))
            versions.append(headers.get("x-amz-version-id"))

        size, _ = objects.download_into(self.ctx, request, target, on_answer=on_answer)
        if answered:
            known = answered[0]
            self.state.put(str(self.src.bucket), s.key, known)
        elif known is None:
            known = self.heads.known(str(self.src.bucket), s)
        wanted = C.target_mtime_ns(known, s)
        if wanted is not None:
            target.set_mtime(wanted)
            # what the file now is: a rewrite of the object since, whatever metadata it carries over, is fetched
            # again (engine: C.REWRITTEN). The listing's ETag and size, which the next run's listing is compared
            # with (a server whose GET answers another ETag spelling than its listing is not fetched every run;
            # a rewrite between this listing and the GET costs one GET more, next run)
            self.state.put_fetched(self.folder, str(self.src.bucket), s.key, Fetched(
                s.etag or known.etag, s.size, size, wanted, versions[0] if versions else None,
                listed_at(s.last_modified)))
        self.reporter.add("copied", Item(path=s.rel, key=s.key, size=size, reason=reason))

    def server_copy(self, s: RemoteObject, reason: str, known: Known | None) -> None:
        from its_store.service.lockcheck import LockCheck, lock_after_copy, require_bucket_lock
        from its_store.sync import copy
        key = self.route.dst_prefix + s.rel
        if self.route.cross:
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
        self.reporter.add("copied", Item(path=s.rel, key=key, size=known.size if known else s.size, reason=reason,
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
            copied = copy_object(self.ctx, str(self.src.bucket), s.key, self.route.dst_ctx, str(self.dst.bucket), key,
                                 options, size_hint=s.size, etag_hint=s.etag)
            unchecked = copied.unchecked  # "sse": its encryption not checked, the read-back denied (as _upload)
            if known is not None:
                md5 = known.md5 and copied.etag == known.etag and copied.encryption not in ("SSE-C", "SSE-KMS")
                self.dst_state.put(str(self.dst.bucket), key, Known(copied.etag, known.stored_size, known.size,
                                                                    known.mtime, known.sha256, md5))
        self.reporter.add("copied", Item(path=s.rel, key=key, size=known.size if known else s.size, reason=reason,
                                         unchecked=unchecked))


def not_comparable(ctx: Context, bucket: str, key: str) -> str:
    """The reason to upload a same-size file whose object the key may not HEAD (s3:PutObject and
    s3:ListBucket without s3:GetObject: an edge box's key over objects it did not upload): said once per
    context; the upload records the sync state, so the next run compares from it and is clean."""
    from its_store.service.kept import denied_read_back
    denied_read_back(ctx, "files of the same size are uploaded again", "what the server holds",
                     f"s3://{bucket}/{key}", "s3:GetObject; or compare by size alone: --size-only")
    return "not comparable (the key may not read the object)"
