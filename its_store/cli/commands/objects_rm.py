"""`rm`: delete objects, or everything under a prefix. Parses, calls the library, renders.

Every version for good (--all-versions) is cli/commands/versions.py's (rm_all_versions)."""

from collections.abc import Iterable
from typing import Annotated, Any

import typer

from its_store.cli import output as out
from its_store.cli.base import add_commands, confirm
from its_store.cli.commands.objects import Json, Recursive, VersionId, stored_dir_object, summary
from its_store.cli.completion.callbacks import complete_remote
from its_store.cli.locations import remote_ref, shown
from its_store.core.errors import InvalidInputError
from its_store.core.refs import RemoteRef, folder_prefix
from its_store.core.units import human_size


def rm(
    targets: Annotated[list[str], typer.Argument(help="s3://BUCKET/KEY ... or s3://BUCKET/PREFIX/ with -r.",
                                                 autocompletion=complete_remote)],
    recursive: Recursive = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be deleted.")] = False,
    shard: Annotated[str | None, typer.Option(
        "--shard", help="With -r: only shard K of N (K/N, from 0), by the key below the prefix.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (required without a terminal).")] = False,
    version_id: VersionId = None,
    all_versions: Annotated[bool, typer.Option("--all-versions", help="Erase every version and delete marker "
                                                                     "for good (GDPR erasure).")] = False,
    older_than: Annotated[str | None, typer.Option(help="With --all-versions: only versions older than "
                                                        "this (30d, 12h).")] = None,
    bypass_governance: Annotated[bool, typer.Option(
        "--bypass-governance", help="Delete versions under governance retention (never compliance or a "
        "legal hold); with --version-id or --all-versions.")] = False,
    json_: Json = False,
) -> None:
    """Delete objects, or everything under a prefix with --recursive.

    Example: its-store rm s3://its-video/camera_001/ --recursive --dry-run
    """
    from its_store.core.shard import parse_shard
    part = parse_shard(shard)
    if part is not None and (not recursive or all_versions):
        raise InvalidInputError("--shard goes with --recursive (and not with --all-versions)")
    refs = [remote_ref(t) for t in targets]
    svc = out.STATE.service()
    if all_versions or older_than:
        _rm_all_versions(refs, recursive=recursive, all_versions=all_versions, older_than=older_than,
                         dry_run=dry_run, yes=yes, version_id=version_id, bypass_governance=bypass_governance)
        return
    if bypass_governance and not version_id:
        raise InvalidInputError("--bypass-governance goes with --version-id or --all-versions",
                                hint="a delete without a version id only adds a delete marker, which the "
                                     "object lock allows anyway")
    if recursive:
        _rm_prefix(svc, refs, version_id, dry_run=dry_run, yes=yes, shard=part)
    else:
        _rm_objects(svc, refs, version_id, dry_run=dry_run, bypass_governance=bypass_governance)


def _rm_all_versions(refs: list[RemoteRef], *, recursive: bool, all_versions: bool, older_than: str | None,
                     dry_run: bool, yes: bool, version_id: str | None, bypass_governance: bool) -> None:
    """`rm --all-versions` (and --older-than, which needs it): versions.rm_all_versions erases for good."""
    if not all_versions:
        raise InvalidInputError("--older-than needs --all-versions")
    from its_store.cli.commands.versions import rm_all_versions
    rm_all_versions(refs, recursive=recursive, older_than=older_than, dry_run=dry_run, yes=yes,
                    version_id=version_id, bypass_governance=bypass_governance)


def _rm_objects(svc: Any, refs: list[RemoteRef], version_id: str | None, *, dry_run: bool,
                bypass_governance: bool) -> None:
    """`rm` of named objects: each key names one object (never what is below it); a dry run checks that
    each exists (exit 3 if not) and deletes nothing."""
    for ref in refs:
        if not ref.key or ref.key.endswith("/"):  # the object of that key alone, never what is below it
            stored_dir_object(svc, ref, version_id, shown(ref.bucket, ref.key), hint="add --recursive")
    named = [(r.bucket, r.key) for r in refs]
    if dry_run:  # check each exists (exit 3 if not), delete nothing
        plan = svc.batch().plan_delete(named, version_id)
        out.result(plan, lambda: _tell(f"would delete {shown(i.bucket, i.key)}" for i in plan.would_delete))
        return
    done = svc.batch().delete_objects(named, version_id, bypass_governance=bypass_governance)
    out.result(done, lambda: _tell(_deleted_line(r) for r in done.deleted))


def _rm_prefix(svc: Any, refs: list[RemoteRef], version_id: str | None, *, dry_run: bool, yes: bool,
               shard: Any) -> None:
    """`rm -r`: every object under one prefix (asked for first on a terminal, else --yes), or the
    `shard` of them (a core.shard.Shard or None: Any, as a real annotation that imports nothing, since a
    string one is compiled on every start: tests/test_startup_annotations.py)."""
    if version_id:
        raise InvalidInputError("--version-id names one object version; it does not go with --recursive",
                                hint="use --all-versions to erase every version under a prefix")
    if len(refs) != 1:
        raise InvalidInputError("--recursive takes exactly one prefix")
    ref = refs[0]
    prefix = folder_prefix(ref.key)  # the folder ref.key/ (core/refs.py)
    if not dry_run and not yes:
        confirm(f"Delete every object under {shown(ref.bucket, prefix)}?", action="a recursive delete",
                hint="add --yes (or --dry-run to see what would go)")
    result = svc.batch().delete_prefix(ref.bucket, prefix, dry_run=dry_run, shard=shard,
                                       list_items=dry_run or out.STATE.json)  # a dry run's text lists the keys
    verb = "would delete" if dry_run else ("hid" if result.delete_markers else "deleted")
    out.result(result, lambda: _rm_human(result, verb, shown(ref.bucket, prefix)))
    result.raise_for_failures()


def _tell(lines: Iterable[str]) -> None:
    for line in lines:
        out.talk(line)


def _deleted_line(result: Any) -> str:
    """'deleted' only for what is gone: a versioned bucket keeps the data behind a delete marker."""
    where = shown(result.bucket, result.key)
    if result.delete_marker:
        return f"hid {where} behind a delete marker (its versions are kept; --all-versions erases them)"
    if result.delete_marker is None:  # neither the answer nor the bucket's versioning said: never "removed"
        return f"deleted {where}: removed or only hidden behind a delete marker, unknown"
    return f"deleted {where}" + (f" (version {result.version_id})" if result.version_id else "")


def _rm_human(result: Any, verb: str, where: str) -> None:
    if result.dry_run:
        out.lines(str(item.key) for item in result.objects)
    summary(verb, result.bytes, result.duration_seconds, where, result.succeeded)
    if result.delete_markers and not result.dry_run:  # versioned bucket: S3 added markers, data still stored
        stored = "the data " if result.still_stored_bytes is None else f"{human_size(result.still_stored_bytes)} "
        out.talk(f"versioned bucket: delete markers were added and every version is kept "
                 f"({stored}still stored); --all-versions erases them")
    elif result.delete_markers is None and not result.dry_run and result.succeeded:
        out.talk("whether they were removed or only hidden behind delete markers is unknown "
                 "(the answers did not say and the key may not read the bucket's versioning)")
    for err in result.errors:
        out.stderr_line(f"not deleted: {err.key}: {err.message}")


def register(app: typer.Typer) -> None:
    add_commands(app, rm)
