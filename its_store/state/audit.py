"""Audit log: one JSON line per mutating operation, appended to a local file (MINIO_AUDIT_LOG).

Every line: time (UTC, ISO 8601), operation, bucket, key, version_id, size, result ("ok" or "error"),
error (an error code, when result is "error"), access_key_id (never the secret), host, pid, endpoint;
on a named remote's endpoint also remote (its name), and reached through a proxy also server (the endpoint
and the proxy's origin: Settings.server_id, which tells two boxes at one address apart); plus any extra
fields the caller gives. Appends are safe across processes and threads: the file is
opened with O_APPEND and each line goes out in ONE write() call, so lines never interleave.

Who calls it: the storage Context's one recorder of an operation, `ctx.op(...)` (service/context.py), for the
library's and the registry's writes alike. For a script's own operations the module keeps two public calls:

    from its_store.state import audit
    audit.record(settings, "tag", bucket=b, key=k, version_id=v)          # or service.audit.record(...)
    with audit.recording(service.audit, "promote", bucket=b, key=k) as entry:
        ...; entry["version_id"] = vid                                      # ok/error filled in for you

A failure to write the audit log never fails the operation it describes (it has happened: its result
stands, and a script must not do it again), but it is never silent either: it is logged as an ERROR on the
`its_store.state.audit` logger, which the CLI prints as one `its-store: error: ...` line on stderr even
with -q, once per process, and the lines lost are counted (`take_lost`). The custody chain of the evidence
has a gap then, which a script that checks only the exit code must see: a command that would have ended
with 0 ends with its own code, 74 (core/errors.EXIT_AUDIT_LOST: "done, but its audit line is lost", never
"failed"); a command that failed keeps its own code. The log is opened without
blocking and without following a link, and only a regular file is written (core/statefile.py).
Shipping the log to MINIO_LOGS_BUCKET is state/ship.py.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core.forks import current_pid
from its_store.state import flush_rule
from its_store.state.audit_read import AuditRecord as AuditRecord  # public here (docs/schema, scripts)
from its_store.state.audit_read import AuditTail as AuditTail
from its_store.state.audit_read import parse_line, tail_lines

if TYPE_CHECKING:
    from its_store.core.settings import Settings

log = logging.getLogger("its_store.state.audit")
logging.getLogger("its_store").addHandler(logging.NullHandler())

MUTATING = ("upload", "rm", "restore", "tag", "untag", "lifecycle", "versioning", "encryption",
            "model_register", "model_promote", "model_rm", "bucket_create", "bucket_rm")
_quote = json.encoder.encode_basestring  # the str encoder _ENCODER itself calls (ensure_ascii=False)
_HEAD = frozenset({"time", "operation", "bucket", "key", "version_id", "size", "result", "error", "access_key_id",
                   "host", "pid", "endpoint"})


def _json(value: Any) -> str:
    """The JSON text _ENCODER writes for `value` inside a line: str, None and int spelled out (most of a
    line's values), anything else (bool, float, a subclass, a container, default=str) by _ENCODER itself."""
    kind = type(value)
    if kind is str:
        return _quote(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    return _ENCODER.encode(value)


# json.dumps with options builds an encoder per call; a line per camera frame pays that (~40 % of the encode)
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"))


def _now() -> str:
    """The line's time, UTC with milliseconds (2024-05-01T12:00:00.123Z): _stamp of the system clock."""
    return _stamp(time.time_ns())


def _stamp(ns: int) -> str:
    """The text `datetime.now(UTC).isoformat(timespec="milliseconds")` gives at `ns` nanoseconds since the
    epoch (both floor), with Z: at a sixth of its cost, as the seconds' text is made once per second (a line
    per camera frame paid ~3 us for it)."""
    global _SECOND
    seconds, nanos = divmod(ns, 1_000_000_000)
    stamp = _SECOND
    if stamp[0] != seconds:  # one tuple, replaced whole: another thread reads the old one or the new
        stamp = _SECOND = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return f"{stamp[1]}.{nanos // 1_000_000:03d}Z"


_SECOND: tuple[int, str] = (-1, "")


def _error_code(error: Any) -> str | None:
    if error is None:
        return None
    if isinstance(error, str):
        return error
    return str(getattr(error, "code", None) or type(error).__name__)


class AuditLog:
    """Appends audit lines for one identity (access key id, endpoint, remote, server) to one file."""

    def __init__(self, path: Path, *, access_key: str, endpoint: str, secret: str | None = None,
                 remote: str | None = None, server: str | None = None) -> None:
        self.path = Path(path)
        self.access_key = access_key
        self.endpoint = endpoint
        # written only when there is something to say: a default endpoint's lines are as they always were
        self.identity = {"remote": remote} if remote else {}
        if server and server != endpoint:
            self.identity["server"] = server
        self.host = socket.gethostname()
        self._secret = secret or None  # only to scrub it from lines, defence in depth; never written
        self._warned = False
        self._lock = threading.Lock()
        self._same: tuple[tuple[Any, ...], str, frozenset[str]] | None = None  # _same_fields, made once

    def record(self, operation: str, *, bucket: str | None = None, key: str | None = None,
               version_id: str | None = None, size: int | None = None, ok: bool = True,
               error: Any = None, **details: Any) -> AuditRecord:
        """Append one line and return it (the fields as given; the line holds their JSON text). When ok is
        False and no error is given, the exception being handled (e.g. inside a `finally:`) supplies the
        error code. Never raises for the log's sake: see _append."""
        entry = self.entry(operation, bucket=bucket, key=key, version_id=version_id, size=size, ok=ok, error=error,
                           **details)
        self._append(self.encode(entry))
        return AuditRecord.model_construct(**entry)  # built here: nothing to check, and nothing may fail now

    def entry(self, operation: str, *, bucket: str | None = None, key: str | None = None,
              version_id: str | None = None, size: int | None = None, ok: bool = True,
              error: Any = None, **details: Any) -> dict[str, Any]:
        """The fields of one line, stamped now (record() for what each means)."""
        return self.entry_of(operation, {"bucket": bucket, "key": key, "version_id": version_id, "size": size,
                                         **details}, ok=ok, error=error)

    def entry_of(self, operation: str, fields: dict[str, Any], *, ok: bool = True,
                 error: Any = None) -> dict[str, Any]:
        """entry(operation, ok=ok, error=error, **fields), from the dict the caller holds (a batch's line
        per camera frame: its fields are not unpacked into keywords and packed again on the way)."""
        if not ok and error is None:
            error = sys.exc_info()[1]
        get = fields.get
        entry: dict[str, Any] = {
            "time": _now(), "operation": operation, "bucket": get("bucket"), "key": get("key"),
            "version_id": get("version_id"), "size": get("size"), "result": "ok" if ok else "error",
            "error": _error_code(error) if not ok else None, "access_key_id": self.access_key, "host": self.host,
            "pid": current_pid(), "endpoint": self.endpoint, **self.identity}
        for name, value in fields.items():
            entry.setdefault(name, value)
        return entry

    def line_of(self, operation: str, fields: dict[str, Any], *, ok: bool = True, error: Any = None) -> bytes:
        """encode(entry_of(operation, fields, ok=ok, error=error)): the same bytes (tests/test_audit_line.py),
        the JSON written here rather than by json's encoder over a dict built for it, and the fields that are
        the same on every line of this log (access key, host, pid, endpoint, identity) written once: a line per
        camera frame cost ~31k instructions in the encoder alone (callgrind, issue 22)."""
        if not ok and error is None:
            error = sys.exc_info()[1]
        same, names = self._same_fields()
        get = fields.get
        bucket, key, version_id = get("bucket"), get("key"), get("version_id")
        # the time is digits and -:.TZ (nothing to escape); a str field quoted without the call to _json
        parts = ['{"time":"', _now(), '","operation":', _json(operation), ',"bucket":',
                 _quote(bucket) if type(bucket) is str else _json(bucket), ',"key":',
                 _quote(key) if type(key) is str else _json(key), ',"version_id":',
                 _quote(version_id) if type(version_id) is str else _json(version_id), ',"size":',
                 _json(get("size")), ',"result":', '"ok"' if ok else '"error"', ',"error":',
                 "null" if ok else _json(_error_code(error)), same]
        for name, value in fields.items():
            if name not in names:
                if type(name) is not str:  # a key json writes otherwise (a number): the encoder's own way
                    return self.encode(self.entry_of(operation, fields, ok=ok, error=error))
                parts += (",", _quote(name), ":", _json(value))
        parts.append("}")
        return self._encoded("".join(parts))

    def _same_fields(self) -> tuple[str, frozenset[str]]:
        """The text of the fields every line of this log repeats (from access_key_id on), and every name the
        line has before the operation's own fields; made again when one of them changed (a forked child)."""
        key = (current_pid(), self.access_key, self.host, self.endpoint, tuple(self.identity.items()))
        made = self._same
        if made is None or made[0] != key:
            pid, access_key, host, endpoint, identity = key
            text = "".join([',"access_key_id":', _json(access_key), ',"host":', _json(host), ',"pid":', _json(pid),
                            ',"endpoint":', _json(endpoint), *(f",{_quote(k)}:{_json(v)}" for k, v in identity)])
            made = self._same = (key, text, _HEAD | {k for k, _ in identity})
        return made[1], made[2]

    def encode(self, entry: dict[str, Any]) -> bytes:
        """One line of the log: the entry's JSON (the secret scrubbed from it), newline-terminated."""
        return self._encoded(_ENCODER.encode(entry))

    def _encoded(self, line: str) -> bytes:
        """A line's JSON text (the secret scrubbed from it), newline-terminated, as bytes."""
        if self._secret and self._secret in line:
            line = line.replace(self._secret, "********")
        return (line.replace("\n", " ") + "\n").encode("utf-8", "backslashreplace")

    def buffer(self) -> AuditBuffer:
        """A buffer of lines for a batch of operations, written together (AuditBuffer)."""
        return AuditBuffer(self)

    def _append(self, data: bytes) -> None:
        """One write() of whole lines, to the file opened by core/statefile.open_log (open_state): O_APPEND, never
        blocking (a FIFO named as the log would hang the command at its end), never through a symbolic link
        (the admin names this path: a link planted there must not make root append to another file), and
        only to a regular file. Lines that cannot be written are said as an ERROR record, which the CLI
        prints as `its-store: error: ...` even with -q: an audit trail must not lose lines silently. The
        operations they describe have happened, so their results and exit codes stand."""
        from its_store.core.private_dirs import make_private_folder, refuse_foreign
        from its_store.core.statefile import NotRegularFile, append_lines, open_log
        try:
            make_private_folder(self.path.parent)
            fd = open_log(self.path)
            try:
                refuse_foreign(self.path, os.fstat(fd))  # a log whose owner may rewrite it is no trail of ours
                written = append_lines(fd, data)
            finally:
                os.close(fd)
            if written != len(data):
                raise OSError(f"short write ({written} of {len(data)} bytes)")
        except (OSError, NotRegularFile) as exc:
            _count_lost(data.count(b"\n"))
            with self._lock:
                if self._warned:
                    return
                self._warned = True
            reason = getattr(exc, "strerror", None) or str(exc).removeprefix(f"{self.path} ")
            log.error("cannot write the audit log %s: %s (the operation itself was done; its audit line is lost)",
                      self.path, reason)

    def tail(self, n: int = 20) -> list[AuditRecord]:
        """The last `n` entries, oldest first. Lines that are not audit records are skipped (parse_line):
        read_tail() also counts them."""
        return self.read_tail(n).entries

    def read_tail(self, n: int = 20) -> AuditTail:
        """The last `n` lines of the log: the audit records among them, oldest first, and how many of them
        were no audit record (`audit tail` says so on stderr: never skipped silently)."""
        parsed = [parse_line(line) for line in tail_lines(self.path, n)]
        entries = [entry for entry in parsed if entry is not None]
        return AuditTail(entries=entries, unreadable=len(parsed) - len(entries))


class AuditBuffer:
    """The lines of a batch of operations (a recursive upload, a sync), written together: one write() of
    whole lines per flush instead of an open, a write and a close per line (each camera frame's line cost
    as much client CPU as a fifth of its upload). Still one line per operation, stamped when it ended.

    Flushed when MAX_LINES or MAX_BYTES are waiting, when the oldest waited MAX_SECONDS with flush_rule.FEW
    lines waiting or ten times as long with fewer (flush_rule.py; checked as lines come), by flush() (the
    batch's end, which the owner guarantees with try/finally), at exit for a buffer still holding lines then
    (atexit), and when a buffer dropped unflushed is collected (weakref.finalize:
    a library caller's `log.buffer().add(...)` left behind). Thread-safe; the lines keep their order."""

    MAX_LINES = 256
    MAX_BYTES = 64 * 1024
    MAX_SECONDS = 0.5

    def __init__(self, log_: AuditLog) -> None:
        self.log = log_
        self._lock = threading.Lock()
        self._lines: list[bytes] = []
        self._size = 0
        self._since = 0.0
        _live.add(self)
        _exit_flush_once()
        # dropped unflushed by a library caller (or left at exit): its lines still go out. The finalizer holds the
        # lines, their lock and the log, never the buffer (else it would never be collected)
        weakref.finalize(self, _write_left, self._lock, self._lines, log_)

    def add(self, operation: str, **fields: Any) -> None:
        """One operation's line (AuditLog.record's fields), written with the next flush."""
        self._add(self.log.encode(self.log.entry(operation, **fields)))

    def add_fields(self, operation: str, fields: dict[str, Any], *, ok: bool, error: Any = None) -> None:
        """add(operation, ok=ok, error=error, **fields), from the dict the caller holds (AuditLog.entry_of)."""
        self._add(self.log.line_of(operation, fields, ok=ok, error=error))

    def _add(self, line: bytes) -> None:
        with self._lock:
            if not self._lines:
                self._since = time.monotonic()
            self._lines.append(line)
            self._size += len(line)
            if self._size >= self.MAX_BYTES or flush_rule.due(len(self._lines), self.MAX_LINES,
                                                              time.monotonic() - self._since, self.MAX_SECONDS):
                self._write()

    def flush(self) -> None:
        """Write what is waiting (one write() call)."""
        with self._lock:
            self._write()

    def _write(self) -> None:
        if self._lines:  # written under the lock: a later flush never overtakes an earlier one
            data, self._size = b"".join(self._lines), 0
            self._lines.clear()  # in place: the finalizer holds this list
            self.log._append(data)


def _write_left(lock: threading.Lock, lines: list[bytes], log_: AuditLog) -> None:
    """What a collected (or, at exit, forgotten) buffer still held: written, as its flush() would have. Its
    lock is free then (nothing holds the buffer, so no method of it runs), unless the collection happens in
    the very thread that holds it; then the lines are said lost (the lock is never waited for)."""
    if not lines:
        return
    if not lock.acquire(blocking=False):
        _count_lost(len(lines))
        log.error("an audit buffer was collected while it was being written; %d audit lines are lost", len(lines))
        return
    try:
        data = b"".join(lines)
        lines.clear()
        log_._append(data)
    finally:
        lock.release()


_lost_lock = threading.Lock()
_lost = [0]  # audit lines this process could not write since take_lost() last asked


def _count_lost(lines: int) -> None:
    with _lost_lock:
        _lost[0] += max(lines, 1)


def take_lost() -> int:
    """How many audit lines could not be written (any AuditLog of this process) since the last call; resets
    the count. The CLI asks it at the start and at the end of each command (exit 74: module docstring)."""
    with _lost_lock:
        lost, _lost[0] = _lost[0], 0
    return lost


_live: weakref.WeakSet[AuditBuffer] = weakref.WeakSet()
_exit_hook = threading.Lock()  # held for good once the atexit hook is registered


def _exit_flush_once() -> None:
    """At exit, write what any buffer still holds (a batch its owner could not flush: a worker thread left
    running past a second Ctrl-C finishes its upload later, into the buffer)."""
    if _exit_hook.acquire(blocking=False):
        import atexit
        atexit.register(flush_waiting)


def flush_waiting() -> None:
    """Write what any buffer of this process still holds. The CLI calls it before it settles the exit code, so
    that a line that cannot be written then (disk full, the log removed) is counted (exit 74, take_lost) and
    said on stderr, never lost at exit after the code was chosen; the atexit hook calls it too (a program of
    the library, a thread that recorded after that)."""
    for buffer in list(_live):
        buffer.flush()


_logs: dict[tuple[str, str, str, str, str | None], AuditLog] = {}
_logs_lock = threading.Lock()


def _renew_in_child() -> None:
    global _logs_lock
    _logs_lock = threading.Lock()  # another thread of the parent may have held it at the fork


os.register_at_fork(after_in_child=_renew_in_child)


def for_settings(settings: Settings) -> AuditLog:
    """The AuditLog of these settings (one per file and identity per process)."""
    path = Path(settings.audit_log or "audit.log")
    from its_store.core.errors import ConfigError
    try:
        server = settings.server_id()
    except ConfigError:  # a proxy urllib3 cannot use: nothing goes through it, `audit tail` still reads
        server = settings.endpoint
    ident = (str(path), settings.access_key, settings.endpoint, server, settings.remote)
    with _logs_lock:
        audit = _logs.get(ident)
        if audit is None:
            audit = _logs[ident] = AuditLog(path, access_key=settings.access_key, endpoint=settings.endpoint,
                                            secret=settings.secret_key.get_secret_value(), remote=settings.remote,
                                            server=server)
        return audit


def record(settings: Settings, operation: str, **fields: Any) -> AuditRecord:
    """Append one audit line for `operation` (see AuditLog.record for the fields)."""
    return for_settings(settings).record(operation, **fields)


@contextlib.contextmanager
def recording(audit: AuditLog, operation: str, **fields: Any) -> Iterator[dict[str, Any]]:
    """Record `operation` when the block ends: result ok, or error with the exception's code.

    Fields set on the yielded dict (e.g. version_id, size learnt during the block) go into the line.
    """
    entry = dict(fields)
    try:
        yield entry
    except BaseException as exc:
        audit.record(operation, ok=False, error=exc, **entry)
        raise
    audit.record(operation, ok=True, **entry)
