"""The audit line of a moved object's source DELETE says whether that DELETE was conditional
(`delete_conditional`, as the --json item says it): on a server that ignores If-Match on DELETE (rclone serve s3)
the source of an unversioned bucket goes by a plain DELETE after one more HEAD (service/delete_guard.py), which
the item said and the audit line did not (an `rm` line like any). A plain `rm` line is as it was (no field),
and `audit tail` reads both kinds. Its table says "(unconditional delete)" beside the result of such a line (it
read as any `ok` rm: a reader of the trail could not tell that this delete was not made only as copied).
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import plain_client, unique


def _rm_lines(object_cli: Any, key: str) -> list[dict[str, Any]]:
    tail = object_cli("audit", "tail", "-n", "100", "--json")
    assert tail.exit_code == 0 and "no audit record" not in tail.stderr, tail
    import json
    lines = [json.loads(line) for line in tail.stdout.splitlines() if line.strip()]
    return [line for line in lines if line["operation"] == "rm" and line["key"] == key]


@pytest.mark.parametrize("object_server", ["rclone", "seaweedfs"], indirect=True)
def test_a_moved_sources_delete_line_says_whether_it_was_conditional(object_server: Any, object_cli: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # `audit tail`: one row a line
    bucket = unique("b")
    plain_client(object_server).make_bucket(bucket)  # unversioned
    for key in ("src.jpg", "plain.jpg"):
        assert object_cli("upload", "-", f"s3://{bucket}/{key}", input=b"frame").exit_code == 0
    moved = object_cli("mv", f"s3://{bucket}/src.jpg", f"s3://{bucket}/dst.jpg", "--json")
    assert moved.exit_code == 0, moved
    said = moved.json()["objects"][0]["delete_conditional"]
    assert said is (object_server.kind != "rclone"), moved
    assert object_cli("rm", f"s3://{bucket}/plain.jpg").exit_code == 0
    (line,) = _rm_lines(object_cli, "src.jpg")
    assert line["result"] == "ok" and line["delete_conditional"] is said, line
    (plain,) = _rm_lines(object_cli, "plain.jpg")
    assert "delete_conditional" not in plain, plain
    shown = object_cli("audit", "tail", "-n", "100")
    assert shown.exit_code == 0 and "src.jpg" in shown.stdout, shown
    rows = [row for row in shown.stdout.splitlines() if " rm " in row]
    moved_row = next((row for row in rows if "/src.jpg" in row), shown.stdout)
    assert (UNCONDITIONAL in moved_row) is (not said), moved_row
    assert UNCONDITIONAL not in next((row for row in rows if "/plain.jpg" in row), UNCONDITIONAL), shown.stdout


UNCONDITIONAL = "(unconditional delete)"  # `audit tail`'s result of a moved source's plain DELETE
