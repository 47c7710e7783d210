"""Session 33, attacker 2: a clock off by more than S3's 15 minutes, seen on a HEAD.

S3 refuses a request signed at a time more than 15 minutes from its own with RequestTimeTooSkewed; to a
HEAD the answer has no body (HTTP gives a HEAD's answer none), so the code is not there to read: minio reads
the bare 403 as AccessDenied. `stat` and `get` of one object (both start with a HEAD) told the operator
"access denied (AccessDenied) to HeadObject ... (needs s3:GetObject)", with the hint that the key's
permissions lack it: an operator would change IAM policies, while `ls` on the same machine said to fix the
clock. The answer's Date header tells it: a refusal dated more than 15 minutes from this machine's clock
is read as the clock's.
"""

from __future__ import annotations

import email.utils
import time
from pathlib import Path

import pytest
from faultserver import Conn, FaultServer, Request, s3_error

from conftest import one_line_error
from helpers import fault_cli

HOUR_AHEAD = email.utils.formatdate(time.time() + 3600, usegmt=True)


def _skewed(server: FaultServer, req: Request, conn: Conn) -> bool:
    """Every request refused as S3 refuses a skewed one, the server's clock an hour ahead of ours."""
    conn.read_body(req)
    conn.send(s3_error(403, "RequestTimeTooSkewed", "The difference between the request time and the current time "
                       "is too large.", req.path, headers={"Date": HOUR_AHEAD}, head=req.method == "HEAD"))
    return True


@pytest.mark.parametrize("args", [["stat", "s3://evidence/frame.jpg"], ["get", "s3://evidence/frame.jpg", "out.jpg"]],
                         ids=["stat", "get"])
def test_a_skewed_head_is_named_as_the_clock(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails on main (6f7ffca): "access denied (AccessDenied) to HeadObject ... (needs s3:GetObject)"."""
    with FaultServer(_skewed, buckets=("evidence",)) as server:
        run = fault_cli(server, tmp_path, monkeypatch)(*args)
    line = one_line_error(run)
    assert "clock" in line and "behind the server" in line, line
    assert "needs s3:GetObject" not in line, line
    assert not (tmp_path / "out.jpg").exists()
