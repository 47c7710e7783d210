"""`audit tail` (the human table) shows an rm line written by mv whose DELETE was not conditional
(`delete_conditional: false`: a server that ignores If-Match on DELETE, an unversioned bucket, so a plain DELETE
after one more HEAD: service/delete_guard.py) as "(unconditional delete)" beside its result. It showed it as any
`ok` rm: a reader of the trail could not tell that this delete was not made only as copied. A conditional one and
a plain `rm` are shown as before; --json is unchanged (tests/test_mv_delete_conditional_audited.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import plain_client, unique

SAID = "(unconditional delete)"


@pytest.mark.parametrize("object_server", ["rclone", "seaweedfs"], indirect=True)
def test_an_unconditional_delete_is_said_in_the_table(object_server: Any, object_cli: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one row a line
    bucket = unique("b")
    plain_client(object_server).make_bucket(bucket)  # unversioned
    for key in ("src.jpg", "plain.jpg"):
        assert object_cli("upload", "-", f"s3://{bucket}/{key}", input=b"frame").exit_code == 0
    moved = object_cli("mv", f"s3://{bucket}/src.jpg", f"s3://{bucket}/dst.jpg", "--json")
    assert moved.exit_code == 0, moved
    conditional = moved.json()["objects"][0]["delete_conditional"]
    assert conditional is (object_server.kind != "rclone"), moved
    assert object_cli("rm", f"s3://{bucket}/plain.jpg").exit_code == 0
    shown = object_cli("audit", "tail", "-n", "100")
    assert shown.exit_code == 0, shown
    rm_lines = [line for line in shown.stdout.splitlines() if " rm " in f" {line} "]
    moved_row = next((line for line in rm_lines if "/src.jpg" in line), shown.stdout)
    assert (SAID in moved_row) is (not conditional), moved_row
    assert SAID not in next((line for line in rm_lines if "/plain.jpg" in line), SAID), shown.stdout
