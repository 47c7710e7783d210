"""`its-store audit tail|ship`: read the local audit log, ship its new lines to MINIO_LOGS_BUCKET."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from its_store.cli import output as out
from its_store.cli.base import add_commands, new_group
from its_store.core.units import human_size

if TYPE_CHECKING:
    from its_store.state.audit import AuditRecord

audit_app = new_group(no_args_is_help=True, help="The audit log of mutating operations: tail, ship.")

Json = Annotated[bool, out.JsonOption]


def tail(
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, max=100_000, help="How many entries.")] = 20,
    json_: Json = False,
) -> None:
    """Show the last entries of the audit log, oldest first. --json prints JSON Lines.

    Example: its-store audit tail -n 50 --json | jq 'select(.result == "error")'
    """
    from its_store.state.audit import for_settings
    log = for_settings(out.STATE.settings())
    read = log.read_tail(lines)
    entries = read.entries
    if out.STATE.json:
        out.emit_jsonl(entries)
    elif entries:
        out.table(["time (UTC)", "operation", "result", "target", "size", "version"],
                  (_row(e) for e in entries), right=["size"])
    else:
        out.talk(f"no audit entries in {log.path}")
    if read.unreadable:  # never silently, also under --json and --quiet: a custody record may have a gap
        out.stderr_line(f"its-store: warning: {read.unreadable} of the last {lines} lines of {log.path} are no "
                        "audit record (not JSON, or other types in its fields): not shown")


# a move's DELETE not known exact, by how it was kept to the object copied (object_delete.CHECKS); lines written
# before `delete_check` was recorded say "unconditional delete", as they did
_NOT_EXACT = {"head_then_plain": "unconditional delete",
              "head_then_if_match": "If-Match delete, not known honoured: HEADed just before"}


def _row(entry: AuditRecord) -> list[Any]:
    target = f"s3://{entry.bucket or ''}/{entry.key or ''}".rstrip("/")
    result = f"{entry.result} ({entry.error})" if entry.error else entry.result
    if entry.details.get("delete_conditional") is False:  # mv's DELETE not known exact (service/delete_guard.py)
        result = f"{result} ({_NOT_EXACT.get(str(entry.details.get('delete_check')), 'unconditional delete')})"
    when = entry.time[:19].replace("T", " ")  # UTC, to the second: fits a terminal
    return [when, entry.operation, result, target,
            human_size(entry.size) if entry.size is not None else "", entry.version_id or ""]


def ship(json_: Json = False) -> None:
    """Upload the audit lines appended since the last ship to MINIO_LOGS_BUCKET (safe from cron).

    Each run uploads new complete lines as objects named by their byte range in the log, and records
    how far it got only after the upload: an interrupted run is re-done exactly, never duplicated.

    Example: its-store audit ship --json
    """
    from its_store.state.ship import ship as ship_log
    result = ship_log(out.STATE.service())
    out.result(result, lambda: out.talk(
        f"shipped {result.lines} lines ({human_size(result.bytes)}) in {len(result.objects)} objects "
        f"to s3://{result.bucket}/" if result.objects else f"nothing new to ship from {result.log}"))


def register(app: typer.Typer) -> None:
    add_commands(audit_app, tail, ship)
    app.add_typer(audit_app, name="audit")
