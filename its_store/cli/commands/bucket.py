"""Bucket commands: `its-store bucket ls|create|rm|info|versioning`.

`bucket_app` is the group; other command modules attach their own sub-groups to it (`bucket lifecycle`
in cli/commands/lifecycle.py, `bucket encryption` in cli/commands/encryption.py), so it is created at
import time and registered by register(). This module imports neither of them.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from its_store.cli import output as out
from its_store.cli.base import add_commands, confirm, new_group
from its_store.cli.locations import remote_ref, shown
from its_store.core.errors import InvalidInputError
from its_store.core.units import human_size

if TYPE_CHECKING:
    from its_store.codec.encryption import BucketEncryption
    from its_store.service.buckets import BucketDetails
    from its_store.service.lifecycle import LifecycleRule
    from its_store.service.retention import DefaultRetention

bucket_app = new_group(no_args_is_help=True, help="Buckets: list, create, remove, inspect, configure.")

Json = Annotated[bool, out.JsonOption]
Bucket = Annotated[str, typer.Argument(help="s3://BUCKET")]


class Preset(str, Enum):
    """Retention presets (its_store.service.lifecycle.PRESETS)."""

    VIDEO = "video"
    LOGS = "logs"
    MODELS = "models"
    EVIDENCE = "evidence"


class VersioningAction(str, Enum):
    ON = "on"
    OFF = "off"
    STATUS = "status"


def bucket_name(target: str) -> str:
    """The bucket of 's3://B', 'B' or 'NAME:B' (its endpoint chosen); a reference with a key is refused."""
    ref = remote_ref(target)
    if ref.key:
        raise InvalidInputError(f"{target} names an object, not a bucket", hint="use s3://BUCKET")
    return ref.bucket


def ls(
    target: Annotated[str | None, typer.Argument(
        help="NAME: for the buckets of a remote; omitted: those of the default endpoint.")] = None,
    json_: Json = False,
) -> None:
    """List buckets with their creation dates (--json prints JSON Lines).

    Example: its-store bucket ls --json | jq -r .name
    """
    if target is not None:
        ref = remote_ref(target, allow_no_bucket=True)
        if ref.bucket or ref.key:
            raise InvalidInputError(f"{target} names a bucket; `bucket ls` takes a remote, NAME:",
                                    hint="list a bucket's objects with `its-store ls`")
    buckets = out.STATE.service().buckets().list()
    if out.STATE.json:
        out.emit_jsonl(buckets)
        return
    out.table(["created", "bucket"], ([out.fmt_time(b.created), b.name] for b in buckets))


def create(
    target: Bucket,
    preset: Annotated[Preset | None, typer.Option(
        "--preset", case_sensitive=False,
        help="Retention preset: video (30 d), logs (90 d), models (old versions 365 d), evidence (object "
             "lock, 90 d governance retention, encryption).")] = None,
    versioning: Annotated[bool | None, typer.Option(
        "--versioning/--no-versioning", help="Default: MINIO_ENABLE_VERSIONING (a preset turns it on).")] = None,
    encryption: Annotated[bool | None, typer.Option(
        "--encryption/--no-encryption",
        help="SSE-S3 by default for new objects. Default: on with a preset when MINIO_ENABLE_ENCRYPTION.")] = None,
    object_lock: Annotated[bool, typer.Option(
        "--object-lock", help="Object lock (WORM; turns versioning on). Only possible at creation.")] = False,
    json_: Json = False,
) -> None:
    """Create a bucket; with --preset, also turn on versioning, default encryption and the preset's rule.

    If a step fails, the new bucket is removed again. An existing bucket is an error (exit 5).

    Example: its-store bucket create s3://its-video-2025 --preset video
    """
    name = bucket_name(target)
    result = out.STATE.service().buckets().create(name, preset=preset.value if preset else None,
                                                  versioning=versioning, encryption=encryption,
                                                  object_lock=object_lock)
    rules = ", ".join(r.id for r in result.lifecycle)
    lock = (f", object lock, default retention {_retention_text(result.default_retention)}"
            if result.object_lock else "")
    out.result(result, lambda: out.talk(
        f"created {shown(result.bucket)} (versioning {result.versioning}, encryption {result.encryption or 'none'}"
        + lock + (f", preset {result.preset}: rule {rules}" if result.preset else "") + ")"))
    for warning in result.warnings:
        out.talk(f"warning: {warning}")


def rm(
    target: Bucket,
    force: Annotated[bool, typer.Option("--force", help="Delete every object version first.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (required with --force without a "
                                                          "terminal).")] = False,
    json_: Json = False,
) -> None:
    """Remove a bucket. A bucket that holds anything is refused (exit 5) unless --force.

    Example: its-store bucket rm s3://its-scratch --force --yes
    """
    name = bucket_name(target)
    if force and not yes:
        confirm(f"Permanently delete {shown(name)} and every object version in it?", action="to force-remove a bucket",
                hint="add --yes; see what it holds with `its-store bucket info`")
    result = out.STATE.service().buckets().remove(name, force=force)
    extra = (f" after erasing {result.versions} versions, {result.delete_markers} delete markers "
             f"({human_size(result.bytes)})" if result.versions or result.delete_markers else "")
    out.result(result, lambda: out.talk(f"removed {shown(name)}{extra}"))


def info(target: Bucket, json_: Json = False) -> None:
    """Show a bucket's versioning, encryption, lifecycle rules, tags, object count and size.

    Counting lists every version in the bucket, so it takes a while on very large buckets. A field the
    server does not answer (or answers with something that is not S3) is shown as unknown, with why.

    Example: its-store bucket info s3://its-video --json
    """
    name = bucket_name(target)
    details = out.STATE.service().buckets().info(name)
    out.result(details, lambda: _info_human(details))


def _info_human(d: BucketDetails) -> None:
    """One row per field; a field the server did not answer (d.unknown) says `unknown (why)`."""
    def known(name: str, text: Callable[[], str]) -> str:
        return f"unknown ({d.unknown[name]})" if name in d.unknown else text()

    rows = [
        ["bucket", d.bucket], ["created", known("created", lambda: out.fmt_time(d.created))],
        ["versioning", known("versioning", lambda: str(d.versioning))],
        ["encryption", known("encryption", lambda: _encryption_text(d.encryption))],
        ["lifecycle", known("lifecycle", lambda: "; ".join(_rule_text(r) for r in d.lifecycle or []) or "none")],
        ["tags", known("tags", lambda: ", ".join(f"{k}={v}" for k, v in sorted((d.tags or {}).items())) or "none")],
        ["object lock", known("object_lock", lambda: {True: "enabled", False: "disabled", None: "unknown"}[
            d.object_lock])],
        ["default retention", "unknown" if "object_lock" in d.unknown else _retention_text(d.default_retention)],
        ["objects", f"{d.objects} ({human_size(d.size)})"],
        ["versions", f"{d.versions} ({human_size(d.stored_size)} stored)"],
        ["delete markers", str(d.delete_markers)],
        ["uploads in progress", known("uploads_in_progress", lambda: str(d.uploads_in_progress) + "".join(
            f"; unsettled (Complete sent, outcome unknown; not aborted): {u.key} ({u.upload_id[:16]})"
            for u in d.unsettled_uploads))],
        ["policy", known("public", lambda: ("PUBLIC: " if d.public else "") + ("; ".join(d.policy_summary) or "none")
                         if d.public is not None else "unknown")],
    ]
    out.table(["field", "value"], rows)


def _retention_text(value: DefaultRetention | None) -> str:
    """'governance, 90 days' / 'compliance, 1 years' / 'none'."""
    if not value:
        return "none"
    amount = f"{value.years} years" if value.years else f"{value.days} days"
    return f"{value.mode.lower()}, {amount}"


def _encryption_text(value: BucketEncryption | None) -> str:
    if value is None or not value.sse:
        return "none"
    return f"{value.sse} ({value.algorithm})"


def _rule_text(rule: LifecycleRule) -> str:
    """One rule in words: 'id: prefix logs/, expire 30 d, old versions 30 d, uploads 7 d'."""
    parts = [f"prefix {rule.prefix}" if rule.prefix else "", *(f"tag {k}={v}" for k, v in rule.tags.items()),
             f"expire {rule.expire_days} d" if rule.expire_days else "",
             f"expire on {rule.expire_date}" if rule.expire_date else "",
             f"old versions {rule.noncurrent_expire_days} d" if rule.noncurrent_expire_days else "",
             f"uploads {rule.abort_multipart_days} d" if rule.abort_multipart_days else "",
             "" if rule.enabled else "disabled", *(f"{u} (read-only)" for u in rule.unsupported)]
    return f"{rule.id}: " + ", ".join(p for p in parts if p)


def versioning(
    target: Bucket,
    action: Annotated[VersioningAction, typer.Argument(case_sensitive=False, help="on, off (suspend) or status.")]
    = VersioningAction.STATUS,
    json_: Json = False,
) -> None:
    """Turn bucket versioning on, suspend it (off), or show its status (Enabled, Suspended, Off).

    S3 cannot switch versioning off once enabled: `off` suspends it; existing versions stay.

    Example: its-store bucket versioning s3://its-models on
    """
    name = bucket_name(target)
    versions = out.STATE.service().versions()
    state = versions.state(name) if action is VersioningAction.STATUS else versions.set(
        name, action is VersioningAction.ON)
    out.result(state, lambda: out.console().print(f"{shown(name)}: versioning {state.versioning}", markup=False))


def register(app: typer.Typer) -> None:
    add_commands(bucket_app, ls, create, rm, info, versioning)
    app.add_typer(bucket_app, name="bucket")
