"""`verify`: the integrity scrub of a prefix, and a folder compared with a prefix."""

from pathlib import Path
from typing import Annotated, Any

import typer

from its_store.cli import output as out
from its_store.cli.base import add_commands
from its_store.core.errors import InvalidInputError
from its_store.core.units import human_duration, human_size


def verify(
    target: Annotated[str, typer.Argument(help="s3://BUCKET/KEY, s3://BUCKET/PREFIX with -r, or a LOCAL_DIR.")],
    remote: Annotated[str | None, typer.Argument(help="With a LOCAL_DIR: the s3://BUCKET/PREFIX/ to compare.")]
    = None,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Every object under the prefix.")] = False,
    shard: Annotated[str | None, typer.Option(help="Only shard K of N (K/N, from 0), by key.")] = None,
    newer_than: Annotated[str | None, typer.Option(
        help="Only objects modified within this long (7d, 12h) or since this date.")] = None,
    older_than: Annotated[str | None, typer.Option(
        help="Only objects modified longer ago than this (7d) or before this date.")] = None,
    download: Annotated[bool, typer.Option(
        "--download", help="Folder compare: read objects with no recorded hash and compare the bytes.")] = False,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, max=256,
                                                help="Objects checked at once.")] = None,
    json_: Annotated[bool, out.JsonOption] = False,
) -> None:
    """Re-read objects and check them against the SHA-256 recorded at upload (else an MD5 ETag).

    Prints corrupt, unreadable and unverifiable objects (one line each) and a summary. Exit 4 if any
    object is corrupt; else the read error's exit code (1 if they differ) if any is unreadable; an
    unverifiable object alone is exit 0. With a LOCAL_DIR and a prefix: compare them like `rclone
    check` (missing on either side, different content: exit 4).

    Example: its-store verify s3://its-video/cam_042/ -r --newer-than 7d --json
    """
    from its_store.cli.locations import locate
    if remote is not None:
        _compare(target, remote, download, workers, (shard, newer_than, older_than))
        return
    ref = locate(target).ref
    if ref is None:
        raise InvalidInputError(f"{target} is not s3://BUCKET/KEY (or NAME:BUCKET/KEY)",
                                hint="to compare a folder: its-store verify LOCAL_DIR s3://BUCKET/PREFIX/")
    if download:
        raise InvalidInputError("--download compares a folder with a prefix: give LOCAL_DIR s3://BUCKET/PREFIX/")
    if not recursive and (not ref.key or ref.key.endswith("/")):
        raise InvalidInputError(f"{target} is a prefix: add -r to verify every object under it")
    from its_store.core.refs import folder_prefix
    from its_store.core.shard import parse_shard
    from its_store.service.scrub import parse_when, scrub
    chosen = parse_shard(shard)
    newer, older = parse_when(newer_than, "--newer-than"), parse_when(older_than, "--older-than")
    svc = out.STATE.service(workers)
    with out.progress(f"verify {target}", None) as advance:
        where = folder_prefix(ref.key) if recursive else ref.key  # -r p/cam1: the folder p/cam1/, as rm -r, du, get -r
        report = scrub(svc, ref.bucket, where, recursive=recursive, shard=chosen, newer_than=newer,
                       older_than=older, workers=workers, progress=advance)
    out.result(report, lambda: _scrub_human(report))
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _scrub_human(report: Any) -> None:
    from its_store.cli.locations import shown
    lines = []
    for status in ("corrupt", "unreadable", "unverifiable"):
        for o in report.problems[status]:
            detail = (f"{o.method} expected {o.expected}, got {o.actual}" if status == "corrupt" and o.actual
                      else (o.reason or ""))
            lines.append(f"{status:<12}  {shown(report.bucket, o.key)}  {detail}")
    out.lines(lines)
    c = report.counts
    by = ", ".join(f"{n} by {m}" for m, n in sorted(report.verified_by.items()))
    out.talk(f"{report.objects} objects ({human_size(report.bytes_read)} read in "
             f"{human_duration(report.duration_seconds)}): {c['ok']} ok{f' ({by})' if by else ''}, "
             f"{c['corrupt']} corrupt, {c['unreadable']} unreadable, {c['unverifiable']} unverifiable")


def _compare(local: str, remote: str, download: bool, workers: int | None, filters: tuple[Any, ...]) -> None:
    from its_store.cli.locations import locate
    from its_store.core.remotes import parse_location
    from its_store.service.scrub_local import compare
    if any(f is not None for f in filters):
        raise InvalidInputError("--shard, --newer-than and --older-than apply to a scrub, not to a folder compare")
    folder, prefix = parse_location(local, local_ok=True), locate(remote)
    ref = prefix.ref
    if not folder.is_local or ref is None:
        raise InvalidInputError("compare a folder with a prefix: its-store verify LOCAL_DIR s3://BUCKET/PREFIX/")
    svc = out.STATE.service(workers)
    report = compare(svc, Path(local), ref.bucket, ref.key, download=download, workers=workers)
    out.result(report, lambda: _compare_human(report))
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _compare_human(report: Any) -> None:
    from its_store.cli.locations import shown
    lines = []
    for status, entries in report.names.items():
        for e in entries:
            name = e.path if status == "missing_remote" else e.key
            lines.append(f"{status:<14}  {name}  {e.reason or ''}".rstrip())
    out.lines(lines)
    c = report.counts
    out.talk(f"{report.local} vs {shown(report.bucket, report.prefix)}: {c['same']} same, {c['different']} "
             f"different, {c['missing_local']} only remote, {c['missing_remote']} only local, "
             f"{c['unverifiable']} unverifiable, {c['unreadable']} unreadable")


def register(app: typer.Typer) -> None:
    """Add the top-level `verify` command."""
    add_commands(app, verify)
