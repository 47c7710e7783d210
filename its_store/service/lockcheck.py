"""The lock a write asked for, checked on the version it stored (DESIGN.md: "then the post-conditions are
checked on the server (the lock asked for is on the stored version)").

Why: Debian's radosgw 16.2 answers a multipart upload with x-amz-object-lock-* headers with 200 and stores
the version with neither retention nor legal hold; evidence would be left unprotected without a word. So
after every write that asked for a lock (upload, single or in parts, recursive; sync and watch, which
upload through the same path; a sync from s3:// to s3://, whose server-side copies carry no lock headers)
`ensure_locked` reads the version's retention and legal hold back (GET ?retention, GET ?legal-hold). What
is missing is put on with PutObjectRetention / PutObjectLegalHold and read back again; what is still
missing then is LockNotKeptError (exit 78). The write's audit line says which (`LockCheck.audit`), and a
lock put on after the write is said on stderr (`its-store: warning: ...`).

Before such a write, `require_bucket_lock` makes sure the bucket has object lock at all: a server that
ignores lock headers (`rclone serve s3`) would store the object unprotected, and then take the PUT
?retention meant to repair that for a new object content.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from its_store.core import errors as E
from its_store.core import lock as L

if TYPE_CHECKING:
    from its_store.s3.client import S3Client
    from its_store.service.context import Context

log = logging.getLogger("its_store.service.lockcheck")

RETENTION, LEGAL_HOLD = "retention", "legal_hold"
_LOCKED_BUCKETS: set[tuple[str, str]] = set()  # (server_id, bucket) seen with object lock: it cannot be turned off


class LockCheck(BaseModel):
    """What one write asked of the object lock, and what the stored version was found to carry."""

    mode: str | None = None               # GOVERNANCE or COMPLIANCE, with retain_until
    retain_until: datetime | None = None
    legal_hold: bool = False
    version_id: str | None = None         # the version checked
    verified: bool | None = None          # None: not checked (nothing asked, or the write failed first)
    applied_after: bool = False           # missing after the write: its-store put it on itself
    missing: list[str] = Field(default_factory=list)  # "retention" / "legal_hold" still missing after that

    @classmethod
    def of(cls, fields: Any) -> LockCheck:
        """From an UploadRequest, or a dict of its lock fields (sync's UploadOptions.extra)."""
        def get(name: str) -> Any:
            return fields.get(name) if isinstance(fields, dict) else getattr(fields, name, None)
        until = get("retain_until")
        return cls(mode=L.parse_mode(get("retain_mode") or L.DEFAULT_MODE) if until is not None else None,
                   retain_until=until, legal_hold=bool(get("legal_hold")))

    @property
    def asked(self) -> bool:
        return self.retain_until is not None or self.legal_hold

    def audit(self) -> dict[str, Any]:
        """Fields for the write's audit line: lock_verified, lock_applied_after, lock_missing ({} when no
        lock was asked for or the write failed before the check)."""
        if not self.asked or self.verified is None:
            return {}
        fields: dict[str, Any] = {"lock_verified": self.verified, "lock_applied_after": self.applied_after}
        if self.missing:
            fields.update(lock_missing=list(self.missing), lock_version_id=self.version_id)
        return fields

    def describe(self, which: list[str] | None = None) -> str:
        """'governance retention until 2027-01-31 00:00:00Z and legal hold' (of `which`, default all asked)."""
        which = which if which is not None else [n for n in (RETENTION, LEGAL_HOLD) if self._wants(n)]
        parts = []
        if RETENTION in which and self.retain_until is not None:
            parts.append(f"{(self.mode or L.DEFAULT_MODE).lower()} retention until {_utc(self.retain_until)}")
        if LEGAL_HOLD in which:
            parts.append("legal hold")
        return " and ".join(parts)

    def _wants(self, name: str) -> bool:
        return self.retain_until is not None if name == RETENTION else self.legal_hold


def require_bucket_lock(ctx: Context, bucket: str, wanted: LockCheck) -> None:
    """Before a write that asks for a lock: ObjectLockNotEnabledError (exit 78) unless the bucket has
    object lock, so that nothing is stored unprotected. One GET ?object-lock per bucket and process."""
    if not wanted.asked or (ctx.settings.server_id(), bucket) in _LOCKED_BUCKETS:
        return
    from its_store.service.retention import Retention
    Retention(ctx).require_lock(bucket)
    _LOCKED_BUCKETS.add((ctx.settings.server_id(), bucket))


def ensure_locked(s3: S3Client, bucket: str, key: str, version_id: str | None, wanted: LockCheck) -> LockCheck:
    """Check that version `version_id` of s3://bucket/key carries the lock `wanted` asked for; put on what
    is missing (PutObjectRetention / PutObjectLegalHold) and check again. Fills in `wanted` (for the
    audit line) and returns it; raises LockNotKeptError (exit 78) if the lock is still not there."""
    if not wanted.asked:
        return wanted
    wanted.version_id = version_id
    missing = _missing(s3, bucket, key, version_id, wanted)
    if missing:
        wanted.applied_after = True
        try:
            _apply(s3, bucket, key, version_id, wanted, missing)
        except E.ItsStoreError as exc:
            _fail(wanted, bucket, key, missing, f"putting it on again failed: {exc.message}")
        from its_store.service.kept import settled  # a lock may read back late: read again before failing
        missing = settled(lambda: _missing(s3, bucket, key, version_id, wanted), lambda left: not left)
    wanted.missing, wanted.verified = missing, not missing
    if missing:
        _fail(wanted, bucket, key, missing, "put on again after the write, it still reads back without it")
    if wanted.applied_after:
        log.warning("the server did not keep the %s asked for with s3://%s/%s%s; its-store put it on after "
                    "the write and read it back", wanted.describe(), bucket, key, _vid(version_id))
    return wanted


def lock_after_copy(ctx: Context, bucket: str, key: str, version_id: str | None, fields: Any) -> None:
    """sync s3:// -> s3:// with --retain / --legal-hold: a server-side copy carries no lock headers, so the
    lock is put on after it and checked (ensure_locked); an audit line `lock` of its own records that."""
    wanted = LockCheck.of(fields)
    if not wanted.asked:
        return
    with ctx.op("lock", bucket=bucket, key=key, forget=None, version_id=version_id) as op:
        try:
            ensure_locked(ctx.s3, bucket, key, version_id, wanted)
        finally:
            op.fields.update(wanted.audit())


def _missing(s3: S3Client, bucket: str, key: str, version_id: str | None, wanted: LockCheck) -> list[str]:
    """Which of the asked-for locks the version does not carry now (GET ?retention, GET ?legal-hold)."""
    missing = []
    if wanted.retain_until is not None:
        mode, until = s3.governance.get_retention(bucket, key, version_id)
        if not L.retention_kept(mode, until, wanted.mode, wanted.retain_until):
            missing.append(RETENTION)
    if wanted.legal_hold and not s3.governance.get_legal_hold(bucket, key, version_id):
        missing.append(LEGAL_HOLD)
    return missing


def _apply(s3: S3Client, bucket: str, key: str, version_id: str | None, wanted: LockCheck, missing: list[str]) -> None:
    if RETENTION in missing and wanted.retain_until is not None:
        s3.governance.set_retention(bucket, key, wanted.mode or L.DEFAULT_MODE, wanted.retain_until, version_id)
    if LEGAL_HOLD in missing:
        s3.governance.set_legal_hold(bucket, key, True, version_id)


def _fail(wanted: LockCheck, bucket: str, key: str, missing: list[str], why: str) -> None:
    wanted.missing, wanted.verified = missing, False
    raise E.LockNotKeptError(
        f"s3://{bucket}/{key}{_vid(wanted.version_id)} was stored, but without the {wanted.describe(missing)} "
        f"asked for ({why}): this version is NOT protected",
        hint="this server does not keep object locks as S3 does; check with `its-store retention show` and "
             "`legal-hold show`, and keep evidence on a server that does")


def _vid(version_id: str | None) -> str:
    return f" (version {version_id})" if version_id else ""


def _utc(when: datetime) -> str:
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z"
