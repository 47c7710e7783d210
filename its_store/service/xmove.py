"""What a move checks around its copy, so that it deletes only the object it copied: between endpoints
(before_copy), within one server (MoveGuard.of_head) and to a local file (MoveGuard.of_download).

Two endpoints are told apart by their URLs (xcopy.is_cross), and one server has many names:
`http://127.0.0.1:9000` and `http://localhost:9000`, a DNS name and its address, a remote and the default
endpoint. A move from one name to the other of the same BUCKET/KEY would stream the object onto itself, find
the copy (it is the object) and delete "the source": the object itself. And a source rewritten while it was
copied (by someone else) is not the object that was copied: deleting it loses what nobody copied.

So a move takes the source's stamp (version id, ETag, size, Last-Modified) before it copies:
- before: when the destination is the same BUCKET/KEY and holds an object with that very stamp, it is the
  same object reached under another name: refused (exit 2), nothing copied, nothing deleted;
- after the copy is confirmed, before the delete: the source must still carry its stamp; else (rewritten by
  the copy itself, or by anyone else) it is kept: ConflictError (exit 5). A move within one server takes the
  stamp from the HEAD its server copy was made from; a move to a file, the ETag and version id its download
  read (a server copy or a large download takes minutes, in which a camera may write the key again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.service.context import Context, HasContext, as_context

if TYPE_CHECKING:
    from its_store.s3.listing import Entry

Stamp = tuple[str | None, str, int, datetime | None]  # version id, ETag, size, Last-Modified


def stamp(owner: Context | HasContext, bucket: str, key: str, key_file: Path | bytes | None) -> Stamp | None:
    """The stamp of the current object at s3://bucket/key (its SSE-C key from `key_file`, a file or the key's
    own bytes, else the settings),
    None when there is none. HEADed as `stat` HEADs (decoding.stat_with_key): a plain object is read again
    without a key it refuses; an SSE-C object HEADed without its key is SseKeyRequiredError (its bare 400 was
    'BadRequest', exit 1), with another key SseKeyMismatchError."""
    from its_store.service.decoding import stat_given_key
    ctx = as_context(owner)
    try:
        stat = stat_given_key(ctx, bucket, key, key_file)
    except E.NotFoundError:  # no such object, or no such bucket (a destination's, not made yet)
        return None
    return stat.version_id, stat.etag, stat.size, stat.last_modified


@dataclass
class MoveGuard:
    """The source of one move (between endpoints, within one server, or to a file), as it was before its
    copy or download."""

    where: str
    source: Context
    bucket: str
    key: str
    key_file: Path | bytes | None = field(repr=False)  # the SSE-C key the copy read it with: its file or its bytes
    before: Stamp | None
    across: bool = True  # between endpoints (else within one server)
    doing: str = "copied"  # what was done with it: "copied", "downloaded"

    @classmethod
    def before_copy(cls, source: Context | HasContext, bucket: str, key: str, dest: Context | HasContext,
                    dest_bucket: str, dest_key: str, *, key_file: Path | bytes | None,
                    dest_key_file: Path | bytes | None) -> MoveGuard:
        """Take the source's stamp; refuse (exit 2) a destination that holds this very object."""
        where = f"s3://{bucket}/{key}"
        before = stamp(source, bucket, key, key_file)
        if before is not None and (bucket, key) == (dest_bucket, dest_key):
            try:
                there = stamp(dest, dest_bucket, dest_key, dest_key_file)
            except (E.SseKeyRequiredError, E.SseKeyMismatchError):  # not readable with the destination's key:
                there = None  # not known to be the same; the check after the copy still holds
            if there == before:
                raise E.InvalidInputError(
                    f"{where} would be moved onto itself: the destination endpoint holds this very object "
                    "(the same version, ETag, size and date), so the two are one server under two names",
                    hint="nothing was copied or deleted; a move within one server is `mv s3://... s3://...`")
        return cls(where, as_context(source), bucket, key, key_file, before)

    @classmethod
    def of_head(cls, source: Context | HasContext, bucket: str, key: str, head: Any) -> MoveGuard:
        """The guard of a move within one server: the source's stamp from the HEAD its copy was made from (a
        server copy of a large object takes minutes, in which a camera may write the key again)."""
        return cls(f"s3://{bucket}/{key}", as_context(source), bucket, key, None,
                   (head.version_id, head.etag, head.size, head.last_modified), across=False)

    @classmethod
    def of_download(cls, source: Context | HasContext, bucket: str, key: str, etag: str, version_id: str | None,
                    stored_size: int, key_file: Path | bytes | None) -> MoveGuard:
        """The guard of a move to a local file: the object downloaded, known by the ETag, version id and stored
        size the download read (its date is not kept). Not the ETag alone: a server whose ETags say nothing of
        the content (none, or one that stays the same when the key is written again) let a larger rewrite pass
        for the object downloaded; an answer without an ETag is never known to be the same (_same)."""
        return cls(f"s3://{bucket}/{key}", as_context(source), bucket, key, key_file,
                   (version_id, etag.strip('"'), stored_size, None), across=False, doing="downloaded")

    def _same(self, now: Stamp | None) -> bool:
        before = self.before
        if before is None or now is None:
            return False
        if self.doing != "downloaded":  # a whole stamp (version id, ETag, size, date)
            return now == before
        version = before[0] is None or now[0] is None or now[0] == before[0]  # of_download: no date
        return version and bool(before[1]) and now[1].strip('"') == before[1] and now[2] == before[2]

    def still_the_source(self) -> None:
        """Before the delete: the source is the object that was copied, else ConflictError (source kept)."""
        try:
            now = stamp(self.source, self.bucket, self.key, self.key_file)
        except (E.SseKeyRequiredError, E.SseKeyMismatchError):  # it was readable with this key: rewritten
            now = None
        if not self._same(now):
            by = ", or by this copy: the two endpoints may be one server" if self.across else ""
            raise E.ConflictError(f"{self.where} changed while it was {self.doing} (rewritten by another writer{by}); "
                                  "the source was kept",
                                  hint="compare source and copy with `its-store stat`, then remove the source "
                                       "yourself")


def one_server(a: Context | HasContext, b: Context | HasContext, bucket: str, prefix: str) -> bool:
    """Whether endpoints `a` and `b` answer with the same object for the first key under `prefix` of `bucket`
    (listed on `a`): listed alike on both (key, ETag, size, date), then HEADed alike (version id too), so one
    server under two names. Asked where a sync or copy between endpoints has one bucket and nested (or equal)
    prefixes: on one server that overlaps (a --delete would remove the source, a copy would copy its own copies
    or each object onto itself); on two it is a copy like any. Listed first: a listing names an SSE-C object
    without its key, whose key-less HEAD is a 400 (it ended the whole sync, one server or two); an object listed
    alike that cannot be HEADed (SSE-C, s3:GetObject denied on a name) is taken for one server, the side that
    loses nothing. A destination that may not list (a write-only target) is not known to be the same.

    Only stamps found tell: an object deleted between the listing and its HEADs (None on both sides was taken
    for "one server") is asked about again from a new listing, whose first object is then another; an object
    that keeps vanishing (VANISHED_TRIES times) is not told apart, as the listing alone said."""
    for _ in range(VANISHED_TRIES):
        first = _first_listed(a, bucket, prefix)
        if first is None:
            return False
        try:
            there = _first_listed(b, bucket, first.key)
        except (E.AccessDeniedError, E.BucketNotFoundError):  # not known: not the same
            return False
        if there is None or (there.key, there.etag, there.size, there.last_modified) != (
                first.key, first.etag, first.size, first.last_modified):
            return False
        try:
            here = stamp(a, bucket, first.key, None)
            if here is not None:
                other = stamp(b, bucket, first.key, None)
                if other is not None:
                    return here == other
        except E.ServiceUnavailableError:
            raise
        except E.ItsStoreError:  # listed alike, not HEADed (SSE-C without its key, HEAD denied): not told apart
            return True
    return True


VANISHED_TRIES = 3  # listings one_server makes when its first object is deleted before its HEADs


def _first_listed(owner: Context | HasContext, bucket: str, prefix: str) -> Entry | None:
    """The first object listed under `prefix` of `bucket`, None when there is none."""
    listed = as_context(owner).s3.list_objects(bucket, prefix, recursive=True)
    first = next(listed, None)
    close = getattr(listed, "close", None)  # a generator: its page read ahead is not waited for
    if close is not None:
        close()
    return first


def one_server_nested(src: Context | HasContext, src_prefix: str, dst: Context | HasContext, dst_prefix: str,
                      bucket: str) -> bool:
    """Nested prefixes of one bucket on two endpoints (a sync or a recursive copy): whether the endpoints are
    one server under two names, which makes the prefixes overlap. Asked by the first object under the OUTER
    prefix, listed on the source: an empty inner prefix (the first `cp -r B/ B/p/`) is no answer, and the
    destination's bucket may not exist yet. Equal prefixes are never an overlap here: a sync finds each object
    the same as itself, a move checks each object itself (MoveGuard), and a recursive copy asks one_server
    (sync/copy.py); two servers that replicate each other (versions and dates kept) answer alike too."""
    if src_prefix == dst_prefix:
        return False
    outer = dst_prefix if src_prefix.startswith(dst_prefix) else src_prefix
    return one_server(src, dst, bucket, outer)


def same_object(source: Context | HasContext, dest: Context | HasContext, bucket: str, key: str,
                key_file: Path | bytes | None = None, dest_key_file: Path | bytes | None = None) -> bool:
    """Whether two endpoints answer for s3://bucket/key with the very same object (version, ETag, size and
    date): one server under two names, so a copy of it onto that BUCKET/KEY is a copy onto itself. Each side
    HEADed with its own SSE-C key (`key_file`, `dest_key_file`, else the settings'); an object either side may
    not HEAD (SSE-C without its key, denied to a write-only target) is not known to be the same."""
    try:
        here = stamp(source, bucket, key, key_file)
        return here is not None and stamp(dest, bucket, key, dest_key_file) == here
    except (E.SseKeyRequiredError, E.SseKeyMismatchError, E.AccessDeniedError):  # a key that may not HEAD
        return False
