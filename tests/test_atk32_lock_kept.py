"""Session 32 attack: `legal-hold on` and `retention set` on a server that answers 200 and keeps nothing.

An upload's lock is read back from the stored version (lock_not_kept, exit 78) and so are a bucket's default
retention and its other settings (service/kept.read_back); the object commands that put a hold or a
retention on what is already stored (README's tour, step 9: "hold the frames of incident 42: nobody may
delete them until the hold is lifted") take the PUT's 200 for the lock: "legal hold on", exit 0, while
`legal-hold show` on the same object says "legal hold off, delete allowed". Evidence believed held can be
deleted by anyone. The fault server answers PutObjectLegalHold and PutObjectRetention 200 and stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes3 import s3_call
from faultserver import Conn, FakeObject, FaultServer, Request, response

from conftest import one_line_error
from helpers import fault_cli

BUCKET = "hold-b"


def _forgets_locks(server: FaultServer, req: Request, conn: Conn) -> bool:
    if s3_call(req) not in ("PutObjectLegalHold", "PutObjectRetention"):
        return False
    conn.read_body(req)
    conn.send(response(200))
    return True


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with FaultServer(_forgets_locks, buckets=(BUCKET,)) as server:
        server.locked.add(BUCKET)
        for key in ("ev/a.jpg", "ev/b.jpg"):
            server.put_object(BUCKET, key, FakeObject(b"frame" * 20))
        yield fault_cli(server, tmp_path, monkeypatch)


@pytest.mark.parametrize("args", [
    ["legal-hold", "on", f"s3://{BUCKET}/ev/a.jpg"],
    ["retention", "set", "--mode", "compliance", "--days", "30", f"s3://{BUCKET}/ev/a.jpg"],
], ids=["legal-hold", "retention"])
def test_a_lock_the_server_does_not_keep_fails(cli: Any, args: list[str]) -> None:
    """Fails on main (a83dc6e): exit 0 ("legal hold on: ...", "retained until ... (compliance)")."""
    run = cli(*args)
    assert run.exit_code == 78, run
    one_line_error(run)
    assert cli("--json", *args).json()["error"]["code"] == "lock_not_kept"


@pytest.mark.parametrize("args", [
    ["legal-hold", "on", "-r", f"s3://{BUCKET}/ev/"],
    ["retention", "set", "-r", "--mode", "governance", "--days", "30", f"s3://{BUCKET}/ev/"],
], ids=["legal-hold-r", "retention-r"])
def test_a_recursive_lock_the_server_does_not_keep_fails(cli: Any, args: list[str]) -> None:
    """Fails on main (a83dc6e): exit 0 ("legal hold on: 2 objects under ..."). Every item failed the same
    way: that way's code, 78."""
    run = cli(*args)
    assert run.exit_code == 78, run
