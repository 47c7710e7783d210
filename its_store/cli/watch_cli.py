"""The CLI side of `sync DIR s3://B/PREFIX/ --watch`: build the Watcher, print its events, exit.

Human lines go to stderr (one per event, never `\\r`: a watcher runs under systemd or into a log
file); with --json each event is one JSON Lines document on stdout. Exit 0 after SIGTERM, 129 after
SIGHUP, 130 after Ctrl-C (SIGINT), 1 when the file events stopped, 78 when --remove-source would have to remove files on
the settle rule alone and --remove-after-settle was not given.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import typer

from its_store.cli import output as out

_PRINT = threading.Lock()


def run_watch(source: str, dest: str, options: Any, *, settle: float, remove_source: bool,
              metrics_file: Path | None, workers: int | None, remove_after_settle: bool = False) -> None:
    """Run the watcher in the foreground until a signal; raises typer.Exit with its exit code."""
    from its_store.sync.watch_report import WatchEvent, format_json, format_line
    from its_store.sync.watch_serve import serve, watcher_for
    as_json, quiet = out.STATE.json, out.STATE.quiet

    def on_event(event: WatchEvent) -> None:
        if quiet and not as_json and event.event in ("uploaded", "backlog", "pass"):
            return
        with _PRINT:
            if as_json:
                out.json_line(format_json(event))
            else:  # format_line escaped each field already (core/refs.printable)
                out.stderr_line(format_line(event), escaped=True)

    service = out.STATE.service(workers)
    watcher = watcher_for(service, source, dest, options, settle=settle, remove_source=remove_source,
                          remove_after_settle=remove_after_settle, metrics_file=metrics_file, on_event=on_event,
                          workers=workers)  # None: adaptive up to MINIO_MAX_WORKERS when set, else 16
    from its_store.cli.logs import stamped
    from its_store.sync.watch_report import now_iso
    try:
        with stamped(now_iso):  # a warning (the audit log not written) is one more line of its log
            code = serve(watcher)
    finally:
        service.close()
    if code:
        raise typer.Exit(code)
