"""What the watcher tells: one event per line (human or JSON Lines), and its figures for Prometheus.

Events are pydantic models (one class per kind, EVENTS; `--json` prints each one's model_dump) with
`event` and `time` (UTC, ISO 8601, milliseconds) and, per kind:
  started {folder, bucket, prefix, owed, close_check, complete, lease, lease_reason, settle, workers}
  uploaded {key, size, seconds, removed} · failed {key, reason, code} · vanished {key}
  kept {key, reason} (--remove-source did not delete) · skipped {key, reason} (a symbolic link not
  followed, not a regular file) · settling {key, seconds, reason} (no read lease for this file: it is
  complete once unchanged for `seconds`) · backlog {files} · unreachable {retry_in, reason} · online {}
  pass {ok, reason?} · rescanning {reason} (the kernel watch cannot hold: a name that is not UTF-8;
  the folder is scanned for changes instead, watch_events.py) · stopped {backlog, signal}
`complete` is the rule in words ("closed (read lease)", "settled 2 s (no read lease: ...)"); `lease` is
all | own | unknown | none | off (watch_files.LeaseSupport).
The human line is `TIME EVENT FIELDS...` (e.g. `... uploaded cam1/f.jpg 183412 0.021`), never with `\\r`:
keys are printed with Python escapes when they hold control characters, so one event is one line.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

from its_store.core.models import Result


class WatchEvent(Result):
    """One line the watcher tells: what happened (`event`) and when (`time`, UTC ISO 8601, milliseconds)."""

    event: str
    time: str


class Started(WatchEvent):
    """The watcher started: what it watches, the files still owed from an earlier run, and its rule for
    when a file is complete (`complete`, in words; `lease`: all | own | unknown | none | off)."""

    event: Literal["started"] = "started"
    folder: str
    bucket: str
    prefix: str
    owed: int
    close_check: bool
    complete: str
    lease: str
    lease_reason: str | None = None
    settle: float
    workers: int | None = None  # uploads at once at most (the ceiling: --workers, MINIO_MAX_WORKERS or 16)


class Uploaded(WatchEvent):
    """A file was uploaded (and, with --remove-source, `removed`)."""

    event: Literal["uploaded"] = "uploaded"
    key: str
    size: int
    seconds: float
    removed: bool = False


class Failed(WatchEvent):
    """A file's upload failed (it is tried again), or the watcher could not do something."""

    event: Literal["failed"] = "failed"
    key: str
    reason: str | None = None
    code: str | None = None


class Vanished(WatchEvent):
    """A file went away before it could be sent."""

    event: Literal["vanished"] = "vanished"
    key: str


class Kept(WatchEvent):
    """--remove-source did not delete this file, and why."""

    event: Literal["kept"] = "kept"
    key: str
    reason: str | None = None


class Skipped(WatchEvent):
    """A name not uploaded: a symbolic link not followed, not a regular file..."""

    event: Literal["skipped"] = "skipped"
    key: str
    reason: str | None = None


class Settling(WatchEvent):
    """No read lease for this file: it is complete once unchanged for `seconds`."""

    event: Literal["settling"] = "settling"
    key: str
    seconds: float
    reason: str | None = None


class Backlog(WatchEvent):
    """Files seen and not yet uploaded."""

    event: Literal["backlog"] = "backlog"
    files: int


class Unreachable(WatchEvent):
    """The server does not answer; the next try is in `retry_in` seconds."""

    event: Literal["unreachable"] = "unreachable"
    retry_in: float
    reason: str | None = None


class Online(WatchEvent):
    """The server answers again."""

    event: Literal["online"] = "online"


class Pass(WatchEvent):
    """The first pass over the folder is done (`ok`), or failed (`reason`)."""

    event: Literal["pass"] = "pass"
    ok: bool
    reason: str | None = None


class Rescanning(WatchEvent):
    """The kernel watch cannot hold (a name that is not UTF-8): the folder is scanned for changes instead."""

    event: Literal["rescanning"] = "rescanning"
    reason: str


class Stopped(WatchEvent):
    """The watcher stopped: files still owed, the signal that stopped it, and how many uploads in flight it
    abandoned (a server that did not answer within watch.STOP_GRACE; those files are in the backlog)."""

    event: Literal["stopped"] = "stopped"
    backlog: int
    signal: str | None = None
    abandoned: int = 0


EVENTS: dict[str, type[WatchEvent]] = {
    "started": Started, "uploaded": Uploaded, "failed": Failed, "vanished": Vanished, "kept": Kept,
    "skipped": Skipped, "settling": Settling, "backlog": Backlog, "unreachable": Unreachable, "online": Online,
    "pass": Pass, "rescanning": Rescanning, "stopped": Stopped}


def event(kind: str, **fields: Any) -> WatchEvent:
    """The event of `kind` with its fields, timed now."""
    return EVENTS[kind](time=now_iso(), **fields)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _safe(text: Any) -> str:
    from its_store.core.refs import printable
    return printable(text)  # \n, \r, \t and the like become escapes: one event stays one line


_ORDER = {
    "uploaded": ("key", "size", "seconds"),
    "failed": ("key", "reason"),
    "vanished": ("key",),
    "kept": ("key", "reason"),
    "skipped": ("key", "reason"),
    "backlog": ("files",),
    "stopped": ("backlog", "signal"),
    "rescanning": ("reason",),
}


def format_line(event: WatchEvent) -> str:
    """The human log line of one event (no trailing newline)."""
    kind = str(event["event"])  # a WatchEvent, or its dict (tests)
    stamp = str(event.get("time", ""))
    if kind == "unreachable":
        return f"{stamp} server unreachable, retry in {event['retry_in']:g}s ({_safe(event.get('reason', ''))})"
    if kind == "online":
        return f"{stamp} back online"
    if kind == "started":
        complete = event.get("complete") or ("closed" if event["close_check"] else "settled")
        most = f", up to {event['workers']} uploads at once" if event.get("workers") else ""
        return (f"{stamp} watching {_safe(event['folder'])} -> s3://{event['bucket']}/{_safe(event['prefix'])} "
                f"(owed {event['owed']}, complete = {_safe(complete)}{most})")
    if kind == "settling":
        return (f"{stamp} settling {_safe(event['key'])} {event['seconds']:g}s "
                f"(no read lease: {_safe(event['reason'])})")
    if kind == "pass":
        return f"{stamp} first pass {'done' if event.get('ok') else 'failed'}: {_safe(event.get('reason') or '')}"
    if kind == "stopped" and event.get("abandoned"):
        return (f"{stamp} stopped {event['backlog']} {event.get('signal') or ''} "
                f"(abandoned {event['abandoned']} upload(s) the server did not finish; still owed)")
    if kind == "uploaded":
        tail = " removed" if event.get("removed") else ""
        return f"{stamp} uploaded {_safe(event['key'])} {event['size']} {event['seconds']:.3f}{tail}"
    if kind == "failed" and not event.get("key"):  # the watcher's own failure (file events stopped): no file
        return f"{stamp} failed: {_safe(event.get('reason') or '')}"
    parts = [stamp, kind]
    parts += [_safe(event[name]) for name in _ORDER.get(kind, ()) if event.get(name) not in (None, "")]
    return " ".join(parts)


def format_json(event: WatchEvent) -> str:
    """The JSON line of one event: its model_dump(mode="json"), compact."""
    return json.dumps(event.model_dump(mode="json"), ensure_ascii=True, separators=(",", ":"))


@dataclass
class WatchFigures:
    """The watcher's own figures (thread-safe): sent files and bytes, errors, backlog, last success."""

    files: int = 0
    bytes: int = 0
    errors: int = 0
    removed: int = 0
    backlog: int = 0
    last_success: float = 0.0  # unix time; 0 = never
    online: bool = True
    started: float = field(default_factory=time.time)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def sent(self, nbytes: int, removed: bool) -> None:
        with self._lock:
            self.files += 1
            self.bytes += nbytes
            self.removed += int(removed)
            self.last_success = time.time()

    def failed(self) -> None:
        with self._lock:
            self.errors += 1

    def snapshot(self) -> Figures:
        """The figures at one moment (taken under the lock: consistent with each other)."""
        with self._lock:
            return Figures(self.files, self.bytes, self.errors, self.removed, self.backlog, self.online,
                           self.last_success, self.started)


class Figures(NamedTuple):
    """WatchFigures at one moment, as Prometheus is told them."""

    files: int
    bytes: int
    errors: int
    removed: int
    backlog: int
    online: bool
    last_success: float
    started: float


def to_prometheus(fig: WatchFigures, prefix: str = "its_store_watch") -> str:
    """node_exporter textfile format of the watcher's figures (this process since it started)."""
    d = fig.snapshot()
    rows = [
        ("files_total", "counter", "Files uploaded by the watcher since it started.", d.files),
        ("bytes_total", "counter", "Bytes uploaded by the watcher since it started.", d.bytes),
        ("errors_total", "counter", "Uploads that failed (each attempt) since the watcher started.", d.errors),
        ("removed_total", "counter", "Local files removed after a verified upload (--remove-source).", d.removed),
        ("backlog_files", "gauge", "Files seen and not yet uploaded (the journal).", d.backlog),
        ("up", "gauge", "1 while the server answers, 0 while it is unreachable.", int(d.online)),
        ("last_success_timestamp_seconds", "gauge", "Unix time of the last successful upload (0: none).",
         d.last_success or 0),
        ("start_timestamp_seconds", "gauge", "Unix time the watcher started.", d.started),
    ]
    lines: list[str] = []
    for name, kind, help_, value in rows:
        lines += [f"# HELP {prefix}_{name} {help_}", f"# TYPE {prefix}_{name} {kind}",
                  f"{prefix}_{name} {value if isinstance(value, int) else f'{value:.3f}'}"]
    return "\n".join(lines) + "\n"


def write_metrics(fig: WatchFigures, path: Path) -> None:
    """Write the textfile atomically (node_exporter never reads half a file); never raises."""
    from its_store.core.errors import ItsStoreError
    from its_store.core.files import write_atomic
    try:
        write_atomic(path, to_prometheus(fig), 0o644)
    except (OSError, ItsStoreError):  # metrics must never stop the uploads
        pass


def publish(fig: WatchFigures, stats: Any, metrics_file: Path | None) -> None:
    """The figures to the stats module (`its-store stats --prometheus`: state/stats.StorageStats, or None)
    and to --metrics-file (None: none)."""
    if stats is not None:
        stats.set_gauge("watch_backlog_files", fig.backlog)
        stats.set_gauge("watch_up", int(fig.online))
        stats.set_gauge("watch_last_success_timestamp_seconds", round(fig.last_success, 3))
    if metrics_file is not None:
        write_metrics(fig, metrics_file)
