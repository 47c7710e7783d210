"""What a delete without a version id did: hid the object behind a delete marker (still stored), removed it,
or unknown (the key may not read the bucket's versioning). Apart from service/versions.py (which offers these
names as before) so that the first delete of a command (rm, sync --delete, the registry) does not create its
five result models (~11M instructions) to say it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from its_store.core import errors as E

if TYPE_CHECKING:
    from its_store.service.context import Context

log = logging.getLogger("its_store.service.versions")  # the logger these warnings always had


def leaves_delete_markers(ctx: Context, bucket: str) -> bool:
    """Whether a DELETE without a version id leaves a delete marker (versioning on or suspended).
    Asked once per bucket for the life of the context (mv -r deletes key by key). False when unknown:
    callers that report what a delete did use markers_left, which says so."""
    return markers_left(ctx, bucket) is True


def markers_said(ctx: Context, bucket: str) -> bool | None:
    """markers_left for a caller that REPORTS what its deletes did (rm, rm -r, mv, model gc/rm): None when
    unknown, and then one warning per bucket naming the permission that would tell (sync/deletes says the
    same): a report never claims data erased that may be kept behind delete markers."""
    found = markers_left(ctx, bucket)
    if found is None and bucket not in ctx.markers_unknown:
        ctx.markers_unknown.add(bucket)
        log.warning("s3://%s: whether the deleted objects stay stored behind delete markers is unknown: "
                    "the key may not read the bucket's versioning (s3:GetBucketVersioning)", bucket)
    return found


def markers_of(ctx: Context, bucket: str, said: Mapping[str, bool | None],
               keys: Iterable[str]) -> dict[str, bool | None]:
    """What each delete without a version id of `keys` did, for a report (True: hidden behind a delete marker,
    still stored; False: removed; None: unknown). The server's answer first (`said`, s3/deleted.py: the
    DeleteMarker of each <Deleted>, a DELETE's x-amz-delete-marker): a marker it names was left, whatever
    the key may read. Where it said nothing, the bucket's versioning, asked once (a versioned bucket hides what a
    server did not mention); when that cannot be read either, an explicit "no marker" is taken, and
    nothing else is claimed: None, with markers_said's one warning naming s3:GetBucketVersioning."""
    keys = list(keys)
    if all(said.get(k) for k in keys):
        return dict.fromkeys(keys, True)
    known = markers_left(ctx, bucket)
    if known is None and any(said.get(k) is None for k in keys):
        markers_said(ctx, bucket)  # unknown for some: said once per bucket
    return {k: True if said.get(k) else known if known is not None else said.get(k) for k in keys}


def summed(markers: Iterable[bool | None]) -> bool | None:
    """One report's delete_markers from its items': True when any delete only hid its object (with the
    hidden bytes counted apart), None when any is unknown and none hid, False when all removed."""
    seen = set(markers)
    return True if True in seen else None if None in seen else False


def markers_left(ctx: Context, bucket: str) -> bool | None:
    """leaves_delete_markers, or None when the bucket's versioning could not be read (a key without
    s3:GetBucketVersioning, an error): then whether the data stays stored is unknown, and a report must
    not claim it freed (sync --delete: delete_marker null, still_stored_bytes null)."""
    seen = ctx.markers_seen
    if bucket not in seen:
        try:
            seen[bucket] = (ctx.s3.get_versioning(bucket) or "").lower() in ("enabled", "suspended")
        except E.ItsStoreError:
            return None
    return seen[bucket]
