"""AuditLog.line_of writes exactly the bytes encode(entry_of(...)) writes: the batch path (a line per camera
frame) spells the JSON out instead of building a dict for json's encoder, and must not change one byte of
the chain-of-custody log. No server: the lines themselves are compared, on awkward fields."""

from __future__ import annotations

import enum
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from its_store.state import audit


class Kind(enum.Enum):
    A = "a"


class Level(enum.IntEnum):
    ONE = 1


class Name(str):
    pass


FIELDS: list[dict[Any, Any]] = [
    {"bucket": "b", "key": "p/f00001.bin", "sha256": None, "size": 100000, "version_id": "v1", "sha256x": "ab"},
    {"bucket": None, "key": None},
    {},
    {"bucket": "bü", "key": 'a"b\\c\n\t\x00\x7f\u2028é😀', "note": "ü", "time": "not this", "pid": -1},
    {"bucket": "b", "key": "k", "remote": "other", "server": "x", "endpoint": "no", "result": "no", "error": "no"},
    {"bucket": "b", "key": "k", "size": True, "version_id": 1.5, "tags": {"a": [1, 2.5, None, True]}},
    {"bucket": "b", "key": "k", "n": float("nan"), "inf": float("inf"), "big": 10**30, "neg": -3},
    {"bucket": "b", "key": "k", "kind": Kind.A, "level": Level.ONE, "name": Name("n"), "dec": Decimal("1.5")},
    {"bucket": "b", "key": "k", "path": Path("/x/y"), "set": ["s3cr3t-value is scrubbed"]},
    {"bucket": "b", "key": "lone \udc80 surrogate", "\udc81": "in a name"},
    {"bucket": "b", "key": "k", 3: "a number as a name", None: "none as a name"},
]


def _log(tmp_path: Path, **identity: str) -> audit.AuditLog:
    return audit.AuditLog(tmp_path / "audit.log", access_key="AK\u00e9\"", endpoint="h:9000", secret="s3cr3t-value",
                          **identity)


@pytest.fixture(autouse=True)
def _one_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both lines stamped with the same time (each asks the clock): the bytes compared, not the clock."""
    monkeypatch.setattr(audit, "_now", lambda: "2024-05-01T12:00:00.123Z")


@pytest.mark.parametrize("identity", [{}, {"remote": "edge"}, {"remote": "edge", "server": "h:9000 via p:3128"}])
@pytest.mark.parametrize("fields", FIELDS)
def test_line_of_is_encode_of_entry_of(tmp_path: Path, fields: dict[Any, Any], identity: dict[str, str]) -> None:
    log = _log(tmp_path, **identity)
    for ok, error in ((True, None), (False, "Conflict"), (False, ValueError("x")), (False, None)):
        assert log.line_of("upload", fields, ok=ok, error=error) == \
            log.encode(log.entry_of("upload", fields, ok=ok, error=error)), (fields, ok, error)


def test_line_of_follows_a_changed_identity(tmp_path: Path) -> None:
    """The repeated fields are made again when one changes (as in a forked child, whose pid differs)."""
    log = _log(tmp_path)
    fields = {"bucket": "b", "key": "k"}
    assert log.line_of("upload", fields) == log.encode(log.entry_of("upload", fields))
    log.access_key, log.host, log.endpoint = "AK2", "other-host", "e:1"
    log.identity["remote"] = "r"
    assert log.line_of("upload", fields) == log.encode(log.entry_of("upload", fields))
    assert b'"AK2"' in log.line_of("upload", fields)


def test_a_batch_line_is_the_line_record_writes(tmp_path: Path) -> None:
    """The buffered path (AuditBuffer.add_fields: upload -r) and the single one (record) write the same line."""
    log = _log(tmp_path)
    log.record("upload", bucket="b", key="k", size=3, version_id="v", sha256="ab", ok=True)
    buffer = log.buffer()
    buffer.add_fields("upload", {"bucket": "b", "key": "k", "size": 3, "version_id": "v", "sha256": "ab"}, ok=True)
    buffer.flush()
    first, second = (tmp_path / "audit.log").read_bytes().splitlines()
    assert first == second and b'"sha256":"ab"' in first
