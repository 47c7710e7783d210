"""Deleting objects over a Context: one (a version, a delete marker, past governance retention when asked),
named ones in turn or planned (`rm --dry-run`), a batch of keys (DeleteObjects, 1,000 a request), each
recorded (cache invalidation, one audit line and one stats count per key).

Importable from service/objects.py as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core import models
from its_store.core.refs import validate_bucket, validate_key, validate_version_id

if TYPE_CHECKING:
    from pathlib import Path

    from its_store.core.models import DeleteResult
    from its_store.s3.client import ObjectStat
    from its_store.service.context import Context
    from its_store.service.delete_results import DeletedObjects as DeletedObjects
    from its_store.service.delete_results import DeletePlan as DeletePlan
    from its_store.service.delete_results import PlannedDelete as PlannedDelete
else:  # the results of rm's named deletes and dry runs: created on their first use (service/delete_results.py)
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), dict.fromkeys(("DeletedObjects", "DeletePlan", "PlannedDelete"),
                                                      "delete_results"), "its_store.service")


def delete_each(ctx: Context, targets: Iterable[tuple[str, str]], version_id: str | None = None, *,
                bypass_governance: bool = False) -> DeletedObjects:
    """Delete each (bucket, key) in turn (see delete()); the first that fails raises, those before it
    are deleted."""
    from its_store.service.delete_results import DeletedObjects
    return DeletedObjects(deleted=[delete(ctx, bucket, key, version_id, bypass_governance=bypass_governance)
                                   for bucket, key in targets])


def plan_delete(ctx: Context, targets: Iterable[tuple[str, str]], version_id: str | None = None) -> DeletePlan:
    """What delete_each() would delete: each (bucket, key) stat'ed (a missing one raises
    ObjectNotFoundError, exit 3), as delete() asks (_exists: a name the server reads as another key is not
    found); nothing is deleted."""
    from its_store.service.delete_results import DeletePlan
    return DeletePlan(would_delete=[_planned(ctx, bucket, key, version_id) for bucket, key in targets])


def _planned(ctx: Context, bucket: str, key: str, version_id: str | None) -> PlannedDelete:
    """One key of a dry run: the HEAD that shows it exists gives its size (one HEAD a key); stat_object only
    for an SSE-C object (read with the configured key); a delete marker (`--version-id`) has no size: 0."""
    validate_bucket(bucket)
    validate_key(key, existing=True)
    head = _exists(ctx, bucket, key, version_id)
    if not isinstance(head, str):
        size = head.size or 0
    elif head == _SSE_C:
        from its_store.service.object_download import stat_object
        size = stat_object(ctx, bucket, key, version_id, include_tags=False).size
    else:  # a delete marker: no HEAD, no size (a stat of it said "not found", exit 3, while `rm` deletes it)
        size = 0
    from its_store.service.delete_results import PlannedDelete
    return PlannedDelete(bucket=bucket, key=key, size=size, version_id=version_id)


def delete(ctx: Context, bucket: str, key: str, version_id: str | None = None, *,
           bypass_governance: bool = False, if_match: str | None = None,
           copied_version: str | None = None, copied_size: int | None = None,
           copied_key_file: Path | bytes | None = None) -> DeleteResult:
    """Delete one object (or one version). A missing object is an ObjectNotFoundError.

    In a versioned bucket, without `version_id`, S3 only adds a delete marker (allowed even under
    object lock): the result says `delete_marker`, as the data is still stored. A version refused by
    object lock is ObjectLockedError (exit 6) with the reason; `bypass_governance` overrides
    governance retention only (never compliance or a legal hold).

    `if_match` (an ETag: mv's source as it was copied): the DELETE carries `If-Match`, so that a server that
    honours it (AWS since 2025-09, SeaweedFS, moto) deletes only that object, never one rewritten since;
    refused, the object is kept: ConflictError (exit 5). Where the server ignores it (MinIO, rclone, Ceph RGW
    16.2), service/delete_guard.py: in a versioned bucket the delete marker's place is checked (`copied_version`
    must be just below it); in any other the source is HEADed right before a plain DELETE (still `if_match` and
    `copied_size`, else kept, exit 5; an SSE-C source with the key it was read with: `copied_key_file`, its file
    or its bytes, else the settings'), and the result says `delete_conditional` false."""
    validate_bucket(bucket)
    validate_key(key, existing=True)
    validate_version_id(version_id)
    with ctx.op("rm", bucket=bucket, key=key, stat="delete", version_id=version_id, delete_marker=None,
                bypass_governance=bypass_governance or None) as op:
        _exists(ctx, bucket, key, version_id)
        said, conditional, check = (_remove_one(ctx, bucket, key, version_id, bypass_governance), None, None) \
            if if_match is None else _remove_if_match(ctx, bucket, key, if_match, (copied_version, copied_size),
                                                        copied_key_file)
        if conditional is not None:  # a move's DELETE: whether the server made it only as copied (the audit line),
            op.fields["delete_conditional"] = conditional  # and how it was kept to the object copied (CHECKS)
            op.fields["delete_check"] = check
        marker: bool | None = False
        if version_id is None:  # the answer's x-amz-delete-marker, else the bucket's versioning; None: unknown
            from its_store.service.markers import markers_of
            marker = markers_of(ctx, bucket, {key: said}, [key])[key]
        op.fields["delete_marker"] = marker or None
    return models.DeleteResult(bucket=bucket, key=key, version_id=version_id, delete_marker=marker,
                               delete_conditional=conditional)


_SSE_C, _MARKER = "SSE-C", "delete marker"  # what _exists found where the HEAD told nothing
# how a move's source DELETE was kept to the object copied (the audit line's `delete_check`; service/delete_guard.py):
# the server honours If-Match; ignored (or rejected), a versioned bucket: the delete marker's place checked;
# ignored, any other bucket: a HEAD, then a plain DELETE; the probe refused (unknown): a HEAD, then If-Match
CHECKS = ("if_match", "marker_checked", "head_then_plain", "head_then_if_match")


def _exists(ctx: Context, bucket: str, key: str, version_id: str | None) -> ObjectStat | str:
    """HEAD before a delete: a missing object is ObjectNotFoundError (S3 answers its delete with 204). A key
    some servers read as another is not found when the server answered with that other object
    (heads.not_another: SeaweedFS answers for 'd\\f1' or 'd//f1' with the object 'd/f1', and its DELETE
    removes that other object); for an SSE-C object, whose key-less HEAD tells nothing, by the listings.
    Returns the HEAD, or what it found where the HEAD told nothing (_SSE_C, _MARKER: a version id's)."""
    from its_store.service import heads
    try:
        return heads.stat(ctx, bucket, key, version_id)
    except E.SseKeyRequiredError:  # encrypted with an SSE-C key (deleting needs none): it exists, unless the
        heads.not_another(ctx, bucket, key, version_id)  # server answered for another key (the listings tell)
        return _SSE_C
    except E.ItsStoreError as exc:  # a delete marker has no HEAD (404/405) but is removed by its id
        from its_store.service.versions import Versions
        if (not version_id or type(exc) not in (E.ObjectNotFoundError, E.ItsStoreError)
                or not Versions(ctx).is_delete_marker(bucket, key, version_id)):
            raise
        heads.not_another(ctx, bucket, key, version_id)  # a marker listed under a merged name: the other's?
        return _MARKER


def _remove_one(ctx: Context, bucket: str, key: str, version_id: str | None, bypass_governance: bool) -> bool | None:
    """One DELETE (a one-entry DeleteObjects with the bypass header when asked); a refusal by
    object lock comes back as ObjectLockedError with its reason (service/retention.py). Returns what the
    answer said of a delete marker (s3/deleted.py; None: nothing)."""
    try:
        if not bypass_governance:
            return ctx.s3.remove(bucket, key, version_id)
        failures = ctx.s3.remove_versions(bucket, [(key, version_id)], bypass_governance=True)
        if failures:
            from its_store.s3.client import failure_error
            raise failure_error(failures[0][2], bucket, key,
                                call="DeleteObjectVersion" if version_id else "DeleteObject")
        return False  # a version erased (the bypass goes with a version id): no marker left
    except E.AccessDeniedError as exc:
        from its_store.service.retention import Retention
        raise Retention(ctx).explain(bucket, key, version_id, exc) from None


def _remove_if_match(ctx: Context, bucket: str, key: str, etag: str,
                     copied: tuple[str | None, int | None], key_file: Path | bytes | None
                     ) -> tuple[bool | None, bool, str]:
    """One DELETE with `If-Match: "ETAG"`. A 412 is read back: the object gone (an earlier attempt of this
    DELETE did it) is deleted; still carrying the ETag, the server matches only the bare form (radosgw 16.2,
    s3/conditional.py), sent once more so; anything else was rewritten: ConflictError, the object kept. A
    server that ignores If-Match on DELETE (service/delete_guard.py) gets a plain DELETE right after a HEAD found
    the object copied (`copied`: its version id and stored size), or, in a versioned bucket, one whose delete
    marker is checked; where the probe that tells was refused, a HEAD just before the If-Match DELETE. Returns
    what the answer said of a delete marker, whether the delete is known conditional (False: the plain
    DELETE, or the probe refused), and how it was kept to the object copied (one of CHECKS)."""
    from its_store.service import delete_guard
    bare = etag.strip(chr(34))
    forms: tuple[str | None, ...] = (f'"{bare}"', bare)
    honours = delete_guard.honoured(ctx, bucket, key)
    check = CHECKS[0]
    if honours is False:
        if delete_guard.unconditioned(ctx, bucket, key, (bare, *copied), key_file):
            return True, True, CHECKS[1]  # a delete marker, its place checked: as exact as a conditional DELETE
        forms, check = (None,), CHECKS[2]  # HEADed just now and still the object copied: the DELETE at once
    elif honours is None:  # the probe was refused: HEADed just before, If-Match kept (service/delete_guard.py)
        delete_guard.still_copied(ctx, bucket, key, (bare, copied[1]), key_file)
        check = CHECKS[3]
    for value in forms:
        exact = bool(value) and honours is True
        try:
            return ctx.s3.remove(bucket, key, None, headers={"If-Match": value} if value else None), exact, check
        except E.ServiceUnavailableError as exc:  # sent, never re-sent (s3/pool.py), answer lost: look
            _lost_answer(ctx, bucket, key, bare, exc, key_file)  # raises unless the source is gone
            return None, exact, check  # gone: deleted; what is left, unknown (the caller asks the versioning)
        except E.ObjectNotFoundError:  # AWS: If-Match on a key with no object (a lost answer's retry)
            return None, exact, check  # gone: deleted; what is left, unknown (the caller asks the versioning)
        except E.ConflictError:
            same = _read_back(ctx, bucket, key, bare, key_file)
            if same is None:
                return None, exact, check  # gone: deleted (a lost answer's retry was refused); what is left, unknown
            if not same:
                break
    raise delete_guard.rewritten(f"s3://{bucket}/{key}")


def _read_back(ctx: Context, bucket: str, key: str, bare: str, key_file: Path | bytes | None) -> bool | None:
    """After a 412 to the If-Match DELETE, the source as a HEAD reads it now (_etag_now): None when it is gone,
    True when it still carries the ETag copied (`bare`: the server matches only the other form), False when
    it is another object (rewritten, or an SSE-C key that no longer opens it)."""
    try:
        now = _etag_now(ctx, bucket, key, key_file)
    except E.ObjectNotFoundError:
        return None
    except E.SseKeyMismatchError:  # the key the copy read it with no longer opens it: another object
        return False
    return now == bare


def _etag_now(ctx: Context, bucket: str, key: str, key_file: Path | bytes | None) -> str:
    """The source's ETag (bare) as a HEAD reads it now, with the SSE-C key its copy was read with (`key_file`, else
    the settings'; as delete_guard.still_copied): a key-less HEAD of an SSE-C object is refused (S3, SeaweedFS,
    MinIO), which ended the move in an error about the key. A key that no longer opens it is another object
    (SseKeyMismatchError: the caller's "rewritten"). `key_file`: the key's file or its bytes (given_key)."""
    from its_store.service.decoding import stat_given_key
    return stat_given_key(ctx, bucket, key, key_file).etag.strip(chr(34))


def _lost_answer(ctx: Context, bucket: str, key: str, bare: str, lost: E.ServiceUnavailableError,
                 key_file: Path | bytes | None) -> None:
    """The conditional DELETE got no answer (a connection reset after it was sent): the source is looked at
    (HEAD, an SSE-C source with its key: _etag_now) to tell the truth. Gone: deleted (returns). Still the object
    copied (its ETag): kept, said (exit 69); the DELETE is not sent again, the user runs the move again. Another
    object: the rewritten one is kept (ConflictError). Not readable either: unknown, said so."""
    where = f"s3://{bucket}/{key}"
    try:
        now = _etag_now(ctx, bucket, key, key_file)
    except E.ObjectNotFoundError:
        return
    except E.SseKeyMismatchError:
        now = ""  # the key the copy read it with no longer opens it: another object
    except E.ItsStoreError as exc:
        raise E.ServiceUnavailableError(f"the DELETE of {where} got no answer ({lost.message}) and it could not "
                                        f"be looked at since ({exc.message}): whether it was deleted is unknown",
                                        hint=f"check with `its-store stat {where}`") from None
    if now != bare:
        from its_store.service.delete_guard import rewritten
        raise rewritten(where)
    raise E.ServiceUnavailableError(f"the source {where} was kept: its DELETE got no answer ({lost.message}) and "
                                    "it is still there", hint="run the move again (the copy is made again), or "
                                                              "remove the source with `its-store rm`")


def delete_many(ctx: Context, bucket: str, keys: list[str]) -> list[DeleteResult]:
    """Batch delete (1,000 keys per request). Each key gets a DeleteResult; failures are not raised.
    In a bucket that leaves delete markers each deleted key says `delete_marker`: hidden, still stored.
    Any key a listing gives can be passed, control characters and '.'/'..' segments included (s3/keys.py
    sends each the way that names it exactly); a key that is no key at all (empty, over 1,024 bytes)
    fails alone, never the batch."""
    validate_bucket(bucket)
    failures: dict[str, str] = {}
    for key in keys:
        try:
            validate_key(key, existing=True)
        except E.InvalidInputError as exc:
            failures[key] = f"{exc.code}: {exc.message}"
    sendable = [k for k in keys if k not in failures]
    markers: dict[str, bool | None] = {}
    for start in range(0, len(sendable), 1000):
        failures.update(remove_batch(ctx, bucket, sendable[start:start + 1000], markers=markers))
    return [models.DeleteResult(bucket=bucket, key=k, deleted=k not in failures, error=failures.get(k),
                         delete_marker=False if k in failures else markers.get(k)) for k in keys]


def remove_batch(ctx: Context, bucket: str, keys: list[str], sizes: dict[str, int] | None = None, *,
                 markers: dict[str, bool | None] | None = None) -> dict[str, str]:
    """One DeleteObjects request (<= 1,000 keys), recorded once whoever asked (rm, rm -r, sync, the
    registry): cache invalidation, one audit line and one stats count per key, `delete_marker` on the
    line of a key whose delete only hid it (the data still stored). What each delete did goes into
    `markers` (versions.markers_of: the answer's DeleteMarker, else the bucket's versioning; None: unknown,
    said once). Returns the failures as {key: "Code: message"}; if the request itself fails, every key is
    audited as failed and the error raised."""
    failures: dict[str, str] = {}
    said: dict[str, bool | None] = {}
    found: dict[str, bool | None] = {}
    try:
        failures = dict(ctx.s3.remove_many(bucket, [(k, None) for k in keys], said=said))
        from its_store.service.markers import markers_of
        found = markers_of(ctx, bucket, said, [k for k in keys if k not in failures])
    except E.ItsStoreError as exc:
        failures = dict.fromkeys(keys, f"{exc.code}: {exc.message}")
        raise
    finally:
        for marker in (True, None):  # the audit line carries delete_marker only where a marker was left
            group = {key: failures.get(key) for key in keys if (found.get(key) or None) is marker}
            if group:
                ctx.each("rm", bucket, group, stat="delete", sizes=sizes, delete_marker=marker)
    if markers is not None:
        markers.update(found)
    return failures
