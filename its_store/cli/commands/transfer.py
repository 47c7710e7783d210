"""`cp`, `mv` and `du`: copies and moves between locations, sizes of prefixes (its_store/sync/copy.py,
its_store/service/usage.py)."""

from pathlib import Path
from typing import Annotated, Any

import typer

from its_store.cli import output as out
from its_store.cli.base import LOCAL_PATH, add_commands
from its_store.cli.completion.callbacks import complete_remote
from its_store.core.refs import folder_prefix
from its_store.core.units import human_duration, human_size

Json = Annotated[bool, out.JsonOption]
Workers = Annotated[int | None, typer.Option("--workers", "-w", min=1, max=256,
                                             help="Objects or files copied at once.")]
Recursive = Annotated[bool, typer.Option("--recursive", "-r", help="Everything under a prefix / folder.")]
Shard = Annotated[str | None, typer.Option(
    "--shard", help="With -r: only shard K of N (K/N, from 0), by the key or path below SRC.")]
SseCKeyFile = Annotated[Path | None, typer.Option(
    "--sse-c-key-file", help="SSE-C key for uploads/downloads (raw, base64 or hex). Else MINIO_SSE_C_KEY(_FILE).",
        **LOCAL_PATH)]
SourceSseCKeyFile = Annotated[Path | None, typer.Option(
    "--source-sse-c-key-file", help="Between two endpoints: the SSE-C key of the source objects, when it is not "
                                    "the destination's (--sse-c-key-file, else that endpoint's MINIO_SSE_C_KEY).",
                                        **LOCAL_PATH)]
FollowSymlinks = Annotated[bool, typer.Option(
    "--follow-symlinks", help="Follow symbolic links (default: a link is skipped and reported).")]
Src = Annotated[str, typer.Argument(help="s3://BUCKET/KEY (PREFIX/ with -r) or a local file (folder with -r).",
                                    autocompletion=complete_remote)]
Dest = Annotated[str, typer.Argument(help="s3://BUCKET/KEY, s3://BUCKET/PREFIX/, or a local file or folder.",
                                     autocompletion=complete_remote)]


def _run(src: str, dest: str, *, recursive: bool, move: bool, shard: str | None, workers: int | None,
         sse_c_key_file: Path | None, source_sse_c_key_file: Path | None = None,
         follow_symlinks: bool = False) -> None:
    from its_store.cli.locations import cross_endpoint, library_text, pair, source_key
    from its_store.core.shard import parse_shard
    from its_store.sync.copy import Copier
    part = parse_shard(shard)
    source, target, cross = pair(src, dest)
    options: dict[str, Any] = {"sse_c_key_file": sse_c_key_file} if sse_c_key_file else {}
    options.update(source_key(cross, source_sse_c_key_file))
    if cross:
        result: Any = cross_endpoint("mv" if move else "cp", source, target, recursive=recursive, move=move,
                                     shard=part, workers=workers, options=options, follow_symlinks=follow_symlinks)
    else:
        svc = out.STATE.service(workers)
        copier = Copier(svc, workers=workers, options=options, follow_symlinks=follow_symlinks)
        result = copier.copy(library_text(source), library_text(target), recursive=recursive, move=move,
                             shard=part)
    if not recursive and result.errors and not result.objects:
        raise result.exceptions[0]  # one object: its own error, as `upload` and `get` give it (no report)
    out.result(result, lambda: _human(result, src, dest))
    result.raise_for_failures()


def _human(result: Any, src: str, dest: str) -> None:
    for err in result.errors:
        out.stderr_line(f"failed: {err.key}: {err.message}")
    skipped_lines(result)
    verb = "moved" if result.action == "move" else "copied"
    rate = f", {human_size(result.bytes / result.duration_seconds)}/s" \
        if result.duration_seconds > 0 and result.bytes else ""
    skips = f", {result.skipped} skipped" if result.skipped else ""
    out.talk(f"{verb} {src} → {dest} ({result.succeeded} objects, {human_size(result.bytes)} in "
             f"{human_duration(result.duration_seconds)}{rate}{skips})")
    if result.delete_markers:  # mv out of a versioned bucket: the sources were hidden, not erased
        out.talk(f"versioned bucket: the sources are hidden behind delete markers, not erased; "
                 f"{human_size(result.still_stored_bytes)} still stored (rm --all-versions erases them)")
    if any(item.delete_conditional is False for item in result.objects):  # once a run, never once an object
        out.talk("note: the source's server ignores (or rejects) If-Match on DELETE and its bucket keeps no "
                 "versions, or whether it honours it is unknown (the key may not delete the probe that tells, or "
                 "the probe's answer told nothing): each source was checked (HEAD) just before its DELETE, but an "
                 "object written in that last moment could be deleted too (where If-Match is ignored, versioning on "
                 "the bucket makes a move exact)")


def skipped_lines(result: Any) -> None:
    """One line per item not copied: a key with no safe local name (core/refs.local_name_problem), a
    local file that is a link not followed, a FIFO, a device (sync/walk.py)."""
    for item in result.skipped_items:
        out.talk(f"skipped: {item.key or item.path}: {item.reason}")


def cp(src: Src, dest: Dest, recursive: Recursive = False, shard: Shard = None, workers: Workers = None,
       sse_c_key_file: SseCKeyFile = None, source_sse_c_key_file: SourceSseCKeyFile = None,
       follow_symlinks: FollowSymlinks = False, json_: Json = False) -> None:
    """Copy an object or file; s3 to s3 is a server-side copy keeping metadata and tags.

    Local to s3 uploads, s3 to local downloads (verified as `upload` and `get`). Between two endpoints
    (NAME:BUCKET/KEY, s3://) the bytes stream through its-store with their metadata and tags, checked
    against the source's checksum. A failed item is reported and the rest go on; the exit code is
    non-zero if any failed.

    Example: its-store cp s3://its-video/camera_001/ s3://its-archive/2024-08/camera_001/ -r
    """
    _run(src, dest, recursive=recursive, move=False, shard=shard, workers=workers, sse_c_key_file=sse_c_key_file,
         source_sse_c_key_file=source_sse_c_key_file, follow_symlinks=follow_symlinks)


def mv(src: Src, dest: Dest, recursive: Recursive = False, shard: Shard = None, workers: Workers = None,
       sse_c_key_file: SseCKeyFile = None, source_sse_c_key_file: SourceSseCKeyFile = None,
       follow_symlinks: FollowSymlinks = False, json_: Json = False) -> None:
    """Move: copy, verify the copy, then delete the source (a local file or an object).

    Nothing is deleted whose copy was not verified; such an item is reported as failed.

    Example: its-store mv ./outbox/ s3://its-video/camera_001/ -r
    """
    _run(src, dest, recursive=recursive, move=True, shard=shard, workers=workers, sse_c_key_file=sse_c_key_file,
         source_sse_c_key_file=source_sse_c_key_file, follow_symlinks=follow_symlinks)


def du(
    target: Annotated[str, typer.Argument(help="s3://BUCKET[/PREFIX]", autocompletion=complete_remote)],
    depth: Annotated[int, typer.Option("--depth", "-d", min=0, help="Also show folders this many levels down "
                                                                    "(0: the total only).")] = 0,
    versions: Annotated[bool, typer.Option("--versions", help="Count noncurrent versions and delete "
                                                              "markers (0 bytes) too.")] = False,
    json_: Json = False,
) -> None:
    """Bytes and object counts under a prefix; with --depth, per folder (each with everything below it).

    Example: its-store du s3://its-video/ --depth 1
    """
    from its_store.cli.locations import remote_ref
    ref = remote_ref(target)
    prefix = folder_prefix(ref.key)  # the folder ref.key/ (core/refs.py)
    report = out.STATE.service().disk_usage(ref.bucket, prefix, depth=depth, versions=versions)
    out.result(report, lambda: _du_human(report))


def _du_human(report: Any) -> None:
    from its_store.cli.locations import shown
    def line(usage: Any, name: str) -> str:
        extra = ""
        if report.versions:
            extra = (f"  {usage.noncurrent} noncurrent ({human_size(usage.noncurrent_bytes or 0)}), "
                     f"{usage.delete_markers} delete markers")
        return f"{human_size(usage.bytes):>10}  {usage.objects:>8} objects  {name}{extra}"

    rows = [line(u, shown(report.bucket, u.prefix)) for u in report.prefixes]
    rows.append(line(report.total, f"{shown(report.bucket, report.prefix)}  (total)"))
    out.lines(rows)


def register(app: typer.Typer) -> None:
    """cp, mv, du as top-level commands."""
    add_commands(app, cp, mv, du)
