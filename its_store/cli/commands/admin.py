"""Service commands: health, config, init."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from its_store.cli import output as out
from its_store.cli.base import add_commands
from its_store.core.errors import EXIT_UNAVAILABLE

if TYPE_CHECKING:
    from its_store.service.health import HealthCheck, HealthReport

Json = Annotated[bool, out.JsonOption]


def health(json_: Json = False) -> None:
    """Check that the endpoint answers, the credentials work and the configured buckets exist.

    Exit 0 when healthy, 69 otherwise: fit for cron, CI and container health checks. Each request of the
    check waits at most MINIO_HEALTH_TIMEOUT (5 s) and is not retried: a hung server is unhealthy within seconds.

    Example: its-store health --json | jq -r .status
    """
    report = out.STATE.service().get_health_status()
    out.result(report, lambda: health_human(report))
    if report.status != "healthy":
        raise typer.Exit(EXIT_UNAVAILABLE)


def health_human(report: HealthReport) -> None:
    rows = [[name, _result(check), check.detail] for name, check in report.checks.items()]
    out.table(["check", "result", "detail"], rows)
    out.console().print(f"{report.status} ({report.endpoint}, {report.latency_ms} ms)", markup=False)


def _result(check: HealthCheck) -> str:
    """ok, FAIL, or unknown (a check whose answer could not be read: a warning, like a public bucket)."""
    if not check.ok:
        return "FAIL"
    return "unknown" if check.unknown else "ok"


def config(json_: Json = False) -> None:
    """Show the effective configuration (env, .env file and flags), secrets masked.

    Example: its-store --env-file prod.env config --json
    """
    settings = out.STATE.settings()
    view = settings.public_view()
    out.result(view, lambda: out.table(["variable", "value"], ([k, v] for k, v in view.model_dump().items())))


def init(json_: Json = False) -> None:
    """Create the configured buckets (default, video, models, logs) that do not exist yet.

    Example: its-store init && its-store health
    """
    result = out.STATE.service().init_buckets()
    out.result(result, lambda: out.talk("created: " + ", ".join(result.created) if result.created
                                        else "all buckets already exist"))


def register(app: typer.Typer) -> None:
    add_commands(app, health, config, init)
