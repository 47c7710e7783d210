"""`health` and `init`: is the endpoint reachable, are the credentials good, are the buckets there."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.refs import validate_bucket

if TYPE_CHECKING:
    from its_store.service.context import Context


def health_status(ctx: Context) -> dict[str, Any]:
    """Endpoint reachable, credentials valid, configured buckets present. `status` is the verdict."""
    started = time.perf_counter()
    report: dict[str, Any] = {"status": "unhealthy", "endpoint": ctx.settings.endpoint,
                              "secure": ctx.settings.secure, "checks": {}, "buckets": {}}
    checks = report["checks"]
    try:
        names = {b.name for b in ctx.s3.list_buckets()}
    except E.AccessDeniedError as exc:
        checks["endpoint"] = {"ok": True, "detail": "reachable"}
        checks["credentials"] = {"ok": False, "detail": exc.message}
        return _finish(report, started)
    except E.ItsStoreError as exc:
        checks["endpoint"] = {"ok": False, "detail": exc.message}
        return _finish(report, started)
    checks["endpoint"] = {"ok": True, "detail": "reachable"}
    checks["credentials"] = {"ok": True, "detail": f"access key {ctx.settings.access_key!r} accepted"}
    configured = [ctx.settings.default_bucket, ctx.settings.video_bucket,
                  ctx.settings.models_bucket, ctx.settings.logs_bucket]
    report["buckets"] = {name: name in names for name in configured}
    missing = [name for name in configured if name not in names]
    checks["buckets"] = {"ok": not missing,
                         "detail": "all present" if not missing else "missing: " + ", ".join(missing)}
    report["status"] = "healthy" if not missing else "degraded"
    _flag_public(ctx, [n for n in dict.fromkeys(configured) if n in names], report)
    return _finish(report, started)


def _flag_public(ctx: Context, buckets: list[str], report: dict[str, Any]) -> None:
    """`public`: the configured buckets whose policy lets anyone without credentials in (a warning,
    not a failure: sharing snapshots can be intended; the status stays as it was). `public_unknown`:
    those whose policy could not be read ({bucket: why}), e.g. a server that answers GET ?policy with
    something that is not a policy: unknown is said, never taken for "not public"."""
    from its_store.service.policy import Policies
    policies = Policies(ctx)
    public, unknown = [], {}
    for name in buckets:
        try:
            if policies.get(name).public:
                public.append(name)
        except E.ItsStoreError as exc:
            unknown[name] = exc.message
    report["public"] = public
    report["public_unknown"] = unknown
    details = []
    if public:
        details.append("WARNING: anonymous access allowed to " + ", ".join(public) + " (its-store bucket policy show)")
    if unknown:  # one reason, usually the same for every bucket (the server lacks GET ?policy)
        first, why = next(iter(unknown.items()))
        details.append(f"unknown for {', '.join(unknown)}: " + why.replace(f" on s3://{first}", ""))
    if details:
        report["checks"]["public access"] = {"ok": True, "detail": "; ".join(details), "unknown": bool(unknown)}


def init_buckets(ctx: Context) -> list[str]:
    """Create the four configured buckets if missing. Returns the ones created."""
    from its_store.service.buckets import ensure_bucket
    created = []
    existing = {b.name for b in ctx.s3.list_buckets()}
    for name in dict.fromkeys([ctx.settings.default_bucket, ctx.settings.video_bucket,
                               ctx.settings.models_bucket, ctx.settings.logs_bucket]):
        if name not in existing:
            ensure_bucket(ctx, validate_bucket(name), create=True)
            created.append(name)
    return created


def _finish(report: dict[str, Any], started: float) -> dict[str, Any]:
    report["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return report
