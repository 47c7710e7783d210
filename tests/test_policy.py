"""Bucket policies against the real SeaweedFS, which enforces them for anonymous requests.

Anonymous requests are made here with plain urllib (no credentials, no signature): what a browser,
a traffic authority's script or a camera without keys would send."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import one_line_error


def _anon(endpoint: str, method: str, path: str, body: bytes | None = None) -> int:
    req = urllib.request.Request(f"http://{endpoint}/{path}", data=body, method=method,
                                 headers={"Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def seeded(cli, bucket):
    for key in ("share/snap_001.jpg", "share/day/snap_002.jpg", "private/frame.jpg", "shared-not/x.jpg"):
        assert cli("upload", "-", f"s3://{bucket}/{key}", input=b"jpeg " + key.encode()).exit_code == 0
    return bucket


def test_public_read_opens_one_prefix_only_and_rm_closes_it(cli, seeded, s3_server, env):
    bucket, ep = seeded, s3_server.endpoint
    assert _anon(ep, "GET", f"{bucket}/share/snap_001.jpg") == 403  # private by default
    run = cli("bucket", "policy", "set", f"s3://{bucket}", "--public-read", "share/")
    assert run.exit_code == 0, run
    assert "warning" in run.stderr and "public" in run.stderr and "share" in run.stderr

    assert _anon(ep, "GET", f"{bucket}/share/snap_001.jpg") == 200
    assert _anon(ep, "GET", f"{bucket}/share/day/snap_002.jpg") == 200
    assert _anon(ep, "GET", f"{bucket}/private/frame.jpg") == 403
    assert _anon(ep, "GET", f"{bucket}/shared-not/x.jpg") == 403      # a prefix, not a string start
    assert _anon(ep, "GET", f"{bucket}?list-type=2") == 403            # no listing granted
    assert _anon(ep, "PUT", f"{bucket}/share/new.jpg", b"x") == 403    # read only
    assert _anon(ep, "DELETE", f"{bucket}/share/snap_001.jpg") == 403

    shown = cli("bucket", "policy", "show", f"s3://{bucket}", "--json").json()
    assert shown["public"] is True and shown["policy"]["Statement"]
    [line] = [s["text"] for s in shown["summary"]]
    assert "anyone" in line and "read objects" in line and "under share/" in line
    human = cli("bucket", "policy", "show", f"s3://{bucket}")
    assert json.loads(human.stdout)["Statement"] and "PUBLIC" in human.stderr and "under share/" in human.stderr

    info = cli("bucket", "info", f"s3://{bucket}", "--json").json()
    assert info["public"] is True and "under share/" in info["policy_summary"][0]

    assert cli("bucket", "policy", "rm", f"s3://{bucket}").exit_code == 2  # no terminal: --yes needed
    assert _anon(ep, "GET", f"{bucket}/share/snap_001.jpg") == 200       # ... and nothing changed
    rm = cli("bucket", "policy", "rm", f"s3://{bucket}", "--yes", "--json")
    assert rm.exit_code == 0 and rm.json() == {"bucket": bucket, "removed": True, "was_public": True}
    assert _anon(ep, "GET", f"{bucket}/share/snap_001.jpg") == 403
    after = cli("bucket", "policy", "show", f"s3://{bucket}", "--json").json()
    assert after["policy"] is None and after["public"] is False
    assert cli("bucket", "info", f"s3://{bucket}", "--json").json()["public"] is False

    ops = [json.loads(x)["operation"] for x in Path(env["MINIO_AUDIT_LOG"]).read_text().splitlines()]
    assert "bucket_policy_set" in ops and "bucket_policy_rm" in ops


def test_public_write_policy_names_put_under_the_prefix_only(cli, seeded, s3_server):
    """The JSON grants anonymous PutObject under the prefix only. SeaweedFS 4.48 still refuses every
    anonymous write (checked: also with Principal "*" and s3:*), so what is asserted on the server is
    that nothing outside the prefix opens; MinIO and AWS honour the grant."""
    bucket, ep = seeded, s3_server.endpoint
    run = cli("bucket", "policy", "set", f"s3://{bucket}", "--public-write", "inbox/cam_07/", "--json")
    assert run.exit_code == 0 and "warning" in run.stderr, run
    doc = run.json()
    [st] = doc["policy"]["Statement"]
    assert st["Action"] == ["s3:PutObject"] and st["Resource"] == [f"arn:aws:s3:::{bucket}/inbox/cam_07/*"]
    assert "write objects under inbox/cam_07/" in doc["summary"][0]["text"]
    assert _anon(ep, "PUT", f"{bucket}/private/evil.jpg", b"x") == 403
    assert _anon(ep, "GET", f"{bucket}/private/frame.jpg") == 403
    assert _anon(ep, "GET", f"{bucket}/share/snap_001.jpg") == 403
    health = cli("health", "--json").json()
    assert "public" in health  # the configured buckets are not this one: none flagged
    assert bucket not in health["public"]


def test_health_flags_a_public_configured_bucket(cli, buckets, s3_server):
    assert cli("init").exit_code == 0
    assert cli("health", "--json").json()["public"] == []
    cli("bucket", "policy", "set", f"s3://{buckets['video']}", "--public-read", "snapshots/")
    report = cli("health", "--json")
    assert report.exit_code == 0 and report.json()["public"] == [buckets["video"]]
    assert "public access" in cli("health").stdout


def test_policy_from_file_and_bad_input(cli, bucket, tmp_path: Path, s3_server):
    good = tmp_path / "p.json"
    good.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/reports/*"}]}))
    cli("upload", "-", f"s3://{bucket}/reports/r.pdf", input=b"pdf")
    run = cli("bucket", "policy", "set", f"s3://{bucket}", "--file", str(good))
    assert run.exit_code == 0 and "warning" in run.stderr
    assert _anon(s3_server.endpoint, "GET", f"{bucket}/reports/r.pdf") == 200
    before = cli("bucket", "policy", "show", f"s3://{bucket}", "--json").json()["policy"]

    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"Statement": [')
    not_policy = tmp_path / "np.json"
    not_policy.write_text('{"Statement": [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}]}')
    cases = [["--file", str(bad_json)], ["--file", str(not_policy)], [],
             ["--public-read", "share/*"], ["--public-read", "a/", "--file", str(good)]]
    for args in cases:
        run = cli("bucket", "policy", "set", f"s3://{bucket}", *args)
        assert run.exit_code == 2, (args, run)
        one_line_error(run)
        assert "warning" not in run.stderr
    assert cli("bucket", "policy", "set", f"s3://{bucket}", "--file", "missing.json").exit_code == 3
    assert cli("bucket", "policy", "show", f"s3://{bucket}", "--json").json()["policy"] == before  # unchanged
    assert cli("bucket", "policy", "set", "s3://no-such-bucket-zz", "--public-read", "a/").exit_code == 3
    assert cli("bucket", "policy", "set", f"s3://{bucket}/key", "--public-read", "a/").exit_code == 2
