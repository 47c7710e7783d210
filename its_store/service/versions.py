"""Object versions: versioning status, listing versions, restoring one, and erasing all of them.

Erasure (`rm --all-versions`, GDPR) removes data for good: every version and delete marker of a key
or prefix, optionally only those older than a cut-off. Each version is judged by its own date, so
what is erased for a key is always its oldest versions: an older version never becomes current.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import Field, computed_field

from its_store.core import errors as E
from its_store.core.models import Result
from its_store.core.refs import validate_bucket, validate_key, validate_prefix
from its_store.service.markers import leaves_delete_markers as leaves_delete_markers
from its_store.service.markers import markers_left as markers_left
from its_store.service.markers import markers_of as markers_of
from its_store.service.markers import markers_said as markers_said
from its_store.service.markers import summed as summed

if TYPE_CHECKING:
    from its_store.service.context import Context


BATCH = 1000  # keys per DeleteObjects request (the S3 maximum)
GARBLED = ("NameGarbled: the server's version listing altered this key's name (it holds characters XML 1.0 "
           "cannot carry), so no request can name it; not erased")


class VersioningState(Result):
    """`bucket versioning`: a bucket's versioning status, Enabled, Suspended or Off (never enabled)."""

    bucket: str
    versioning: str
    unchecked: str | None = None  # "versioning": set, but the key may not read it back (versioning "unknown")


class ObjectVersion(Result):
    """One entry of a version listing: a data version, a delete marker, or (not recursive) a prefix."""

    bucket: str
    key: str
    version_id: str | None = None
    is_latest: bool = False
    is_delete_marker: bool = False
    size: int = 0
    etag: str | None = None
    last_modified: datetime | None = None
    is_prefix: bool = False
    garbled: bool = False  # the server's listing altered this key's name (s3/keys.py): it names no object


class RestoreResult(Result):
    """`restore`: the version made current again by a server-side copy, and the new version it made."""

    bucket: str
    key: str
    source_version_id: str
    version_id: str | None = None  # the new current version (None when nothing had to be copied)
    etag: str | None = None
    size: int = 0
    already_current: bool = False
    unchecked: str | None = None   # "sse": restored, its encryption not checked (the key may not read it back)


class ErasureError(Result):
    """One version or delete marker an erasure did not erase: its S3 error code (object_locked when the
    object lock kept it) and message."""

    key: str
    version_id: str | None = None
    code: str
    message: str


class ErasureResult(Result):
    """`rm --all-versions` (and `--dry-run`): what was (or would be) erased, counted, and what was not."""

    action: Literal["erase"] = "erase"
    bucket: str
    prefix: str
    recursive: bool
    dry_run: bool
    older_than: str | None = None      # the --older-than asked for (e.g. "30d")
    cutoff: datetime | None = None     # versions last modified before this were erased
    entries: list[ObjectVersion] = Field(default_factory=list)  # erased (or, dry run, to be erased)
    errors: list[ErasureError] = Field(default_factory=list)    # not erased, and why
    duration_seconds: float = 0.0
    bypass_governance: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def objects(self) -> int:
        """Keys among the entries."""
        return len({v.key for v in self.entries})

    @computed_field  # type: ignore[prop-decorator]
    @property
    def versions(self) -> int:
        """Data versions among the entries."""
        return sum(not v.is_delete_marker for v in self.entries)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def delete_markers(self) -> int:
        return sum(v.is_delete_marker for v in self.entries)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def bytes(self) -> int:
        """Bytes of the data versions among the entries."""
        return sum(v.size for v in self.entries)

    @property
    def total_bytes(self) -> int:
        """The same as `bytes` (the name earlier versions gave it)."""
        return self.bytes

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed(self) -> int:
        """How many versions were not erased (`errors` says which and why)."""
        return len(self.errors)

    def fail(self, version: ObjectVersion, message: str) -> None:
        """Record a version not erased, with its failure message ("Code: text")."""
        self.errors.append(ErasureError(key=version.key, version_id=version.version_id,
                                        code=_failure_code(message), message=message))

    def raise_for_failures(self) -> None:
        """One error, its exit code by E.batch_error's one rule: all refused by the object lock, 6
        (ObjectLockedError); all access denied, 6; mixed kinds, 1."""
        if self.errors:
            first = self.errors[0]
            text = (f"{len(self.errors)} versions could not be erased; first: "
                    f"{first.key} ({first.version_id}): {first.message}")
            errors = [_failure_error(e.key, e.message, self.bucket) for e in self.errors]
            hint = ("retained or held versions stay until their retention runs out or the hold is lifted; "
                    "governance: --bypass-governance") if errors[0].code == E.ObjectLockedError.code else None
            raise E.batch_error(text, errors, hint)


def versioning_label(status: str | None) -> str:
    """minio reports None for a bucket that never had versioning: call that 'Off'."""
    return status or "Off"


def versioning_kept(status: str, enabled: bool) -> bool:
    """Whether `status` read back holds what was written: Enabled; suspended (never enabled counts too)."""
    return status == "Enabled" if enabled else status != "Enabled"


class Versions:
    """Version operations over one Context (`svc.versions()`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------------------------ versioning
    def status(self, bucket: str) -> str:
        """'Enabled', 'Suspended' or 'Off' (never enabled)."""
        return versioning_label(self.ctx.s3.get_versioning(validate_bucket(bucket)))

    def state(self, bucket: str) -> VersioningState:
        """The bucket's versioning status as a result (`bucket versioning`)."""
        return VersioningState(bucket=bucket, versioning=self.status(bucket))

    def set(self, bucket: str, enabled: bool) -> VersioningState:
        """Turn versioning on, or suspend it (S3 cannot switch it off again). Returns the new status."""
        from its_store.service.kept import read_back
        with self.ctx.op("versioning", bucket=validate_bucket(bucket), forget=None, enabled=enabled):
            self.ctx.s3.set_versioning(bucket, enabled)
            return read_back(bucket, "versioning " + ("on" if enabled else "suspend"), lambda: self.state(bucket),
                             lambda got: versioning_kept(got.versioning, enabled), lambda got: got.versioning,
                             needs="s3:GetBucketVersioning",
                             unread=VersioningState(bucket=bucket, versioning="unknown", unchecked="versioning"))

    # --------------------------------------------------------------------------------- listing
    def iter_versions(self, bucket: str, prefix: str = "", *, recursive: bool = True) -> Iterator[ObjectVersion]:
        """Every version and delete marker under `prefix`, in the server's order."""
        validate_bucket(bucket)
        validate_prefix(prefix)
        for item in self.ctx.s3.list_objects(bucket, prefix, recursive, include_versions=True):
            if item.is_prefix:
                yield ObjectVersion(bucket=bucket, key=item.key, is_prefix=True)
                continue
            yield ObjectVersion(
                bucket=bucket, key=item.key, version_id=item.version_id,
                is_latest=item.is_latest, is_delete_marker=item.is_delete_marker,
                size=item.size or 0, etag=(item.etag or "").strip('"') or None,
                last_modified=item.last_modified, garbled=item.garbled)

    def of_key(self, bucket: str, key: str) -> list[ObjectVersion]:
        """The versions and delete markers of exactly `key` (not of keys that merely start with it)."""
        validate_key(key)
        return [v for v in self.iter_versions(bucket, key) if v.key == key]

    def is_delete_marker(self, bucket: str, key: str, version_id: str) -> bool:
        return any(v.version_id == version_id and v.is_delete_marker for v in self.of_key(bucket, key))

    # --------------------------------------------------------------------------------- restore
    def restore(self, bucket: str, key: str, version_id: str) -> RestoreResult:
        """Make `version_id` the current version again by a server-side copy onto the same key."""
        validate_bucket(bucket)
        validate_key(key)
        if not version_id:
            raise E.InvalidInputError("restore needs --version-id", hint="see `its-store ls --versions`")
        found = [v for v in self.of_key(bucket, key) if v.version_id == version_id]
        if not found:
            raise E.ObjectNotFoundError(f"version {version_id} of s3://{bucket}/{key} not found",
                                        hint=f"list them: its-store ls s3://{bucket}/{key} --versions")
        source = found[0]
        if source.is_delete_marker:
            raise E.InvalidInputError(f"version {version_id} of s3://{bucket}/{key} is a delete marker",
                                      hint="restore a data version, or remove the marker with rm --version-id")
        if source.is_latest:
            return RestoreResult(bucket=bucket, key=key, source_version_id=version_id, version_id=version_id,
                                 etag=source.etag, size=source.size, already_current=True)
        sse = self._encryption_of(bucket, key, version_id)
        with self.ctx.op("restore", bucket=bucket, key=key, restored_version_id=version_id,
                         size=source.size, encryption=sse) as op:
            from its_store.service.copying import checked
            etag, new_version, unchecked = checked(self.ctx, self.ctx.s3.copies.copy_version(
                bucket, key, version_id, sse_s3=sse == "SSE-S3"), bucket, key, sse == "SSE-S3")
            op.fields["version_id"] = new_version
        return RestoreResult(bucket=bucket, key=key, source_version_id=version_id, version_id=new_version,
                             etag=etag, size=source.size, unchecked=unchecked)

    def _encryption_of(self, bucket: str, key: str, version_id: str) -> str | None:
        """SSE-S3 / SSE-KMS / None of one version; an SSE-C version cannot be restored server-side."""
        from its_store.codec.encryption import describe, explain_read_error
        try:
            stat = self.ctx.s3.stat(bucket, key, version_id)
        except E.ItsStoreError as exc:
            exc = explain_read_error(exc, bucket, key)
            if isinstance(exc, E.SseKeyRequiredError):
                raise E.InvalidInputError(
                    f"version {version_id} of s3://{bucket}/{key} is encrypted with SSE-C: restore cannot copy it",
                    hint="download that version with its key (get --version-id) and upload it again") from None
            raise exc from None
        return describe(stat.metadata)

    # --------------------------------------------------------------------------------- erasure
    def erase(self, bucket: str, target: str, *, recursive: bool = False, older_than: timedelta | None = None,
              dry_run: bool = False, now: datetime | None = None,
              bypass_governance: bool = False) -> ErasureResult:
        """Delete for good every version and delete marker of a key, or of everything under a prefix
        (`recursive`), optionally only those last modified more than `older_than` ago. Versions the
        object lock keeps are reported in `failed` with the reason, and the rest still erased;
        `bypass_governance` overrides governance retention (never compliance or a legal hold)."""
        started = time.perf_counter()
        validate_bucket(bucket)
        if recursive:
            prefix = target if (not target or target.endswith("/")) else target + "/"
        else:
            prefix = validate_key(target)
        cutoff = (now or datetime.now(UTC)) - older_than if older_than is not None else None
        result = ErasureResult(bucket=bucket, prefix=prefix, recursive=recursive, dry_run=dry_run,
                               older_than=_describe(older_than), cutoff=cutoff,
                               bypass_governance=bypass_governance)
        if dry_run:
            self._erase_all(result, target)
        else:
            with self.ctx.op("rm", bucket=bucket, key=prefix if not recursive else None, forget=None, erasure=True,
                             all_versions=True, older_than=result.older_than,
                             bypass_governance=bypass_governance or None, prefix=prefix if recursive else None) as op:
                try:
                    self._erase_all(result, target)
                finally:
                    op.fields.update(objects=result.objects, versions=result.versions, size=result.bytes,
                                     delete_markers=result.delete_markers, failed=result.failed)
        result.duration_seconds = round(time.perf_counter() - started, 3)
        return result

    def _erase_all(self, result: ErasureResult, target: str) -> None:
        """List every version first, then erase them: a listing paged while its entries are deleted may end
        early (moto pages from the version its marker names: once that is deleted, the next page is empty),
        and what it never listed was neither erased nor reported."""
        bucket, found = result.bucket, False
        listed: list[ObjectVersion] = []  # those it may erase: the newer ones it keeps are not held
        for version in self._targets(result, target):
            found = True
            if not _too_new(version, result.cutoff):
                listed.append(version)
        if not result.recursive and not found:
            raise E.ObjectNotFoundError(f"object not found: s3://{bucket}/{target} (no versions)")
        batch: list[ObjectVersion] = []
        for version in self._eligible(result, listed):
            batch.append(version)
            if len(batch) >= BATCH:
                self._erase_batch(bucket, batch, result)
        self._erase_batch(bucket, batch, result)
        if not result.dry_run and result.entries:
            self._prove_erased(result, target, {(v.key, v.version_id) for v in listed})

    def _eligible(self, result: ErasureResult, listed: list[ObjectVersion]) -> Iterator[ObjectVersion]:
        """The listed versions (older than the cutoff: _erase_all keeps no other) to erase, each garbled name
        found (a delete of the altered name would "succeed" and erase nothing) or failed."""
        candidates: dict[str, list[str]] = {}  # garbled name -> the keys it may stand for
        named: set[tuple[str, str | None]] = set()  # (key, version) a garbled entry was found to be
        for version in listed:
            if version.garbled:
                version = self._real_name(version, candidates, named)
            if version.garbled:
                result.fail(version, GARBLED)
                continue
            yield version

    def _targets(self, result: ErasureResult, target: str) -> Iterator[ObjectVersion]:
        """The versions and markers an erasure is about: of the key, or of everything under the prefix."""
        for version in self.iter_versions(result.bucket, result.prefix, recursive=True):
            if result.recursive or version.key == target:
                yield version

    def _real_name(self, version: ObjectVersion, candidates: dict[str, list[str]],
                   named: builtins.set[tuple[str, str | None]]) -> ObjectVersion:
        """The key a garbled name stands for, found in the plain listing (URL-encoded: exact names):
        a key the server would list under this name, whose version this is (a HEAD of the version with
        the listed ETag and size; a delete marker cannot be HEADed, so it needs the one candidate), and
        that no other garbled entry was found to be: several keys may be garbled alike ('c\x01x' and
        'c\x02x' both 'c\ufffdx', all of version 'null' in an unversioned bucket), each listed once.
        Unchanged if none is sure. A key only hidden behind a delete marker is in no plain listing: it
        stays garbled."""
        from its_store.s3.keys import as_garbled
        name, s3, vid = version.key, self.ctx.s3, version.version_id
        if name not in candidates:
            cut = name[:name.index("\ufffd")]
            candidates[name] = [e.key for e in s3.list_objects(version.bucket, cut, recursive=True)
                                if as_garbled(e.key) == name]
        found = [key for key in candidates[name] if (key, vid) not in named]
        if version.is_delete_marker:
            sure = found if len(candidates[name]) == 1 else []
        else:
            sure = [key for key in found if self._is_version(version, key)]
        if not sure:
            return version
        named.add((sure[0], vid))  # alike in name, version, ETag and size: any one of them is this entry
        return version.model_copy(update={"key": sure[0], "garbled": False})

    def _is_version(self, version: ObjectVersion, key: str) -> bool:
        """`key` holds `version` (by its id), with the ETag and size the listing gave."""
        try:
            stat = self.ctx.s3.stat(version.bucket, key, version.version_id)
        except E.ItsStoreError:
            return False
        etag = (stat.etag or "").strip('"')
        return (not version.etag or etag == version.etag.strip('"')) and (stat.size or 0) == version.size

    def _prove_erased(self, result: ErasureResult, target: str, listed: builtins.set[tuple[str, str | None]]) -> None:
        """List again: a version still listed was not erased, whatever the delete answered (a server may
        accept a delete of a name it does not hold); it moves from `entries` to `failed`. One the first
        listing (`listed`) lacked is not erased either (written since, or a listing that skipped it):
        failed too, so that an erasure never says "all" while versions it was asked for are stored."""
        from its_store.s3.keys import as_garbled
        still: builtins.set[tuple[str, str | None]] = set()
        for version in self._targets(result, target):
            still.add((version.key, version.version_id))
            if (version.key, version.version_id) not in listed and not _too_new(version, result.cutoff):
                result.fail(version, "NotErased: listed after the erasure, not by the listing it erased from")
        kept = [v for v in result.entries  # a key erased by its real name may be listed garbled
                if (v.key, v.version_id) in still or (as_garbled(v.key), v.version_id) in still]
        if kept:
            result.entries = [v for v in result.entries if v not in kept]
            for version in kept:
                result.fail(version, "NotErased: still listed after its delete")

    def _erase_batch(self, bucket: str, batch: list[ObjectVersion], result: ErasureResult) -> None:
        if not batch:
            return
        failures: dict[tuple[str, str | None], str] = {}
        if not result.dry_run:
            pairs = [(v.key, v.version_id) for v in batch]
            try:
                failures = {(k, v): msg for k, v, msg in self.ctx.s3.remove_versions(
                    bucket, pairs, bypass_governance=result.bypass_governance)}
                if failures:  # the lock's refusals get their reason (retention / legal hold)
                    from its_store.service.retention import Retention
                    Retention(self.ctx).explain_failures(bucket, failures)
            finally:
                self.ctx.forget_keys(bucket, {v.key for v in batch})
        for version in batch:
            msg = failures.get((version.key, version.version_id))
            if msg is None:
                result.entries.append(version)
            else:
                result.fail(version, msg)
            if not result.dry_run:  # one count per version; the erasure's one audit line is erase()'s
                op = self.ctx.op("rm", bucket=bucket, key=version.key, stat="delete", audit=False, forget=None)
                op.nbytes = version.size
                op.finish(ok=msg is None)
        batch.clear()


def _too_new(version: ObjectVersion, cutoff: datetime | None) -> bool:
    """Whether `version` is last modified at or after `cutoff` (rm --all-versions --older-than keeps it)."""
    return cutoff is not None and version.last_modified is not None and version.last_modified >= cutoff


def _failure_error(key: str, message: str, bucket: str) -> E.ItsStoreError:
    """The error of one version's failure message: the object lock's refusal, else by its S3 code."""
    from its_store.s3.client import failure_error
    from its_store.service.retention import is_locked_message
    if is_locked_message(message):
        return E.ObjectLockedError(message)
    return failure_error(message, bucket, key, call="DeleteObjectVersion")  # each erasure names a version


def _failure_code(message: str) -> str:
    """'object_locked' for a version the object lock kept (retention.py's message), else the S3 code."""
    from its_store.service.retention import is_locked_message
    return E.ObjectLockedError.code if is_locked_message(message) else message.split(":", 1)[0].strip()


def _describe(delta: timedelta | None) -> str | None:
    if delta is None:
        return None
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
