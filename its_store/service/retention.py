"""Object lock (WORM): a bucket's default retention, one object's retention and legal hold, and why a
delete was refused.

The server enforces the lock; this module asks for changes, records each one in the audit log, and
turns the server's bare "AccessDenied" on a locked version into a reason a person can act on
("retained until 2027-01-31 00:00:00Z (compliance)", "under legal hold"). SeaweedFS answers a refused
delete, single or in a DeleteObjects batch, with AccessDenied / "Access Denied." and no hint of the
lock, so the reason is read back with GET ?retention and GET ?legal-hold on the refused versions only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field, PrivateAttr

from its_store.core import errors as E
from its_store.core import lock as L
from its_store.core.models import Result
from its_store.core.refs import validate_bucket, validate_key, validate_version_id

if TYPE_CHECKING:
    from its_store.service.context import Context

Version = tuple[str, str | None]  # (key, version id)
LOCKED = "object locked: "   # prefix of a per-version failure message refused by the lock
NO_LOCK_HINT = ("object lock can only be turned on when a bucket is created: "
                "its-store bucket create s3://NEW --object-lock (then copy the objects there)")


class DefaultRetention(Result):
    """The default retention of new objects in a bucket with object lock: a mode and a period (days or
    years, the other None)."""

    mode: str                   # GOVERNANCE or COMPLIANCE
    days: int | None = None
    years: int | None = None


_NEEDS = "s3:GetBucketObjectLockConfiguration"  # what a read-back of the default retention needs


class BucketLock(Result):
    """`bucket retention show|set|rm` / `bucket info`: object lock state and default retention."""

    bucket: str
    object_lock: bool
    mode: str | None = None     # default retention mode of new objects (None: no default)
    days: int | None = None
    years: int | None = None
    unchecked: str | None = None  # "retention": set (or removed), but the key may not read it back (kept.py)

    def default(self) -> DefaultRetention | None:
        """The default retention of new objects, or None when the bucket has none."""
        return DefaultRetention(mode=self.mode, days=self.days, years=self.years) if self.mode else None


class LockState(Result):
    """`retention show` / `legal-hold show` of one version."""

    bucket: str
    key: str
    version_id: str | None = None
    mode: str | None = None
    retain_until: datetime | None = None
    legal_hold: bool = False
    reasons: list[str] = Field(default_factory=list)   # why a delete of this version is refused now


class LockedVersion(Result):
    """One version a lock change was applied to (`version_id` None: the current version)."""

    key: str
    version_id: str | None = None


class LockFailure(Result):
    """One version a lock change could not be applied to, and why (the error's code, message and hint)."""

    key: str
    version_id: str | None = None
    code: str
    message: str
    hint: str | None = None


class LockChange(Result):
    """Outcome of `retention set` / `legal-hold on|off` on one key or every key under a prefix."""

    action: str                  # retention_set, legal_hold_on, legal_hold_off
    bucket: str
    target: str
    recursive: bool = False
    mode: str | None = None
    retain_until: datetime | None = None
    bypass_governance: bool = False
    changed: list[LockedVersion] = Field(default_factory=list)
    failed: list[LockFailure] = Field(default_factory=list)
    _errors: list[E.ItsStoreError] = PrivateAttr(default_factory=list)  # the errors of `failed`, in order

    def raise_for_failures(self) -> None:
        if not self.failed:
            return
        first = self.failed[0]
        total = len(self.failed) + len(self.changed)
        message = f"{len(self.failed)} of {total} not changed; first: {first.key}: {first.message}"
        errors = self._errors if len(self._errors) == len(self.failed) else [  # failed filled by hand
            (E.ObjectLockedError if f.code == E.ObjectLockedError.code else E.ItsStoreError)(f.message)
            for f in self.failed]
        raise E.batch_error(message, errors, first.hint)

    def record(self, key: str, version_id: str | None, error: E.ItsStoreError | None) -> None:
        """One version's outcome: in `changed`, or in `failed` with its error kept for raise_for_failures."""
        if error is None:
            self.changed.append(LockedVersion(key=key, version_id=version_id))
            return
        self.failed.append(LockFailure(key=key, version_id=version_id, code=error.code, message=error.message,
                                       hint=error.hint))
        self._errors.append(error)


def _shown(lock: BucketLock) -> str:
    """A default retention read back, for SettingNotKeptError."""
    return f"{lock.mode} {lock.days or lock.years} {'years' if lock.years else 'days'}" if lock.mode else "none"


class Retention:
    """Object lock operations bound to one StorageService."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------------------------- bucket level
    def bucket_lock(self, bucket: str) -> BucketLock:
        validate_bucket(bucket)
        enabled, mode, duration, unit = self.ctx.s3.governance.get_object_lock(bucket)
        years = duration if (unit or "").lower().startswith("year") else None
        days = duration if years is None else None
        return BucketLock(bucket=bucket, object_lock=enabled, mode=mode, days=days, years=years)

    def require_lock(self, bucket: str) -> BucketLock:
        """The bucket's lock, or ObjectLockNotEnabledError (exit 78) when it was created without one, or
        when the server does not implement object lock (`rclone serve s3` answers GET ?object-lock with
        the bucket listing, and would store a PUT ?retention as the object's new content)."""
        try:
            state = self.bucket_lock(bucket)
        except E.SubresourceIgnoredError as exc:  # only that: any other bad answer is said as one (exit 1)
            raise E.ObjectLockNotEnabledError(
                f"bucket s3://{bucket} has no object lock: the server does not implement it ({exc.call} "
                f"answered with something else)",
                hint="object lock needs a server that implements it (MinIO, Ceph RGW, SeaweedFS); nothing was sent") \
                from None
        if not state.object_lock:
            raise E.ObjectLockNotEnabledError(f"bucket s3://{bucket} has no object lock", hint=NO_LOCK_HINT)
        return state

    def set_default(self, bucket: str, mode: str, *, days: int | None = None, years: int | None = None) -> BucketLock:
        """Default retention of new objects in `bucket` (existing versions keep theirs)."""
        mode = L.parse_mode(mode)
        days, years = L.default_period(days, years)
        self.require_lock(bucket)
        from its_store.service.kept import read_back
        with self.ctx.op("bucket_retention_set", bucket=bucket, forget=None, mode=mode, days=days, years=years):
            self.ctx.s3.governance.set_object_lock(bucket, mode, days, years)
            return read_back(bucket, "default retention", lambda: self.bucket_lock(bucket),
                             lambda got: (got.mode, got.days, got.years) == (mode, days, years), _shown,
                             needs=_NEEDS, unread=BucketLock(bucket=bucket, object_lock=True, mode=mode, days=days,
                                                             years=years, unchecked="retention"))

    def remove_default(self, bucket: str) -> BucketLock:
        """Drop the default retention (the lock stays: S3 cannot turn it off; retained versions stay retained).
        Read back as set_default is (kept.py): a default the server still applies is not removed."""
        self.require_lock(bucket)
        from its_store.service.kept import read_back
        with self.ctx.op("bucket_retention_rm", bucket=bucket, forget=None):
            self.ctx.s3.governance.set_object_lock(bucket, None)
            return read_back(bucket, "default retention rm", lambda: self.bucket_lock(bucket),
                             lambda got: got.mode is None, _shown, needs=_NEEDS,
                             unread=BucketLock(bucket=bucket, object_lock=True, unchecked="retention"))

    # ------------------------------------------------------------------------------- object level
    def show(self, bucket: str, key: str, version_id: str | None = None) -> LockState:
        """Retention and legal hold of one version (the current one by default)."""
        validate_bucket(bucket)
        validate_key(key)
        validate_version_id(version_id)
        self.require_lock(bucket)
        s3 = self.ctx.s3
        mode, until = s3.governance.get_retention(bucket, key, version_id)
        hold = s3.governance.get_legal_hold(bucket, key, version_id)
        return LockState(bucket=bucket, key=key, version_id=version_id, mode=mode, retain_until=until,
                         legal_hold=hold, reasons=L.describe(mode, until, hold))

    def set_retention(self, bucket: str, target: str, mode: str, until: datetime, *,
                      version_id: str | None = None, recursive: bool = False,
                      bypass_governance: bool = False) -> LockChange:
        """Retain one version, or the current version of every object under a prefix, until `until`.

        Lengthening is always allowed; shortening or lifting governance retention needs
        `bypass_governance`; compliance retention can never be shortened (the server refuses)."""
        mode = L.parse_mode(mode)
        until = L.parse_until(until)
        change = LockChange(action="retention_set", bucket=bucket, target=target, recursive=recursive,
                            mode=mode, retain_until=until, bypass_governance=bypass_governance)

        def one(key: str, vid: str | None) -> None:
            from its_store.service.kept import settled
            governance = self.ctx.s3.governance
            governance.set_retention(bucket, key, mode, until, vid, bypass_governance=bypass_governance)
            got_mode, got_until = settled(lambda: governance.get_retention(bucket, key, vid),
                                          lambda got: L.retention_kept(got[0], got[1], mode, until))
            if not L.retention_kept(got_mode, got_until, mode, until):
                _not_kept(bucket, key, vid, f"{mode.lower()} retention until {L.format_until(until)}")

        self._apply(change, one, version_id, mode=mode, retain_until=until.isoformat(),
                    bypass_governance=bypass_governance or None)
        return change

    def set_legal_hold(self, bucket: str, target: str, on: bool, *, version_id: str | None = None,
                       recursive: bool = False) -> LockChange:
        """Put on or lift the legal hold of one version, or of every current object under a prefix."""
        change = LockChange(action="legal_hold_on" if on else "legal_hold_off", bucket=bucket, target=target,
                            recursive=recursive)

        def one(key: str, vid: str | None) -> None:
            from its_store.service.kept import settled
            governance = self.ctx.s3.governance
            governance.set_legal_hold(bucket, key, on, vid)
            if on and not settled(lambda: governance.get_legal_hold(bucket, key, vid), bool):
                _not_kept(bucket, key, vid, "legal hold")

        self._apply(change, one, version_id)
        return change

    def _apply(self, change: LockChange, one: Callable[[str, str | None], None], version_id: str | None,
               **audit: Any) -> None:
        """Run `one(key, version)` on the target(s), on a few threads for a prefix (transfer/fanout: the
        listing is read as the work goes); one audit line per version changed or refused."""
        bucket = change.bucket
        pending = self._targets(change, version_id)

        def run(item: tuple[str, str | None]) -> tuple[str, str | None, E.ItsStoreError | None]:
            try:
                one(*item)
                return item[0], item[1], None
            except E.ItsStoreError as exc:
                return item[0], item[1], self.explain(bucket, item[0], item[1], exc, action=change.action)

        from its_store.transfer.fanout import fan_out
        first: E.ItsStoreError | None = None
        for outcome in fan_out(run, pending, workers=max(1, min(8, self.ctx.workers)), name="its-lock"):
            key, vid, error = outcome.result()  # run() turns every ItsStoreError into its outcome
            self.ctx.op(change.action, bucket=bucket, key=key, version_id=vid, **audit).finish(
                ok=error is None, error=error.code if error else None)
            change.record(key, vid, error)
            first = first or error
        if not change.recursive and first is not None:
            raise first

    def _targets(self, change: LockChange, version_id: str | None) -> Iterable[tuple[str, str | None]]:
        """The (key, version) pairs _apply() changes, checked first: one version of one key that exists (exit 3
        otherwise, nothing audited), or every object under the prefix (`change.target` made one), listed lazily."""
        bucket = change.bucket
        validate_bucket(bucket)
        validate_version_id(version_id)
        if change.recursive and version_id is not None:
            raise E.InvalidInputError("--version-id names one version; it does not go with --recursive")
        if not change.recursive and (not change.target or change.target.endswith("/")):
            raise E.InvalidInputError(f"s3://{bucket}/{change.target} is a prefix", hint="add --recursive")
        self.require_lock(bucket)
        if not change.recursive:
            validate_key(change.target)
            self.ctx.s3.stat(bucket, change.target, version_id)  # a missing key: exit 3, nothing audited
            from its_store.service.heads import not_another  # nor one the server answered for another key
            not_another(self.ctx, bucket, change.target, version_id)
            return [(change.target, version_id)]
        prefix = change.target if (not change.target or change.target.endswith("/")) else change.target + "/"
        change.target = prefix
        return ((e.key, e.version_id) for e in self.ctx.s3.list_objects(bucket, prefix)
                if not e.is_prefix and not e.key.endswith("/"))

    # ------------------------------------------------------------------------------------ reasons
    def reasons(self, bucket: str, key: str, version_id: str | None, *, hold: bool = True) -> list[str]:
        """Why the lock refuses a delete of this version now ([] if nothing holds it, or unreadable).
        `hold` False: the retention only (a retention change does not care about a legal hold)."""
        try:
            mode, until = self.ctx.s3.governance.get_retention(bucket, key, version_id)
            hold = hold and self.ctx.s3.governance.get_legal_hold(bucket, key, version_id)
        except E.ItsStoreError:
            return []
        return L.describe(mode, until, hold)

    def explain(self, bucket: str, key: str, version_id: str | None, exc: E.ItsStoreError, *,
                action: str = "delete") -> E.ItsStoreError:
        """`exc` as ObjectLockedError with the reason, when it is an AccessDenied the lock explains;
        else `exc` unchanged. Bucket without lock: InvalidRequest becomes ObjectLockNotEnabledError."""
        if exc.s3_code == "InvalidRequest" and action != "delete":
            state = self.bucket_lock(bucket)
            if not state.object_lock:
                return E.ObjectLockNotEnabledError(f"bucket s3://{bucket} has no object lock", hint=NO_LOCK_HINT)
        if not isinstance(exc, E.AccessDeniedError) or isinstance(exc, E.ObjectLockedError):
            return exc
        found = self.reasons(bucket, key, version_id, hold=action in ("delete", "legal_hold_off"))
        if not found:
            return exc
        return E.ObjectLockedError(f"s3://{bucket}/{key}{_vid(version_id)}: {'; '.join(found)}",
                                   hint=_lock_hint(found, action))

    def explain_failures(self, bucket: str, failures: dict[Version, str]) -> dict[Version, str]:
        """Batch-delete failures ("AccessDenied: ...") rewritten as "object locked: <reasons>" where the
        lock explains them; other failures unchanged. Reads back retention only for the refused ones."""
        for (key, vid), message in list(failures.items()):
            if message.split(":", 1)[0].strip() == "AccessDenied":
                found = self.reasons(bucket, key, vid)
                if found:
                    failures[(key, vid)] = LOCKED + "; ".join(found)
        return failures


def _not_kept(bucket: str, key: str, version_id: str | None, what: str) -> None:
    """A lock `retention set` / `legal-hold on` wrote (the server said OK) that does not read back: the
    version is not protected, whatever the answer said (an upload's lock is read back the same way:
    service/lockcheck). LockNotKeptError, exit 78; under -r, that item's failure."""
    raise E.LockNotKeptError(
        f"s3://{bucket}/{key}{_vid(version_id)}: the server answered OK to the {what} but reads back without "
        "it: this version is NOT protected",
        hint="this server does not keep object locks as S3 does; check with `its-store retention show` and "
             "`legal-hold show`, and keep evidence on a server that does")


def _vid(version_id: str | None) -> str:
    return f" (version {version_id})" if version_id else ""


def _lock_hint(reasons: list[str], action: str) -> str:
    text = " ".join(reasons)
    if "legal hold" in text:
        return "lift the hold first when the case allows: its-store legal-hold off s3://BUCKET/KEY"
    if "(compliance)" in text:
        return "compliance retention cannot be shortened or bypassed by anyone until it runs out"
    if action == "delete":
        return "governance retention: add --bypass-governance if you are allowed to override it"
    return "shortening governance retention needs --bypass-governance"


def is_locked_message(message: str) -> bool:
    """A per-version failure message written by explain_failures()."""
    return message.startswith(LOCKED)
