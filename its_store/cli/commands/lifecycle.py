"""`its-store bucket lifecycle set|show|rm`: bucket lifecycle rules and retention presets.

Registered under the `bucket` group of cli/commands/bucket.py (which does not import this module).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from its_store.cli import output as out
from its_store.cli.base import LOCAL_PATH, add_commands, new_group
from its_store.cli.commands.bucket import Bucket, Json, Preset, _rule_text, bucket_app, bucket_name
from its_store.cli.locations import shown
from its_store.core.errors import InvalidInputError
from its_store.core.units import parse_pairs

if TYPE_CHECKING:
    from its_store.service.lifecycle import LifecycleRule, LifecycleSet

lifecycle_app = new_group(no_args_is_help=True,
                            help="Lifecycle rules: expire objects and old versions, clean up uploads.")


def set_(
    target: Bucket,
    id_: Annotated[str | None, typer.Option("--id", help="Rule id (default: derived from the rule).")] = None,
    prefix: Annotated[str | None, typer.Option(help="Only keys under this prefix.")] = None,
    expire_days: Annotated[int | None, typer.Option(help="Expire objects this many days after creation.")] = None,
    expire_date: Annotated[str | None, typer.Option(help="Expire objects from this date (YYYY-MM-DD).")] = None,
    noncurrent_expire_days: Annotated[int | None, typer.Option(
        help="Delete versions this many days after they stopped being current.")] = None,
    abort_multipart_days: Annotated[int | None, typer.Option(
        help="Abort unfinished multipart uploads after this many days.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only objects with this tag k=v (repeatable).")]
    = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Rules from a JSON file (replaces all rules).",
        **LOCAL_PATH)]
    = None,
    preset: Annotated[Preset | None, typer.Option("--preset", case_sensitive=False,
                                                  help="A retention preset's rule.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace every existing rule, not just this id.")]
    = False,
    json_: Json = False,
) -> None:
    """Add or replace a lifecycle rule (same id: replaced), or set every rule from a JSON file.

    Rules are checked before sending: negative days, a rule without an action, duplicate ids and an
    empty rule set are refused (exit 2). The file holds {"rules": [{"id", "prefix", "tags",
    "expire_days", "expire_date", "noncurrent_expire_days", "abort_multipart_days"}]} or the AWS CLI's
    {"Rules": [...]} shape.

    Example: its-store bucket lifecycle set s3://its-logs --id logs-90d --prefix app/ --expire-days 90
    """
    from its_store.service.lifecycle import rules_given
    name = bucket_name(target)
    flags = {"id": id_, "prefix": prefix, "expire_days": expire_days, "expire_date": _date(expire_date),
             "noncurrent_expire_days": noncurrent_expire_days, "abort_multipart_days": abort_multipart_days,
             "tags": parse_pairs(tag, what="tag") or None}
    rules = rules_given(flags, file, preset.value if preset is not None else None)  # a file replaces every rule
    result = out.STATE.service().lifecycle().set(name, rules, replace=replace or file is not None)
    out.result(result, lambda: _set_human(name, result))


def _set_human(name: str, result: LifecycleSet) -> None:
    changed = [*(f"added {i}" for i in result.added), *(f"replaced {i}" for i in result.replaced)]
    out.talk(f"{shown(name)}: " + ", ".join(changed) + f" ({len(result.rules)} rules in total)")


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"invalid --expire-date {text!r}", hint="use YYYY-MM-DD") from None


def show(target: Bucket, json_: Json = False) -> None:
    """Show a bucket's lifecycle rules (none: an empty list, exit 0).

    Example: its-store bucket lifecycle show s3://its-video --json
    """
    name = bucket_name(target)
    config = out.STATE.service().lifecycle().show(name)
    out.result(config, lambda: _show_human(name, config.rules))


def _show_human(name: str, rules: list[LifecycleRule]) -> None:
    if not rules:
        out.talk(f"{shown(name)} has no lifecycle rules")
        return
    other = any(r.unsupported for r in rules)  # parts written by another tool, not editable here
    out.table(["id", "status", "prefix", "tags", "expire", "old versions", "abort uploads",
               *(["other (read-only)"] if other else [])], (
        [r.id, "enabled" if r.enabled else "disabled", r.prefix, ",".join(f"{k}={v}" for k, v in r.tags.items()),
         f"{r.expire_days} d" if r.expire_days else (str(r.expire_date) if r.expire_date else ""),
         f"{r.noncurrent_expire_days} d" if r.noncurrent_expire_days else "",
         f"{r.abort_multipart_days} d" if r.abort_multipart_days else "",
         *([", ".join(r.unsupported)] if other else [])] for r in rules))


def rm(
    target: Bucket,
    id_: Annotated[str | None, typer.Option("--id", help="Remove only this rule (default: all rules).")] = None,
    json_: Json = False,
) -> None:
    """Remove one lifecycle rule (--id), or all of them. An unknown --id is exit 3.

    Example: its-store bucket lifecycle rm s3://its-logs --id logs-90d
    """
    name = bucket_name(target)
    result = out.STATE.service().lifecycle().remove(name, id_)
    out.result(result, lambda: out.talk(
        f"{shown(name)}: removed " + (", ".join(result.removed) or "nothing (no rules)")
        + "".join(f"; kept {_rule_text(r)}" for r in result.rules)))


def register(app: typer.Typer) -> None:
    """Attach `lifecycle` to the `bucket` group (cli/commands/bucket.py), as encryption.py does."""
    set_.__name__ = "set"
    add_commands(lifecycle_app, set_, show, rm)
    bucket_app.add_typer(lifecycle_app, name="lifecycle")
