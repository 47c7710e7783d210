"""The tags a write asked for, checked on the version it stored (DESIGN.md: "then the post-conditions are
checked on the server").

Why: Debian's radosgw 16.2 keeps none of the x-amz-tagging of a multipart write (an upload in parts, a
multipart server-side copy), answers 200, and then answers GET ?tagging of that object with an empty body.
So a multipart upload with tags, a multipart copy and a copy between endpoints read the tags back; what is
missing is set again (PutObjectTagging) and read back once more, with one warning line; still missing is
TagsNotKeptError (exit 78). A single PUT or CopyObject is not read back: every server tested keeps those
(a CopyObject sends no tags at all: the server copies them, directive COPY; SeaweedFS refuses a tag value
with '%' in a copy's x-amz-tagging that it stored from a PUT's). docs/contributing.md has the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from its_store.core import errors as E

if TYPE_CHECKING:
    from its_store.service.context import Context


def tags_kept(ctx: Context, bucket: str, key: str, version_id: str | None, tags: dict[str, str]) -> None:
    """The tags a write carried (x-amz-tagging), checked on the version it stored. Missing: set with
    PutObjectTagging on that version and read back; still not there (or refused: a server without object
    tagging), TagsNotKeptError (exit 78: mv keeps its source)."""
    if not tags or ctx.s3.get_tags(bucket, key, version_id) == tags:
        return
    where = f"s3://{bucket}/{key}"
    try:
        ctx.s3.set_tags(bucket, key, tags, version_id)
        kept = ctx.s3.get_tags(bucket, key, version_id) == tags
    except E.ItsStoreError as exc:
        raise E.TagsNotKeptError(f"{where} was stored, but its server did not keep the tags sent, and "
                                 f"setting them after the write failed ({exc.message})",
                                 hint="write to a server with object tagging, or set them with `its-store tag "
                                      "set`") from None
    if not kept:
        raise E.TagsNotKeptError(f"{where} was stored, but its server did not keep the tags sent: set again "
                                 "after the write, they still read back otherwise",
                                 hint=f"compare them with `its-store tag get {where}`")
    import logging
    logging.getLogger("its_store.service.tagcheck").warning(
        "the server did not keep the tags of %s; its-store set them after the write and read them back", where)
