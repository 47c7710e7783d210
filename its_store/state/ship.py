"""Ship the audit log to MINIO_LOGS_BUCKET; safe to run from cron: never loses or duplicates a line.

How (state beside the log: `<log>.ship.json`; a run holds the lock `<log>.ship.lock` with flock):
- Lines ship in byte order from `offset`, in chunks of at most 8 MiB of complete lines (ending in a
  newline; a line still being appended waits for the next run). Each chunk becomes ONE object named by
  its byte range: `audit/<host>/<log id>/<start>-<end>.jsonl` (offsets zero-padded to 16 digits).
- Write-ahead: a chunk's range is saved as `pending` (fsync'd) BEFORE its upload; `offset` moves to its
  end only AFTER the upload succeeded. A run killed in between re-ships exactly that range under exactly
  that name next time, with If-None-Match: an object already there holds the same bytes. Hence no loss
  (offset never passes an unshipped byte) and no duplicate (a byte range has one name).
- `log id` is a hash of the file's first line: a rotated or recreated log starts again at offset 0
  under a new id. Run `its-store audit ship` before rotating (logrotate `prerotate`) so the tail of the
  old file is shipped first.
- Shipping is not itself audited (it would feed itself) and is not counted in the stats.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from pydantic import Field

from its_store.core import errors as E
from its_store.core.jsontext import loads
from its_store.core.models import Result
from its_store.core.refs import validate_bucket
from its_store.core.units import read_count

if TYPE_CHECKING:
    from its_store.core.settings import Settings
    from its_store.s3.client import S3Client

CHUNK_BYTES = 8 * 1024 * 1024
CONTENT_TYPE = "application/x-ndjson"


class ShipTarget(Protocol):
    """What shipping needs from its caller (the CLI passes its service): the settings that name the log
    and MINIO_LOGS_BUCKET, the S3 client to put chunks with, and the rule that makes a bucket on first
    use. Shipping knows nothing more of the layer above it."""

    @property
    def settings(self) -> Settings: ...

    @property
    def s3(self) -> S3Client: ...

    def ensure_bucket(self, bucket: str) -> None: ...


class ShipResult(Result):
    """What one `audit ship` run did: the objects it put in `bucket` (one per byte range of the log, in
    order), the complete lines and bytes they hold, how far the log is shipped now (`offset`), and the
    log's id (a hash of its first line; null while the log has no complete line)."""

    bucket: str
    log: str = Field(description="The audit log shipped (MINIO_AUDIT_LOG).")
    objects: list[str] = Field(default_factory=list)
    lines: int = 0
    bytes: int = 0
    offset: int = Field(default=0, description="Bytes of the log shipped so far, this run and earlier ones.")
    log_id: str | None = None

    @property
    def log_path(self) -> str:
        """The log's path (`log`; the attribute's name before results were models)."""
        return self.log


def state_path(log_path: Path) -> Path:
    return log_path.with_name(log_path.name + ".ship.json")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname()) or "host"


def _load(path: Path) -> dict[str, Any]:
    from its_store.core.statefile import read_state
    try:
        state = loads(read_state(path).decode("utf-8"))  # a FIFO: NotRegularFile (a ValueError), no hang
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise E.LocalIOError(f"audit ship state {path} is unreadable: {exc}",
                             hint="inspect it; delete it only if you accept re-shipping the whole log") from None
    state = state if isinstance(state, dict) else {}
    pending = state.get("pending")
    if read_count(state.get("offset", 0)) is None or not (pending is None or (
            isinstance(pending, dict) and isinstance(pending.get("key"), str)
            and None not in (read_count(pending.get("start")), read_count(pending.get("end"))))):
        raise E.LocalIOError(f"audit ship state {path} is unreadable: its offset or pending range is not a count "
                             "of bytes", hint="inspect it; delete it only if you accept re-shipping the whole log")
    if pending is not None and not _written_by_ship(pending, state.get("log_id")):
        raise E.LocalIOError(f"audit ship state {path} is unreadable: its pending range is not one ship wrote "
                             "(its start past its end, or its key not the range's name)",
                             hint="inspect it; delete it only if you accept re-shipping the whole log")
    return state


_RANGE_KEY = re.compile(r"audit/[A-Za-z0-9._-]+/(?P<log_id>[^/]+)/(?P<start>[0-9]{16})-(?P<end>[0-9]{16})\.jsonl")


def _written_by_ship(pending: dict[str, Any], log_id: object) -> bool:
    """Whether a pending range is one _ship_file saved: start <= end, and its key the name of exactly that
    range of this log (`audit/<host>/<log id>/<start>-<end>.jsonl`; the host may have been renamed since).
    Anything else would be PUT as it stands: another key of the logs bucket, or with "" the bucket itself
    (a request the server answers 200 to while storing nothing, and the range's lines never shipped)."""
    start, end = int(pending["start"]), int(pending["end"])
    found = _RANGE_KEY.fullmatch(pending["key"])
    return (start <= end and found is not None and found["log_id"] == log_id
            and (int(found["start"]), int(found["end"])) == (start, end))


def _save(path: Path, state: dict[str, Any]) -> None:
    """Durable atomic replace: temp file, fsync, rename, fsync the folder (core/files.py)."""
    from its_store.core.files import write_atomic
    write_atomic(path, json.dumps(state), durable=True)


def _complete_lines(fh: IO[bytes], start: int, limit: int) -> bytes:
    """Complete lines from `start`, at most `limit` bytes unless a single line is longer than that."""
    fh.seek(start)
    data = fh.read(limit)
    cut = data.rfind(b"\n")
    if cut >= 0:
        return data[:cut + 1]
    while len(data) >= limit:  # one very long line: read on to its end
        more = fh.read(limit)
        if not more:
            break
        data += more
        cut = data.find(b"\n")
        if cut >= 0:
            return data[:cut + 1]
    return b""


def _read_range(fh: IO[bytes], start: int, end: int) -> bytes:
    fh.seek(start)
    data = fh.read(end - start)
    if len(data) != end - start:
        raise E.IntegrityError(f"the audit log is shorter than its shipped range {start}-{end}",
                               hint="was it truncated in place? rotate logs by renaming them instead")
    return data


def ship(target: ShipTarget, *, chunk_bytes: int = CHUNK_BYTES) -> ShipResult:
    """Upload the lines appended since the last run to MINIO_LOGS_BUCKET (see the module docstring)."""
    try:
        return _ship(target, chunk_bytes)
    except OSError as exc:
        raise E.LocalIOError(f"audit ship: {exc.strerror or exc}"
                             + (f": {exc.filename}" if getattr(exc, "filename", None) else "")) from None


def _ship(target: ShipTarget, chunk_bytes: int) -> ShipResult:
    settings = target.settings
    log_path = Path(settings.audit_log or "audit.log")
    bucket = validate_bucket(settings.logs_bucket)
    spath = state_path(log_path)
    result = ShipResult(bucket=bucket, log=str(log_path))
    from its_store.core.files import file_lock
    from its_store.state.audit_read import open_audit_log
    with file_lock(log_path.with_name(log_path.name + ".ship.lock")):
        state = _load(spath)
        result.offset, result.log_id = int(state.get("offset", 0)), state.get("log_id")
        fh = open_audit_log(log_path)
        if fh is None:
            return result
        with fh:
            first = fh.readline()
            if not first.endswith(b"\n"):
                return result  # nothing complete yet
            log_id = hashlib.sha256(first).hexdigest()[:16]
            size = os.fstat(fh.fileno()).st_size
            if state.get("log_id") != log_id or int(state.get("offset", 0)) > size:
                state = {"log_id": log_id, "offset": 0, "pending": None}
            result.log_id = log_id
            _ship_file(target, bucket, fh, state, spath, result, chunk_bytes)
    result.offset = int(state["offset"])
    return result


def _ship_file(target: ShipTarget, bucket: str, fh: IO[bytes], state: dict[str, Any], spath: Path,
               result: ShipResult, chunk_bytes: int) -> None:
    prefix = f"audit/{_host()}/{state['log_id']}/"
    pending = state.get("pending")
    ready = False
    while True:
        if pending:
            start, end, key = int(pending["start"]), int(pending["end"]), str(pending["key"])
            data = _read_range(fh, start, end)
        else:
            start = int(state["offset"])
            data = _complete_lines(fh, start, chunk_bytes)
            if not data:
                return
            end = start + len(data)
            key = f"{prefix}{start:016d}-{end:016d}.jsonl"
            state["pending"] = {"start": start, "end": end, "key": key}
            _save(spath, state)
        if not ready:
            target.ensure_bucket(bucket)
            ready = True
        _put_once(target.s3, bucket, key, data)
        state["offset"], state["pending"] = end, None
        _save(spath, state)
        pending = None
        result.objects.append(key)
        result.lines += data.count(b"\n")
        result.bytes += len(data)


def _put_once(s3: S3Client, bucket: str, key: str, data: bytes) -> None:
    """PUT unless the object is there already (then a previous, interrupted run put these very bytes)."""
    try:
        s3.put_if_absent(bucket, key, data, {"Content-Type": CONTENT_TYPE})
    except E.AlreadyExistsError:
        pass
