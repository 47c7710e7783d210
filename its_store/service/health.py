"""`health` and `init`: is the endpoint reachable, are the credentials good, are the buckets there."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from its_store.core import errors as E
from its_store.core.models import Result
from its_store.core.refs import validate_bucket

if TYPE_CHECKING:
    from its_store.service.context import Context


class HealthCheck(Result):
    """One check of `health`: passed or not, and what was found."""

    ok: bool
    detail: str
    unknown: bool = False  # its answer could not be read (a warning: the status is unchanged)


class HealthReport(Result):
    """`health`: the verdict (`status`) and the checks behind it. healthy: endpoint, credentials and the
    four configured buckets fine; degraded: buckets missing; unhealthy: endpoint or credentials failing."""

    status: Literal["healthy", "degraded", "unhealthy"] = "unhealthy"
    endpoint: str
    secure: bool
    checks: dict[str, HealthCheck] = Field(default_factory=dict)  # endpoint, credentials, buckets, public access
    buckets: dict[str, bool] = Field(default_factory=dict)        # configured bucket -> present
    public: list[str] = Field(default_factory=list)               # configured buckets open to anonymous requests
    public_unknown: dict[str, str] = Field(default_factory=dict)  # bucket -> why its policy could not be read
    latency_ms: float = 0.0


class RemoteHealth(HealthReport):
    """`remote test NAME`: `health`'s report for the endpoint of the remote `remote` (its configured
    buckets are the MINIO_*_BUCKET names, looked for on that endpoint)."""

    remote: str


class BucketsInitialized(Result):
    """`init`: the configured buckets that were missing and are created now ([]: all existed)."""

    created: list[str] = Field(default_factory=list)


def health_status(ctx: Context) -> HealthReport:
    """Endpoint reachable, credentials valid, configured buckets present. `status` is the verdict."""
    started = time.perf_counter()
    report = HealthReport(endpoint=ctx.settings.endpoint, secure=ctx.settings.secure)
    checks = report.checks
    try:
        names = {b.name for b in ctx.s3.list_buckets()}
    except E.ClosedError:
        raise  # the caller's doing, not the endpoint's state
    except E.AccessDeniedError as exc:
        checks["endpoint"] = HealthCheck(ok=True, detail="reachable")
        checks["credentials"] = HealthCheck(ok=False, detail=exc.message)
        return _finish(report, started)
    except E.ItsStoreError as exc:
        checks["endpoint"] = HealthCheck(ok=False, detail=exc.message)
        return _finish(report, started)
    checks["endpoint"] = HealthCheck(ok=True, detail="reachable")
    checks["credentials"] = HealthCheck(ok=True, detail=f"access key {ctx.settings.access_key!r} accepted")
    configured = [ctx.settings.default_bucket, ctx.settings.video_bucket,
                  ctx.settings.models_bucket, ctx.settings.logs_bucket]
    report.buckets = {name: name in names for name in configured}
    missing = [name for name in configured if name not in names]
    checks["buckets"] = HealthCheck(ok=not missing,
                                    detail="all present" if not missing else "missing: " + ", ".join(missing))
    report.status = "healthy" if not missing else "degraded"
    _flag_public(ctx, [n for n in dict.fromkeys(configured) if n in names], report)
    return _finish(report, started)


def _flag_public(ctx: Context, buckets: list[str], report: HealthReport) -> None:
    """`public`: the configured buckets whose policy lets anyone without credentials in (a warning,
    not a failure: sharing snapshots can be intended; the status stays as it was). `public_unknown`:
    those whose policy could not be read ({bucket: why}), e.g. a server that answers GET ?policy with
    something that is not a policy: unknown is said, never taken for "not public"."""
    from its_store.service.policy import Policies
    policies = Policies(ctx)
    for name in buckets:
        try:
            if policies.get(name).public:
                report.public.append(name)
        except E.ClosedError:
            raise
        except E.ItsStoreError as exc:
            report.public_unknown[name] = exc.message
    public, unknown = report.public, report.public_unknown
    details = []
    if public:
        details.append("WARNING: anonymous access allowed to " + ", ".join(public) + " (its-store bucket policy show)")
    if unknown:  # one reason, usually the same for every bucket (the server lacks GET ?policy)
        first, why = next(iter(unknown.items()))
        details.append(f"unknown for {', '.join(unknown)}: " + why.replace(f" on s3://{first}", ""))
    if details:
        report.checks["public access"] = HealthCheck(ok=True, detail="; ".join(details), unknown=bool(unknown))


def init_buckets(ctx: Context) -> BucketsInitialized:
    """Create the four configured buckets if missing; says which were created."""
    from its_store.service.buckets import ensure_bucket
    created = []
    existing = {b.name for b in ctx.s3.list_buckets()}
    for name in dict.fromkeys([ctx.settings.default_bucket, ctx.settings.video_bucket,
                               ctx.settings.models_bucket, ctx.settings.logs_bucket]):
        if name not in existing:
            ensure_bucket(ctx, validate_bucket(name), create=True)
            created.append(name)
    return BucketsInitialized(created=created)


def _finish(report: HealthReport, started: float) -> HealthReport:
    report.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return report
