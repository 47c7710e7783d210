"""Session 34, fix: "fix the clock" only for a refusal about time.

A refusal was read as this machine's clock (ClockSkewError, "fix the clock") when its code was RequestTimeTooSkewed,
or any access code with a Date more than 15 minutes from ours: the second is meant for a HEAD's bare 403 (no body:
minio guesses AccessDenied), but it also took a code the server wrote itself. A server whose own clock is off (an
edge box without NTP) and that does not check the request time, asked with a wrong key, answers
InvalidAccessKeyId / SignatureDoesNotMatch / AccessDenied in an <Error>: the operator was told to fix this
machine's clock instead of the key. Now a code the server said is taken as said (s3/errors.from_code `said`);
the bare HEAD stays the clock's (tests/test_atk33b_skewed_head.py). Through tests/faultserver.py: a real server
answers with its own Date, which cannot be an hour off here.
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


@pytest.mark.parametrize("code", ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"])
def test_a_refusal_the_server_named_is_not_the_clock(code: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(server: FaultServer, req: Request, conn: Conn) -> bool:
        conn.read_body(req)
        conn.send(s3_error(403, code, "refused", req.path, headers={"Date": HOUR_AHEAD}, head=req.method == "HEAD"))
        return True

    with FaultServer(refuse, buckets=("evidence",)) as server:
        run = fault_cli(server, tmp_path, monkeypatch)("ls", "s3://evidence/")
    line = one_line_error(run)
    assert run.exit_code == 6, run
    assert "clock" not in line.lower() and code in line, line
    assert '"clock_skew"' not in run.stdout


def test_a_skewed_refusal_is_still_the_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def skewed(server: FaultServer, req: Request, conn: Conn) -> bool:
        conn.read_body(req)
        conn.send(s3_error(403, "RequestTimeTooSkewed", "too skewed", req.path, headers={"Date": HOUR_AHEAD},
                           head=req.method == "HEAD"))
        return True

    with FaultServer(skewed, buckets=("evidence",)) as server:
        run = fault_cli(server, tmp_path, monkeypatch)("ls", "s3://evidence/")
    line = one_line_error(run)
    assert run.exit_code == 6 and "clock" in line and "behind the server" in line, line
