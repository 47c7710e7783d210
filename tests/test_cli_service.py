"""presign, health, config, init through the CLI."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import one_line_error
from helpers import random_bytes, wait_for_server_clock


def test_presign_get_and_put_with_plain_http(cli, bucket):
    data = random_bytes(5000, seed=4)
    cli("upload", "-", f"s3://{bucket}/shared.bin", input=data)
    run = cli("presign", f"s3://{bucket}/shared.bin", "--expires", "5m", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["method"] == "GET" and doc["expires_in_seconds"] == 300
    with urllib.request.urlopen(doc["url"], timeout=10) as resp:
        assert resp.read() == data
    plain = cli("presign", f"s3://{bucket}/shared.bin")
    assert plain.stdout.strip().startswith("http://") and plain.stdout.count("\n") == 1

    put_url = cli("presign", f"s3://{bucket}/from-client.bin", "--method", "PUT", "--json").json()["url"]
    req = urllib.request.Request(put_url, data=b"client bytes", method="PUT")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
    assert cli("get", f"s3://{bucket}/from-client.bin", "-").stdout_bytes == b"client bytes"


def test_presign_expired_is_refused(cli, service, bucket):
    cli("upload", "-", f"s3://{bucket}/x", input=b"x")
    url = cli("presign", f"s3://{bucket}/x", "--expires", "1s", "--json").json()["url"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["1"]
    signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    wait_for_server_clock(service, bucket, signed + timedelta(seconds=1))  # past the expiry, by its clock
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=10)
    assert info.value.code == 403


@pytest.mark.parametrize("expires", ["8d", "604801s", "0s", "later"])
def test_presign_expiry_limits(cli, bucket, expires):
    run = cli("presign", f"s3://{bucket}/x", "--expires", expires)
    assert run.exit_code == 2 and run.stdout == ""
    one_line_error(run)


def test_health_exit_codes(cli, buckets):
    run = cli("health", "--json")
    assert run.exit_code == 69
    doc = run.json()
    assert doc["status"] == "degraded" and doc["checks"]["credentials"]["ok"] is True
    assert doc["buckets"] == {name: False for name in buckets.values()}

    init = cli("init", "--json")
    assert init.exit_code == 0 and sorted(init.json()["created"]) == sorted(buckets.values())
    assert cli("init", "--json").json()["created"] == []
    healthy = cli("health", "--json")
    assert healthy.exit_code == 0 and healthy.json()["status"] == "healthy"
    assert "healthy" in cli("health").stdout

    bad = cli("health", "--json", extra_env={"MINIO_SECRET_KEY": "nope-nope"})
    assert bad.exit_code == 69 and bad.json()["checks"]["credentials"]["ok"] is False
    down = cli("health", "--json", extra_env={"MINIO_ENDPOINT": "127.0.0.1:9"})
    assert down.exit_code == 69 and down.json()["checks"]["endpoint"]["ok"] is False


def test_config_masks_secret_and_shows_flags(cli, env, tmp_path: Path):
    run = cli("--endpoint", "override.example:9000", "config", "--json")
    assert run.exit_code == 0
    doc = run.json()
    assert doc["MINIO_ENDPOINT"] == "override.example:9000"
    assert doc["MINIO_SECRET_KEY"] == "********"
    assert env["MINIO_SECRET_KEY"] not in run.stdout + run.stderr
    human = cli("config")
    assert "MINIO_VIDEO_BUCKET" in human.stdout and env["MINIO_SECRET_KEY"] not in human.stdout

    (tmp_path / "other.env").write_text("MINIO_REGION=eu-central-1\n")
    doc = cli("--env-file", "other.env", "config", "--json").json()
    assert doc["MINIO_REGION"] == "us-east-1"  # env (set by the fixture) beats the file
    missing = cli("--env-file", "missing.env", "config")
    assert missing.exit_code == 78


def test_version_and_help(cli):
    from its_store import __version__
    assert cli("--version").stdout.strip() == f"its-store {__version__}"
    for command in ("upload", "get", "ls", "rm", "stat", "presign", "health", "config", "init"):
        run = cli(command, "--help")
        assert run.exit_code == 0 and "Example: its-store" in run.stdout, command
