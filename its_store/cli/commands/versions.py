"""Version commands: `restore`, and the bodies of `ls --versions` and `rm --all-versions` (objects.py
hands those flags over here so that its own commands stay small)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Annotated

import typer

from its_store.cli import output as out
from its_store.cli.base import add_commands, confirm
from its_store.cli.locations import remote_ref, shown
from its_store.core.errors import InvalidInputError
from its_store.core.units import human_duration, human_size, parse_duration

if TYPE_CHECKING:
    from its_store.core.refs import RemoteRef
    from its_store.service.versions import ErasureResult, ObjectVersion

Json = Annotated[bool, out.JsonOption]


def object_ref(target: str) -> RemoteRef:
    ref = remote_ref(target)
    if not ref.key or ref.key.endswith("/"):
        raise InvalidInputError(f"{target} names a prefix, not an object", hint="use s3://BUCKET/KEY")
    return ref


def restore(
    target: Annotated[str, typer.Argument(help="s3://BUCKET/KEY")],
    version_id: Annotated[str, typer.Option("--version-id", help="The version to make current again.")],
    json_: Json = False,
) -> None:
    """Make an older version of an object current again (server-side copy; nothing is deleted).

    Find version ids with `its-store ls s3://BUCKET/KEY --versions`.

    Example: its-store restore s3://its-models/yolo11/model.pt --version-id 3f0c2a...
    """
    ref = object_ref(target)
    result = out.STATE.service().versions().restore(ref.bucket, ref.key, version_id)

    def human() -> None:
        where = shown(result.bucket, result.key)
        if result.already_current:
            out.talk(f"{where}: version {version_id} is already the current version")
        else:
            out.talk(f"restored {where} from version {version_id} (new version {result.version_id})")

    out.result(result, human)


def ls_versions(target: str, *, recursive: bool, limit: int | None, filters: dict[str, object]) -> None:
    """`ls --versions`: every version and delete marker under a prefix (JSON Lines with --json)."""
    unsupported = [name for name, value in filters.items() if value]
    if unsupported:
        raise InvalidInputError(f"--versions cannot be combined with {', '.join(unsupported)}")
    ref = remote_ref(target)
    items = out.STATE.service().versions().iter_versions(ref.bucket, ref.key, recursive=recursive)
    if limit:
        items = itertools.islice(items, limit)
    if out.STATE.json:
        out.emit_jsonl(items)
        return
    out.table(["modified", "size", "latest", "version", "key"], (_version_row(v) for v in items), right=["size"])


def _version_row(v: ObjectVersion) -> list[str]:
    if v.is_prefix:
        return ["", "PRE", "", "", v.key]
    size = "DEL" if v.is_delete_marker else human_size(v.size)
    # a name the server listed altered (U+FFFD for bytes it could not list) names no object: say so, as
    # the JSON's `garbled` does, so it is not taken for a real key
    key = f"(altered by the server) {v.key}" if v.garbled else v.key  # first: a narrow table cuts the end
    return [out.fmt_time(v.last_modified), size, "*" if v.is_latest else "", v.version_id or "", key]


def rm_all_versions(refs: list[RemoteRef], *, recursive: bool, older_than: str | None, dry_run: bool,
                    yes: bool, version_id: str | None, bypass_governance: bool = False) -> None:
    """`rm --all-versions`: erase every version and delete marker of a key or (-r) a prefix."""
    if version_id:
        raise InvalidInputError("give --version-id or --all-versions, not both")
    if len(refs) != 1:
        raise InvalidInputError("--all-versions takes exactly one key or prefix")
    ref = refs[0]
    if not recursive and (not ref.key or ref.key.endswith("/")):
        raise InvalidInputError(f"{shown(ref.bucket, ref.key)} is a prefix", hint="add --recursive")
    age = parse_duration(older_than, what="--older-than") if older_than else None
    if age is not None and age.total_seconds() <= 0:
        raise InvalidInputError("--older-than must be longer than zero")
    where = shown(ref.bucket, ref.key)
    if not dry_run and not yes:
        confirm(f"Permanently erase every version of {where}{' (recursively)' if recursive else ''}?",
                action="to erase versions", hint="add --yes (or --dry-run to see what would go)")
    result = out.STATE.service().versions().erase(ref.bucket, ref.key, recursive=recursive, older_than=age,
                                                  dry_run=dry_run, bypass_governance=bypass_governance)
    out.result(result, lambda: _erase_human(result))
    result.raise_for_failures()


def _erase_human(result: ErasureResult) -> None:
    if result.dry_run:
        out.table(["modified", "size", "version", "key"],
                  ([out.fmt_time(v.last_modified), "DEL" if v.is_delete_marker else human_size(v.size),
                    v.version_id or "", v.key] for v in result.entries), right=["size"])
    verb = "would erase" if result.dry_run else "erased"
    age = f", older than {result.older_than}" if result.older_than else ""
    out.talk(f"{verb} {result.objects} objects: {result.versions} versions, {result.delete_markers} delete "
             f"markers, {human_size(result.bytes)} under {shown(result.bucket, result.prefix)}{age} "
             f"in {human_duration(result.duration_seconds)}")
    for error in result.errors:  # e.g. kept by object lock: "object locked: under legal hold"
        out.talk(f"not erased: {shown(result.bucket, error.key)} (version {error.version_id}): {error.message}")


def register(app: typer.Typer) -> None:
    add_commands(app, restore)
