"""An upload's tags (`--tag`) read back from the stored version (DESIGN.md: "Verify on the server what you
promised"): a server may take the x-amz-tagging header of a PUT or of a CreateMultipartUpload and keep no tags.

`rclone serve s3` has no object tagging, and Ceph RGW 16.2 drops the tags of a multipart upload (its
GetObjectTagging then answers an empty body): `upload f s3://B/k --tag lane=3` answered 200 and its-store said
"uploaded" (exit 0) with the object untagged, so a lifecycle rule or an `ls --tag` filter that relies on the
tags misses it. Now a tagged upload reads its version's tags back (one GET ?tagging; an upload without tags,
most of them, asks nothing) until the server has kept them once for that bucket and kind of upload (single PUT
or multipart) in this process; tags missing, changed or unreadable are `tags_not_kept` (exit 78: the object
is stored, without them). A key that may not read tags (s3:GetObjectTagging) gets one warning line instead.
"""

from __future__ import annotations

import threading
from typing import Any

from its_store.core import errors as E

_KEPT: set[tuple[str, str, bool]] = set()  # (endpoint, bucket, multipart) whose uploads' tags were seen kept
_GUARD = threading.Lock()


def check_tags(endpoint: str, s3: Any, bucket: str, key: str, version_id: str | None, sent: dict[str, str],
               multipart: bool) -> None:
    """After an upload that sent `sent` (tags): unless such an upload to `bucket` was seen keeping its tags in
    this process, read the stored version's tags back; missing or changed raises TagsNotKeptError (the
    object stays)."""
    if not sent or (endpoint, bucket, multipart) in _KEPT:
        return
    where = f"s3://{bucket}/{key}"
    try:
        back = s3.get_tags(bucket, key, version_id)  # {} where the server has no tagging (rclone)
    except E.AccessDeniedError:
        from its_store.service.kept import denied_read_back
        denied_read_back(s3, "uploaded", "its tags", where, "s3:GetObjectTagging")
        return
    except E.BadAnswerError as exc:  # radosgw 16.2 after a tagged multipart upload: an empty answer
        raise E.TagsNotKeptError(f"{where} was stored, but its tags could not be read back: {exc.message}",
                                 hint=_HINT) from None
    if any(back.get(name) != value for name, value in sent.items()):
        raise E.TagsNotKeptError(f"{where} was stored, but without its tags: the server did not keep the tags "
                                 "sent with the upload", hint=_HINT)
    with _GUARD:
        _KEPT.add((endpoint, bucket, multipart))


_HINT = ("the server does not keep the tags of such an upload (rclone serve s3 keeps none, Ceph RGW 16.2 none of "
         "a multipart upload): upload without --tag, or use a server that keeps tags")
