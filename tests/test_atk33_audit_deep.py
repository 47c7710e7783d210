"""Session 33 attack: the audit log is input to `audit tail`, and a line may nest deeper than pydantic goes.

A line whose common fields are right and whose extra field nests 300 levels (json.loads reads it: its own
limit is ~1,000) was taken as a record; `audit tail --json` then ended in "unexpected ValueError: Maximum
serialization depth exceeded" (exit 1), so one such line hid every other. Now it is skipped like any line
that is not an audit record (state/audit_read.parse_line), and the rest print. Real SeaweedFS for the lines before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize("deep", ['{"a": ' * 300 + "1" + "}" * 300, "[" * 900 + "]" * 900])
def test_a_line_nested_too_deep_is_skipped_and_the_rest_print(cli: Any, env: dict[str, str], bucket: str,
                                                              deep: str) -> None:
    assert cli("upload", "-", f"s3://{bucket}/a", input=b"frame").exit_code == 0
    log = Path(env["MINIO_AUDIT_LOG"])
    good = json.loads(log.read_text().splitlines()[-1])
    with log.open("a") as fh:
        fh.write(json.dumps(good)[:-1] + ', "x": ' + deep + "}\n")
    assert cli("upload", "-", f"s3://{bucket}/b", input=b"frame").exit_code == 0
    run = cli("audit", "tail", "-n", "3", "--json")
    assert run.exit_code == 0, run
    assert [(e["operation"], e["key"]) for e in run.jsonl()][-2:] == [("upload", "a"), ("upload", "b")]
    human = cli("audit", "tail", "-n", "3")
    assert human.exit_code == 0, human
