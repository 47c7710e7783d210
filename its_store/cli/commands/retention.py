"""`retention`, `legal-hold` and `bucket retention`: object lock (WORM) for evidence.

Thin: each command parses its flags (core/lock.py), calls one method of service/retention.py and hands
the result to cli/output.py. The server enforces the lock; exit 6 when it refuses (reason named),
78 when the bucket has no object lock, 2 for bad input (nothing is sent then).
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from its_store.cli import output as out
from its_store.cli.base import add_commands, new_group
from its_store.cli.commands.bucket import Bucket, Json, bucket_app, bucket_name
from its_store.cli.completion.callbacks import complete_remote
from its_store.cli.locations import remote_ref, shown
from its_store.core.errors import InvalidInputError

if TYPE_CHECKING:
    from its_store.service.retention import BucketLock, LockChange, LockState

retention_app = new_group(no_args_is_help=True, help="Object retention (object lock): set, show.")
hold_app = new_group(no_args_is_help=True, help="Legal hold (object lock): on, off, show.")
bucket_retention_app = new_group(no_args_is_help=True,
                                 help="A bucket's default retention of new objects: set, show, rm.")


class Mode(str, Enum):
    GOVERNANCE = "governance"
    COMPLIANCE = "compliance"


Target = Annotated[str, typer.Argument(help="s3://BUCKET/KEY, or s3://BUCKET/PREFIX/ with -r.",
                                       autocompletion=complete_remote)]
VersionId = Annotated[str | None, typer.Option("--version-id", help="A specific object version.")]
Recursive = Annotated[bool, typer.Option("--recursive", "-r",
                                         help="The current version of every object under the prefix.")]
ModeOption = Annotated[Mode, typer.Option("--mode", case_sensitive=False,
                                          help="governance (liftable with --bypass-governance) or compliance "
                                               "(nobody can shorten or lift it).")]


def _ref(target: str) -> tuple[str, str]:
    ref = remote_ref(target)
    return ref.bucket, ref.key


# ------------------------------------------------------------------------------------ retention
def set_(
    target: Target,
    mode: ModeOption,
    until: Annotated[str | None, typer.Option("--until", help="Retain until this date (2027-01-31, UTC) "
                                                              "or ISO time.")] = None,
    days: Annotated[int | None, typer.Option("--days", help="Retain this many days from now.")] = None,
    version_id: VersionId = None,
    recursive: Recursive = False,
    bypass_governance: Annotated[bool, typer.Option(
        "--bypass-governance", help="Allow shortening governance retention (never compliance).")] = False,
    json_: Json = False,
) -> None:
    """Retain an object version (or every object under a prefix with -r) until a date.

    Lengthening is always allowed; shortening governance retention needs --bypass-governance; compliance
    retention can never be shortened (exit 6).

    Example: its-store retention set s3://evidence/incidents/42/ -r --mode governance --days 365
    """
    from its_store.core.lock import until_from
    bucket, key = _ref(target)
    retain_until = until_from(until, days)
    change = out.STATE.service().retention().set_retention(
        bucket, key, mode.value, retain_until, version_id=version_id, recursive=recursive,
        bypass_governance=bypass_governance)
    _change_result(change, f"retained until {out.fmt_time(change.retain_until)} UTC ({mode.value})")


def show(target: Target, version_id: VersionId = None, json_: Json = False) -> None:
    """Show an object version's retention mode, retain-until date and legal hold.

    Example: its-store retention show s3://evidence/incidents/42/frame_0001.jpg
    """
    bucket, key = _ref(target)
    _need_key(bucket, key)
    state = out.STATE.service().retention().show(bucket, key, version_id)
    out.result(state, lambda: _state_human(state))


# ----------------------------------------------------------------------------------- legal hold
def hold_on(target: Target, version_id: VersionId = None, recursive: Recursive = False,
            json_: Json = False) -> None:
    """Put an object version (or every object under a prefix with -r) under legal hold.

    A held version cannot be deleted by anyone until the hold is lifted, whatever its retention.

    Example: its-store legal-hold on -r s3://evidence/incidents/42/
    """
    bucket, key = _ref(target)
    change = out.STATE.service().retention().set_legal_hold(bucket, key, True, version_id=version_id,
                                                            recursive=recursive)
    _change_result(change, "legal hold on")


def hold_off(target: Target, version_id: VersionId = None, recursive: Recursive = False,
             json_: Json = False) -> None:
    """Lift the legal hold of an object version (or of every object under a prefix with -r).

    Example: its-store legal-hold off -r s3://evidence/incidents/42/
    """
    bucket, key = _ref(target)
    change = out.STATE.service().retention().set_legal_hold(bucket, key, False, version_id=version_id,
                                                            recursive=recursive)
    _change_result(change, "legal hold off")


def hold_show(target: Target, version_id: VersionId = None, json_: Json = False) -> None:
    """Show whether an object version is under legal hold (and its retention).

    Example: its-store legal-hold show s3://evidence/incidents/42/frame_0001.jpg
    """
    show(target, version_id, json_)


# ----------------------------------------------------------------------------- bucket retention
def bucket_set(
    target: Bucket,
    mode: ModeOption,
    days: Annotated[int | None, typer.Option("--days", help="Retain new objects this many days.")] = None,
    years: Annotated[int | None, typer.Option("--years", help="Retain new objects this many years.")] = None,
    json_: Json = False,
) -> None:
    """Set the default retention of new objects in a bucket with object lock.

    Example: its-store bucket retention set s3://evidence --mode governance --days 90
    """
    name = bucket_name(target)
    state = out.STATE.service().retention().set_default(name, mode.value, days=days, years=years)
    out.result(state, lambda: out.talk(f"{shown(state.bucket)}: default retention {_default_text(state)}"))


def bucket_show(target: Bucket, json_: Json = False) -> None:
    """Show whether a bucket has object lock and its default retention.

    Example: its-store bucket retention show s3://evidence --json
    """
    name = bucket_name(target)
    state = out.STATE.service().retention().bucket_lock(name)
    out.result(state, lambda: out.table(["field", "value"], [
        ["bucket", state.bucket], ["object lock", "enabled" if state.object_lock else "disabled"],
        ["default retention", _default_text(state)]]))


def bucket_rm(target: Bucket, json_: Json = False) -> None:
    """Remove a bucket's default retention (object lock itself stays on; retained objects stay retained).

    Example: its-store bucket retention rm s3://evidence
    """
    name = bucket_name(target)
    state = out.STATE.service().retention().remove_default(name)
    out.result(state, lambda: out.talk(f"{shown(state.bucket)}: default retention removed"))


# ------------------------------------------------------------------------------------- render
def _need_key(bucket: str, key: str) -> None:
    if not key or key.endswith("/"):
        raise InvalidInputError(f"{shown(bucket, key)} names a prefix, not an object")


def _change_result(change: LockChange, what: str) -> None:
    """The change as JSON, or one line per refused key and a summary; exit 6 if the lock refused any."""
    def human() -> None:
        for failure in change.failed:
            out.talk(f"not changed: {shown(change.bucket, failure.key)}: {failure.message}")
        where = shown(change.bucket, change.target)
        count = f"{len(change.changed)} objects under " if change.recursive else ""
        out.talk(f"{what}: {count}{where}")
    out.result(change, human)
    change.raise_for_failures()


def _state_human(state: LockState) -> None:
    until = f" until {out.fmt_time(state.retain_until)} UTC" if state.retain_until else ""
    out.table(["field", "value"], [
        ["key", shown(state.bucket, state.key)], ["version", state.version_id or "current"],
        ["retention", f"{state.mode.lower()}{until}" if state.mode else "none"],
        ["legal hold", "on" if state.legal_hold else "off"],
        ["delete", "refused: " + "; ".join(state.reasons) if state.reasons else "allowed"]])


def _default_text(state: BucketLock) -> str:
    if not state.mode:
        return "none"
    amount = f"{state.years} years" if state.years else f"{state.days} days"
    return f"{state.mode.lower()}, {amount}"


def register(app: typer.Typer) -> None:
    """`retention set|show`, `legal-hold on|off|show`, and `bucket retention set|show|rm`."""
    set_.__name__ = "set"
    add_commands(retention_app, set_, show)
    hold_on.__name__, hold_off.__name__, hold_show.__name__ = "on", "off", "show"
    add_commands(hold_app, hold_on, hold_off, hold_show)
    bucket_set.__name__, bucket_show.__name__, bucket_rm.__name__ = "set", "show", "rm"
    add_commands(bucket_retention_app, bucket_set, bucket_show, bucket_rm)
    app.add_typer(retention_app, name="retention")
    app.add_typer(hold_app, name="legal-hold")
    bucket_app.add_typer(bucket_retention_app, name="retention")
