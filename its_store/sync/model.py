"""The options and the report of a sync (the report's field names are a public --json API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from its_store.core.enums import ObjectType
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
    extra: dict[str, Any] = field(default_factory=dict)  # more UploadRequest fields (e.g. object lock)


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


@dataclass
class Item:
    """One entry of the report: `path` relative to SRC/DEST; `key` the object key on the S3 side
    (the destination's for uploads and copies, the source's for downloads)."""

    path: str
    key: str | None
    size: int
    reason: str
    code: str | None = None  # failures: the error's code
    delete_marker: bool = False  # a "deleted" object of a versioned bucket: hidden, its data still stored

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "key": self.key, "size": self.size, "reason": self.reason}
        if self.code is not None:
            out["code"] = self.code
        if self.delete_marker:
            out["delete_marker"] = True
        return out


@dataclass
class SyncReport:
    """What a sync did (or, with dry_run, would do). `unchanged` items are counted, not listed."""

    source: str
    dest: str
    mode: str
    dry_run: bool = False
    copied: list[Item] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)
    deleted: list[Item] = field(default_factory=list)
    failed: list[Item] = field(default_factory=list)
    unchanged: int = 0
    source_complete: bool = True
    delete_refused: str | None = None
    heads: int = 0
    listed_source: int = 0
    listed_dest: int = 0
    duration_seconds: float = 0.0
    exit_codes: set[int] = field(default_factory=set)  # of the failures, for exit_code()
    max_items: int = 100_000  # per list; beyond it items are counted in totals, not listed (memory)
    truncated: bool = False
    counts: dict[str, list[int]] = field(default_factory=dict)  # kind -> [items, bytes]
    delete_markers: bool = False  # the deletes only added delete markers (a versioned destination)
    unwritten: int = 0  # keys skipped for having no safe local name: not everything came down (exit 1)

    def add(self, kind: str, item: Item) -> None:
        """Count an item and list it (up to max_items per list). Not thread-safe: the caller locks."""
        count = self.counts.setdefault(kind, [0, 0])
        count[0] += 1
        count[1] += item.size
        items = getattr(self, kind)
        if len(items) < self.max_items:
            items.append(item)
        else:
            self.truncated = True

    def _count(self, kind: str) -> int:
        return self.counts.get(kind, [len(getattr(self, kind)), 0])[0]

    @property
    def ok(self) -> bool:
        return not self.failed and self.delete_refused is None and self.source_complete

    def exit_code(self) -> int:
        """0 when all went well; the failures' own exit code when they all share one; else 1 (also when
        keys were skipped for having no safe local name: their objects did not come down)."""
        if self.ok:
            return 1 if self.unwritten else 0
        codes = set(self.exit_codes)
        if self.delete_refused is not None or not self.source_complete or len(codes) != 1:
            return 1
        return codes.pop()

    def totals(self) -> dict[str, int]:
        return {"copied": self._count("copied"), "copied_bytes": self.counts.get("copied", [0, 0])[1],
                "unchanged": self.unchanged, "skipped": self._count("skipped"), "deleted": self._count("deleted"),
                "deleted_bytes": self.counts.get("deleted", [0, 0])[1], "failed": self._count("failed"),
                "still_stored_bytes": self.counts.get("deleted", [0, 0])[1] if self.delete_markers else 0,
                "heads": self.heads, "listed_source": self.listed_source, "listed_dest": self.listed_dest}

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "dest": self.dest, "mode": self.mode, "dry_run": self.dry_run,
                "ok": self.ok, "exit_code": self.exit_code(), "source_complete": self.source_complete,
                "delete_refused": self.delete_refused, "truncated": self.truncated,
                "delete_markers": self.delete_markers,
                "copied": [i.to_dict() for i in self.copied], "skipped": [i.to_dict() for i in self.skipped],
                "deleted": [i.to_dict() for i in self.deleted], "failed": [i.to_dict() for i in self.failed],
                "totals": self.totals(), "duration_seconds": round(self.duration_seconds, 3)}
