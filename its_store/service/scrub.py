"""`verify`: the integrity scrub. Re-read objects and check them against what was recorded at upload.

Each object is read back in full (transfer/scrub.py: one GET for a small object, ordered parallel
ranges for a large one) and checked, strongest first, against:

1. `its-sha256`, the chain-of-custody hash every its-store upload records (of the original content:
   a compressed object is decoded on the way). This catches a body replaced behind our back even
   when the replacement came with fresh S3 checksums of its own.
2. For an object without it (written by another tool): its MD5 ETag when that is an MD5 (one PUT,
   not SSE-C or SSE-KMS), or the multipart ETag when `its-part-size` says how it was cut.
3. Otherwise the object is *unverifiable*: nothing recorded to check it against. It is not read.

Objects whose read fails are *unreadable* (with the error), kept apart from *corrupt* ones. Memory
is flat: `workers` objects in flight, one 1 MiB chunk each, whatever their sizes. Exit codes
(ScrubReport.exit_code): 4 if anything is corrupt, else the unreadable objects' error exit code (1
when they differ), else 0; unverifiable alone is 0.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field, computed_field

from its_store.codec.compression import (
    META_CODEC,
    META_ORIGINAL_SIZE,
    META_SHA256,
    DecodingWriter,
    get_codec,
    recorded_size,
)
from its_store.codec.encryption import KeyedS3, describe_lower, explain_read_error, resolve_key
from its_store.core import errors as E
from its_store.core.meta_names import is_sha256
from its_store.core.models import Result
from its_store.core.refs import validate_bucket, validate_prefix
from its_store.core.units import read_uint, shown
from its_store.service import heads
from its_store.service.fetch import user_metadata
from its_store.transfer.parts import META_PART_SIZE
from its_store.transfer.scrub import drain

I = TypeVar("I")  # noqa: E741 - the item type
R = TypeVar("R")

if TYPE_CHECKING:
    from its_store.core.shard import Shard
    from its_store.service.context import Context, HasContext
    from its_store.transfer.parts import ObjectIO

LIST_LIMIT = 10_000  # entries kept per problem list in a report (the counts are always exact)


def parse_when(text: str | None, what: str) -> datetime | None:
    """`7d`, `12h`, `30m` (that long ago) or a date / ISO time (UTC when no zone) -> aware datetime."""
    if text is None or text == "":
        return None
    from its_store.core.units import parse_duration
    try:
        return datetime.now(UTC) - parse_duration(text, what=what)
    except E.InvalidInputError:
        pass
    try:
        when = datetime.fromisoformat(text) if "T" in text or " " in text.strip() else None
        when = when or datetime.combine(date.fromisoformat(text), datetime.min.time())
    except ValueError:
        raise E.InvalidInputError(f"invalid {what} {text!r}",
                                  hint="use a duration (30m, 12h, 7d) or a date (2026-01-31)") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class ScrubOutcome(Result):
    """One object's result: status ok | corrupt | unreadable | unverifiable."""

    key: str
    size: int
    status: str
    method: str | None = None      # sha256, md5, md5-multipart
    expected: str | None = None
    actual: str | None = None
    reason: str | None = None      # why corrupt / unverifiable, or the read error's message
    version_id: str | None = None
    code: str | None = None        # the read error's code (unreadable)
    exit_code: int | None = None   # ... and its exit code


class ScrubReport(Result):
    """What a scrub (`verify s3://...`) found. Problem lists keep the first LIST_LIMIT entries; counts are exact."""

    bucket: str
    prefix: str
    shard: str | None = None
    counts: dict[str, int] = Field(default_factory=lambda: {"ok": 0, "corrupt": 0, "unreadable": 0,
                                                            "unverifiable": 0})
    verified_by: dict[str, int] = Field(default_factory=dict)  # objects found ok, by method
    bytes_read: int = 0
    duration_seconds: float = 0.0
    corrupt: list[ScrubOutcome] = Field(default_factory=list)
    unreadable: list[ScrubOutcome] = Field(default_factory=list)
    unverifiable: list[ScrubOutcome] = Field(default_factory=list)

    def add(self, outcome: ScrubOutcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.status == "ok" and outcome.method:
            self.verified_by[outcome.method] = self.verified_by.get(outcome.method, 0) + 1
        kept = self.problems.get(outcome.status)
        if kept is not None and len(kept) < LIST_LIMIT:
            kept.append(outcome)

    @property
    def problems(self) -> dict[str, list[ScrubOutcome]]:
        """The problem lists by status."""
        return {"corrupt": self.corrupt, "unreadable": self.unreadable, "unverifiable": self.unverifiable}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def objects(self) -> int:
        """How many objects were checked."""
        return sum(self.counts.values())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def exit_code(self) -> int:
        """4 if anything is corrupt, else the unreadable objects' exit code (1 when they differ), else 0."""
        if self.counts.get("corrupt"):
            return E.IntegrityError.exit_code
        codes = {o.exit_code or 1 for o in self.unreadable}
        if codes:
            return codes.pop() if len(codes) == 1 else 1
        return 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def truncated(self) -> bool:
        """Whether a problem list holds fewer entries than its count (LIST_LIMIT)."""
        return any(len(v) < self.counts.get(k, 0) for k, v in self.problems.items())


@dataclass
class Listed:
    key: str
    size: int
    last_modified: datetime | None = None
    version_id: str | None = None


def scrub(owner: Context | HasContext, bucket: str, prefix: str = "", *, recursive: bool = True,
          shard: Shard | None = None, newer_than: datetime | None = None, older_than: datetime | None = None,
          workers: int | None = None, progress: Callable[[int], None] | None = None) -> ScrubReport:
    """Re-read every object under `prefix` (or, not recursive, the one object `prefix`) and check it.

    `shard` keeps the keys of one shard (core/shard.py); `newer_than` / `older_than` filter on
    LastModified. Never raises for one object's failure: it is in the report."""
    from its_store.core.shard import checked_shard
    from its_store.service.context import as_context
    ctx = as_context(owner)
    validate_bucket(bucket)
    validate_prefix(prefix)
    shard = checked_shard(shard)
    started = time.perf_counter()
    report = ScrubReport(bucket=bucket, prefix=prefix, shard=str(shard) if shard else None)
    items = _listed(ctx, bucket, prefix, recursive)
    items = (i for i in items if _wanted(i, shard, newer_than, older_than))
    checker = _Checker(ctx, bucket, progress)
    for outcome in in_order(workers or ctx.batch_workers, items, checker.check, name="its-verify"):
        report.add(outcome)
    report.bytes_read = checker.bytes_read
    report.duration_seconds = round(time.perf_counter() - started, 3)
    return report


def _listed(ctx: Context, bucket: str, prefix: str, recursive: bool) -> Iterator[Listed]:
    if not recursive:  # one object: a HEAD says whether it exists (404: exit 3)
        stat = heads.stat(ctx, bucket, prefix)
        yield Listed(prefix, stat.size or 0, stat.last_modified, stat.version_id)
        return
    # no HEAD of the bucket first: the listing answers NoSuchBucket itself, and a key scoped to a prefix
    # (s3:ListBucket with a prefix condition) may list and read but not HEAD the bucket
    for entry in ctx.s3.list_objects(bucket, prefix, recursive=True):
        if not entry.is_prefix:
            yield Listed(entry.key, entry.size, entry.last_modified)


def _wanted(item: Listed, shard: Shard | None, newer: datetime | None, older: datetime | None) -> bool:
    if shard is not None and item.key not in shard:
        return False
    when = item.last_modified
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if newer is not None and (when is None or when < newer):
        return False
    return not (older is not None and (when is None or when >= older))


def in_order(workers: int, items: Iterable[I], fn: Callable[[I], R], *, name: str) -> Iterator[R]:
    """fn over items on `workers` threads, in input order, with a bounded look-ahead (2 x workers): each
    result, or the first exception fn raised (fn reports its items' own failures in what it returns)."""
    from its_store.transfer.fanout import fan_out
    workers = max(workers, 1)
    for out in fan_out(fn, items, workers=workers, ahead=2 * workers, name=name):
        yield out.result()


# --------------------------------------------------------------------------------- one object
class _Checker:
    """Reads and checks one object at a time per thread (transfer/scrub.py: one streaming GET)."""

    def __init__(self, ctx: Context, bucket: str, progress: Callable[[int], None] | None) -> None:
        self.ctx, self.bucket = ctx, bucket
        self.progress = progress
        self.s3 = reader(ctx)
        self._count = threading.Lock()
        self.bytes_read = 0

    def check(self, item: Listed) -> ScrubOutcome:
        where = f"s3://{self.bucket}/{item.key}"
        try:
            return self._check(item, where)
        except E.IntegrityError as exc:
            return ScrubOutcome(key=item.key, size=item.size, status="corrupt", reason=exc.message,
                                version_id=item.version_id)
        except E.ItsStoreError as exc:  # e.g. SSE-C without the key
            exc = explain_read_error(exc, self.bucket, item.key, keyed=self.s3 is not self.ctx.s3,
                                     version_id=item.version_id)
            return ScrubOutcome(key=item.key, size=item.size, status="unreadable", reason=exc.message,
                                code=exc.code, exit_code=exc.exit_code, version_id=item.version_id)

    def _check(self, item: Listed, where: str) -> ScrubOutcome:
        # the answer holds one of the pool's connections: the `with` gives it back on every path (the
        # pool blocks when all are held, so one lost per object would stop the scrub)
        with self.s3.get(self.bucket, item.key, version_id=item.version_id) as body:
            headers = body.headers
            meta = user_metadata(headers)
            check = _choose(meta, headers, item.size)
            if isinstance(check, str):  # unverifiable: the reason
                return ScrubOutcome(key=item.key, size=item.size, status="unverifiable", reason=check,
                                    version_id=item.version_id)
            total = drain(body, check.feed, where, read_uint(headers.get("content-length")), limit=item.size)
        self._counted(total)
        actual = check.finish(where)
        if actual == check.expected:  # validated: for this model ~2 us, model_construct's loop over fields ~4
            return ScrubOutcome(key=item.key, size=item.size, status="ok", method=check.method,
                                expected=check.expected, actual=actual, version_id=item.version_id)
        return ScrubOutcome(key=item.key, size=item.size, status="corrupt", method=check.method,
                            expected=check.expected, actual=actual,
                            reason=f"{check.method} mismatch: the stored body is not the one recorded",
                            version_id=item.version_id)

    def _counted(self, n: int) -> None:
        with self._count:  # progress callbacks (the CLI's bar) are not thread-safe
            self.bytes_read += n
            if self.progress is not None:
                self.progress(n)


def reader(ctx: Context) -> ObjectIO:
    """The client to read with: a KeyedS3 when an SSE-C key is configured (MINIO_SSE_C_KEY*)."""
    key = resolve_key(ctx.settings)
    return KeyedS3(ctx.s3, key) if key is not None else ctx.s3


class _Check:
    """The running hash of one object and what it must come to."""

    def __init__(self, method: str, expected: str, feed: Callable[[bytes], None],
                 finish: Callable[[str], str]) -> None:
        self.method, self.expected, self.feed, self._finish = method, expected, feed, finish

    def finish(self, where: str) -> str:
        return self._finish(where)


def _choose(meta: dict[str, str], headers: Any, size: int) -> _Check | str:
    """The strongest check the object allows, or the reason there is none. A compressed object is called
    ok only when it also decodes as `get` decodes it: to its recorded original size (without a valid one,
    `get` refuses it: corrupt here too), through its codec, even when only its MD5 can be checked."""
    sha, codec = meta.get(META_SHA256), (meta.get(META_CODEC) or "none").strip().lower()
    recorded_size(meta, codec, "the object")  # none recorded: refused, as `get` refuses it
    if sha and is_sha256(sha):
        return sha_check(sha.lower(), meta)
    check = _stored_check(meta, headers)
    if sha and isinstance(check, str):  # another tool's metadata of that name: custody unreadable, not corrupt
        return f"its-sha256 {shown(sha)} is no SHA-256 (not written by its-store): custody unreadable, and {check}"
    return check if isinstance(check, str) or codec == "none" else _decoding_too(check, meta)


def _decoding_too(check: _Check, meta: dict[str, str]) -> _Check:
    """`check` of the stored bytes (an MD5), and their decoding (bounded by the recorded size, into no
    buffer): gzip labelled zstd matches its MD5 and still cannot be read back."""
    from its_store.codec.compression import VerifyingSink
    sink = VerifyingSink(lambda _data: None, "the object", read_uint(meta.get(META_ORIGINAL_SIZE)), None)
    writer = DecodingWriter(get_codec(meta[META_CODEC], stored=True, where="the object"), sink, "the object")

    def feed(data: bytes) -> None:
        check.feed(data)
        writer.write(data)

    def finish(where: str) -> str:
        writer.close()
        sink.verify()
        return check.finish(where)

    return _Check(check.method, check.expected, feed, finish)


def _stored_check(meta: dict[str, str], headers: Any) -> _Check | str:
    """The check of the stored bytes of an object without its-sha256, or the reason there is none."""
    encryption = describe_lower(headers)
    etag = (headers.get("etag") or "").strip('"').lower()
    if encryption in ("SSE-C", "SSE-KMS"):
        return f"no its-sha256, and under {encryption} the ETag is not an MD5"
    if "-" not in etag and len(etag) == 32:
        digest = hashlib.md5(usedforsecurity=False)
        return _Check("md5", etag, digest.update, lambda _w: digest.hexdigest())
    if "-" in etag and META_PART_SIZE in meta:
        part = read_uint(meta[META_PART_SIZE], low=1)
        if not part:
            return f"no its-sha256, and its-part-size {shown(meta[META_PART_SIZE])} is not a part size"
        return _multipart_check(etag, part)
    return "no its-sha256, and a multipart ETag is not an MD5 of the content"


def sha_check(expected: str, meta: dict[str, str]) -> _Check:
    """The SHA-256 check of an object's original content (decoded on the way when it is compressed)."""
    digest = hashlib.sha256()
    codec_name = meta.get(META_CODEC)
    if not codec_name:
        return _Check("sha256", expected, digest.update, lambda _w: digest.hexdigest())
    count, size = [0], read_uint(meta.get(META_ORIGINAL_SIZE))

    def sink(data: bytes) -> None:
        count[0] += len(data)
        if size is not None and count[0] > size:  # a bomb is not decoded to its end, as `get` stops too
            raise E.IntegrityError(f"the object decodes to more than its recorded size ({size} bytes)")
        digest.update(data)

    state: dict[str, Any] = {}

    def feed(data: bytes) -> None:
        if "writer" not in state:  # an unknown codec is UnknownCodecError (an IntegrityError): corrupt
            state["writer"] = DecodingWriter(get_codec(codec_name, stored=True, where="the object"), sink,
                                             "the object")
        state["writer"].write(bytes(data))

    def finish(where: str) -> str:
        if "writer" in state:
            state["writer"].close()
        if size is not None and size != count[0]:
            raise E.IntegrityError(f"{where} decodes to {count[0]} bytes, recorded {size}")
        return digest.hexdigest()

    return _Check("sha256", expected, feed, finish)


def _multipart_check(etag: str, part: int) -> _Check:
    """MD5 of the part MD5s, cut at `part` bytes: how S3 forms a multipart ETag."""
    digests: list[bytes] = []
    md5, left = hashlib.md5(usedforsecurity=False), part

    def feed(data: bytes) -> None:
        nonlocal md5, left
        view = memoryview(data)
        while view:
            n = min(len(view), left)
            md5.update(view[:n])
            left -= n
            view = view[n:]
            if left == 0:
                digests.append(md5.digest())
                md5, left = hashlib.md5(usedforsecurity=False), part

    def finish(_where: str) -> str:
        if left != part:
            digests.append(md5.digest())
        return f"{hashlib.md5(b''.join(digests), usedforsecurity=False).hexdigest()}-{len(digests)}"

    return _Check("md5-multipart", etag, feed, finish)

