"""What is stored, read-only: ls, stat, presign. Each parses, calls the library, renders.

(The bytes move in objects.py, upload and get; deletes are objects_rm.py's.)"""

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from its_store.cli import output as out
from its_store.cli.base import Flags, add_commands, with_flags
from its_store.cli.commands.objects import Json, Recursive, SseCKeyFile, VersionId, stored_dir_object
from its_store.cli.completion.callbacks import complete_remote
from its_store.cli.locations import remote_ref, shown
from its_store.core.enums import ObjectType, PresignMethod
from its_store.core.errors import InvalidInputError
from its_store.core.heap import older_objects_left_alone
from its_store.core.refs import RemoteRef
from its_store.core.units import human_size, parse_duration, parse_pairs, parse_size


class LsFlags(Flags):
    """The options of `ls`, typed, in the order --help lists them (cli/base.with_flags)."""

    recursive: Recursive = False
    type_: Annotated[list[ObjectType] | None, typer.Option("--type", "-t", case_sensitive=False,
                                                           help="Only these object types (repeatable).")] = None
    min_size: Annotated[str | None, typer.Option(help="Only objects at least this big (e.g. 100K).")] = None
    max_size: Annotated[str | None, typer.Option(help="Only objects at most this big (e.g. 2MiB).")] = None
    newer_than: Annotated[str | None, typer.Option(help="Modified within this long (30m, 2h, 7d).")] = None
    older_than: Annotated[str | None, typer.Option(help="Modified longer ago than this (30m, 2h, 7d).")] = None
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many entries.")] = None
    metadata: Annotated[bool, typer.Option("--metadata", help="Fetch type and metadata of each object.")] = False
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only objects with this tag k=v (repeatable).")] \
        = None
    meta: Annotated[list[str] | None, typer.Option("--meta", help="Only objects with this metadata k=v "
                                                                  "(repeatable).")] = None
    versions: Annotated[bool, typer.Option("--versions", help="Every version and delete marker.")] = False


@with_flags(LsFlags)
def ls(
    target: Annotated[str | None, typer.Argument(help="s3://BUCKET[/PREFIX]; omitted: list buckets.",
                                                 autocompletion=complete_remote)] = None,
    flags: LsFlags = LsFlags(),
    json_: Json = False,
) -> None:
    """List buckets, or objects under a prefix, with filters. --json prints JSON Lines.

    Example: its-store ls s3://its-video/camera_001/ --recursive --min-size 100K --newer-than 2h
    """
    f = flags
    ref = remote_ref(target, allow_no_bucket=True) if target is not None else None
    if ref is not None and not ref.bucket and ref.key:
        raise InvalidInputError(f"missing bucket in {target!r}", hint="use s3://BUCKET/KEY or NAME:BUCKET/KEY")
    svc = out.STATE.service()
    if ref is None or not ref.bucket:  # nothing, s3:// or NAME: named: the buckets of that endpoint
        _ls_buckets(svc)
        return
    if f.versions and target is not None:  # (always named here: no target lists the buckets above)
        from its_store.cli.commands.versions import ls_versions
        ls_versions(target, recursive=f.recursive, limit=f.limit, filters={
            "--type": f.type_, "--metadata": f.metadata, "--tag": f.tag, "--meta": f.meta, "--min-size": f.min_size,
            "--max-size": f.max_size, "--newer-than": f.newer_than, "--older-than": f.older_than})
        return
    with older_objects_left_alone() as heap:
        items = heap.over(svc.iter_objects(_list_request(ref, f)))
        if out.STATE.json:
            out.emit_jsonl(items)
            return
        show_type = bool(f.type_) or f.metadata
        out.lines(_ls_line(i, show_type, f.metadata) for i in items)


def _ls_buckets(svc: Any) -> None:
    """`ls` with no bucket named: the buckets of the endpoint, a table or JSON Lines."""
    buckets = svc.list_buckets()
    if out.STATE.json:
        out.emit_jsonl(buckets)
    else:
        out.table(["created", "bucket"], ([out.fmt_time(b.created), b.name] for b in buckets))


def _list_request(ref: RemoteRef, f: LsFlags) -> Any:
    """The ListObjectsRequest of `ls` under `ref` with the filters of its flags (bad sizes, durations or
    pairs: InvalidInputError, exit 2, before any request)."""
    from its_store.core.models import ListObjectsRequest
    now = datetime.now(UTC)
    return ListObjectsRequest(
        bucket=ref.bucket, prefix=ref.key, recursive=f.recursive, max_keys=f.limit, object_types=f.type_ or None,
        size_range=(parse_size(f.min_size, what="--min-size") if f.min_size else None,
                    parse_size(f.max_size, what="--max-size") if f.max_size else None)
        if (f.min_size or f.max_size) else None,
        modified_after=now - parse_duration(f.newer_than, what="--newer-than") if f.newer_than else None,
        modified_before=now - parse_duration(f.older_than, what="--older-than") if f.older_than else None,
        include_metadata=f.metadata, match_tags=parse_pairs(f.tag, what="tag") or None,
        match_metadata=parse_pairs(f.meta) or None)


def _ls_line(info: Any, show_type: bool, show_lock: bool = False) -> str:
    """One line per entry, streamed like `aws s3 ls` / `mc ls` (a rich table would hold 10,000 rows
    in memory and take seconds to lay out): date, size, [type], [object lock], key."""
    kind = f"{(info.object_type.value if info.object_type else ''):<15}" if show_type else ""
    if show_lock:  # --metadata: "governance 2027-03-02 hold" (retention mode and date, legal hold)
        until = f" {info.retain_until:%Y-%m-%d}" if info.retention_mode and info.retain_until else ""
        lock = " ".join(x for x in ((info.retention_mode or "").lower() + until,
                                    "hold" if info.legal_hold else "") if x)
        kind += f"{'' if info.is_prefix else (lock or '-'):<27}"
    if info.is_prefix:
        return f"{'':19}  {'PRE':>10}  {kind}{info.key}"
    return f"{out.fmt_time(info.last_modified):19}  {human_size(info.size):>10}  {kind}{info.key}"


def stat(
    target: Annotated[str, typer.Argument(help="s3://BUCKET/KEY", autocompletion=complete_remote)],
    version_id: VersionId = None,
    sse_c_key_file: SseCKeyFile = None,
    json_: Json = False,
) -> None:
    """Show an object's size, ETag, type, content type, metadata, tags, codec and encryption.

    Example: its-store stat s3://its-video/camera_001/frame_0001.jpg --json
    """
    ref = remote_ref(target)
    if not ref.key or ref.key.endswith("/"):
        stored_dir_object(out.STATE.service(), ref, version_id, target)
    info = out.STATE.service().stat_object(ref.bucket, ref.key, version_id, sse_c_key_file=sse_c_key_file)
    out.result(info, lambda: _stat_human(info))


def _stat_human(info: Any) -> None:
    rows = [
        ["key", shown(info.bucket, info.key)], ["size", f"{human_size(info.size)} ({info.size} bytes)"],
        ["modified", out.fmt_time(info.last_modified)], ["etag", info.etag], ["content-type", info.content_type],
        ["type", info.object_type.value if info.object_type else ""], ["version", info.version_id or ""],
        ["encryption", info.encryption or "none"], ["codec", info.codec or "none"],
    ]
    if info.original_size is not None:
        rows += [["original size", f"{human_size(info.original_size)} ({info.original_size} bytes)"]]
    if info.compression_ratio:
        rows += [["ratio", f"{info.compression_ratio}x"]]
    if info.sha256:
        rows += [["sha256", info.sha256]]
    if info.retention_mode or info.legal_hold is not None:  # object lock
        until = f" until {out.fmt_time(info.retain_until)} UTC" if info.retain_until else ""
        rows += [["retention", f"{info.retention_mode.lower()}{until}" if info.retention_mode else "none"],
                 ["legal hold", "on" if info.legal_hold else "off"]]
    rows += [[f"meta {k}", _cut(v)] for k, v in sorted((info.metadata or {}).items())]
    rows += [[f"tag {k}", _cut(v)] for k, v in sorted((info.tags or {}).items())]
    out.table(["field", "value"], rows)


_SHOWN = 512  # characters of a metadata or tag value in the table (a server may send ~64 KB): --json has it whole


def _cut(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text)} characters; --json shows it whole)"


def presign(
    target: Annotated[str, typer.Argument(help="s3://BUCKET/KEY", autocompletion=complete_remote)],
    method: Annotated[PresignMethod, typer.Option(
        "--method", case_sensitive=False, help="GET to share, PUT to let a client upload.")] = PresignMethod.GET,
    expires: Annotated[str, typer.Option(help="Validity, at most 7d (e.g. 300s, 30m, 1h, 7d).")] = "1h",
    json_: Json = False,
) -> None:
    """Print a presigned URL that works without credentials until it expires (max 7 days).

    Example: its-store presign s3://its-models/yolo11/2.0.0/model.pt --expires 30m
    """
    ref = remote_ref(target)
    if not ref.key or ref.key.endswith("/"):
        raise InvalidInputError(f"{target} names a prefix, not an object")
    seconds = parse_duration(expires, what="expiry").total_seconds()
    if seconds < 1 or seconds > 7 * 86400:
        raise InvalidInputError(f"expiry {expires!r} is outside 1s..7d",
                                hint="S3 signatures are valid for at most 7 days")
    signed = out.STATE.service().presign(ref.bucket, ref.key, int(seconds), method.value)
    out.result(signed, lambda: out.lines([signed.url]))




def register(app: typer.Typer) -> None:
    add_commands(app, ls, stat, presign)
