"""Tags of objects (or of one object version) and of buckets: read, merge, replace, remove.

A reference with a key names an object; without one, the bucket. Limits are checked before sending:
10 tags per object, 50 per bucket, keys 1-128 and values up to 256 characters.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import Field

from its_store.core import errors as E
from its_store.core.models import Result
from its_store.core.refs import validate_bucket, validate_key, validate_version_id

if TYPE_CHECKING:
    from its_store.core.models import ObjectInfo
    from its_store.service.context import Context, Op

OBJECT_TAG_LIMIT = 10
BUCKET_TAG_LIMIT = 50
_TAG_CHARS = re.compile(r"[\w +\-=.:/@]*")  # fullmatch (`$` lets a final newline through): the common case
_TAG_MARKS = frozenset("_.:/=+-@")


class TagSet(Result):
    """`tag set|get|rm`: the tags of a bucket (key None) or of an object (version_id None: the current
    version) after the call; `removed`: the tag keys `tag rm` removed."""

    bucket: str
    key: str | None = None
    version_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    removed: list[str] = Field(default_factory=list)


def check_tags(tags: dict[str, str], *, limit: int = OBJECT_TAG_LIMIT) -> dict[str, str]:
    """Raise InvalidInputError unless `tags` is a valid S3 tag set."""
    if len(tags) > limit:
        raise E.InvalidInputError(f"at most {limit} tags allowed here (got {len(tags)})")
    for key, value in tags.items():
        if not key or len(key) > 128 or len(value) > 256:
            raise E.InvalidInputError(f"invalid tag {key!r}: keys 1-128 characters, values up to 256")
        if not (_allowed(key) and _allowed(value)):
            raise E.InvalidInputError(f"invalid character in tag {key}={value}",  # the CLI escapes control characters
                                      hint="letters, digits, spaces and + - = . _ : / @")
    return tags


def _allowed(text: str) -> bool:
    """AWS's rule for tag keys and values, ^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$: letters, numbers, spaces (Unicode
    separators, never a tab, a newline or another control character, which `\\s` let through) and _ . : / = + - @."""
    if _TAG_CHARS.fullmatch(text):
        return True
    import unicodedata
    return all(c in _TAG_MARKS or unicodedata.category(c)[0] in "LNZ" for c in text)


def matches(info: ObjectInfo, tags: dict[str, str] | None, metadata: dict[str, str] | None) -> bool:
    """Does an ObjectInfo (filled by a HEAD / GetObjectTagging) carry every wanted tag and metadata pair?

    Metadata names compare case-insensitively (servers lower-case them); values exactly.
    """
    if info.is_prefix:
        return True  # like the type filter: a prefix may hold matches
    have_tags = info.tags or {}
    if tags and any(have_tags.get(k) != v for k, v in tags.items()):
        return False
    have_meta = {k.lower(): v for k, v in (info.metadata or {}).items()}
    return not (metadata and any(have_meta.get(k.lower()) != v for k, v in metadata.items()))


class Tagging:
    """Tag operations over one Context (`svc.tagging()`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def get(self, bucket: str, key: str | None = None, version_id: str | None = None) -> TagSet:
        s3 = self.ctx.s3
        validate_version_id(version_id)  # "" is no version: never the current one's tags (atk2)
        validate_bucket(bucket)
        if not key:
            self._no_version(version_id)
            return TagSet(bucket=bucket, tags=s3.get_bucket_tags(bucket))
        validate_key(key)
        tags = s3.require_tags(bucket, key, version_id)
        self._named(bucket, key, version_id)
        return TagSet(bucket=bucket, key=key, version_id=version_id, tags=tags)

    def _named(self, bucket: str, key: str, version_id: str | None) -> None:
        """Not found when the server answered for another key (heads.not_another: SeaweedFS reads 'd\\f1' as
        'd/f1', whose tags a `tag set` of 'd\\f1' replaced)."""
        from its_store.service.heads import not_another
        not_another(self.ctx, bucket, key, version_id)

    def set(self, bucket: str, key: str | None, tags: dict[str, str], *, version_id: str | None = None,
            replace: bool = False) -> TagSet:
        """Add or overwrite `tags` (or, with `replace`, make them the whole tag set)."""
        if not tags:
            raise E.InvalidInputError("no tags given", hint="write them as key=value")
        validate_version_id(version_id)
        check_tags(tags, limit=OBJECT_TAG_LIMIT if key else BUCKET_TAG_LIMIT)  # bad input: before any request
        if replace:
            current = {}
            if key:
                validate_key(key)
                self._named(bucket, key, version_id)
        elif key:
            current = self.get(bucket, key, version_id).tags
        else:  # an empty tag set answered is no "none" to merge with (governance.bucket_tags_to_merge)
            validate_bucket(bucket)
            self._no_version(version_id)
            current = self.ctx.s3.governance.bucket_tags_to_merge(bucket)
        merged = {**current, **tags}
        self._write(bucket, key, version_id, merged)
        return TagSet(bucket=bucket, key=key or None, version_id=version_id, tags=merged)

    def remove(self, bucket: str, key: str | None, names: list[str] | None = None, *,
               version_id: str | None = None) -> TagSet:
        """Remove the named tags, or every tag when `names` is empty."""
        current = self.get(bucket, key, version_id).tags
        drop = set(names) if names else set(current)
        remaining = {k: v for k, v in current.items() if k not in drop}
        removed = sorted(k for k in current if k in drop)
        if remaining:
            self._write(bucket, key, version_id, remaining)
        elif current:
            self._drop_all(bucket, key, version_id)
        return TagSet(bucket=bucket, key=key or None, version_id=version_id, tags=remaining, removed=removed)

    def _write(self, bucket: str, key: str | None, version_id: str | None, tags: dict[str, str]) -> None:
        if not key:
            self._no_version(version_id)
        check_tags(tags, limit=OBJECT_TAG_LIMIT if key else BUCKET_TAG_LIMIT)
        with self._changing("tag", bucket, key, version_id, tags=tags):
            if key:
                self.ctx.s3.set_tags(bucket, key, tags, version_id)
            else:
                self.ctx.s3.set_bucket_tags(bucket, tags)

    def _drop_all(self, bucket: str, key: str | None, version_id: str | None) -> None:
        with self._changing("untag", bucket, key, version_id):
            if key:
                self.ctx.s3.delete_tags(bucket, key, version_id)
            else:
                self.ctx.s3.delete_bucket_tags(bucket)

    def _changing(self, operation: str, bucket: str, key: str | None, version_id: str | None,
                  **fields: Any) -> Op:
        """The change as one operation: audited, and the object's cached tags dropped, whatever the outcome."""
        return self.ctx.op(operation, bucket=bucket, key=key, forget="object" if key else None,
                           version_id=version_id, **fields)

    @staticmethod
    def _no_version(version_id: str | None) -> None:
        if version_id:
            raise E.InvalidInputError("--version-id needs an object key", hint="s3://BUCKET/KEY")
