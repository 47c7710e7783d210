"""`du`: bytes and object counts under a prefix, per sub-prefix down to a depth, in one streaming listing.

Like `du --max-depth N` and `mc du --depth N`: depth 0 is the total only; depth N adds every folder
(prefix ending in `/`) 1..N levels below the prefix, each with the totals of everything under it.
Memory is bounded by the number of distinct folders down to that depth, whatever the object count:
the listing is consumed as it streams. With `versions`, noncurrent versions count too (their bytes
are stored and billed) and delete markers are counted with 0 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import Field

from its_store.core import errors as E
from its_store.core.models import Result
from its_store.core.refs import validate_bucket, validate_prefix
from its_store.core.units import whole

if TYPE_CHECKING:
    from its_store.service.context import Context, HasContext


class Usage(Result):
    """Totals of one prefix. `bytes` counts every version counted (current, plus noncurrent with --versions);
    the noncurrent and delete marker counts are null unless versions were counted."""

    prefix: str
    bytes: int = 0
    objects: int = 0                    # current objects
    noncurrent: int | None = None       # noncurrent versions (with versions=True)
    noncurrent_bytes: int | None = None
    delete_markers: int | None = None   # 0 bytes each (with versions=True)


@dataclass(slots=True)
class _Tally:
    """The counts of one prefix while the listing streams (a plain object: a pydantic model's attribute
    writes cost ~6x more, and every listed entry adds to one tally per folder level)."""

    objects: int = 0
    bytes: int = 0
    noncurrent: int = 0
    noncurrent_bytes: int = 0
    delete_markers: int = 0

    def add(self, size: int, latest: bool, marker: bool) -> None:
        if marker:
            self.delete_markers += 1
        elif latest:
            self.objects += 1
            self.bytes += size
        else:
            self.noncurrent += 1
            self.noncurrent_bytes += size
            self.bytes += size

    def usage(self, prefix: str, versions: bool) -> Usage:
        if not versions:
            return Usage(prefix=prefix, bytes=self.bytes, objects=self.objects)
        return Usage(prefix=prefix, bytes=self.bytes, objects=self.objects, noncurrent=self.noncurrent,
                     noncurrent_bytes=self.noncurrent_bytes, delete_markers=self.delete_markers)


class UsageReport(Result):
    """`du`: the total under `prefix` and, with depth > 0, one Usage per folder down to `depth` levels."""

    bucket: str
    prefix: str
    depth: int
    versions: bool
    total: Usage
    prefixes: list[Usage] = Field(default_factory=list)


def folders_of(relative: str, depth: int) -> list[str]:
    """The folders (relative, ending in '/') that contain `relative`, at levels 1..depth.

    'a/b/c.jpg', depth 2 -> ['a/', 'a/b/']; 'x.jpg' -> []; depth 1 -> ['a/']."""
    parts = relative.split("/")[:-1]  # the last part is the object's own name
    return ["/".join(parts[:level]) + "/" for level in range(1, min(depth, len(parts)) + 1)]


def disk_usage(owner: Context | HasContext, bucket: str, prefix: str = "", *, depth: int = 0,
               versions: bool = False) -> UsageReport:
    """Sizes under s3://bucket/prefix, streamed from one recursive listing (with versions: of versions)."""
    from its_store.service.context import as_context
    ctx = as_context(owner)
    validate_bucket(bucket)
    validate_prefix(prefix)
    if whole(depth, "depth", low=None) < 0:
        raise E.InvalidInputError(f"--depth {depth}: use 0 (the total) or more")
    total = _Tally()
    groups: dict[str, _Tally] = {}
    try:
        listing = ctx.s3.list_objects(bucket, prefix, recursive=True, include_versions=versions)
        for entry in listing:
            if entry.is_prefix:
                continue
            latest = entry.is_latest or not versions
            total.add(entry.size, latest, entry.is_delete_marker)
            for folder in folders_of(entry.key[len(prefix):], depth):
                usage = groups.get(folder)
                if usage is None:
                    usage = groups[folder] = _Tally()
                usage.add(entry.size, latest, entry.is_delete_marker)
    except E.ObjectNotFoundError:
        if not ctx.s3.bucket_exists(bucket):
            raise E.BucketNotFoundError(f"bucket not found: {bucket}") from None
        raise
    return UsageReport(bucket=bucket, prefix=prefix, depth=depth, versions=versions,
                       total=total.usage(prefix, versions),
                       prefixes=[groups[k].usage(prefix + k, versions) for k in sorted(groups)])
