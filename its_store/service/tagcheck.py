"""The tags a write asked for, checked on the version it stored (DESIGN.md: "Verify on the server what you
promised"): a server may take the x-amz-tagging header of a PUT, a CreateMultipartUpload or a copy, answer
200 and keep no tags.

Why: Debian's radosgw 16.2 keeps none of the x-amz-tagging of a multipart write (an upload in parts, a
multipart server-side copy) and then answers GET ?tagging of that object with an empty body; `rclone serve s3`
has no object tagging at all (GET ?tagging answers the object itself). `upload f s3://B/k --tag lane=3` said
"uploaded" (exit 0) with the object untagged, so a lifecycle rule or an `ls --tag` filter that relies on the
tags missed it.

So the tags are read back: after a tagged upload until such an upload (single PUT or multipart) to that bucket
was seen keeping them in this process (check_tags; an upload without tags, most of them, asks nothing), and
after every multipart copy and copy between endpoints (tags_kept). What is missing is set again
(PutObjectTagging: s3.set_tags sends nothing to a server without tagging, which would store it as the
object's content) and read back once more, with one warning line; still missing, or unreadable, is
TagsNotKeptError (exit 78: the object is stored, without them; mv keeps its source). A key that may not read
tags (s3:GetObjectTagging) gets one warning line instead. A single CopyObject sends no tags at all: the server
copies them (directive COPY; SeaweedFS refuses a tag value with '%' in a copy's x-amz-tagging that it stored
from a PUT's). docs/contributing.md has the table.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from its_store.core import errors as E

if TYPE_CHECKING:
    from its_store.s3.client import S3Client
    from its_store.service.context import Context

_KEPT: set[tuple[str, str, bool]] = set()  # (endpoint, bucket, multipart) whose uploads' tags were seen kept
_GUARD = threading.Lock()
_HINT = ("the server does not keep the tags of such a write (rclone serve s3 keeps none, Ceph RGW 16.2 none of a "
         "multipart one): write without tags, or use a server that keeps them")


def check_tags(ctx: Context, bucket: str, key: str, version_id: str | None, sent: dict[str, str],
               multipart: bool) -> bool:
    """After an upload that sent `sent` (tags): unless such an upload to `bucket` was seen keeping its tags in
    this process, tags_kept; kept by the write itself, later such uploads are not read back. False when the
    key may not read them back (the upload's result then says `unchecked`), else True."""
    if not sent:
        return True
    seen = (ctx.settings.server_id(), bucket, multipart)
    if seen in _KEPT:
        return True
    kept = tags_kept(ctx, bucket, key, version_id, sent)
    if kept:
        with _GUARD:
            _KEPT.add(seen)
    return kept is not None


def tags_kept(ctx: Context, bucket: str, key: str, version_id: str | None, tags: dict[str, str], *,
              quiet: bool = False) -> bool | None:
    """The tags a write carried, checked on the version it stored: True when the write kept them. Missing: set
    with PutObjectTagging on that version and read back (False); still not there, refused (a server without
    object tagging) or unreadable: TagsNotKeptError (exit 78). Not readable by this key: one warning, None
    (unchecked; `quiet`: no warning, the caller fails on it: a move keeps its source). Asked with ctx.s3, the
    plain client: GetObjectTagging needs no SSE-C key."""
    if not tags:
        return True
    client = ctx.s3
    where = f"s3://{bucket}/{key}"
    try:
        if _carries(client.get_tags(bucket, key, version_id), tags):
            return True
    except E.AccessDeniedError:
        if not quiet:
            from its_store.service.kept import denied_read_back
            denied_read_back(client, "stored", "its tags", where, "s3:GetObjectTagging")
        return None
    except E.BadAnswerError as exc:  # never written over on the strength of an answer that is no tag set
        raise E.TagsNotKeptError(f"{where} was stored, but its tags could not be read back: {exc.message}",
                                 hint=_HINT) from None
    _set_again(client, bucket, key, version_id, tags, where)
    return False


def unproven(where: str) -> E.AccessDeniedError:
    """The error of a move whose copy at `where` carries tags the key may not read back (tags_kept None): its
    source is kept (exit 6), since deleting it would lose tags the server may have dropped (Ceph RGW 16.2)."""
    return E.AccessDeniedError("its tags could not be read back: the key may not read the copy's tags "
                               "(s3:GetObjectTagging)",
                               hint=f"read them with a key that may (`its-store tag get {where}`), then remove "
                                    "the source yourself; or grant the key s3:GetObjectTagging")


def _carries(back: dict[str, str], tags: dict[str, str]) -> bool:
    return all(back.get(name) == value for name, value in tags.items())


def _set_again(s3: S3Client, bucket: str, key: str, version_id: str | None, tags: dict[str, str],
               where: str) -> None:
    try:
        s3.set_tags(bucket, key, tags, version_id)
        kept = _carries(s3.get_tags(bucket, key, version_id), tags)
    except E.ItsStoreError as exc:
        raise E.TagsNotKeptError(f"{where} was stored, but without its tags: the server did not keep the tags "
                                 f"sent, and setting them after the write failed ({exc.message})",
                                 hint=_HINT) from None
    if not kept:
        raise E.TagsNotKeptError(f"{where} was stored, but without its tags: set again after the write, they "
                                 "still read back otherwise", hint=f"compare them with `its-store tag get {where}`")
    import logging
    logging.getLogger("its_store.service.tagcheck").warning(
        "the server did not keep the tags of %s; its-store set them after the write and read them back", where)
