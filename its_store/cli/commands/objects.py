"""Object commands: upload, get, ls, rm, stat, presign. Each parses, calls the library, renders."""

import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from its_store.cli import output as out
from its_store.cli.base import LOCAL_PATH, add_commands, confirm
from its_store.cli.completion.callbacks import complete_remote
from its_store.cli.locations import remote_ref, shown
from its_store.core.enums import CompressionType, ObjectType, PresignMethod, SseMode
from its_store.core.errors import InvalidInputError, LocalIOError
from its_store.core.heap import older_objects_left_alone
from its_store.core.localname import checked
from its_store.core.refs import RemoteRef, folder_prefix
from its_store.core.units import human_duration, human_size, parse_duration, parse_pairs, parse_size

Json = Annotated[bool, out.JsonOption]
Workers = Annotated[int | None, typer.Option("--workers", "-w", min=1, max=256,
                                             help="Parallel transfers (parts or files).")]
Recursive = Annotated[bool, typer.Option("--recursive", "-r",
                                          help="Whole folders / every object under the prefix.")]
VersionId = Annotated[str | None, typer.Option("--version-id", help="A specific object version.")]
SseCKeyFile = Annotated[Path | None, typer.Option(
    "--sse-c-key-file", help="File with the 32-byte SSE-C key (raw, base64 or hex). Else MINIO_SSE_C_KEY(_FILE).",
        **LOCAL_PATH)]
FollowSymlinks = Annotated[bool, typer.Option(
    "--follow-symlinks", help="Follow symbolic links (default: a link is skipped and reported).")]


def _summary(verb: str, nbytes: int, seconds: float, target: str, count: int | None = None, note: str = "") -> None:
    rate = f", {human_size(nbytes / seconds)}/s" if seconds > 0 and nbytes else ""
    what, why = (f"{count} objects, " if count is not None else ""), (f"; not verified: {note}" if note else "")
    out.talk(f"{verb} {target} ({what}{human_size(nbytes)} in {human_duration(seconds)}{rate}){why}")


def upload(
    source: Annotated[str, typer.Argument(help="Local file, folder (with -r), or - for stdin.")],
    dest: Annotated[str | None, typer.Argument(
        help="s3://BUCKET/KEY, s3://BUCKET/PREFIX/, or omitted: the --type's default bucket.",
        autocompletion=complete_remote)] = None,
    recursive: Recursive = False,
    type_: Annotated[ObjectType, typer.Option("--type", "-t", help="Object type (picks the default bucket).",
                                              case_sensitive=False)] = ObjectType.OTHER,
    meta: Annotated[list[str] | None, typer.Option("--meta", "-m", help="Metadata k=v (repeatable).")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag k=v (repeatable).")] = None,
    content_type: Annotated[str | None, typer.Option(help="Content-Type (guessed when absent).")] = None,
    workers: Workers = None,
    part_size: Annotated[str | None, typer.Option(help="Multipart part size, e.g. 16MiB.")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Keep parts of a failed large upload; continue them on the next run.")] = False,
    compress: Annotated[CompressionType | None, typer.Option(
        "--compress", case_sensitive=False, help="auto: zstd unless already compressed (default when "
        "MINIO_ENABLE_COMPRESSION=true), none, gzip, lz4, zstd.")] = None,
    level: Annotated[int | None, typer.Option("--level", help="Codec level: zstd 1-22, gzip 1-9, lz4 0-16.")] = None,
    sse: Annotated[SseMode | None, typer.Option(
        "--sse", case_sensitive=False, help="Server-side encryption: none, s3 (SSE-S3; default when "
        "MINIO_ENABLE_ENCRYPTION=true), c (SSE-C with your key).")] = None,
    sse_c_key_file: SseCKeyFile = None,
    retain: Annotated[str | None, typer.Option(
        "--retain", help="Object lock: retain for 90d / 2w / 1y, or until a date 2027-01-31.")] = None,
    retain_mode: Annotated[str | None, typer.Option(
        "--retain-mode", help="governance (default; liftable with --bypass-governance) or compliance.")] = None,
    legal_hold: Annotated[bool, typer.Option("--legal-hold", help="Object lock: put the upload under "
                                                                 "legal hold.")] = False,
    follow_symlinks: FollowSymlinks = False,
    json_: Json = False,
) -> None:
    """Upload a file, a folder (--recursive) or stdin (-) to object storage.

    Example: its-store upload frames/ s3://its-video/camera_001/ --recursive --type video_frame --meta camera_id=cam1
    """
    from its_store.core.models import UploadRequest
    ref = remote_ref(dest, allow_no_bucket=True) if dest else None
    svc = out.STATE.service(workers)
    bucket = ref.bucket if ref else None
    key_or_prefix = ref.key if ref else ""
    metadata, tags = parse_pairs(meta), parse_pairs(tag, what="tag")
    psize = parse_size(part_size, what="part size") if part_size else None
    codec_sse: dict[str, Any] = {"compression": compress, "compression_level": level, "sse": sse,
                                 "sse_c_key_file": sse_c_key_file}
    from its_store.core.lock import upload_lock_fields
    codec_sse.update(upload_lock_fields(retain, retain_mode, legal_hold))  # checked before any request
    if source != "-":
        checked(source, "cannot read")  # '' (an unset "$FRAMES") is no path: Path('') is the current folder
    if recursive:
        _upload_dir(svc, Path(source), bucket, key_or_prefix, type_, metadata, tags, content_type, workers,
                    codec_sse, follow_symlinks)
        return
    path = None if source == "-" else Path(source)
    if path is not None and path.is_dir():
        raise InvalidInputError(f"{source} is a directory", hint="add --recursive to upload a folder")
    if path is None and (not key_or_prefix or key_or_prefix.endswith("/")):
        raise InvalidInputError("uploading stdin needs a full key", hint="its-store upload - s3://BUCKET/KEY")
    from its_store.cli.stdout_lost import stdin_bytes
    key = key_or_prefix
    if path is not None and (not key or key.endswith("/")):
        key += path.name
    total = _file_size(path)
    request = UploadRequest(bucket=bucket, key=key, file_path=path,
                            stream=stdin_bytes() if path is None else None, object_type=type_,
                            metadata=metadata, tags=tags, content_type=content_type,
                            part_size=psize, workers=workers, resume=resume, follow_symlinks=follow_symlinks,
                            **codec_sse)
    with out.progress(f"upload {key}", total) as advance:
        resp = svc.upload_object(request, progress=advance)
    out.result(resp, lambda: _summary("uploaded", resp.total_size, resp.duration_seconds,
                                      shown(resp.bucket, resp.key)))
    if resp.codec != "none":
        out.talk(f"stored with {resp.codec}: {human_size(resp.total_size)} → {human_size(resp.stored_size or 0)}")


def _file_size(path: Path | None) -> int | None:
    try:
        return path.stat().st_size if path is not None else None
    except OSError:
        return None


def upload_total(root: Path, follow_symlinks: bool = False) -> int:
    """The bytes `upload -r` will send, for its progress bar: the sizes of the files of the walk the
    upload itself makes (sync/walk.walk_local, same links rule), so that a linked file that is skipped
    is not counted. A second walk, but a cheap one: 10,000 files in 40-70 ms (os.scandir; the
    rglob + is_file + stat it replaces took 170-230 ms), run only when a bar is shown."""
    from its_store.sync.walk import Walk, walk_local
    return sum(item.size for item in walk_local(root, Walk(), follow_symlinks=follow_symlinks))


def _upload_dir(svc: Any, root: Path, bucket: str | None, prefix: str, type_: ObjectType,
                metadata: dict[str, str], tags: dict[str, str], content_type: str | None,
                workers: int | None, options: dict[str, Any] | None = None, follow_symlinks: bool = False) -> None:
    from its_store.sync.remember import open_state, remembering_responses
    total = upload_total(root, follow_symlinks) if out.is_tty() and not (out.STATE.quiet or out.STATE.json) else None
    state = open_state(svc)  # each object is recorded as a sync records its uploads: the next sync HEADs none
    try:
        with out.progress(f"upload {root}", total) as advance:
            result = svc.batch().upload_directory(root, bucket, prefix, object_type=type_, metadata=metadata,
                                                  tags=tags, content_type=content_type, workers=workers,
                                                  progress=advance, options=options,
                                                  follow_symlinks=follow_symlinks, list_items=out.STATE.json,
                                                  on_response=remembering_responses(state, metadata))
    finally:
        state.close()
    def human() -> None:
        from its_store.cli.commands.transfer import skipped_lines
        for err in result.errors:  # each file that failed, named (a name that cannot be a key...)
            out.stderr_line(f"failed: {err.key}: {err.message}")
        skipped_lines(result)  # a link not followed, a FIFO...: said, as sync says it
        _summary("uploaded", result.bytes, result.duration_seconds,
                 f"{root} → {shown(result.bucket, result.prefix)}", result.succeeded)

    out.result(result, human)
    result.raise_for_failures()


def get(
    source: Annotated[str, typer.Argument(help="s3://BUCKET/KEY, or s3://BUCKET/PREFIX/ with -r.",
                                          autocompletion=complete_remote)],
    dest: Annotated[str, typer.Argument(help="Local file or folder, or - for stdout.")] = ".",
    recursive: Recursive = False,
    version_id: VersionId = None,
    workers: Workers = None,
    raw: Annotated[bool, typer.Option("--raw", help="The stored bytes: do not undo compression.")] = False,
    sse_c_key_file: SseCKeyFile = None,
    range_: Annotated[str | None, typer.Option(
        "--range", help="Only these bytes: START-END (inclusive), START- or -SUFFIX. Not verifiable.")] = None,
    json_: Json = False,
) -> None:
    """Download an object to a file, a folder, or stdout (-); a prefix with --recursive.

    Example: its-store get s3://its-video/camera_001/ ./frames --recursive
    """
    from its_store.core.models import DownloadRequest
    from its_store.core.ranges import parse_range
    offset, length = parse_range(range_) if range_ is not None else (0, None)
    ref = remote_ref(source)
    if dest != "-":
        checked(dest, "cannot write")  # '' (an unset "$DEST") is no path: Path('') is the current folder
    svc = out.STATE.service(workers)
    if recursive and range_ is not None:
        raise InvalidInputError("--range takes one object, not --recursive")
    if recursive:
        _get_prefix(svc, ref, dest, workers, {"raw": raw, "sse_c_key_file": sse_c_key_file})
        return
    if not ref.key or ref.key.endswith("/"):
        stored_dir_object(svc, ref, version_id, source, hint="add --recursive")
    if dest == "-":
        svc.download_to_stream(ref.bucket, ref.key, sys.stdout.buffer, version_id=version_id, raw=raw,
                               sse_c_key_file=sse_c_key_file, offset=offset, length=length)
        return
    if dest.endswith(("/", os.sep)):  # `get s3://b/k out/`: out is a folder, made if missing
        _make_folder(Path(dest))
    with out.progress(f"download {ref.key}", None) as advance:
        resp = svc.download_object(DownloadRequest(bucket=ref.bucket, key=ref.key, file_path=Path(dest),
                                                   version_id=version_id, workers=workers, raw=raw,
                                                   sse_c_key_file=sse_c_key_file, offset=offset,
                                                   length=length), progress=advance)
    part = f" bytes {resp.offset}-{resp.offset + resp.size - 1} of {resp.object_size}" \
        if resp.offset is not None else ""
    out.result(resp, lambda: _summary("downloaded", resp.size, resp.duration_seconds, f"{shown(resp.bucket, resp.key)}"
                                      f"{part} → {resp.file_path}", note=(not part and resp.note) or ""))


def _get_prefix(svc: Any, ref: RemoteRef, dest: str, workers: int | None, options: dict[str, Any]) -> None:
    """`get -r`: every object under the prefix into the folder `dest`, recorded as a sync records its
    downloads: each GET's answer (remembering_gets: the next sync HEADs none of them) and the file it left
    (remembering_files: the next sync fetches an object rewritten since)."""
    prefix = folder_prefix(ref.key)  # the folder ref.key/ (core/refs.py)
    if dest == "-":
        raise InvalidInputError("cannot write a recursive download to stdout")
    from its_store.sync.remember import open_state, remembering_files, remembering_gets
    state = open_state(svc)  # what each GET answer said, as a sync records its downloads: the next sync HEADs none
    try:
        with out.progress(f"download {shown(ref.bucket, prefix)}", None) as advance:
            result = svc.batch().download_prefix(ref.bucket, prefix, Path(dest), workers=workers,
                                                 progress=advance, list_items=out.STATE.json,
                                                 options=options, on_object=remembering_gets(state),
                                                 on_file=remembering_files(state, Path(dest)))
    finally:
        state.close()
    out.result(result, lambda: _download_human(result, f"{shown(ref.bucket, prefix)} → {dest}"))
    result.raise_for_failures()


def _download_human(result: Any, where: str) -> None:
    from its_store.cli.commands.transfer import skipped_lines
    skipped_lines(result)  # keys with no safe local name: said one by one, the rest downloaded
    _summary("downloaded", result.bytes, result.duration_seconds, where, result.succeeded)


def _make_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalIOError(f"cannot create folder {path}: {exc.strerror}") from None


def ls(
    target: Annotated[str | None, typer.Argument(help="s3://BUCKET[/PREFIX]; omitted: list buckets.",
                                                 autocompletion=complete_remote)] = None,
    recursive: Recursive = False,
    type_: Annotated[list[ObjectType] | None, typer.Option("--type", "-t", case_sensitive=False,
                                                           help="Only these object types (repeatable).")] = None,
    min_size: Annotated[str | None, typer.Option(help="Only objects at least this big (e.g. 100K).")] = None,
    max_size: Annotated[str | None, typer.Option(help="Only objects at most this big (e.g. 2MiB).")] = None,
    newer_than: Annotated[str | None, typer.Option(help="Modified within this long (30m, 2h, 7d).")] = None,
    older_than: Annotated[str | None, typer.Option(help="Modified longer ago than this (30m, 2h, 7d).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many entries.")] = None,
    metadata: Annotated[bool, typer.Option("--metadata", help="Fetch type and metadata of each object.")] = False,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only objects with this tag k=v (repeatable).")]
    = None,
    meta: Annotated[list[str] | None, typer.Option("--meta", help="Only objects with this metadata k=v "
                                                                  "(repeatable).")] = None,
    versions: Annotated[bool, typer.Option("--versions", help="Every version and delete marker.")] = False,
    json_: Json = False,
) -> None:
    """List buckets, or objects under a prefix, with filters. --json prints JSON Lines.

    Example: its-store ls s3://its-video/camera_001/ --recursive --min-size 100K --newer-than 2h
    """
    ref = remote_ref(target, allow_no_bucket=True) if target is not None else None
    if ref is not None and not ref.bucket and ref.key:
        raise InvalidInputError(f"missing bucket in {target!r}", hint="use s3://BUCKET/KEY or NAME:BUCKET/KEY")
    svc = out.STATE.service()
    if ref is None or not ref.bucket:  # nothing, s3:// or NAME: named: the buckets of that endpoint
        buckets = svc.list_buckets()
        if out.STATE.json:
            out.emit_jsonl(buckets)
        else:
            out.table(["created", "bucket"], ([out.fmt_time(b.created), b.name] for b in buckets))
        return
    if versions and target is not None:  # (always named here: no target lists the buckets above)
        from its_store.cli.commands.versions import ls_versions
        ls_versions(target, recursive=recursive, limit=limit, filters={
            "--type": type_, "--metadata": metadata, "--tag": tag, "--meta": meta, "--min-size": min_size,
            "--max-size": max_size, "--newer-than": newer_than, "--older-than": older_than})
        return
    from its_store.core.models import ListObjectsRequest
    now = datetime.now(UTC)
    request = ListObjectsRequest(
        bucket=ref.bucket, prefix=ref.key, recursive=recursive, max_keys=limit, object_types=type_ or None,
        size_range=(parse_size(min_size, what="--min-size") if min_size else None,
                    parse_size(max_size, what="--max-size") if max_size else None) if (min_size or max_size) else None,
        modified_after=now - parse_duration(newer_than, what="--newer-than") if newer_than else None,
        modified_before=now - parse_duration(older_than, what="--older-than") if older_than else None,
        include_metadata=metadata, match_tags=parse_pairs(tag, what="tag") or None,
        match_metadata=parse_pairs(meta) or None)
    with older_objects_left_alone() as heap:
        items = heap.over(svc.iter_objects(request))
        if out.STATE.json:
            out.emit_jsonl(items)
            return
        show_type = bool(type_) or metadata
        out.lines(_ls_line(i, show_type, metadata) for i in items)


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
        if not all_versions:
            raise InvalidInputError("--older-than needs --all-versions")
        from its_store.cli.commands.versions import rm_all_versions
        rm_all_versions(refs, recursive=recursive, older_than=older_than, dry_run=dry_run, yes=yes,
                        version_id=version_id, bypass_governance=bypass_governance)
        return
    if bypass_governance and not version_id:
        raise InvalidInputError("--bypass-governance goes with --version-id or --all-versions",
                                hint="a delete without a version id only adds a delete marker, which the "
                                     "object lock allows anyway")
    if recursive:
        _rm_prefix(svc, refs, version_id, dry_run=dry_run, yes=yes, shard=part)
    else:
        _rm_objects(svc, refs, version_id, dry_run=dry_run, bypass_governance=bypass_governance)


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
    _summary(verb, result.bytes, result.duration_seconds, where, result.succeeded)
    if result.delete_markers and not result.dry_run:  # versioned bucket: S3 added markers, data still stored
        stored = "the data " if result.still_stored_bytes is None else f"{human_size(result.still_stored_bytes)} "
        out.talk(f"versioned bucket: delete markers were added and every version is kept "
                 f"({stored}still stored); --all-versions erases them")
    elif result.delete_markers is None and not result.dry_run and result.succeeded:
        out.talk("whether they were removed or only hidden behind delete markers is unknown "
                 "(the answers did not say and the key may not read the bucket's versioning)")
    for err in result.errors:
        out.stderr_line(f"not deleted: {err.key}: {err.message}")


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


def stored_dir_object(svc: Any, ref: Any, version_id: str | None, target: str, hint: str | None = None) -> None:
    """A key ending in '/' (or none) that names no stored object names a prefix: InvalidInputError (exit 2,
    `hint`). The rule is service/heads.names_stored_object's, shared with cp/mv (sync/copy)."""
    from its_store.service.heads import names_stored_object
    if names_stored_object(svc.ctx, ref.bucket, ref.key, version_id):
        return
    raise InvalidInputError(f"{target} names a prefix, not an object", hint=hint)


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
    rows += [[f"meta {k}", v] for k, v in sorted((info.metadata or {}).items())]
    rows += [[f"tag {k}", v] for k, v in sorted((info.tags or {}).items())]
    out.table(["field", "value"], rows)


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
    add_commands(app, upload, get, ls, rm, stat, presign)
