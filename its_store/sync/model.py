"""The options and the report of a sync (the report's field names are a public --json API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, computed_field

from its_store.core.enums import ObjectType
from its_store.core.models import Result
from its_store.core.shard import Shard
from its_store.sync.filters import Filter

MODES = ("size+mtime", "checksum", "size-only")


@dataclass
class UploadOptions:
    """What `its-store upload` takes, for the objects a sync writes (see UploadRequest)."""

    object_type: ObjectType = ObjectType.OTHER
    metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    compression: str | None = None
    compression_level: int | None = None
    sse: str | None = None
    sse_c_key_file: Path | None = None
    part_size: int | None = None
    # more UploadRequest fields (e.g. object lock; sse_c_key, the key's own bytes: never in the repr)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        """Bad tags: InvalidInputError (exit 2) here, once, before a sync walks a file or sends a request."""
        if self.tags:
            from its_store.service.tags import check_tags
            check_tags(self.tags)


@dataclass
class SyncOptions:
    """How to sync. `mode`: size+mtime (default), checksum or size-only."""

    mode: str = "size+mtime"
    delete: bool = False
    dry_run: bool = False
    filter: Filter = field(default_factory=Filter)
    max_delete: int | None = None
    allow_empty_source: bool = False
    shard: Shard | None = None
    follow_symlinks: bool = False
    upload: UploadOptions = field(default_factory=UploadOptions)
    workers: int | None = None
    state: bool = True  # remember ETag -> mtime/sha256 between runs (sync/state.py)
    # with dry_run: what its HEADs answered is kept in the state store as a real run keeps it. Not a user's
    # --dry-run (which changes nothing): the watcher's first pass (sync/watch_pass.py), which plans like a
    # dry run and hands the files to send to the watcher, so that the next start HEADs none of them again
    keep_heads: bool = False


class Item(Result):
    """One entry of the report: `path` relative to SRC/DEST; `key` the object key on the S3 side
    (the destination's for uploads and copies, the source's for downloads)."""

    path: str
    key: str | None
    size: int
    reason: str
    code: str | None = None        # failures: the error's code
    delete_marker: bool | None = False  # a "deleted" object of a versioned bucket: hidden, its data still stored
    # (None: unknown, the key may not read the bucket's versioning)
    unchecked: str | None = None   # "sse": copied, its encryption not checked (the key may not read it back)


class SyncTotals(Result):
    """Exact counts of a sync (the report's lists stop at max_items; these never do)."""

    copied: int = 0
    copied_bytes: int = 0
    unchanged: int = 0
    skipped: int = 0
    deleted: int = 0
    deleted_bytes: int = 0
    failed: int = 0
    still_stored_bytes: int | None = 0  # deleted_bytes when the deletes only added delete markers (None: unknown)
    heads: int = 0                 # HEAD requests made to compare
    listed_source: int = 0
    listed_dest: int = 0


KINDS = ("copied", "skipped", "deleted", "failed")


def _items() -> list[Item]:
    """A report list's default: a function, not `list`, whose signature pydantic reads when it first builds
    the model (inspect.signature(list) parses its text signature with tokenize: ~4 ms of a sync command)."""
    return []


class SyncReport(Result):
    """What a sync did (or, with dry_run, would do). `unchanged` items are counted, not listed; each list
    keeps its first `max_items` entries (memory), the totals count them all. `exit_code` is settled when
    the sync ends (settle())."""

    source: str
    dest: str
    mode: str
    dry_run: bool = False
    exit_code: int = 0
    source_complete: bool = True
    delete_refused: str | None = None
    truncated: bool = False
    delete_markers: bool | None = False  # the deletes only added delete markers (a versioned destination;
    # None: unknown, the key may not read the versioning)
    state_off: str | None = None  # why the sync state store was off for this run (it then HEADed), None: it was not
    copied: list[Item] = Field(default_factory=_items)
    skipped: list[Item] = Field(default_factory=_items)
    deleted: list[Item] = Field(default_factory=_items)
    failed: list[Item] = Field(default_factory=_items)
    totals: SyncTotals = Field(default_factory=SyncTotals)
    duration_seconds: float = 0.0
    max_items: int = Field(default=100_000, exclude=True)  # per list; beyond it items are counted, not listed
    _exit_codes: set[int] = PrivateAttr(default_factory=set)  # of the failures, for settle()
    _unwritten: int = PrivateAttr(default=0)  # keys with no safe local name: not everything came down (exit 1)
    _refused: bool = PrivateAttr(default=False)  # the source listing failed as a whole, nothing listed

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """No failure, no refused delete, a complete source listing."""
        return not self.failed and self.delete_refused is None and self.source_complete

    def add(self, kind: str, item: Item) -> None:
        """Count an item and list it (up to max_items per list). Not thread-safe: the caller locks."""
        totals = self.totals
        if kind == "copied":
            totals.copied += 1
            totals.copied_bytes += item.size
        elif kind == "deleted":
            totals.deleted += 1
            totals.deleted_bytes += item.size
            if item.delete_marker is None:  # unknown whether this one is kept
                totals.still_stored_bytes = None
            elif item.delete_marker and totals.still_stored_bytes is not None:
                totals.still_stored_bytes += item.size
        elif kind == "skipped":
            totals.skipped += 1
        else:
            totals.failed += 1
        items: list[Item] = getattr(self, kind)
        if len(items) < self.max_items:
            items.append(item)
        else:
            self.truncated = True

    def failure_code(self, exit_code: int) -> None:
        """Remember the exit code of a failure (settle() gives the run's one exit code from them)."""
        self._exit_codes.add(exit_code)

    def listing_refused(self) -> None:
        """The source listing failed as a whole before any item (denied, no such bucket, unreachable): the
        run ends with that failure's own exit code (as get -r does), not the generic 1 of an incomplete one."""
        self._refused = True

    def unwritten(self) -> None:
        """A key skipped for having no safe local name: its object did not come down (exit 1)."""
        self._unwritten += 1

    def settle(self) -> int:
        """Set and return `exit_code`: 0 when all went well; the failures' own exit code when they all share
        one; else 1 (also when keys were skipped for having no safe local name)."""
        if self.ok:
            code = 1 if self._unwritten else 0
        else:
            codes = self._exit_codes
            code = codes.copy().pop() if (self.delete_refused is None and (self.source_complete or self._refused)
                                          and len(codes) == 1) else 1
        self.exit_code = code
        return code
