"""What a batch over many objects returns (service/batch.py): one item per object done (BatchItem, or a
Counted size when the caller shows only the totals), its failures and the keys skipped for having no safe
local name, with the totals a CLI prints and the one error line of a batch that failed.

Its own module by concern: the batch's work (batch.py) and its result, which every batch command and
library caller reads. Still importable from its_store.service.batch."""

from __future__ import annotations

from typing import Any, cast

from pydantic import Field, PrivateAttr, ValidatorFunctionWrapHandler, computed_field, model_validator

from its_store.core import errors as E
from its_store.core.models import Result


class BatchItem(Result):
    """One object or file a batch handled. Which fields are set depends on the action: `upload -r` (key,
    source, size, etag), `get -r` (key, path, size, verified), `rm -r` (key, size, etag), `cp`/`mv`
    (source, dest, size and etag, version_id, multipart_copy or verified; a move adds verified_by,
    deleted, and delete_marker with source_size when the source was only hidden behind a marker; delete_conditional
    false where its DELETE could not be made only-if-unchanged)."""

    key: str | None = None
    source: str | None = None           # the local path or s3:// URL copied from
    dest: str | None = None             # the s3:// URL or local path copied to
    path: str | None = None             # `get -r`: the local file written
    size: int = 0
    etag: str | None = None
    version_id: str | None = None
    verified: bool | None = None        # a download: checked against a checksum (CRC32, MD5 ETag or sha256)
    multipart_copy: bool | None = None  # s3 -> s3: copied in parts (UploadPartCopy)
    verified_by: str | None = None      # a move: how the copy was proven before the source went
    deleted: bool | None = None         # a move: the source is deleted
    delete_marker: bool | None = None   # ... only hidden behind a delete marker (a versioned bucket)
    source_size: int | None = None      # ... and these bytes of it are still stored
    delete_conditional: bool | None = None  # ... False: deleted by a plain DELETE (the server ignores If-Match on
    #                                         DELETE, the bucket keeps no versions; or its probe was refused),
    #                                         HEADed as copied just before
    unchecked: str | None = None        # "sse": stored, its encryption not checked (the key may not read it back);
    #                                     "tags", "etag": as UploadResponse.unchecked says

    @computed_field  # type: ignore[prop-decorator]
    @property
    def version_unproven(self) -> bool | None:
        """True where version_id is null because the version at the key is not proven this write's (unchecked
        "version": a multipart Complete proven by its bytes read back, the upload gone); else None."""
        return True if self.unchecked == "version" else None


class BatchError(Result):
    """One item a batch could not do: its key (or local path) and the error (code, message, hint)."""

    key: str
    code: str
    message: str
    hint: str | None = None


class SkippedItem(Result):
    """One item a batch left alone, and why: a `key` with no safe local name, or a local `path` that is
    a symbolic link not followed, a FIFO, a device..."""

    key: str | None = None
    path: str | None = None
    reason: str


class Counted:
    """One item done that a count-only batch (BatchResult.count_only) counts and never shows: its bytes.
    What a job returns instead of a BatchItem when no item is kept, so that none is built per file."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size


class BatchResult(Result):
    """Outcome of a batch (upload -r, get -r, rm -r, cp, mv): the items done (`objects`), the failures
    (`errors`: the rest went on), what was skipped, and totals. `raise_for_failures()` raises the batch's
    one error (exit code by E.batch_error's rule)."""

    action: str                        # upload, download, delete, copy, move
    bucket: str
    prefix: str
    dry_run: bool = False
    delete_markers: bool | None = False  # a delete in a versioned bucket: markers added, every version still
    #                                      stored (None: unknown, the key may not read the versioning)
    still_stored_bytes: int | None = 0   # with delete_markers: the bytes hidden behind them, not freed (None: unknown)
    duration_seconds: float = 0.0
    objects: list[BatchItem] = Field(default_factory=list)
    errors: list[BatchError] = Field(default_factory=list)
    skipped_items: list[SkippedItem] = Field(default_factory=list)
    _raised: list[E.ItsStoreError] = PrivateAttr(default_factory=list)  # the errors of `errors`, in order
    _listed: bool = PrivateAttr(default=True)  # False: items done are counted, not kept (count_only())
    _unlisted: int = PrivateAttr(default=0)    # items done and not kept in `objects`
    _unlisted_bytes: int = PrivateAttr(default=0)

    def __setstate__(self, state: dict[Any, Any]) -> None:
        """Unpickled: a result pickled before count_only has none of its counters (all listed, none counted)."""
        private = {"_listed": True, "_unlisted": 0, "_unlisted_bytes": 0, **(state.get("__pydantic_private__") or {})}
        super().__setstate__({**state, "__pydantic_private__": private})

    def count_only(self) -> BatchResult:
        """Keep no item done in `objects`, only their number and bytes (succeeded, bytes): ~1.5 KB less per
        item, so memory stays flat whatever the count (the CLI's `upload -r` and `get -r` without --json,
        which print only the totals). Failures and skips are kept, as they are always shown."""
        self._listed = False
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _read_counted(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> BatchResult:
        """A counted result read back from its document (model_validate of a model_dump, or its JSON): the
        items done beyond those listed are counted again from `succeeded` and `bytes`, as they were dumped."""
        result = cast("BatchResult", handler(data))
        done, total = (data.get("succeeded"), data.get("bytes")) if isinstance(data, dict) else (None, None)
        if isinstance(done, int) and done > len(result.objects) and isinstance(total, int):
            result._listed = False
            result._unlisted = done - len(result.objects)
            result._unlisted_bytes = max(0, total - sum(item.size for item in result.objects))
        return result

    @property
    def listing(self) -> bool:
        """Whether items done are kept in `objects` (False after count_only(): a job may hand `done` a
        Counted instead of building a BatchItem no one will see)."""
        return self._listed

    def done(self, item: BatchItem | Counted) -> None:
        """Record one item done: listed in `objects`, or counted (count_only)."""
        if self._listed:
            if not isinstance(item, BatchItem):  # a job's bug: a listed item must be a whole BatchItem
                raise TypeError("a listing batch keeps BatchItems, not counts")
            self.objects.append(item)
        else:
            self._unlisted += 1
            self._unlisted_bytes += item.size

    def done_listed(self, items: list[BatchItem]) -> None:
        """done() of each of `items`, in order, in one step (run_jobs: as done_counted, for a listing batch)."""
        if items and not self._listed:  # a count-only batch counts them, as done() does
            self.done_counted(len(items), sum(item.size for item in items))
        else:
            self.objects.extend(items)

    def done_counted(self, count: int, nbytes: int) -> None:
        """Record `count` Counted items of `nbytes` bytes in all at once: done() of each, in one step (run_jobs
        adds a batch's counts here together: each private attribute read or set is a pydantic __getattr__ or
        __setattr__ in Python, ~17 us per done() of a camera frame)."""
        if not count:
            return
        if self._listed:  # as done() refuses a Counted
            raise TypeError("a listing batch keeps BatchItems, not counts")
        self._unlisted += count
        self._unlisted_bytes += nbytes

    @computed_field  # type: ignore[prop-decorator]
    @property
    def succeeded(self) -> int:
        """How many items were done."""
        return len(self.objects) + self._unlisted

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed(self) -> int:
        """How many items failed."""
        return len(self.errors)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def skipped(self) -> int:
        """How many items were skipped."""
        return len(self.skipped_items)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def bytes(self) -> int:
        """The bytes of the items done."""
        return sum(item.size for item in self.objects) + self._unlisted_bytes

    def fail(self, key: str, error: E.ItsStoreError) -> None:
        """Record one item's failure (the rest of the batch goes on)."""
        self.errors.append(BatchError(key=key, code=error.code, message=error.message, hint=error.hint))
        self._raised.append(error)

    @property
    def exceptions(self) -> list[E.ItsStoreError]:
        """The errors of `errors` as they were raised, in order (rebuilt from the documents when `errors`
        was filled by hand)."""
        if len(self._raised) == len(self.errors):
            return list(self._raised)
        return [E.ItsStoreError(e.message, hint=e.hint) for e in self.errors]

    def raise_for_failures(self) -> None:
        """The batch's one error line: its failures (exit code by E.batch_error's one rule), else the
        keys skipped for having no safe local name (exit 1: their objects did not come down)."""
        unwritten = [item for item in self.skipped_items if item.key is not None]
        total = len(self.errors) + self.succeeded + len(unwritten)
        if self.errors:
            first = self.errors[0]
            message = f"{len(self.errors)} of {total} objects failed; first: {first.key}: {first.message}"
            raise E.batch_error(message, self.exceptions)
        if unwritten:
            first_skip = unwritten[0]
            raise E.ItsStoreError(f"{len(unwritten)} of {total} objects not written: their keys have no safe local "
                                  f"name; first: {first_skip.key}: {first_skip.reason}",
                                  hint="each is listed as skipped; rename them on the server to fetch them")
