"""Storing a version's files without storing the same bytes twice over the wire: server-side copies.

The index: `_index/sha256/<hex>` in the models bucket, a small JSON document {"key", "size", "sha256"}
naming an object of some registered version that holds exactly those bytes. (`_index` can never be a
model name: names start with a letter or digit.) Registering a file whose sha256 is indexed copies that
object server-side to the new version's key instead of uploading it, so every version still holds all
its files under its own prefix and stays readable by any S3 tool; only the upload is saved.

The index is a hint, never trusted alone: before copying, the source is HEADed and must still exist
with the same size, the sha256 its-store stored with it (x-amz-meta-sha256) and the server's own CRC32
of the local file's bytes (same_bytes: the metadata is anyone's to write); otherwise the file is
uploaded and the index entry rewritten. After the copy, the copy is read back and its SHA-256 compared
(_holds: a writer of the bucket can forge a CRC32); a mismatch is replaced by an upload. Entries are
written after the manifest, so they never point into a registration that failed; a version removed
later drops the entries naming its keys (drop_entries: `model rm` and `model gc`); one it could not drop, or one
left by a version before that, is repaired by the next registration of those bytes.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.registry import validate
from its_store.transfer.fanout import fan_out

if TYPE_CHECKING:
    from its_store.registry.context import RegistryContext
    from its_store.registry.manifest import LocalFile

log = logging.getLogger("its_store.registry.dedup")
INDEX_PREFIX = "_index/sha256/"
COPY_LIMIT = 5 * 1024 ** 3          # one CopyObject up to 5 GiB; above, a multipart copy
_HEX = "0123456789abcdef"
_INDEX_HEADERS = {"Content-Type": "application/json", "x-amz-meta-its-type": "metadata"}


@dataclass
class StoreResult:
    uploaded_bytes: int = 0
    uploaded_files: int = 0
    copied_files: int = 0
    copied_bytes: int = 0
    uploaded: list[Any] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, copied: bool, size: int, item: Any = None) -> None:
        with self._lock:
            if not copied and item is not None:
                self.uploaded.append(item)
            if copied:
                self.copied_files += 1
                self.copied_bytes += size
            else:
                self.uploaded_files += 1
                self.uploaded_bytes += size

    def as_dict(self) -> dict[str, int]:
        return {"uploaded_bytes": self.uploaded_bytes, "uploaded_files": self.uploaded_files,
                "copied_files": self.copied_files, "copied_bytes": self.copied_bytes}


def index_key(sha256: str) -> str:
    return INDEX_PREFIX + sha256


def store_files(ctx: RegistryContext, prefix: str, files: list[LocalFile], *, dedup: bool,
                progress: Callable[[int], None] | None) -> StoreResult:
    """Put every file at prefix + its key: a server-side copy when the bytes are already held, else an upload."""
    result = StoreResult()

    def one(item: LocalFile) -> None:
        key = prefix + item.rel_key
        if dedup and _copy_known(ctx, item, key):
            result.add(True, item.size)
            if progress:
                progress(item.size)
            return
        _upload(ctx, item, key, progress)
        result.add(False, item.size, item)

    workers = max(1, min(ctx.workers, len(files)))
    with closing(fan_out(one, files, workers=workers, name="its-register")) as outs:
        for out in outs:  # in file order: the first failure is raised and no further file is started
            out.result()
    return result


def _upload(ctx: RegistryContext, item: LocalFile, key: str, progress: Callable[[int], None] | None) -> None:
    """Upload `item` from the file hashed: opened as it was (a link followed only if it was one when the
    folder was read) and refused when another file has its name now (manifest.replaced)."""
    from its_store.core.enums import ObjectType
    from its_store.core.files import NotRegularError, open_checked_stat
    from its_store.core.models import UploadRequest
    from its_store.registry.manifest import replaced, swapped_for_link
    request = UploadRequest(bucket=ctx.bucket, key=key, file_path=item.source, follow_symlinks=item.link,  # as hashed
                            object_type=ObjectType.MODEL_ARTIFACT, content_type=item.content_type,
                            metadata={"sha256": item.sha256}, compression="none")
    try:  # no link when the folder was read: one swapped in since is not followed
        fd, info = open_checked_stat(item.source, follow_symlinks=item.link)
    except NotRegularError as exc:
        raise swapped_for_link(item.source) if exc.kind == "a symbolic link" else exc from None
    from its_store.service.objects import upload
    with os.fdopen(fd, "rb") as handle:
        if item.ident is not None and (info.st_dev, info.st_ino) != item.ident:
            raise replaced(item.source)  # not the file hashed: its bytes are not those the manifest lists
        upload(ctx.storage, request, progress=progress, source=handle, source_stat=info)


def _copy_known(ctx: RegistryContext, item: LocalFile, key: str) -> bool:
    """Copy the indexed object holding these bytes to `key`; False when there is none to trust."""
    source = _lookup(ctx, item.sha256)
    if source is None or source == key:
        return False
    try:
        found = ctx.s3.stat(ctx.bucket, source)
    except (E.NotFoundError, E.AccessDeniedError):
        return False
    except E.ItsStoreError as exc:  # an SSE-C source answers a HEAD without its key with 400: upload
        if isinstance(exc, E.ServiceUnavailableError):
            raise
        return False
    if found.size != item.size or (found.metadata.get("x-amz-meta-sha256") or "") != item.sha256:
        return False  # removed and re-created, or changed behind the registry's back: upload instead
    if not same_bytes(found, item, f"s3://{ctx.bucket}/{source}"):
        return False  # the metadata is anyone's to write; the server's own checksum is not: upload instead
    from its_store.service.copying import server_copy
    try:  # the storage copy (service/copying.py): metadata, tags and SSE-S3 kept; a multipart copy above 5 GiB
        server_copy(ctx.storage, ctx.bucket, source, ctx.bucket, key, threshold=COPY_LIMIT)
    except (E.NotFoundError, E.InvalidInputError):
        return False  # removed between the HEAD and the copy, or SSE-C (needs the key): upload instead
    finally:
        ctx.invalidate([key])
    if not _holds(ctx, key, item.sha256):  # the caller's upload then replaces the copy under the same key
        log.warning("s3://%s/%s does not hold the bytes its sha256 metadata names: uploaded instead of copied",
                    ctx.bucket, source)
        return False
    return True


def _holds(ctx: RegistryContext, key: str, sha256: str) -> bool:
    """Whether the copy at `key` holds bytes of this SHA-256: read back and hashed, 1 MiB at a time. CRC32
    (same_bytes) catches a stale or changed source cheaply, but it is no proof against a writer of the
    bucket: any content of the same size can be given any CRC32 by choosing 4 of its bytes, and the server
    checks only that the CRC it computes is the one sent. A registration promises the SHA-256s of its
    manifest, so a copy is read back before it counts: the upload is saved, the download is not."""
    import hashlib
    digest = hashlib.sha256()
    with ctx.s3.get(ctx.bucket, key) as body:
        while chunk := body.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def same_bytes(found: Any, item: LocalFile, where: str) -> bool:
    """Whether the server's own checksum of the object `found` (a HEAD's answer) is that of the local file's
    bytes (its CRC32s, of the read that hashed it). The size and x-amz-meta-sha256 alone prove nothing:
    any writer of the bucket can store other bytes of the same size under our sha256, and a version copied
    from them could never be pulled. A full-object CRC32, or a composite one over parts of the object's
    its-part-size (whole MiB, as HASH_CHUNK divides), is compared; no checksum the server keeps (or parts
    of unknown size): not proven, so the caller uploads instead."""
    from its_store.core.units import read_uint
    from its_store.registry.manifest import HASH_CHUNK
    from its_store.transfer.checksums import RangeSum, crc32_combine, expected_for, verify
    headers = found.metadata
    part_size = read_uint(headers.get("x-amz-meta-its-part-size"), low=1)
    expected = expected_for(found.size, found.etag, headers.get("x-amz-checksum-crc32"), part_size, False,
                            headers.get("x-amz-checksum-type"))
    if expected is None or (not item.crcs and item.size):
        return False
    span = item.size if expected.kind == "crc32" else (part_size or 0)
    if span % HASH_CHUNK and span != item.size:
        return False
    sums: list[RangeSum] = []
    for length, crc in item.crcs or [(0, 0)]:
        if sums and sums[-1].length < span:
            sums[-1] = RangeSum(sums[-1].length + length, crc32_combine(sums[-1].crc32, crc, length))
        else:
            sums.append(RangeSum(length, crc))
    try:
        return verify(expected, sums, where)
    except E.IntegrityError:
        log.warning("%s does not hold the bytes its sha256 metadata names (the server's checksum differs): "
                    "uploaded instead of copied", where)
        return False


def _lookup(ctx: RegistryContext, sha256: str) -> str | None:
    return _entry(ctx, sha256)[0]


def _entry(ctx: RegistryContext, sha256: str) -> tuple[str | None, str]:
    """(the key the index entry of `sha256` names, None when there is no usable entry; the entry's ETag)."""
    try:
        resp = ctx.s3.get(ctx.bucket, index_key(sha256))
    except E.NotFoundError:
        return None, ""
    try:
        etag = (resp.headers.get("etag") or "").strip('"')
        data = resp.read(validate.limit_of("dedup index entry") + 1)  # bounded: decode refuses what is larger
    finally:
        resp.close()
    try:  # best effort: an entry that is not ours (RecursionError, a 5000-digit number...) is no entry
        doc = validate.decode(data, index_key(sha256), "dedup index entry")
        key = doc["key"] if doc.get("sha256") == sha256 else None
    except (E.IntegrityError, TypeError, KeyError, AttributeError):
        return None, etag
    return (key if isinstance(key, str) and key else None), etag


def drop_entries(ctx: RegistryContext, prefix: str, manifest: dict[str, Any]) -> int:
    """After the version under `prefix` was removed (`model rm`, `model gc`): delete the index entries of its
    files' sha256s that name a key under `prefix`, an object now gone. An entry naming another version's key
    (the same bytes registered elsewhere later) is kept, and so is one rewritten since it was read (the
    DELETE carries If-Match: a registration of those bytes meanwhile keeps its entry, except on a server that
    ignores If-Match on DELETE, radosgw 16.2: there it goes, and the next registration uploads those bytes
    again). Best effort: the index is a hint (a stale entry costs the next registration of those bytes one
    HEAD, then it is rewritten), so a failure here is no failure of the removal. Returns how many entries
    were deleted."""
    from its_store.registry.manifest import stored_entries
    dropped = 0
    named = {e.get("sha256") for e in stored_entries(manifest)}
    # only a sha256 this index names a file by (the manifest is input): no key is built from anything else
    for sha256 in sorted(s for s in named if isinstance(s, str) and len(s) == 64 and set(s) <= set(_HEX)):
        try:
            key, etag = _entry(ctx, sha256)
            if key is None or not key.startswith(prefix) or not etag:
                continue
            ctx.s3.remove(ctx.bucket, index_key(sha256), headers={"If-Match": f'"{etag}"'})
            dropped += 1
        except E.ItsStoreError as exc:  # rewritten since (412), denied, unreachable: the entry stays
            log.debug("dedup index entry of %s kept: %s", sha256, exc.message)
    return dropped


def index(ctx: RegistryContext, prefix: str, files: list[LocalFile]) -> None:
    """Record where the bytes of each uploaded file now live (after the manifest: best effort)."""
    for item in files:
        body = json.dumps({"key": prefix + item.rel_key, "size": item.size, "sha256": item.sha256}).encode()
        try:
            ctx.s3.put(ctx.bucket, index_key(item.sha256), body, _INDEX_HEADERS)
        except E.ItsStoreError:
            return
