"""`verify LOCAL_DIR s3://B/PREFIX/`: a folder compared with a prefix, like `rclone check`.

The folder and the prefix are both walked folder by folder in S3 key order (sync/walk.py: each
folder sorted, a subfolder `a` as `a/`; servers do not all list in byte order), and merged side by
side (rclone's "march"), so memory is one folder per level. For a name on both sides: a HEAD gives
the recorded `its-sha256` (and the original size of a compressed object), compared with the SHA-256
of the local file; without it, an MD5 ETag is compared with the file's MD5; else, with `download`,
the object is read and hashed; else the pair is counted as unverifiable (same size, content not
compared). Pairs are checked on a thread pool.

The folder is held by descriptors (core/localtree.LocalTree), walked and read through them as sync
reads it: a FIFO or a link put in a file's place after the walk is refused (unreadable), never
opened as what it now is (a FIFO would block the compare for good), and a folder swapped for a link
is never read through. What the walk itself does not compare (links not followed,
FIFOs, devices, sockets) is reported as skipped, as sync reports it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, computed_field

from its_store.codec.compression import META_CODEC, META_ORIGINAL_SIZE
from its_store.core import errors as E
from its_store.core.localtree import LocalTree
from its_store.core.meta_names import custody_sha256
from its_store.core.models import Result
from its_store.core.refs import validate_bucket
from its_store.core.units import read_uint
from its_store.service.scrub import LIST_LIMIT, in_order, reader

if TYPE_CHECKING:
    from its_store.service.context import Context, HasContext
    from its_store.sync.walk import Walk

STATUSES = ("same", "different", "missing_local", "missing_remote", "unverifiable", "unreadable", "skipped")


class CompareEntry(Result):
    """One name of a compare and what was found: `key` (the object) and `path` (the local file; for
    missing_remote and problems of the walk, relative to the folder), sizes, how it was compared, why not."""

    key: str | None = None
    path: str | None = None
    size: int | None = None
    remote_size: int | None = None
    method: str | None = None    # sha256, md5, download
    reason: str | None = None
    code: str | None = None      # unreadable: the error's code


class CompareReport(Result):
    """`verify LOCAL_DIR s3://...`: counts per status (exact) and the names per status (first LIST_LIMIT)."""

    local: str
    bucket: str
    prefix: str
    counts: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    duration_seconds: float = 0.0
    different: list[CompareEntry] = Field(default_factory=list)
    missing_local: list[CompareEntry] = Field(default_factory=list)
    missing_remote: list[CompareEntry] = Field(default_factory=list)
    unverifiable: list[CompareEntry] = Field(default_factory=list)
    unreadable: list[CompareEntry] = Field(default_factory=list)
    skipped: list[CompareEntry] = Field(default_factory=list)

    def add(self, status: str, entry: CompareEntry) -> None:
        self.counts[status] += 1
        kept = self.names.get(status)
        if kept is not None and len(kept) < LIST_LIMIT:
            kept.append(entry)

    @property
    def names(self) -> dict[str, list[CompareEntry]]:
        """The lists by status (every status but `same`)."""
        return {s: getattr(self, s) for s in STATUSES[1:]}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def exit_code(self) -> int:
        """4 if anything differs or is missing on one side, else 1 if anything was unreadable, else 0."""
        counts = self.counts
        if counts.get("different") or counts.get("missing_local") or counts.get("missing_remote"):
            return E.IntegrityError.exit_code
        return 1 if counts.get("unreadable") else 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def truncated(self) -> bool:
        """Whether a list holds fewer names than its count (LIST_LIMIT)."""
        return any(len(v) < self.counts.get(k, 0) for k, v in self.names.items())


def compare(owner: Context | HasContext, local: Path, bucket: str, prefix: str, *, download: bool = False,
            workers: int | None = None) -> CompareReport:
    """Compare folder `local` with the objects under `prefix` (a folder-like prefix: '' or ending in '/')."""
    from its_store.service.context import as_context
    ctx = as_context(owner)
    prefix = _checked(ctx, local, bucket, prefix)
    started = time.perf_counter()
    report = CompareReport(local=str(local), bucket=bucket, prefix=prefix)
    from its_store.sync.walk import Walk, walk_local, walk_remote
    local_walk, remote_walk = Walk(), Walk()
    # the folder held by descriptors (core/localtree): listed and read through them, so a folder swapped
    # for a link during the compare is never read through
    tree = LocalTree(local)
    files = ((f.rel, Path(f.path), f.size) for f in walk_local(local, local_walk, tree=tree))
    objects = ((o.rel, o) for o in walk_remote(ctx, bucket, prefix, remote_walk))

    not_compared = _NotCompared(local_walk)

    def merged() -> Iterator[_Pair]:
        for rel, path, size, remote in _march(files, objects):
            if path is None and rel not in not_compared:  # those are reported below, once
                report.add("missing_local", CompareEntry(key=prefix + rel, size=remote.size))
            elif path is None:
                continue
            elif remote is None:
                report.add("missing_remote", CompareEntry(path=rel, size=size))
            else:
                yield _Pair(prefix + rel, rel, path, size)

    checker = _PairChecker(ctx, bucket, download, tree)
    with tree:
        for status, entry in in_order(workers or ctx.workers, merged(), checker.check, name="its-compare"):
            report.add(status, entry)
    if remote_walk.error is not None:  # a partial listing would report objects as missing: fail instead
        raise remote_walk.error
    _add_not_compared(report, local_walk, prefix)
    report.duration_seconds = round(time.perf_counter() - started, 3)
    return report


def _checked(ctx: Context, local: Path, bucket: str, prefix: str) -> str:
    """Refuse a compare that cannot run (a bad bucket name, no such folder or bucket) before anything is
    walked; the prefix as a folder (ending in '/', or '')."""
    validate_bucket(bucket)
    if not local.is_dir():
        raise E.InvalidInputError(f"not a folder: {local}")
    if not ctx.s3.bucket_exists(bucket):
        raise E.BucketNotFoundError(f"bucket not found: {bucket}")
    return prefix + "/" if prefix and not prefix.endswith("/") else prefix


def _add_not_compared(report: CompareReport, local_walk: Walk, prefix: str) -> None:
    """The local files the walk could not read (`unreadable`) or passed over (`skipped`: a link not
    followed, a FIFO...): reported by name, never as missing."""
    for rel, reason in local_walk.problems:
        report.add("unreadable", CompareEntry(key=prefix + rel, path=rel, code="local_io_error", reason=reason))
    for rel, reason, _size in local_walk.notes:
        report.add("skipped", CompareEntry(key=prefix + rel, path=rel, reason=reason))


class _NotCompared:
    """The names the local walk passed over (a FIFO, a link not followed: its notes) or that lie in a folder
    it could not read (its problems): they are there, or may be, so they are not missing. The march runs
    behind the walk, so the walk has already said so for every name the march is at."""

    def __init__(self, walk: Walk) -> None:
        self.walk, self.seen, self.names = walk, 0, set[str]()

    def __contains__(self, rel: str) -> bool:
        notes = self.walk.notes
        self.names.update(noted for noted, _reason, _size in notes[self.seen:])
        self.seen = len(notes)
        return rel in self.names or any(not folder or rel.startswith(folder.rstrip("/") + "/")
                                        for folder, _reason in self.walk.problems)


def _march(local: Iterator[tuple[str, Path, int]], remote: Iterator[tuple[str, Any]]
           ) -> Iterator[tuple[str, Path | None, int, Any]]:
    """Merge two sorted streams: (name, local path or None, local size, remote entry or None)."""
    def key(name: str) -> bytes:
        return name.encode("utf-8", "surrogateescape")

    a, b = next(local, None), next(remote, None)
    while a is not None or b is not None:
        if a is not None and (b is None or key(a[0]) < key(b[0])):
            yield a[0], a[1], a[2], None
            a = next(local, None)
        elif b is not None and (a is None or key(b[0]) < key(a[0])):
            yield b[0], None, 0, b[1]
            b = next(remote, None)
        elif a is not None and b is not None:  # the same name on both sides (always so here)
            yield a[0], a[1], a[2], b[1]
            a, b = next(local, None), next(remote, None)


@dataclass
class _Pair:
    key: str
    rel: str
    path: Path
    size: int


class _PairChecker:
    def __init__(self, ctx: Context, bucket: str, download: bool, tree: LocalTree) -> None:
        self.ctx, self.bucket, self.download, self.tree = ctx, bucket, download, tree
        self.s3 = reader(ctx)

    def check(self, item: _Pair) -> tuple[str, CompareEntry]:
        entry = CompareEntry(key=item.key, path=str(item.path), size=item.size)
        try:
            return self._check(item.key, item.rel, item.size, entry)
        except E.ItsStoreError as exc:
            entry.code, entry.reason = exc.code, exc.message
            return "unreadable", entry

    def _check(self, key: str, rel: str, size: int, entry: CompareEntry) -> tuple[str, CompareEntry]:
        stat = self.s3.stat(self.bucket, key)
        meta = {k.lower()[len("x-amz-meta-"):]: v for k, v in (stat.metadata or {}).items()
                if k.lower().startswith("x-amz-meta-")}
        original = read_uint(meta.get(META_ORIGINAL_SIZE))
        remote_size = original if meta.get(META_CODEC) and original is not None else (stat.size or 0)
        entry.remote_size = remote_size
        if remote_size != size:
            entry.reason = f"size: local {size}, remote {remote_size}"
            return "different", entry
        sha = custody_sha256(meta)  # another tool's metadata of that name: no custody
        etag = (stat.etag or "").strip('"').lower()
        from its_store.codec.encryption import describe
        md5_etag = not sha and "-" not in etag and len(etag) == 32 and describe(stat.metadata) not in (
            "SSE-C", "SSE-KMS")
        if sha or md5_etag:
            method, want = ("sha256", sha.lower()) if sha else ("md5", etag)
            got = _file_digest(self.tree, rel, method)
        elif self.download:
            method, want = "download", _file_digest(self.tree, rel, "sha256")
            got = self._remote_sha(key, meta, stat.size or 0)
        else:
            entry.reason = "same size; no its-sha256 and no MD5 ETag (try --download)"
            return "unverifiable", entry
        entry.method = method
        if got != want:
            entry.reason = f"{method}: local and remote content differ"
            return "different", entry
        return "same", entry

    def _remote_sha(self, key: str, meta: dict[str, str], size: int) -> str:
        """SHA-256 of the object's content (decoded when compressed), read in full: up to its Content-Length,
        else (chunked) the `size` its HEAD gave, one byte more being a bad answer (transfer/scrub.drain)."""
        from its_store.service.scrub import sha_check
        from its_store.transfer.scrub import drain
        check = sha_check("", meta)
        body = self.s3.get(self.bucket, key)
        drain(body, check.feed, f"s3://{self.bucket}/{key}", read_uint(body.headers.get("content-length")), size)
        return check.finish(f"s3://{self.bucket}/{key}")


def _file_digest(tree: LocalTree, rel: str, method: str) -> str:
    """The hash of the regular file `rel` in the compared folder, opened through its descriptors (not a
    link, not a FIFO swapped in since the walk, no folder on its way swapped for a link; each is an
    ItsStoreError, the pair's failure)."""
    from its_store.core.files import io_error
    digest = hashlib.sha256() if method == "sha256" else hashlib.md5(usedforsecurity=False)
    buf = bytearray(1024 * 1024)
    view = memoryview(buf)
    with tree.open_file(rel) as opened, opened.reader() as fh:
        try:
            while n := fh.readinto(buf):
                digest.update(view[:n])
        except OSError as exc:
            raise io_error("cannot read", opened.path, exc) from None
    return digest.hexdigest()
