"""Deciding per pair whether to copy, and learning what a listing does not say (metadata).

Three modes, as `rclone` and `aws s3 sync` users know them:
- size+mtime (default): copy when the sizes differ, or when the modification times differ. The local
  mtime is kept in the object's metadata (x-amz-meta-mtime, rclone's text) and compared to the
  nanosecond. An object without it (uploaded by another tool) is compared by its LastModified: a
  local file newer than the object is copied (upload), a local file whose mtime is not the object's
  LastModified to the second is fetched again (download: we set a downloaded file's mtime to it).
- checksum: copy when the sizes differ or the content does: our stored sha256 (x-amz-meta-its-sha256)
  against the file's sha256, else the ETag of a one-part, unencoded, unencrypted object against the
  file's MD5. An object with neither falls back to size+mtime (the reason says so).
- size-only: copy when the sizes differ.
On download, a same-size file whose mtime alone differs is not fetched when a checksum shows the same content:
the engine only sets its mtime (transfers.Transfers._touch), as rclone does.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import IO, TYPE_CHECKING

from its_store.sync.mtime import format_mtime, parse_mtime
from its_store.sync.remember import known_from_info
from its_store.sync.state import Fetched, Known, SyncState, listed_at
from its_store.sync.walk import LocalFile, RemoteObject

if TYPE_CHECKING:
    from its_store.service.context import Context

# opens a walked local file for reading (the sync engine's: through its LocalTree)
Reader = Callable[[LocalFile], AbstractContextManager[IO[bytes]]]

class Heads:
    """HEAD an object once per run, through the state store first (SyncState), counting the HEADs."""

    def __init__(self, ctx: Context, state: SyncState) -> None:
        self.ctx, self.state = ctx, state
        self.count = 0
        self._lock = threading.Lock()

    def cached(self, bucket: str, obj: RemoteObject) -> Known | None:
        return self.state.get(bucket, obj.key, obj.etag, obj.size)

    def known(self, bucket: str, obj: RemoteObject, checksum: bool = False) -> Known:
        """What a HEAD says of `obj` (from the store when it knows the listed ETag). With `checksum`,
        an entry without a usable checksum is asked again: the object may carry its-sha256."""
        hit = self.cached(bucket, obj)
        if hit is not None and not (checksum and hit.sha256 is None and not hit.md5):
            return hit
        with self._lock:
            self.count += 1
        from its_store.service.objects import stat_object
        # a dry run's store is read only: its HEADs change no state, the metadata cache's included
        info = stat_object(self.ctx, bucket, obj.key, include_tags=False, cached=not self.state.read_only)
        known = known_from_info(info)
        self.state.put(bucket, obj.key, known)
        return known


def file_digests(fh: IO[bytes], md5: bool) -> tuple[str, str | None]:
    """(sha256 hex, md5 hex or None) of an open file, read once in 1 MiB chunks."""
    sha = hashlib.sha256()
    m = hashlib.md5(usedforsecurity=False) if md5 else None
    while chunk := fh.read(1 << 20):
        sha.update(chunk)
        if m is not None:
            m.update(chunk)
    return sha.hexdigest(), m.hexdigest() if m is not None else None


def content_differs(local: LocalFile, known: Known, read: Reader) -> tuple[bool | None, str | None]:
    """(differs?, the file's sha256): None when the object carries no usable checksum. The file is
    opened by `read`: the run's LocalTree, so a folder swapped for a link since the walk is never read
    through (core/localtree)."""
    if known.sha256 is None and not known.md5:
        return None, None
    with read(local) as fh:
        sha, md5 = file_digests(fh, known.md5 and known.sha256 is None)
    if known.sha256 is not None:
        return sha != known.sha256, sha
    return md5 != known.etag, sha


def _written_for(text: str | None, ns: int) -> bool:
    """Whether an mtime text is the one we write for `ns` (format_mtime): then it names `ns` exactly,
    without parsing it (the usual case of an unchanged file: ~0.5 us instead of ~5 us a pair)."""
    return text is not None and text == format_mtime(ns)


def _ns(when: datetime | None) -> int | None:
    return None if when is None else int(when.timestamp()) * 1_000_000_000


def upload_reason(mode: str, local: LocalFile, obj: RemoteObject, known: Known,
                  read: Reader) -> tuple[str | None, str | None]:
    """(why to upload, or None when unchanged; the file's sha256 when it was computed)."""
    if local.size != known.size:
        return "size differs", None
    if mode == "size-only":
        return None, None
    if mode == "checksum":
        differs, sha = content_differs(local, known, read)
        if differs is not None:
            return ("content differs" if differs else None), sha
    if _written_for(known.mtime, local.mtime_ns):
        return None, None
    fallback = " (no checksum stored)" if mode == "checksum" else ""
    stored = parse_mtime(known.mtime)
    if stored is not None:
        return (None if stored == local.mtime_ns else "mtime differs" + fallback), None
    modified = _ns(obj.last_modified)
    if modified is not None and local.mtime_ns // 1_000_000_000 * 1_000_000_000 > modified:
        return "newer than the object" + fallback, None
    return None, None


def download_reason(mode: str, local: LocalFile, obj: RemoteObject, known: Known, read: Reader) -> str | None:
    """Why to download over an existing file, or None when unchanged."""
    if local.size != known.size:
        return "size differs"
    if mode == "size-only":
        return None
    if mode == "checksum":
        differs, _ = content_differs(local, known, read)
        if differs is not None:
            return "content differs" if differs else None
    if _written_for(known.mtime, local.mtime_ns):
        return None
    fallback = " (no checksum stored)" if mode == "checksum" else ""
    wanted = target_mtime_ns(known, obj)
    if wanted is None:
        return None
    if parse_mtime(known.mtime) is not None:
        return None if wanted == local.mtime_ns else "mtime differs" + fallback
    same_second = local.mtime_ns // 1_000_000_000 == wanted // 1_000_000_000
    return None if same_second else "mtime differs from LastModified" + fallback


def copy_reason(mode: str, src: RemoteObject, src_known: Known, dst: RemoteObject, dst_known: Known) -> str | None:
    """s3 -> s3: why to copy over an existing object, or None when unchanged."""
    if src_known.size != dst_known.size:
        return "size differs"
    if mode == "size-only":
        return None
    if mode == "checksum":
        if src_known.sha256 and dst_known.sha256:
            return None if src_known.sha256 == dst_known.sha256 else "content differs"
        if src_known.md5 and dst_known.md5:
            return None if src_known.etag == dst_known.etag else "content differs"
    a, b = parse_mtime(src_known.mtime), parse_mtime(dst_known.mtime)
    if a is not None and b is not None:
        return None if a == b else "mtime differs"
    sa, sb = _ns(src.last_modified), _ns(dst.last_modified)
    return "newer than the object" if (sa is not None and sb is not None and sa > sb) else None


REWRITTEN = "rewritten on the server since it was downloaded"


def note_fetched(state: SyncState, folder: str, bucket: str, obj: RemoteObject, local: LocalFile,
                 left: Fetched | None) -> None:
    """Record that the file `local` in `folder` is the listed version of `obj` (found unchanged, or its mtime
    set after its content was found the object's), unless the store says so already: from then on a listing
    with another ETag or size fetches it again (state.Fetched)."""
    if not obj.etag:
        return
    if left is not None and left.left_as(local.size, local.mtime_ns) and not left.rewritten(obj.etag, obj.size):
        return
    state.put_fetched(folder, bucket, obj.key, Fetched(obj.etag, obj.size, local.size, local.mtime_ns, None,
                                                       listed_at(obj.last_modified)))



def target_mtime_ns(known: Known | None, obj: RemoteObject) -> int | None:
    """The mtime a downloaded file gets: the object's mtime metadata, else its LastModified."""
    stored = parse_mtime(known.mtime) if known is not None else None
    return stored if stored is not None else _ns(obj.last_modified)
