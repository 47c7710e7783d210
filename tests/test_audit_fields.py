"""A batch's audit line per object is made from the Op's own dict of fields (AuditLog.entry_of,
AuditBuffer.add_fields, Recording.audit_fields), not unpacked into keywords and packed again three times
(issue 22, W4): the line must be the very line the keyword path wrote, for every kind of field an
operation records. Compared with the clock held still, on a log with every identity field set, against
`_before`: AuditLog.entry as it was written before (fce341e), kept here as the reference."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from its_store.core import errors as E
from its_store.state import audit

_CASES = [
    ("upload", {"bucket": "b", "key": "cam/f1.jpg", "size": 100_000, "version_id": "v1", "sha256": "ab" * 32,
                "sse": "SSE-S3"}, True, None),
    ("upload", {"bucket": "b", "key": "k", "sha256": None}, False, E.ServiceUnavailableError("busy")),
    ("upload", {"bucket": "b", "key": "k"}, False, "custom_code"),
    ("rm", {"key": "only-key", "time": "forged", "result": "forged", "pid": -1, "remote": "forged"}, True, None),
    ("tag", {"tags": {"a": "é\n"}, "path": Path("/x"), "secret": "s3cr3t-value"}, True, None),
    ("model_register", {}, True, None),
]


def _before(log: audit.AuditLog, operation: str, *, bucket: object = None, key: object = None,
            version_id: object = None, size: object = None, ok: bool = True, error: object = None,
            **details: object) -> dict[str, object]:
    if not ok and error is None:
        error = sys.exc_info()[1]
    entry: dict[str, object] = {
        "time": audit._now(), "operation": operation, "bucket": bucket, "key": key, "version_id": version_id,
        "size": size, "result": "ok" if ok else "error", "error": audit._error_code(error) if not ok else None,
        "access_key_id": log.access_key, "host": log.host, "pid": os.getpid(), "endpoint": log.endpoint,
        **log.identity}
    for name, value in details.items():
        entry.setdefault(name, value)
    return entry


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> audit.AuditLog:
    monkeypatch.setattr(audit, "_now", lambda: "2024-05-01T12:00:00.123Z")
    return audit.AuditLog(tmp_path / "audit.log", access_key="AK", endpoint="h:9000", secret="s3cr3t-value",
                          remote="edge", server="h:9000 via proxy")


@pytest.mark.parametrize(("operation", "fields", "ok", "error"), _CASES)
def test_entry_of_is_the_keyword_entry(log: audit.AuditLog, operation: str, fields: dict[str, object], ok: bool,
                                       error: object) -> None:
    before = _before(log, operation, ok=ok, error=error, **fields)
    for entry in (log.entry_of(operation, dict(fields), ok=ok, error=error),
                  log.entry(operation, ok=ok, error=error, **fields)):
        assert list(entry.items()) == list(before.items())  # the same fields, in the same order
        assert log.encode(entry) == log.encode(before)


def test_entry_of_takes_the_exception_being_handled(log: audit.AuditLog) -> None:
    try:
        raise E.ObjectNotFoundError("gone")
    except E.ItsStoreError:
        assert log.entry_of("rm", {"key": "k"}, ok=False) == _before(log, "rm", key="k", ok=False)
        assert log.entry_of("rm", {"key": "k"}, ok=False)["error"] == E.ObjectNotFoundError("x").code


def test_buffer_add_fields_writes_the_add_line(log: audit.AuditLog, tmp_path: Path) -> None:
    buffer = log.buffer()
    for operation, fields, ok, error in _CASES:
        buffer.add(operation, ok=ok, error=error, **fields)
        buffer.add_fields(operation, dict(fields), ok=ok, error=error)
    buffer.flush()
    lines = (tmp_path / "audit.log").read_bytes().splitlines()
    assert len(lines) == 2 * len(_CASES)
    assert lines[0::2] == lines[1::2]
    assert b"s3cr3t-value" not in b"".join(lines)
