"""`health` and `init`: is the endpoint reachable, are the credentials good, are the buckets there."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from its_store.core import errors as E
from its_store.core.models import Result
from its_store.core.refs import validate_bucket

if TYPE_CHECKING:
    from its_store.core.settings import Settings
    from its_store.s3.client import S3Client
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
    buckets: dict[str, bool | None] = Field(default_factory=dict)  # configured bucket -> present (None: not
    # visible to this key: ListBuckets left it out and its HEAD was denied; unknown, not missing)
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
    """Endpoint reachable, credentials valid, configured buckets present. `status` is the verdict.

    A deadline, not the transfers' patience: every request of the check waits at most
    `settings.health_timeout` (MINIO_HEALTH_TIMEOUT, 5 s) to connect and for each read, and none is
    retried; the public-access checks stop once one has failed and that much time has passed. A server
    that accepts the connection and never answers is unhealthy within seconds, not after the 60 s read
    timeout and again after each retry (a container probe or `remote test` against a hung edge box)."""
    ctx.check_open()  # closing is the caller's doing, never the endpoint's state
    if not ctx.owns_s3:  # the caller's own client (its seam): used as it is
        return _check(ctx, ctx.s3)
    probe = _probe(ctx.settings)
    try:
        return _check(ctx, probe)
    finally:
        probe.close()


def _probe(settings: Settings) -> S3Client:
    """The client the check talks through: one of these settings with the health deadline for its
    timeouts, and no retries."""
    from its_store.s3.client import S3Client
    deadline = settings.health_timeout
    quick = settings.model_copy(update={"connect_timeout": min(settings.connect_timeout, deadline),
                                        "read_timeout": min(settings.read_timeout, deadline), "max_retries": 0})
    return S3Client(quick, pool_size=1, bwlimit=settings.endpoint_bwlimit)


def _check(ctx: Context, s3: S3Client) -> HealthReport:
    started = time.perf_counter()
    report = HealthReport(endpoint=ctx.settings.endpoint, secure=ctx.settings.secure)
    checks = report.checks
    try:
        names = {b.name for b in s3.list_buckets()}
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
    seen = {name: True if name in names else _headed(s3, name) for name in dict.fromkeys(configured)}
    report.buckets = {name: seen[name] for name in configured}
    missing = [name for name in configured if seen[name] is False]
    hidden = [name for name in configured if seen[name] is None]
    detail = "; ".join([*(["missing: " + ", ".join(missing)] if missing else []),
                        *(["not visible to this key, cannot tell whether it exists: " + ", ".join(hidden)]
                          if hidden else [])]) or "all present"
    checks["buckets"] = HealthCheck(ok=not missing, detail=detail, unknown=bool(hidden))  # hidden: never "present"
    report.status = "healthy" if not missing else "degraded"
    _flag_public(s3, [n for n in dict.fromkeys(configured) if seen[n]], report,
                 until=started + ctx.settings.health_timeout)
    return _finish(report, started)


def _headed(s3: S3Client, bucket: str) -> bool | None:
    """A configured bucket ListBuckets left out: that list holds only what the key may see (SeaweedFS, MinIO
    filter it by the key's rights), so its HEAD decides. Refused (403): None, not visible to this key (unknown,
    no failure of health by itself); any other error: not present."""
    try:
        return s3.bucket_exists(bucket)
    except E.AccessDeniedError:
        return None
    except E.ClosedError:
        raise
    except E.ItsStoreError:
        return False


def _flag_public(s3: S3Client, buckets: list[str], report: HealthReport, *, until: float) -> None:
    """`public`: the configured buckets whose policy lets anyone without credentials in (a warning,
    not a failure: sharing snapshots can be intended; the status stays as it was). `public_unknown`:
    those whose policy could not be read ({bucket: why}), e.g. a server that answers GET ?policy with
    something that is not a policy: unknown is said, never taken for "not public". Once a policy read
    has failed and the deadline (`until`, a perf_counter time) has passed (a server that holds GET
    ?policy), the buckets left are unknown too, without a request; a check that fails nothing never
    looks at the clock."""
    from its_store.service.policy import view_of
    failed = False
    for name in buckets:
        if failed and time.perf_counter() >= until:
            report.public_unknown[name] = "not checked: the health check's deadline (MINIO_HEALTH_TIMEOUT) passed"
            continue
        try:
            if view_of(name, s3.governance.get_bucket_policy(name)).public:
                report.public.append(name)
        except E.ClosedError:
            raise
        except E.ItsStoreError as exc:
            report.public_unknown[name] = exc.message
            failed = True
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
    from its_store.service.bucket_use import ensure_bucket
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
