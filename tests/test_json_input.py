"""JSON written by someone else, decoded by core/jsontext.loads: nesting deeper than the interpreter's
stack (RecursionError, no ValueError), an integer over Python's 4,300-digit limit and bad UTF-8 are each
the caller's usual "not valid JSON" answer, never an unexpected error with exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import one_line_error

DEEP = b"[" * 100_000
LONG_NUMBER = b'{"rules": [{"id": "x", "days": ' + b"9" * 5000 + b"}]}"


@pytest.mark.parametrize("text", [DEEP, LONG_NUMBER, b'{"a": "\xff"}', DEEP.decode()])
def test_every_failure_is_a_json_decode_error(text):
    from its_store.core.jsontext import loads
    with pytest.raises(json.JSONDecodeError):
        loads(text)


@pytest.mark.parametrize("body", [DEEP, LONG_NUMBER], ids=["deep", "long-number"])
@pytest.mark.parametrize("command", ["policy", "lifecycle", "training-config"])
def test_a_hostile_json_file_is_one_line_and_exit_2(cli, bucket, tmp_path: Path, command: str, body: bytes):
    document = tmp_path / "doc.json"
    document.write_bytes(body)
    args = {"policy": ("bucket", "policy", "set", f"s3://{bucket}", "--file", str(document)),
            "lifecycle": ("bucket", "lifecycle", "set", f"s3://{bucket}", "--file", str(document)),
            "training-config": ("model", "register", str(tmp_path / "w.pt"), "--name", "det", "--version", "1.0.0",
                                "--config", str(document))}[command]
    (tmp_path / "w.pt").write_bytes(b"weights")
    run = cli(*args)
    assert run.exit_code == 2 and "unexpected" not in run.stderr, run
    assert "not valid JSON" in one_line_error(run), run


def test_a_stats_file_nested_too_deep_starts_over_with_a_warning(cli, env):
    state = Path(env["MINIO_CACHE_DIR"])
    state.mkdir(parents=True, exist_ok=True)
    (state / "stats.json").write_bytes(DEEP)
    run = cli("stats", "--json")
    assert run.exit_code == 0 and run.json()["total_operations"] == 0, run
    assert (state / "stats.json.corrupt").exists()
