"""A moved object's source is deleted only as it was copied (service/object_delete.delete, `if_match`). That DELETE
carries If-Match, which SeaweedFS, moto and AWS honour, and MinIO (minio/minio#21677), `rclone serve s3` and Ceph
RGW 16.2 ignore: there it deletes whatever the key holds, and an object another writer put there since the last
check went with it.

So whether the server honours it is asked first, once per bucket (s3/conditional.deletes_if_match: a DELETE of a
key that holds nothing, with an If-Match no object carries, in the source's folder). Where it is ignored:
- a versioned bucket (versioning Enabled): the DELETE only adds a delete marker, and the versions listed under it
  tell what it hid. The version just below the marker must be the one copied; else (a rewrite came first) the
  marker is removed by its version id, which brings the rewrite back exactly as it was: ConflictError, kept.
- any other bucket (unversioned, suspended, versioning unreadable, or no version id copied): nothing can undo a
  wrong DELETE, and refusing would make `mv` unusable on MinIO (mc, rclone, aws s3 and s5cmd all move there). So
  the source is HEADed once more right before its DELETE (the copy may have taken minutes): still the ETag and
  size copied, the DELETE is sent and the move reported `delete_conditional: false`; changed, it is kept
  (ConflictError, exit 5). A rewrite in that last round trip is still lost, the race every peer has always.
  An SSE-C source is HEADed with the key its copy was read with (`key_file`): a HEAD without it is refused
  (S3's HeadObject needs the x-amz-server-side-encryption-customer-* headers; SeaweedFS and MinIO answer 400),
  and that refusal came after the copy, with a line that did not say the copy was made.
Where the probe itself is refused (AccessDenied: a key allowed to delete only some names, such as `*.jpg`), whether
If-Match is honoured is unknown: the source is HEADed right before its DELETE as above (an SSE-C source with its
key_file too), and that DELETE still carries If-Match (exact where the server honours it); the move says
`delete_conditional: false` (not known exact). No versioning is read on that path (the report's delete_marker
asks markers.markers_left, once a run). Where the probe's If-Match itself is rejected (400 InvalidArgument, 501
NotImplemented: a server or gateway that knows no such condition, and refuses every DELETE carrying it), it is
taken as ignored (above): the DELETE goes without it, after the marker check or the HEAD
(tests/test_mv_delete_probe_rejected.py).

In a versioned bucket whose server ignores If-Match, the probe leaves a delete marker, removed at once by its
version id; a run killed in between left it for good. So a probe that left one removes, from its folder, the
markers of probe keys of the exact shape (PROBE_NAME + 16 hex digits, nothing but delete markers) older than its
own by STALE_PROBE (_sweep_probes; tests/test_mv_delete_probe_stale_markers.py).

A bucket's versioning is read once per Context (versioning): every object of `mv -r` asked it again (one GET
?versioning an object; the report's delete_marker, markers.markers_left, once more a run). An answer that leads
to the last HEAD (anything but Enabled) is kept for the run, and stays safe if the bucket changes meanwhile:
turned Enabled, the plain DELETE after that HEAD only adds a delete marker (a rewrite in the round trip is
hidden, not lost); turned Suspended, it is as unversioned for the new writes, which that HEAD is made for.
"Enabled" is NOT kept: were the bucket suspended since, a rewrite would be its "null" version, which the DELETE
replaces by a "null" delete marker, while the version listed just below the marker is still the one copied: the
check would pass and the rewrite be lost (tests/test_mv_versioning_read_once.py). So it is read again for each
object, as before: the check it leads to needs it as it is now.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.refs import MAX_KEY_BYTES

if TYPE_CHECKING:
    from pathlib import Path

    from its_store.s3.listing import Entry
    from its_store.service.context import Context

PROBE_NAME = ".its-store-delete-probe-"  # + 16 hex digits: the probe's key, beside the source (never stored)


def honoured(ctx: Context, bucket: str, key: str) -> bool | None:
    """Whether the server honours If-Match on DELETE in `bucket` (asked once per bucket and client; None: the
    probe was refused, unknown). The probe's key is in the source's folder, so that a key allowed to delete only
    there may make it; at the bucket's top when that folder leaves no room for it in S3's 1,024 bytes."""
    name = PROBE_NAME + secrets.token_hex(8)
    folder = key.rpartition("/")[0]
    probe = f"{folder}/{name}" if folder else name
    if len(probe.encode("utf-8", "surrogateescape")) > MAX_KEY_BYTES:  # a folder too long to hold it (Ceph and AWS
        probe = name  # refuse the key: every move out of it failed, exit 2): the bucket's top, refused maybe (None)
    return ctx.s3.deletes_if_match(bucket, probe, partial(_sweep_probes, ctx, bucket, probe))


STALE_PROBE = timedelta(hours=1)  # a probe's delete marker this much older than a new probe's is a killed run's
_PROBE_TAIL = re.compile(r"[0-9a-f]{16}")


def _sweep_probes(ctx: Context, bucket: str, probe: str, marker: str) -> None:
    """A probe left the delete marker `marker` on `probe` (a versioned bucket whose server ignores If-Match): a run
    killed between its probe and the removal of that marker left one too, on a probe key of its own. Those of the
    probe's folder (the key shape PROBE_NAME + 16 hex digits exactly, only delete markers, no version with data)
    whose newest marker is STALE_PROBE older than this one (the server's clock: both its Last-Modified) are
    removed by their version ids; a live run's, still to be removed by that run, is younger. Best effort: one
    listing page of the probes' names (the key at its cut, whose versions may go on past it, not judged), errors
    not the caller's (deletes_if_match)."""
    prefix = probe[:-16]
    listed = ctx.s3.list_objects(bucket, prefix, recursive=True, include_versions=True)
    found: dict[str, list[Entry]] = {}
    try:
        for n, entry in enumerate(listed):
            if n >= 1000:  # the key listed here may have more versions past it (data below its markers):
                found.pop(entry.key, None)  # not judged (tests/test_atk38b_probe_sweep_cut.py)
                break
            found.setdefault(entry.key, []).append(entry)
    finally:
        with contextlib.suppress(Exception):
            getattr(listed, "close", lambda: None)()
    now = next((e.last_modified for e in found.get(probe, ()) if e.version_id == marker), None)
    if now is None or now < datetime.min.replace(tzinfo=UTC) + STALE_PROBE:  # undated, or Go's zero time
        return  # (0001-01-01: a date never set) with no age to judge by (tests/test_atk38b_probe_zero_date.py)
    for key, versions in found.items():
        if key == probe or not key.startswith(prefix) or not _PROBE_TAIL.fullmatch(key[len(prefix):]):
            continue
        dates = [e.last_modified for e in versions]
        if not all(e.is_delete_marker and e.version_id for e in versions) or None in dates \
                or max(d for d in dates if d is not None) > now - STALE_PROBE:
            continue
        for entry in versions:
            ctx.s3.remove(bucket, key, entry.version_id)


def unconditioned(ctx: Context, bucket: str, key: str, copied: tuple[str, str | None, int | None],
                  key_file: Path | bytes | None) -> bool:
    """Where If-Match on DELETE is ignored (module docstring), the source s3://bucket/key that was copied
    (`copied`: its ETag, version id and stored size; `key_file`: the SSE-C key it was read with, its file or
    its bytes, else the settings'). True: deleted behind a delete marker whose place was checked (a versioned
    bucket). False: not deleted, but HEADed just now and still the object copied (any other bucket): the caller
    sends the plain DELETE at once. A rewrite found either way is kept: ConflictError (exit 5)."""
    etag, version_id, size = copied
    if versioning(ctx, bucket) != "enabled" or not version_id:
        still_copied(ctx, bucket, key, (etag, size), key_file)
        return False
    marker = ctx.s3.remove_marking(bucket, key)
    if _below(ctx, bucket, key, marker) == version_id:
        return True
    where = f"s3://{bucket}/{key}"
    if marker is not None:  # a rewrite is hidden behind the marker: removing the marker shows it again
        try:
            ctx.s3.remove(bucket, key, marker)
        except E.ItsStoreError as exc:
            raise E.ConflictError(f"{where} was rewritten after it was copied, and the delete marker its DELETE "
                                  f"left (version {marker}) could not be removed again: {exc.message}",
                                  hint=f"the new object is kept behind it: `its-store rm {where} --version-id "
                                       f"{marker}` shows it again") from None
    raise rewritten(where)


def rewritten(where: str) -> E.ConflictError:
    """A moved object's source that is no longer the object copied: kept (exit 5)."""
    return E.ConflictError(f"{where} was rewritten after it was copied (by another writer); the new object was "
                           "kept", hint="compare it with the copy (`its-store stat`), then move or remove it yourself")


def versioning(ctx: Context, bucket: str) -> str:
    """The bucket's versioning status in lower case ("enabled", "suspended", "" for never enabled, "unreadable"
    when it cannot be read). Read once per Context and kept, "enabled" excepted: that is read again each time
    (module docstring). The workers of one move wait for the first read (ctx.versioning_lock) rather than each
    send it; that read also answers markers.markers_left (whether a DELETE leaves a marker), which asked it
    once more after the DELETE."""
    seen = ctx.versioning_seen
    if bucket not in seen:
        with ctx.versioning_lock:
            if bucket not in seen:  # another worker may have read it meanwhile
                status, kept = _read_versioning(ctx, bucket)
                if kept:
                    seen[bucket] = status
                    if status != "unreadable":
                        ctx.markers_seen.setdefault(bucket, status in ("enabled", "suspended"))
                return status
    known = seen[bucket]
    return known if known != "enabled" else _read_versioning(ctx, bucket)[0]


def _read_versioning(ctx: Context, bucket: str) -> tuple[str, bool]:
    """(the bucket's versioning as `versioning` names it, whether that answer may be kept for the run): a
    refusal is (a key without s3:GetBucketVersioning is refused for every object alike), an error that may
    pass (a 503) is not."""
    try:
        return (ctx.s3.get_versioning(bucket) or "").lower(), True
    except E.AccessDeniedError:
        return "unreadable", True
    except E.ItsStoreError:
        return "unreadable", False


def still_copied(ctx: Context, bucket: str, key: str, copied: tuple[str, int | None],
                 key_file: Path | bytes | None) -> None:
    """The last HEAD before a DELETE that nothing makes conditional (or whose If-Match may be ignored: the probe
    refused): the source must still carry the ETag (bare) and size that were copied (`copied`), else it is kept
    (ConflictError). With the SSE-C key the copy read it with (`key_file`: its bytes or its file, else the
    settings', as MoveGuard HEADs it: decoding.stat_with_key, a plain object HEADed again without it); a key that
    no longer opens it (SseKeyMismatchError) means another object: rewritten."""
    from its_store.service.decoding import stat_given_key
    etag, size = copied
    try:
        now = stat_given_key(ctx, bucket, key, key_file)
    except E.ObjectNotFoundError:  # gone already: the DELETE is harmless (S3 answers 204)
        return
    except E.SseKeyMismatchError:
        raise rewritten(f"s3://{bucket}/{key}") from None
    if now.etag.strip(chr(34)) != etag or (size is not None and now.size != size):
        raise rewritten(f"s3://{bucket}/{key}")


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
