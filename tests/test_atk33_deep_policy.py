"""Session 33 attack: a bucket policy nested deeper than pydantic serializes.

A server's answer to GetBucketPolicy (or a proxy's, or a policy somebody stored on a server that keeps
what it is given) is input. One whose Condition nests 400 levels parsed (json.loads takes ~1,000), was
summarised, and `bucket policy show --json` then ended in "unexpected ValueError: Maximum serialization
depth exceeded" (exit 1, "report it"). It is a broken answer, said as the other broken policy answers are
(bad_server_answer, exit 1, naming the call); a policy file as deep is refused before it is sent (exit 2).
The fault server (tests/faultserver.py) gives the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import Conn, FaultServer, Request, response

from conftest import one_line_error
from helpers import fault_cli

DEEP_CONDITION = '{"a": ' * 400 + "1" + "}" * 400
POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", '
          '"Resource": "arn:aws:s3:::pol/*", "Condition": ' + DEEP_CONDITION + "}]}")


def _deep_policy(server: FaultServer, req: Request, conn: Conn) -> bool:
    if req.method == "GET" and "policy" in req.query and not req.key:
        conn.read_body(req)
        conn.send(response(200, POLICY.encode(), content_type="application/json"))
        return True
    return False


@pytest.fixture
def deep_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with FaultServer(_deep_policy, buckets=("pol",)) as server:
        yield fault_cli(server, tmp_path, monkeypatch)


@pytest.mark.parametrize("json_flag", [(), ("--json",)])
def test_a_policy_answer_nested_too_deep_is_a_bad_answer(deep_cli: Any, json_flag: tuple[str, ...]) -> None:
    run = deep_cli("bucket", "policy", "show", "s3://pol", *json_flag)
    assert run.exit_code == 1, run
    if json_flag:
        error = run.json()["error"]
        assert error["code"] == "bad_server_answer" and "GetBucketPolicy" in error["message"], run
    else:
        line = one_line_error(run)
        assert "GetBucketPolicy" in line and "nested" in line and "unexpected" not in line, run


def test_a_policy_file_nested_too_deep_is_refused_before_it_is_sent(cli: Any, bucket: str, tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text(POLICY.replace("arn:aws:s3:::pol/*", f"arn:aws:s3:::{bucket}/*"))
    run = cli("bucket", "policy", "set", f"s3://{bucket}", "--file", "deep.json")
    assert run.exit_code == 2, run
    assert "nested" in one_line_error(run)
    assert cli("bucket", "policy", "show", f"s3://{bucket}", "--json").json()["policy"] is None
