"""`sync SRC DEST`: the CLI face of its_store/sync/ (the library does the work: Sync in sync/engine.py).

The options are one typed SyncFlags (its fields are the command's options: cli/base.with_flags); they
become a SyncOptions in `build_options()`, and `make_sync()` builds the Sync object.
"""

import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from its_store.cli import output as out
from its_store.cli.base import LOCAL_PATH, Flags, add_commands, with_flags
from its_store.cli.completion.callbacks import complete_remote
from its_store.core.enums import CompressionType, ObjectType, SseMode
from its_store.core.errors import InvalidInputError

Json = Annotated[bool, out.JsonOption]
_PRINT = threading.Lock()


class SyncFlags(Flags):
    """The options of `sync`, typed, in the order --help lists them (cli/base.with_flags shows each field
    to Typer as one option of the command)."""

    delete: Annotated[bool, typer.Option("--delete", help="Delete from DEST what SRC lacks (never after a "
                                                          "failed, partial or empty source listing).")] = False
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="Print the plan; change nothing.")] = False
    checksum: Annotated[bool, typer.Option("--checksum", "-c", help="Compare content (sha256 / MD5 ETag), "
                                                                    "not mtime.")] = False
    size_only: Annotated[bool, typer.Option("--size-only", help="Compare sizes only.")] = False
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Skip paths matching GLOB (repeatable; "
                                                                        "an exclude always wins).")] = None
    include: Annotated[list[str] | None, typer.Option("--include", help="Only paths matching GLOB (repeatable).")] \
        = None
    max_delete: Annotated[int | None, typer.Option("--max-delete", help="Delete nothing if more than N deletes "
                                                                        "are planned (exit 1).")] = None
    allow_empty_source: Annotated[bool, typer.Option("--allow-empty-source", help="With --delete: an empty "
                                                     "source empties DEST.")] = False
    shard: Annotated[str | None, typer.Option("--shard", help="Only shard K of N (K/N, from 0), by relative path.")] \
        = None
    follow_symlinks: Annotated[bool, typer.Option("--follow-symlinks", help="Follow symbolic links (default: a "
                                                  "link is skipped and reported)")] = False
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, max=256, help="Parallel transfers.")] \
        = None
    type_: Annotated[ObjectType, typer.Option("--type", "-t", help="Object type of uploads.",
                                              case_sensitive=False)] = ObjectType.OTHER
    meta: Annotated[list[str] | None, typer.Option("--meta", "-m", help="Metadata k=v on uploads (repeatable).")] \
        = None
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag k=v on uploads (repeatable).")] = None
    content_type: Annotated[str | None, typer.Option(help="Content-Type of uploads (guessed when absent).")] = None
    part_size: Annotated[str | None, typer.Option(help="Multipart part size, e.g. 16MiB.")] = None
    compress: Annotated[CompressionType | None, typer.Option("--compress", case_sensitive=False,
                                                             help="Codec of uploads, as for upload.")] = None
    level: Annotated[int | None, typer.Option("--level", help="Codec level.")] = None
    sse: Annotated[SseMode | None, typer.Option("--sse", case_sensitive=False,
                                                help="Server-side encryption of uploads: none, s3, c.")] = None
    sse_c_key_file: Annotated[Path | None, typer.Option("--sse-c-key-file", help="SSE-C key file.",
                                                        **LOCAL_PATH)] = None
    source_sse_c_key_file: Annotated[Path | None, typer.Option(
        "--source-sse-c-key-file", help="Between two endpoints: the SSE-C key of the source objects, when it is "
                                        "not the destination's.", **LOCAL_PATH)] = None
    retain: Annotated[str | None, typer.Option("--retain", help="Object lock on uploads: 90d / 1y / a date.")] \
        = None
    retain_mode: Annotated[str | None, typer.Option("--retain-mode", help="governance (default) or "
                                                                          "compliance.")] = None
    legal_hold: Annotated[bool, typer.Option("--legal-hold", help="Uploads under legal hold.")] = False
    no_state: Annotated[bool, typer.Option("--no-state", help="Do not use the local state store: HEAD "
                                                              "every object compared.")] = False
    watch: Annotated[bool, typer.Option("--watch", help="After the first pass keep running: upload each new or "
                                        "changed file once complete (local -> s3 only).")] = False
    settle: Annotated[float, typer.Option("--settle", min=0.0, help="--watch: seconds a file's size and mtime "
                                          "must stay unchanged when the kernel cannot say it was closed.")] = 2.0
    remove_source: Annotated[bool, typer.Option("--remove-source", help="--watch: delete a local file once its "
                                                "upload is verified.")] = False
    remove_after_settle: Annotated[bool, typer.Option("--remove-after-settle", help="--watch --remove-source: also "
                                                      "remove files the kernel cannot say are closed (no read "
                                                      "lease), once unchanged for --settle.")] = False
    metrics_file: Annotated[Path | None, typer.Option("--metrics-file", help="--watch: write Prometheus figures "
                                                      "to FILE (node_exporter textfile, atomic).",
                                                      **LOCAL_PATH)] = None


def build_options(flags: SyncFlags) -> Any:
    """A SyncOptions from the command's flags; bad input raises InvalidInputError (exit 2) here,
    before any request."""
    from its_store.core.lock import upload_lock_fields
    from its_store.core.shard import parse_shard
    from its_store.core.units import parse_pairs, parse_size
    from its_store.sync.filters import Filter
    from its_store.sync.model import SyncOptions, UploadOptions
    f = flags
    if f.checksum and f.size_only:
        raise InvalidInputError("--checksum and --size-only exclude each other")
    if f.max_delete is not None and f.max_delete < 0:
        raise InvalidInputError("--max-delete must be 0 or more")
    upload = UploadOptions(object_type=f.type_, metadata=parse_pairs(f.meta), tags=parse_pairs(f.tag, what="tag"),
                           content_type=f.content_type, compression=f.compress.value if f.compress else None,
                           compression_level=f.level, sse=f.sse.value if f.sse else None,
                           sse_c_key_file=f.sse_c_key_file,
                           part_size=parse_size(f.part_size, what="part size") if f.part_size else None,
                           extra=upload_lock_fields(f.retain, f.retain_mode, f.legal_hold))
    return SyncOptions(mode="checksum" if f.checksum else ("size-only" if f.size_only else "size+mtime"),
                       delete=f.delete, dry_run=f.dry_run, filter=Filter.of(f.include, f.exclude),
                       max_delete=f.max_delete, allow_empty_source=f.allow_empty_source, shard=parse_shard(f.shard),
                       follow_symlinks=f.follow_symlinks, upload=upload, workers=f.workers, state=not f.no_state)


def make_sync(source: str, dest: str, options: Any, workers: int | None = None) -> Any:
    """The library's Sync for this invocation, printing one line per item (stdout) unless --json.
    `source` and `dest` as the library takes them (s3://, a path): see cli/locations.library_text."""
    from its_store.sync.engine import Sync
    return Sync(out.STATE.service(workers), source, dest, options, on_item=item_printer(options.dry_run))


def item_printer(dry_run: bool = False) -> Any:
    """What a Sync calls for each item: a line on stdout; none with --json (which prints the report), nor
    with -q, as upload -r and cp -r say nothing per item then (each failure is still named on stderr:
    _failure_lines); but a --dry-run's lines are its plan, the output asked for (as `rm -r --dry-run -q`
    lists its keys): printed, skips hidden."""
    if out.STATE.json or (out.STATE.quiet and not dry_run):
        return None
    return _item_line


_VERBS = {"copied": "copy", "deleted": "delete", "skipped": "skip", "failed": "FAIL"}


def _item_line(kind: str, item: Any) -> None:
    """One line per item; control characters in names are escaped (out.row) so that a line is one item."""
    if kind == "skipped" and out.STATE.quiet:
        return
    reason = (f"{item.reason} (hidden behind a delete marker)" if item.delete_marker else
              f"{item.reason} (perhaps kept behind a delete marker: versioning unknown)"
              if item.delete_marker is None else item.reason)
    with _PRINT:
        out.row(_VERBS[kind], item.path, reason)


@with_flags(SyncFlags)
def sync(
    source: Annotated[str, typer.Argument(help="A local folder or s3://BUCKET/PREFIX/.",
                                          autocompletion=complete_remote)],
    dest: Annotated[str, typer.Argument(help="A local folder or s3://BUCKET/PREFIX/.",
                                        autocompletion=complete_remote)],
    flags: SyncFlags,
    json_: Json = False,
) -> None:
    """Make DEST like SRC: copy what is missing or differs (size and mtime by default), optionally delete
    what SRC lacks. Local -> s3, s3 -> local, s3 -> s3 (server-side; between two endpoints, streamed).

    Example: its-store sync ./frames s3://its-video/camera_001/ --delete --exclude '*.tmp'
    """
    options = build_options(flags)
    from its_store.cli.locations import cross_endpoint, library_text, pair, source_key
    src, dst, cross = pair(source, dest)
    if cross and flags.watch:
        raise InvalidInputError("--watch uploads a local folder to one endpoint",
                                hint="use `sync DIR NAME:BUCKET/PREFIX/ --watch`")
    options.upload.extra.update(source_key(cross, flags.source_sse_c_key_file))  # read by the copy between endpoints
    if flags.watch:
        from its_store.cli.watch_cli import run_watch
        run_watch(library_text(src), library_text(dst), options, settle=flags.settle,
                  remove_source=flags.remove_source, metrics_file=flags.metrics_file, workers=flags.workers,
                  remove_after_settle=flags.remove_after_settle)
        return
    if flags.remove_source or flags.remove_after_settle or flags.metrics_file is not None:
        raise InvalidInputError("--remove-source, --remove-after-settle and --metrics-file go with --watch")
    report: Any  # a SyncReport either way
    if cross:
        report = cross_endpoint("sync", src, dst, options=options, workers=flags.workers,
                                on_item=item_printer(options.dry_run))
    else:
        report = make_sync(library_text(src), library_text(dst), options, flags.workers).run()
    report.source, report.dest = source, dest  # as typed: NAME:B/P, not the s3:// the library took
    finish(report)


def finish(report: Any) -> None:
    """Print the report (JSON document, or a summary on stderr) and exit with its code."""
    out.result(report, lambda: _summary(report))
    code = report.exit_code
    if code:
        raise typer.Exit(code)


def _summary(report: Any) -> None:
    from its_store.core.units import human_duration, human_size
    t = report.totals
    verb = "would copy" if report.dry_run else "copied"
    gone = f"{'would delete' if report.dry_run else 'deleted'} {t.deleted}"
    if report.delete_markers and t.deleted:  # versioned: nothing freed, the data stays stored
        gone = (f"{'would hide' if report.dry_run else 'hid'} {t.deleted} behind delete markers "
                f"({human_size(t.deleted_bytes)} still stored)")
    elif report.delete_markers is None and t.deleted:  # the versioning could not be read
        gone += " (perhaps only hidden behind delete markers: the bucket's versioning could not be read)"
    out.talk(f"{verb} {t.copied} ({human_size(t.copied_bytes)}), {gone}, "
             f"unchanged {t.unchanged}, skipped {t.skipped}, failed {t.failed} "
             f"in {human_duration(report.duration_seconds)}")
    _failure_lines(report)
    if report.delete_refused:
        out.error("delete_refused", f"deleted nothing: {report.delete_refused}")


FAILURES_SHOWN = 100  # on stderr at the end; beyond, a count (each is a FAIL line on stdout anyway)


def _failure_lines(report: Any) -> None:
    """Each failed item again on stderr after the summary, `failed: PATH: reason` (escaped), as cp -r says
    it: the FAIL lines are on stdout with the data (not with -q), which a cron job sends to a file, so that
    without these its stderr would say "failed 1" and not why. Shown with -q too (they are errors)."""
    for item in report.failed[:FAILURES_SHOWN]:
        out.stderr_line(f"failed: {item.path}: {item.reason}")
    more = report.totals.failed - min(len(report.failed), FAILURES_SHOWN)
    if more > 0:
        where = "--json lists them" if out.STATE.quiet else "each is a FAIL line on stdout; --json lists them"
        out.stderr_line(f"failed: {more} more ({where})")


def register(app: typer.Typer) -> None:
    add_commands(app, sync)
