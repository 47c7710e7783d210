"""The audit log read back (`audit tail`, `audit ship`): its lines as typed records (AuditRecord), the last
lines of the file read backwards in blocks, and the log opened for reading without blocking or following a
link. Writing it is state/audit.py, which re-exports AuditRecord and AuditTail (docs/schema names them there)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import ConfigDict, Field, ValidationError

from its_store.core.jsontext import nests_deeper
from its_store.core.models import Result

__all__ = ["AuditRecord", "AuditTail", "open_audit_log", "parse_line", "tail_lines"]

_TAIL_BLOCK = 64 * 1024


class AuditRecord(Result):
    """One line of the audit log, as `audit tail --json` prints it (one JSON Lines document each).

    The fields below are on every line `AuditLog.record` writes, and typed exactly. Each operation adds
    its own (`tags`, `mode`, `days`, `model`, `sha256`, `source`, ...): they differ by operation, a new
    feature adds more, and a script reads them by name, so they are kept as written, after the common
    ones, rather than modelled one by one here (`extra="allow"`: the JSON Schema says
    additionalProperties; `record.details` holds them, `record["tags"]` reads one). Strict: a line whose
    common fields have other types (a hand-edited `"size": "12"`) is not an audit record, and `tail`
    skips it instead of showing it coerced."""

    model_config = ConfigDict(extra="allow", strict=True)

    time: str = Field(description="When, UTC, ISO 8601 with milliseconds (2024-05-01T12:00:00.123Z).")
    operation: str = Field(description="upload, rm, tag, model_register, ... (the command's operation).")
    bucket: str | None = None
    key: str | None = None
    version_id: str | None = None
    size: int | None = None
    result: Literal["ok", "error"]
    error: str | None = Field(default=None, description="The error code when result is error, else null.")
    access_key_id: str | None = Field(default=None, description="Who (never the secret).")
    host: str | None = None
    pid: int | None = None
    endpoint: str | None = None
    remote: str | None = Field(default=None, description="The named remote the endpoint is (absent: the "
                                                         "default endpoint of MINIO_*).")
    server: str | None = Field(default=None, description="ENDPOINT via PROXY when reached through a proxy "
                                                         "(its origin, no password); absent without one.")

    @property
    def details(self) -> dict[str, Any]:
        """The operation's own fields (those beyond the common ones), as written."""
        return dict(self.model_extra or {})

    def __getitem__(self, name: str) -> object:
        """A field by name, common or the operation's own (`record["tags"]`)."""
        extra = self.model_extra or {}
        return extra[name] if name in extra else super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or name in (self.model_extra or {})


class AuditTail(Result):
    """The last lines of the audit log, read (AuditLog.read_tail)."""

    entries: list[AuditRecord] = Field(description="The audit records among them, oldest first.")
    unreadable: int = Field(description="How many of the lines were no audit record (not JSON, other types "
                                        "in the common fields, ...): skipped, and counted here.")


def parse_line(line: bytes) -> AuditRecord | None:
    """One log line as a record, or None: not JSON, not an object, holding NaN/Infinity (Python's json
    reads them, but they are no JSON: `audit tail --json` would hand them on to jq as invalid JSON), or
    common fields of other types than AuditRecord's, or a field nested deeper than any line `record` writes
    (core/jsontext.MAX_DEPTH: `audit tail --json` ended in "unexpected ValueError: Maximum serialization
    depth exceeded")."""
    try:
        entry = json.loads(line, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(entry, dict) or nests_deeper(entry):
        return None
    try:
        return AuditRecord.model_validate(entry)
    except ValidationError:
        return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def tail_lines(path: Path, n: int) -> list[bytes]:
    """The last n complete lines of a file, read backwards in blocks (the log may be large)."""
    if n <= 0:
        return []
    fh = open_audit_log(path)
    if fh is None:
        return []
    with fh:
        end = fh.seek(0, os.SEEK_END)
        buf, pos = b"", end
        while pos > 0 and buf.count(b"\n") <= n:
            step = min(_TAIL_BLOCK, pos)
            pos -= step
            fh.seek(pos)
            buf = fh.read(step) + buf
    lines = buf.split(b"\n")
    if not buf.endswith(b"\n"):
        lines = lines[:-1]  # a line still being written
    lines = [line for line in lines if line.strip()]
    return lines[-n:]


def open_audit_log(path: Path) -> IO[bytes] | None:
    """The audit log opened for reading (`audit tail`, `audit ship`), None when there is none yet. Never
    blocks: a FIFO, a device or a symbolic link named as the log is one LocalIOError line."""
    from its_store.core.errors import ConfigError, LocalIOError
    from its_store.core.private_dirs import foreign_reason
    from its_store.core.statefile import NotRegularFile, open_state
    try:
        fh = os.fdopen(open_state(path), "rb")
    except FileNotFoundError:
        return None
    except NotRegularFile as exc:
        raise LocalIOError(f"cannot read the audit log: {exc}") from None
    reason = foreign_reason(os.fstat(fh.fileno()))
    if reason is not None:  # its lines may be anyone's: not shown as this account's trail
        fh.close()
        raise ConfigError(f"the audit log {path} is not trusted: {reason}", hint=f"chown and chmod 600 {path}")
    return fh
