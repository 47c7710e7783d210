"""fix2 (atk2's): `audit tail` used to drop the lines of the audit log it could not read (not JSON, other types
in the common fields) without a word: a gap in the custody record no one saw. Now it shows what it can and
says on stderr how many of the last N lines were no audit record, in every mode (table, --json, --quiet);
the exit stays 0 (the records shown are right). The library's AuditLog.read_tail counts them too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

GOOD = {"time": "2026-12-07T12:00:00.000Z", "operation": "upload", "bucket": "b", "key": "k", "result": "ok"}


def _log(env: dict[str, str]) -> Path:
    log = Path(env["MINIO_AUDIT_LOG"])
    log.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(GOOD), "not json at all", json.dumps({**GOOD, "size": "12"}), json.dumps({**GOOD, "key": "z"})]
    log.write_text("\n".join(lines) + "\n")
    return log


@pytest.mark.parametrize("mode", [(), ("--json",), ("--quiet",)])
def test_unreadable_audit_lines_are_counted_on_stderr(cli: Any, env: dict[str, str], mode: tuple[str, ...]) -> None:
    log = _log(env)
    run = cli(*mode, "audit", "tail", "-n", "10")
    assert run.exit_code == 0, run
    assert f"2 of the last 10 lines of {log} are no audit record" in run.stderr, run
    if mode == ("--json",):
        assert [e["key"] for e in run.jsonl()] == ["k", "z"]


def test_read_tail_counts_them(env: dict[str, str]) -> None:
    from its_store.state.audit import AuditLog
    read = AuditLog(_log(env), access_key="k", endpoint="e").read_tail(3)
    assert [e.key for e in read.entries] == ["z"] and read.unreadable == 2


def test_no_word_when_every_line_is_a_record(cli: Any, env: dict[str, str]) -> None:
    log = Path(env["MINIO_AUDIT_LOG"])
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(json.dumps(GOOD) + "\n")
    run = cli("audit", "tail", "--json")
    assert run.exit_code == 0 and "audit record" not in run.stderr, run
