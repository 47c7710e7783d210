"""fix3: a bucket setting that reads back its OLD state once, then the new one (AWS documents such a lag after
PutBucketVersioning: eventual consistency). service/kept.settled reads again with a short bounded back-off
before deciding "not kept": the command succeeds (exit 0) and the bucket MINIO_ENABLE_VERSIONING made is kept,
after one more read. A server that never keeps the setting still fails as designed
(tests/test_atk31_forgetful_bucket.py, tests/test_gaps32_forgotten_removal.py: exit 78)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import XML, Conn, FaultServer, Request, response

from conftest import ServerInfo, cli_runner

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def lagging(server: FaultServer, req: Request, conn: Conn) -> bool:
    """PUT ?versioning kept; the first GET ?versioning after it answers the old state (none), later ones the
    new (the fake's own answer)."""
    if req.key or "versioning" not in req.query:
        return False
    if req.method == "PUT":
        found = re.search(rb"<Status>(\w+)</Status>", conn.read_body(req))
        server.versioning[req.bucket] = found.group(1).decode() if found else ""
        server.lag_pending = True  # type: ignore[attr-defined]
        conn.send(response(200))
        return True
    answers = server.answers = getattr(server, "answers", [])  # type: ignore[attr-defined]
    answers.append("old" if getattr(server, "lag_pending", False) else "new")
    if getattr(server, "lag_pending", False):
        server.lag_pending = False  # type: ignore[attr-defined]
        conn.send(response(200, f'<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration {NS}/>'.encode(),
                           content_type=XML))
        return True
    return False


@pytest.fixture
def lag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, FaultServer]]:
    with FaultServer(lagging, buckets=("lagging",)) as server:
        for name in [n for n in os.environ if n.startswith("MINIO_") or n == "REDIS_URL"]:
            monkeypatch.delenv(name)
        env = {**ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123").env(),
               "MINIO_MAX_RETRIES": "0", "MINIO_CACHE_DIR": str(tmp_path / "state" / "cache"),
               "MINIO_AUDIT_LOG": str(tmp_path / "state" / "audit.log"), "MINIO_ENABLE_VERSIONING": "true"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        yield cli_runner(env), server


def test_versioning_on_that_reads_back_late_is_kept(lag: tuple[Any, FaultServer]) -> None:
    cli, server = lag
    run = cli("bucket", "versioning", "lagging", "on")
    assert run.exit_code == 0, run
    assert server.answers == ["old", "new"], run  # type: ignore[attr-defined]


def test_a_new_bucket_whose_default_versioning_reads_back_late_stays(lag: tuple[Any, FaultServer]) -> None:
    cli, server = lag
    run = cli("bucket", "create", "fresh")
    assert run.exit_code == 0, run
    assert "fresh" in server.buckets and server.versioning.get("fresh") == "Enabled", run
    assert server.answers[:2] == ["old", "new"], run  # type: ignore[attr-defined]  # then `create` shows it
