"""Object commands that move bytes: upload and get. Each parses, calls the library, renders.

Also what the other object commands share (the option types, summary(), stored_dir_object()): ls, stat and
presign are objects_info.py's, rm is objects_rm.py's; each imports this module."""

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from its_store.cli import output as out
from its_store.cli.base import LOCAL_PATH, Flags, add_commands, with_flags
from its_store.cli.completion.callbacks import complete_remote
from its_store.cli.locations import remote_ref, shown
from its_store.core.enums import CompressionType, ObjectType, SseMode
from its_store.core.errors import InvalidInputError, LocalIOError
from its_store.core.localname import checked
from its_store.core.refs import RemoteRef, folder_prefix
from its_store.core.units import human_duration, human_size, parse_pairs, parse_size

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


def summary(verb: str, nbytes: int, seconds: float, target: str, count: int | None = None, note: str = "") -> None:
    """The one line (stderr) a transfer or delete ends with: what, where, how much, how fast (and why a
    download is not verified, `note`)."""
    rate = f", {human_size(nbytes / seconds)}/s" if seconds > 0 and nbytes else ""
    what, why = (f"{count} objects, " if count is not None else ""), (f"; not verified: {note}" if note else "")
    out.talk(f"{verb} {target} ({what}{human_size(nbytes)} in {human_duration(seconds)}{rate}){why}")


class UploadFlags(Flags):
    """The options of `upload`, typed, in the order --help lists them (cli/base.with_flags)."""

    recursive: Recursive = False
    type_: Annotated[ObjectType, typer.Option("--type", "-t", help="Object type (picks the default bucket).",
                                              case_sensitive=False)] = ObjectType.OTHER
    meta: Annotated[list[str] | None, typer.Option("--meta", "-m", help="Metadata k=v (repeatable).")] = None
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag k=v (repeatable).")] = None
    content_type: Annotated[str | None, typer.Option(help="Content-Type (guessed when absent).")] = None
    workers: Workers = None
    part_size: Annotated[str | None, typer.Option(help="Multipart part size, e.g. 16MiB.")] = None
    resume: Annotated[bool, typer.Option(
        "--resume", help="Keep parts of a failed large upload; continue them on the next run.")] = False
    compress: Annotated[CompressionType | None, typer.Option(
        "--compress", case_sensitive=False, help="auto: zstd unless already compressed (default when "
        "MINIO_ENABLE_COMPRESSION=true), none, gzip, lz4, zstd.")] = None
    level: Annotated[int | None, typer.Option("--level", help="Codec level: zstd 1-22, gzip 1-9, lz4 0-16.")] = None
    sse: Annotated[SseMode | None, typer.Option(
        "--sse", case_sensitive=False, help="Server-side encryption: none, s3 (SSE-S3; default when "
        "MINIO_ENABLE_ENCRYPTION=true), c (SSE-C with your key).")] = None
    sse_c_key_file: SseCKeyFile = None
    retain: Annotated[str | None, typer.Option(
        "--retain", help="Object lock: retain for 90d / 2w / 1y, or until a date 2027-01-31.")] = None
    retain_mode: Annotated[str | None, typer.Option(
        "--retain-mode", help="governance (default; liftable with --bypass-governance) or compliance.")] = None
    legal_hold: Annotated[bool, typer.Option("--legal-hold", help="Object lock: put the upload under "
                                                                 "legal hold.")] = False
    follow_symlinks: FollowSymlinks = False


@with_flags(UploadFlags)
def upload(
    source: Annotated[str, typer.Argument(help="Local file, folder (with -r), or - for stdin.")],
    dest: Annotated[str | None, typer.Argument(
        help="s3://BUCKET/KEY, s3://BUCKET/PREFIX/, or omitted: the --type's default bucket.",
        autocompletion=complete_remote)] = None,
    flags: UploadFlags = UploadFlags(),
    json_: Json = False,
) -> None:
    """Upload a file, a folder (--recursive) or stdin (-) to object storage.

    Example: its-store upload frames/ s3://its-video/camera_001/ --recursive --type video_frame --meta camera_id=cam1
    """
    f = flags
    ref = remote_ref(dest, allow_no_bucket=True) if dest else None
    svc = out.STATE.service(f.workers)
    bucket, key_or_prefix = (ref.bucket, ref.key) if ref else (None, "")
    metadata, tags = parse_pairs(f.meta), parse_pairs(f.tag, what="tag")
    psize = parse_size(f.part_size, what="part size") if f.part_size else None
    codec_sse: dict[str, Any] = {"compression": f.compress, "compression_level": f.level, "sse": f.sse,
                                 "sse_c_key_file": f.sse_c_key_file}
    from its_store.core.lock import upload_lock_fields
    codec_sse.update(upload_lock_fields(f.retain, f.retain_mode, f.legal_hold))  # checked before any request
    if source != "-":
        checked(source, "cannot read")  # '' (an unset "$FRAMES") is no path: Path('') is the current folder
    if f.recursive:
        _upload_dir(svc, Path(source), bucket, key_or_prefix, f.type_, metadata, tags, f.content_type, f.workers,
                    codec_sse, f.follow_symlinks)
        return
    _upload_one(svc, source, bucket, key_or_prefix, f,
                {"metadata": metadata, "tags": tags, "part_size": psize, **codec_sse})


def _upload_one(svc: Any, source: str, bucket: str | None, key_or_prefix: str, flags: UploadFlags,
                fields: dict[str, Any]) -> None:
    """`upload` of one file, or of stdin (-): to the key given, or to the prefix given + the file's name;
    `fields` are the UploadRequest's parsed from the flags (metadata, tags, part size, codec, SSE, lock)."""
    from its_store.core.models import UploadRequest
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
                            stream=stdin_bytes() if path is None else None, object_type=flags.type_,
                            content_type=flags.content_type, workers=flags.workers, resume=flags.resume,
                            follow_symlinks=flags.follow_symlinks, **fields)
    with out.progress(f"upload {key}", total) as advance:
        resp = svc.upload_object(request, progress=advance)
    out.result(resp, lambda: summary("uploaded", resp.total_size, resp.duration_seconds,
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
        summary("uploaded", result.bytes, result.duration_seconds,
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
    from its_store.core.ranges import parse_range
    offset, length = parse_range(range_) if range_ is not None else (0, None)
    ref = remote_ref(source)
    if dest != "-":
        checked(dest, "cannot write")  # '' (an unset "$DEST") is no path: Path('') is the current folder
    svc = out.STATE.service(workers)
    if recursive and range_ is not None:
        raise InvalidInputError("--range takes one object, not --recursive")
    options = {"raw": raw, "sse_c_key_file": sse_c_key_file}
    if recursive:
        _get_prefix(svc, ref, dest, workers, options)
        return
    if not ref.key or ref.key.endswith("/"):
        stored_dir_object(svc, ref, version_id, source, hint="add --recursive")
    _get_one(svc, ref, dest, version_id, workers, options, offset, length)


def _get_one(svc: Any, ref: RemoteRef, dest: str, version_id: str | None, workers: int | None,
             options: dict[str, Any], offset: int, length: int | None) -> None:
    """`get` of one object (bytes `offset`.. `length` of it with --range) to stdout (-), a file, or a
    folder (a `dest` ending in /, made if missing); `options` are raw and sse_c_key_file."""
    if dest == "-":
        svc.download_to_stream(ref.bucket, ref.key, sys.stdout.buffer, version_id=version_id, offset=offset,
                               length=length, **options)
        return
    if dest.endswith(("/", os.sep)):  # `get s3://b/k out/`: out is a folder, made if missing
        _make_folder(Path(dest))
    from its_store.core.models import DownloadRequest
    with out.progress(f"download {ref.key}", None) as advance:
        resp = svc.download_object(DownloadRequest(bucket=ref.bucket, key=ref.key, file_path=Path(dest),
                                                   version_id=version_id, workers=workers, offset=offset,
                                                   length=length, **options), progress=advance)
    part = f" bytes {resp.offset}-{resp.offset + resp.size - 1} of {resp.object_size}" \
        if resp.offset is not None else ""
    out.result(resp, lambda: summary("downloaded", resp.size, resp.duration_seconds, f"{shown(resp.bucket, resp.key)}"
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
    summary("downloaded", result.bytes, result.duration_seconds, where, result.succeeded)


def _make_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalIOError(f"cannot create folder {path}: {exc.strerror}") from None


def stored_dir_object(svc: Any, ref: Any, version_id: str | None, target: str, hint: str | None = None) -> None:
    """A key ending in '/' (or none) that names no stored object names a prefix: InvalidInputError (exit 2,
    `hint`). The rule is service/heads.names_stored_object's, shared with cp/mv (sync/copy)."""
    from its_store.service.heads import names_stored_object
    if names_stored_object(svc.ctx, ref.bucket, ref.key, version_id):
        return
    raise InvalidInputError(f"{target} names a prefix, not an object", hint=hint)


def register(app: typer.Typer) -> None:
    add_commands(app, upload, get)
