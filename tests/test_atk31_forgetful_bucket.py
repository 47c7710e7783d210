"""Session 31 attack: a server that accepts a bucket setting and does not keep it.

tests/test_lock_postcheck.py holds every object lock write to "verify on the server what you promised":
a lock the server answered 200 for but does not keep fails the command (exit 78). The bucket settings that
protect data in the same way were not held to it: `bucket versioning on` (what keeps an overwritten or
deleted frame), `bucket retention set` (the default lock of every new object), `bucket lifecycle set` (the
abort-multipart rule the README relies on for uploads a dead server kept) and `bucket encryption set`.
Against a fake S3 (tests/faultserver.py) that answers each PUT with 200 and then reads back the bucket as it
was, each command exited 0: versioning and retention printed the unchanged state ("versioning Off",
"default retention none") with exit 0, lifecycle printed "added ... (1 rules in total)" without reading
anything back, encryption printed "None". A script that checks the exit code believes it is protected.

Each expects the lock post-check's answer: exit 78 (the server does not keep the setting), one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import XML, Conn, FaultServer, Request, response, s3_error

from conftest import cli_runner, fake_server_environment, one_line_error

BUCKET = "forgetful"
NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
LOCK_ENABLED = (f'<?xml version="1.0" encoding="UTF-8"?><ObjectLockConfiguration {NS}>'
                "<ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>").encode()
SETTINGS = {"versioning", "object-lock", "lifecycle", "encryption"}


def forgetful(server: FaultServer, req: Request, conn: Conn) -> bool:
    """Bucket settings: every PUT accepted (200) and forgotten; every GET answers as for a new bucket
    with object lock enabled at creation (no default retention), as S3 spells "none"."""
    asked = SETTINGS & set(req.query)
    if req.key or not asked:
        return False
    setting = asked.pop()
    if req.method == "PUT":
        conn.read_body(req)
        conn.send(response(200))
    elif setting == "object-lock":
        conn.send(response(200, LOCK_ENABLED, content_type=XML))
    elif setting == "versioning":
        conn.send(response(200, f'<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration {NS}/>'.encode(),
                           content_type=XML))
    elif setting == "lifecycle":
        conn.send(s3_error(404, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist",
                           req.path))
    else:
        conn.send(s3_error(404, "ServerSideEncryptionConfigurationNotFoundError",
                           "The server side encryption configuration was not found", req.path))
    return True


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with FaultServer(forgetful, buckets=(BUCKET,)) as server:
        env = fake_server_environment(server.endpoint, monkeypatch, tmp_path)
        monkeypatch.chdir(tmp_path)
        yield cli_runner(env)


@pytest.mark.parametrize("args", [
    ["bucket", "versioning", BUCKET, "on"],
    ["bucket", "retention", "set", BUCKET, "--days", "1", "--mode", "governance"],
    ["bucket", "lifecycle", "set", BUCKET, "--expire-days", "3"],
    ["bucket", "encryption", "set", BUCKET],
], ids=["versioning", "default-retention", "lifecycle", "encryption"])
def test_a_bucket_setting_the_server_does_not_keep_fails(cli: Any, args: list[str]) -> None:
    """Fails on main (b76b436): exit 0 for each."""
    run = cli(*args)
    assert run.exit_code == 78, run
    one_line_error(run)
