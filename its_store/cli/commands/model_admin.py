"""`model gc` and `model webhooks flush`: the registry's housekeeping commands (attached to model.py's group)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from its_store.cli import output as out
from its_store.cli.base import add_commands, confirm, new_group
from its_store.cli.completion.callbacks import complete_model_ref
from its_store.core.errors import InvalidInputError
from its_store.core.units import human_size, parse_duration

if TYPE_CHECKING:
    from its_store.registry.results import GcReport

Json = Annotated[bool, out.JsonOption]

webhooks_app = new_group(no_args_is_help=True, help="Webhook events of the registry (MINIO_MODEL_WEBHOOK_URL).")


def gc(
    name: Annotated[str | None, typer.Argument(help="Only this model (default: every model).",
                                               autocompletion=complete_model_ref)] = None,
    keep_last: Annotated[int, typer.Option("--keep-last", help="Always keep the newest N versions of each model "
                                                               "(at least 1).")] = 10,
    older_than: Annotated[str, typer.Option("--older-than", help="Remove only versions created longer ago than "
                                                                 "this (90d, 12h, 2w).")] = "90d",
    stale: Annotated[str, typer.Option("--stale", help="Remove registrations killed midway whose marker is "
                                                       "older than this (at once: one whose process provably "
                                                       "ended on this machine).")] = "1h",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be removed; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (required without a terminal).")] = False,
    json_: Json = False,
) -> None:
    """Remove old versions (beyond the newest N, older than an age) and registrations killed midway.

    Never a version an alias points to, nor one a kept version names as parent. Every removal is audited.

    Example: its-store model gc yolo11_traffic --keep-last 5 --older-than 90d --dry-run
    """
    from its_store.registry.refs import validate_name
    if keep_last < 1:
        raise InvalidInputError(f"--keep-last must be at least 1 (got {keep_last})",
                                hint="gc always keeps the newest N versions of each model")
    age, stale_after = parse_duration(older_than, what="--older-than"), parse_duration(stale, what="--stale")
    if name is not None:
        validate_name(name)
    if not dry_run and not yes:
        confirm(f"Remove the versions of {name or 'every model'} beyond the newest {keep_last} and older than "
                f"{older_than}?", action="to remove model versions", hint="add --yes (or look first with --dry-run)")
    from its_store.registry.registry import ModelRegistry
    report = ModelRegistry(out.STATE.service()).gc(name, keep_last=keep_last, older_than=age, stale=stale_after,
                                                   dry_run=dry_run)
    out.result(report, lambda: _gc_human(report))
    if report.errors:
        raise typer.Exit(1)


def _gc_human(report: GcReport) -> None:
    """One row per version; 'hid' rather than 'removed' where the bucket keeps the data behind delete markers."""
    markers = report.delete_markers
    verb = ("would hide" if markers else "would remove") if report.dry_run else ("hid" if markers else "removed")
    rows = [[f"{r.model}@{r.version}", (r.created_at or "")[:19].replace("T", " "),
             human_size(r.bytes), r.error or verb] for r in report.removed]
    rows += [[f"{p.model}@{p.version}", "", "", f"kept: {p.reason}"] for p in report.protected]
    rows += [[f"{s.model}@{s.version}" + (f" variant {s.variant}" if s.variant else ""),
              s.locked_at[:19].replace("T", " "), human_size(s.bytes),
              s.error or f"{verb} ({'files without manifest' if s.orphan else 'stale registration'}"
                         f"{', marker only' if s.has_manifest else ''})"]
             for s in report.stale_registrations]
    if rows:
        out.table(["version", "created", "size", "action"], rows, right=["size"])
    count = len(report.removed)
    size = human_size(report.removed_bytes)
    what = (f"{verb} {count} version{'' if count == 1 else 's'} and {len(report.stale_registrations)} stale "
            "registration(s)")
    if markers and not report.dry_run:
        out.talk(f"{what} behind delete markers: {human_size(report.hidden_bytes or 0)} still stored; "
                 f"kept {report.kept}")
    else:
        out.talk(f"{what}, {size}; kept {report.kept}")
    if markers and (count or report.stale_registrations):
        from its_store.cli.commands.model import MARKERS_NOTE
        out.talk(MARKERS_NOTE)


def flush(json_: Json = False) -> None:
    """Send the webhook events waiting in the outbox (left when the webhook was down), oldest first.

    Exit 69 when some stay undelivered (they are kept for the next try).

    Example: its-store model webhooks flush --json
    """
    from its_store.registry.registry import ModelRegistry
    report = ModelRegistry(out.STATE.service(), offline=False).flush_webhooks()
    others = report.waiting_for_other_webhooks
    out.result(report, lambda: out.talk(f"webhook {report.webhook or '(not set)'}: delivered "
                                        f"{report.delivered}, {report.pending} waiting"
                                        + (f"; {others} other event(s) wait for other webhook URLs (sent by "
                                           "the configuration that queued them)" if others else "")))
    if report.pending:
        out.talk(f"its-store: {report.pending} event(s) not delivered "
                 f"({report.last_error or 'time budget spent'}); kept in the outbox for the next try")
        raise typer.Exit(69)

def register(app: typer.Typer) -> None:
    """Attach `gc` and `webhooks flush` to the `model` group of cli/commands/model.py."""
    from its_store.cli.commands.model import group
    add_commands(group, gc)
    add_commands(webhooks_app, flush)
    group.add_typer(webhooks_app, name="webhooks")
