"""A moved object's source is deleted only as it was copied (service/object_delete.delete, `if_match`). That DELETE
carries If-Match, which SeaweedFS, moto and AWS honour, and `rclone serve s3` and Ceph RGW 16.2 ignore: there it
deletes whatever the key holds, and an object another writer put there since the last check went with it.

So whether the server honours it is asked first, once per bucket (s3/conditional.deletes_if_match: a DELETE of a
key that holds nothing, with an If-Match no object carries, in the source's folder). Where it is ignored:
- a versioned bucket (versioning Enabled): the DELETE only adds a delete marker, and the versions listed under it
  tell what it hid. The version just below the marker must be the one copied; else (a rewrite came first) the
  marker is removed by its version id, which brings the rewrite back exactly as it was: ConflictError, kept.
- any other bucket (unversioned, suspended, versioning unreadable, or no version id copied): nothing could undo
  a wrong DELETE, so none is sent: ConditionalWritesUnsupportedError (exit 78), the source kept beside its copy.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import TYPE_CHECKING

from its_store.core import errors as E

if TYPE_CHECKING:
    from its_store.service.context import Context

PROBE_NAME = ".its-store-delete-probe-"  # + 16 hex digits: the probe's key, beside the source (never stored)


def honoured(ctx: Context, bucket: str, key: str) -> bool:
    """Whether the server honours If-Match on DELETE in `bucket` (asked once per bucket and client). The probe's
    key is in the source's folder, so that a key allowed to delete only there may make it."""
    folder = key.rpartition("/")[0]
    probe = f"{folder}/{PROBE_NAME}" if folder else PROBE_NAME
    return ctx.s3.deletes_if_match(bucket, probe + secrets.token_hex(8))


def remove_unconditioned(ctx: Context, bucket: str, key: str, version_id: str | None) -> bool:
    """Delete s3://bucket/key, the object of `version_id` as it was copied, where If-Match on DELETE is ignored
    (module docstring). True: deleted (a delete marker hides it); False: a rewrite was found under the marker,
    and the marker was removed again (the caller says "rewritten", exit 5). Refused: ConditionalWritesUnsupported."""
    where = f"s3://{bucket}/{key}"
    try:
        status = ctx.s3.get_versioning(bucket) or ""
    except E.ItsStoreError:
        status = "unreadable"
    if status.lower() != "enabled" or not version_id:
        raise E.ConditionalWritesUnsupportedError(
            f"the server ignores If-Match on DELETE, and in a bucket that keeps no versions (versioning: "
            f"{status.lower() or 'off'}) an object written to {where} since the copy would be deleted with it, "
            "for good", hint="remove it yourself (`its-store rm`) once nothing writes that key, or "
                                              "turn versioning on for the bucket (a move then checks what its "
                                              "delete hid)")
    marker = ctx.s3.remove_marking(bucket, key)
    if _below(ctx, bucket, key, marker) == version_id:
        return True
    if marker is not None:  # a rewrite is hidden behind the marker: removing the marker shows it again
        try:
            ctx.s3.remove(bucket, key, marker)
        except E.ItsStoreError as exc:
            raise E.ConflictError(f"{where} was rewritten after it was copied, and the delete marker its DELETE "
                                  f"left (version {marker}) could not be removed again: {exc.message}",
                                  hint=f"the new object is kept behind it: `its-store rm {where} --version-id "
                                       f"{marker}` shows it again") from None
    return False


def _below(ctx: Context, bucket: str, key: str, marker: str | None) -> str | None:
    """The version id listed just below the delete marker `marker` of `key` (the newest marker when the DELETE's
    answer named none), None when there is none. The key's versions are listed together, newest first; the
    listing is closed once past them."""
    listed = ctx.s3.list_objects(bucket, key, recursive=True, include_versions=True)
    found = False
    try:
        for entry in listed:
            if entry.key != key:
                if found:
                    break
                continue
            if found:
                return entry.version_id
            found = entry.is_delete_marker and (entry.version_id == marker if marker else entry.is_latest)
    finally:
        with contextlib.suppress(Exception):
            getattr(listed, "close", lambda: None)()
    return None
