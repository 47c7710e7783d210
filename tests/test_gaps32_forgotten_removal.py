"""Session 32 gaps: the bucket settings session 31 left without a read-back (service/kept.read_back).

tests/test_atk31_forgetful_bucket.py holds `bucket versioning on`, `bucket retention set`, `bucket lifecycle
set` and `bucket encryption set` to "verify on the server what you promised": a server that answers 200 and
keeps nothing fails the command with exit 78. Three writes were left out and exited 0 against a server that
accepts and forgets them (tests/faultserver.py):
- `bucket lifecycle rm` (all rules, or one by --id): the expiry the user removed still deletes objects;
- `bucket retention rm`: every new object is still locked by the default the user removed;
- the versioning MINIO_ENABLE_VERSIONING turns on at bucket creation (`bucket create`, and the bucket an
  upload creates on first use): overwritten and deleted objects are gone, with exit 0.
Each is now read back and fails with exit 78 (one line); a bucket made for the failed versioning is removed
again, so that a next run does not upload into it unversioned.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import XML, Conn, FaultServer, Request, response

from conftest import ServerInfo, cli_runner, one_line_error

BUCKET = "forgetful"
NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
LOCK_WITH_DEFAULT = (f'<?xml version="1.0" encoding="UTF-8"?><ObjectLockConfiguration {NS}>'
                     "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode>"
                     "<Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>").encode()


def _rule(rule_id: str, days: int) -> str:
    return (f"<Rule><ID>{rule_id}</ID><Status>Enabled</Status><Filter><Prefix></Prefix></Filter>"
            f"<Expiration><Days>{days}</Days></Expiration></Rule>")


LIFECYCLE = (f'<?xml version="1.0" encoding="UTF-8"?><LifecycleConfiguration {NS}>'
             + _rule("keep-a", 3) + _rule("keep-b", 5) + "</LifecycleConfiguration>").encode()


def forgets_removals(server: FaultServer, req: Request, conn: Conn) -> bool:
    """Every write of a lifecycle, of the object lock's default or of versioning is answered OK and forgotten:
    the bucket keeps two lifecycle rules and a 1-day governance default, and GET ?versioning says never
    enabled."""
    forgotten = {"lifecycle", "object-lock", "versioning"}
    if req.key or req.method not in ("PUT", "DELETE") or not forgotten & set(req.query):
        if req.method == "GET" and "object-lock" in req.query and not req.key:
            conn.send(response(200, LOCK_WITH_DEFAULT, content_type=XML))
            return True
        return False
    conn.read_body(req)
    conn.send(response(204 if req.method == "DELETE" else 200))
    return True


@pytest.fixture
def server_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FaultServer, Any]]:
    import os
    with FaultServer(forgets_removals, buckets=(BUCKET,)) as server:
        server.configs[(BUCKET, "lifecycle")] = LIFECYCLE
        for name in [n for n in os.environ if n.startswith("MINIO_") or n == "REDIS_URL"]:
            monkeypatch.delenv(name)
        env = {**ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123").env(),
               "MINIO_MAX_RETRIES": "0", "MINIO_CACHE_DIR": str(tmp_path / "state" / "cache"),
               "MINIO_AUDIT_LOG": str(tmp_path / "state" / "audit.log"), "MINIO_ENABLE_VERSIONING": "true",
               "MINIO_CREATE_BUCKETS": "true", "MINIO_ENABLE_ENCRYPTION": "false"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        yield server, cli_runner(env)


@pytest.mark.parametrize("args", [
    ["bucket", "lifecycle", "rm", f"s3://{BUCKET}"],
    ["bucket", "lifecycle", "rm", f"s3://{BUCKET}", "--id", "keep-a"],
    ["bucket", "retention", "rm", f"s3://{BUCKET}"],
], ids=["lifecycle-rm-all", "lifecycle-rm-one", "retention-rm"])
def test_a_removal_the_server_does_not_keep_fails(server_cli: tuple[FaultServer, Any], args: list[str]) -> None:
    """Failed on main (a83dc6e): exit 0 for each ("removed ..." printed, the setting still in force)."""
    run = server_cli[1](*args)
    assert run.exit_code == 78, run
    assert "did not keep it" in one_line_error(run)


def test_default_versioning_the_server_does_not_keep_fails_bucket_create(
        server_cli: tuple[FaultServer, Any]) -> None:
    """`bucket create` with MINIO_ENABLE_VERSIONING: failed on main (exit 0, "versioning Off" shown)."""
    server, cli = server_cli
    run = cli("bucket", "create", "fresh")
    assert run.exit_code == 78, run
    assert "MINIO_ENABLE_VERSIONING" in one_line_error(run)
    assert "fresh" not in server.buckets  # removed again, as for any setting of a create that failed


def test_default_versioning_the_server_does_not_keep_fails_the_first_upload(
        server_cli: tuple[FaultServer, Any], tmp_path: Path) -> None:
    """The bucket an upload makes on first use: failed on main (exit 0, the object stored unversioned);
    now exit 78, nothing uploaded, and the bucket removed again so that a second run cannot find it and
    upload into it without versioning."""
    server, cli = server_cli
    (tmp_path / "frame.jpg").write_bytes(b"frame")
    run = cli("upload", str(tmp_path / "frame.jpg"), "s3://fresh/frame.jpg")
    assert run.exit_code == 78, run
    assert "MINIO_ENABLE_VERSIONING" in one_line_error(run)
    assert "fresh" not in server.buckets
    assert not [key for (bucket, key) in server.objects if bucket == "fresh"]
