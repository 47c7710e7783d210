"""End-to-end: bucket lifecycle rules (set/show/rm, files, validation, presets) and one rule actually
executed by the server."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import one_line_error, unique

LC = ("bucket", "lifecycle")


def _rules(cli, bucket: str) -> list[dict]:
    run = cli(*LC, "show", f"s3://{bucket}", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["bucket"] == bucket
    return doc["rules"]


def _by_id(rules: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in rules}


def test_lifecycle_round_trip_with_flags(cli, bucket, env):
    assert _rules(cli, bucket) == []
    run = cli(*LC, "set", f"s3://{bucket}", "--id", "frames-30d", "--prefix", "frames/", "--expire-days", "30",
              "--tag", "env=prod", "--json")
    assert run.exit_code == 0, run
    assert run.json()["added"] == ["frames-30d"] and run.json()["replaced"] == []
    run = cli(*LC, "set", f"s3://{bucket}", "--id", "tidy", "--noncurrent-expire-days", "10",
              "--abort-multipart-days", "3", "--json")
    assert run.exit_code == 0, run
    rules = _by_id(_rules(cli, bucket))
    assert set(rules) == {"frames-30d", "tidy"}
    assert rules["frames-30d"] == {"id": "frames-30d", "enabled": True, "prefix": "frames/", "tags": {"env": "prod"},
                                   "expire_days": 30, "expire_date": None, "noncurrent_expire_days": None,
                                   "abort_multipart_days": None, "unsupported": []}
    assert (rules["tidy"]["prefix"], rules["tidy"]["noncurrent_expire_days"],
            rules["tidy"]["abort_multipart_days"], rules["tidy"]["expire_days"]) == ("", 10, 3, None)

    # same id: replaced, the other rule kept; two tags and no prefix also round-trip
    run = cli(*LC, "set", f"s3://{bucket}", "--id", "frames-30d", "--expire-days", "45", "--tag", "a=1",
              "--tag", "b=2", "--json")
    assert run.exit_code == 0 and run.json()["replaced"] == ["frames-30d"]
    rules = _by_id(_rules(cli, bucket))
    assert rules["frames-30d"]["expire_days"] == 45 and rules["frames-30d"]["tags"] == {"a": "1", "b": "2"}
    assert rules["frames-30d"]["prefix"] == "" and "tidy" in rules

    # no --id: a stable id derived from the rule; setting it twice does not duplicate it
    first = cli(*LC, "set", f"s3://{bucket}", "--prefix", "tmp/", "--expire-date", "2031-01-01", "--json").json()
    again = cli(*LC, "set", f"s3://{bucket}", "--prefix", "tmp/", "--expire-date", "2031-01-01", "--json").json()
    assert first["added"] == again["replaced"] and len(again["rules"]) == 3
    rule = _by_id(_rules(cli, bucket))[first["added"][0]]
    assert rule["expire_date"] == "2031-01-01" and rule["prefix"] == "tmp/"

    human = cli(*LC, "show", f"s3://{bucket}")
    assert human.exit_code == 0 and "frames-30d" in human.stdout and "45 d" in human.stdout
    assert "tidy" in human.stdout and "2031-01-01" in human.stdout

    run = cli(*LC, "rm", f"s3://{bucket}", "--id", "frames-30d", "--json")
    assert run.exit_code == 0 and run.json()["removed"] == ["frames-30d"]
    assert set(_by_id(_rules(cli, bucket))) == {"tidy", first["added"][0]}
    missing = cli(*LC, "rm", f"s3://{bucket}", "--id", "frames-30d")
    assert missing.exit_code == 3 and "no lifecycle rule" in one_line_error(missing)
    run = cli(*LC, "rm", f"s3://{bucket}", "--json")
    assert run.exit_code == 0 and sorted(run.json()["removed"]) == sorted(["tidy", first["added"][0]])
    assert _rules(cli, bucket) == []
    assert cli(*LC, "rm", f"s3://{bucket}", "--json").json()["removed"] == []  # nothing left: fine
    assert "no lifecycle rules" in cli(*LC, "show", f"s3://{bucket}").stderr

    audit = [json.loads(line) for line in Path(env["MINIO_AUDIT_LOG"]).read_text().splitlines()]
    changes = [e for e in audit if e["operation"] == "lifecycle" and e["bucket"] == bucket]
    assert len(changes) == 7 and all(e["result"] == "ok" for e in changes)


def test_lifecycle_validation_sends_nothing(cli, bucket, tmp_path: Path):
    assert cli(*LC, "set", f"s3://{bucket}", "--id", "keep", "--expire-days", "7").exit_code == 0
    files = {
        "dup.json": {"rules": [{"id": "x", "expire_days": 1}, {"id": "x", "expire_days": 2}]},
        "empty.json": {"rules": []},
        "unknown.json": [{"id": "x", "expire_days": 1, "colour": "red"}],
        "notlist.json": {"rules": "all"},
        "negative.json": {"Rules": [{"ID": "n", "Status": "Enabled", "Filter": {"Prefix": ""},
                                     "Expiration": {"Days": -3}}]},
    }
    for name, doc in files.items():
        (tmp_path / name).write_text(json.dumps(doc))
    (tmp_path / "broken.json").write_text("{not json")
    b = f"s3://{bucket}"
    cases = [
        (("set", b, "--expire-days", "-1"), 2, "positive number of days"),
        (("set", b, "--noncurrent-expire-days", "0"), 2, "positive number of days"),
        (("set", b, "--abort-multipart-days", "-5"), 2, "positive number of days"),
        (("set", b, "--id", "noop", "--prefix", "x/"), 2, "has no action"),
        (("set", b), 2, "has no action"),
        (("set", b, "--expire-days", "3", "--expire-date", "2030-01-01"), 2, "not both"),
        (("set", b, "--expire-date", "next week"), 2, "YYYY-MM-DD"),
        (("set", b, "--abort-multipart-days", "3", "--tag", "a=b"), 2, "cannot be combined with --tag"),
        (("set", b, "--tag", "novalue", "--expire-days", "3"), 2, "malformed tag"),
        (("set", b, "--file", "dup.json"), 2, "duplicate lifecycle rule id 'x'"),
        (("set", b, "--file", "empty.json"), 2, "empty lifecycle rule set"),
        (("set", b, "--file", "unknown.json"), 2, "colour"),
        (("set", b, "--file", "notlist.json"), 2, "expected"),
        (("set", b, "--file", "negative.json"), 2, "positive number of days"),
        (("set", b, "--file", "broken.json"), 2, "not valid JSON"),
        (("set", b, "--file", "missing.json"), 3, "no such file"),
        (("set", b, "--file", "dup.json", "--expire-days", "3"), 2, "not several"),
        (("set", b, "--preset", "video", "--expire-days", "3"), 2, "not several"),
        (("set", b, "--preset", "archive"), 2, "--preset"),
        (("set", b, "--expire-days", "abc"), 2, "--expire-days"),
        (("set", "s3://no-such-bucket-lc1", "--expire-days", "3"), 3, "bucket not found"),
        (("show", "s3://no-such-bucket-lc1"), 3, "bucket not found"),
        (("set", f"{b}/key", "--expire-days", "3"), 2, "names an object"),
    ]
    for args, code, fragment in cases:
        run = cli(*LC, *args)
        assert run.exit_code == code, (args, run)
        assert fragment in one_line_error(run), (args, run)
    assert [r["id"] for r in _rules(cli, bucket)] == ["keep"]  # nothing was sent
    err = cli(*LC, "set", b, "--expire-days", "-1", "--json")
    assert err.exit_code == 2 and err.json()["error"]["code"] == "invalid_input"


def test_lifecycle_from_files_replaces_all_rules(cli, bucket, tmp_path: Path):
    assert cli(*LC, "set", f"s3://{bucket}", "--id", "old", "--expire-days", "7").exit_code == 0
    ours = {"rules": [
        {"id": "frames", "prefix": "frames/", "expire_days": 30, "noncurrent_expire_days": 5},
        {"id": "incidents", "tags": {"incident": "yes"}, "noncurrent_expire_days": 365},
    ]}
    (tmp_path / "ours.json").write_text(json.dumps(ours))
    run = cli(*LC, "set", f"s3://{bucket}", "--file", "ours.json", "--json")
    assert run.exit_code == 0 and run.json()["replace_all"] is True, run
    rules = _by_id(_rules(cli, bucket))
    assert set(rules) == {"frames", "incidents"}
    assert (rules["frames"]["prefix"], rules["frames"]["expire_days"], rules["frames"]["noncurrent_expire_days"]) \
        == ("frames/", 30, 5)
    assert rules["incidents"]["tags"] == {"incident": "yes"}

    aws = {"Rules": [{"ID": "aws-style", "Status": "Enabled",
                      "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "k", "Value": "v"}]}},
                      "Expiration": {"Days": 90}, "NoncurrentVersionExpiration": {"NoncurrentDays": 9}},
                     {"ID": "mpu", "Status": "Enabled", "Filter": {"Prefix": ""},
                      "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}]}
    (tmp_path / "aws.json").write_text(json.dumps(aws))
    assert cli(*LC, "set", f"s3://{bucket}", "-f", "aws.json").exit_code == 0
    rules = _by_id(_rules(cli, bucket))
    assert set(rules) == {"aws-style", "mpu"}
    assert (rules["aws-style"]["prefix"], rules["aws-style"]["tags"], rules["aws-style"]["expire_days"],
            rules["aws-style"]["noncurrent_expire_days"]) == ("logs/", {"k": "v"}, 90, 9)
    assert rules["mpu"]["abort_multipart_days"] == 2

    # --replace with flags drops the others too
    run = cli(*LC, "set", f"s3://{bucket}", "--id", "only", "--expire-days", "1", "--replace", "--json")
    assert run.exit_code == 0 and [r["id"] for r in run.json()["rules"]] == ["only"]
    assert [r["id"] for r in _rules(cli, bucket)] == ["only"]


def test_presets_create_versioned_buckets_with_their_rule(cli, bucket):
    expected = {"video": (30, 30), "logs": (90, 90), "models": (None, 365)}
    for preset, (expire, noncurrent) in expected.items():
        name = unique(preset[:3])
        run = cli("bucket", "create", f"s3://{name}", "--preset", preset, "--no-encryption", "--json")
        assert run.exit_code == 0, run
        doc = run.json()
        assert doc["bucket"] == name and doc["preset"] == preset and doc["versioning"] == "Enabled"
        assert doc["encryption"] is None
        [rule] = doc["lifecycle"]
        assert (rule["id"], rule["expire_days"], rule["noncurrent_expire_days"], rule["abort_multipart_days"]) \
            == (f"its-preset-{preset}", expire, noncurrent, 7)
        assert _rules(cli, name) == doc["lifecycle"]
        assert cli("bucket", "versioning", f"s3://{name}", "--json").json()["versioning"] == "Enabled"
    # a preset on an existing bucket, next to its own rules
    assert cli(*LC, "set", f"s3://{bucket}", "--id", "mine", "--expire-days", "3").exit_code == 0
    assert cli(*LC, "set", f"s3://{bucket}", "--preset", "logs").exit_code == 0
    assert set(_by_id(_rules(cli, bucket))) == {"mine", "its-preset-logs"}
    bad = cli("bucket", "create", f"s3://{unique('p')}", "--preset", "video", "--no-versioning")
    assert bad.exit_code == 2 and "needs versioning" in one_line_error(bad)


def test_preset_with_default_encryption_is_all_or_nothing(cli, service):
    """MINIO_ENABLE_ENCRYPTION (default true) adds SSE-S3 as bucket default. A server that refuses it
    (e.g. MinIO without KMS) must leave no half-configured bucket behind."""
    name = unique("enc")
    run = cli("bucket", "create", f"s3://{name}", "--preset", "models", "--json")
    if run.exit_code == 0:
        assert run.json()["encryption"] == "SSE-S3"
        info = cli("bucket", "info", f"s3://{name}", "--json").json()
        assert info["encryption"]["sse"] == "SSE-S3" and info["versioning"] == "Enabled"
        assert [r["id"] for r in info["lifecycle"]] == ["its-preset-models"]
    else:
        assert "encrypt" in run.json()["error"]["message"].lower(), run
        assert not service.s3.bucket_exists(name)


def _weed_lifecycle_run(s3_server) -> str:
    """Ask SeaweedFS to run its lifecycle pass now (it otherwise runs daily)."""
    from its_store.testing.devserver import find_weed
    sw = s3_server.seaweed
    command = f"s3.lifecycle.run-shard -shards 0-15 -s3 127.0.0.1:{sw.s3_port + 10000} -runtime 20s\n"
    done = subprocess.run([find_weed(), "shell", f"-master=127.0.0.1:{sw.master_port}",
                           f"-filer=127.0.0.1:{sw.filer_port}"], input=command, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done
    return done.stdout


def test_lifecycle_rule_executed_by_the_server(cli, s3_server, service):
    """A rule whose expiration date has passed: SeaweedFS expires the matching objects when asked to run
    its lifecycle pass; in a versioned bucket expiry leaves a delete marker and keeps the data version.

    Against an external MinIO (ITS_STORE_TEST_ENDPOINT) the scanner cannot be triggered on demand;
    there the test checks MinIO's own reading of the rule: the x-amz-expiration header it returns on
    HEAD names our rule for a matching object, and no rule for the others.
    """
    plain, versioned = unique("lcx"), unique("lcv")
    assert cli("bucket", "create", f"s3://{plain}", "--no-versioning").exit_code == 0
    assert cli("bucket", "create", f"s3://{versioned}", "--versioning").exit_code == 0
    for name in (plain, versioned):
        for key in ("exp/a.log", "exp/b.log", "keep/c.log"):
            assert cli("upload", "-", f"s3://{name}/{key}", input=b"log line\n").exit_code == 0
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        run = cli(*LC, "set", f"s3://{name}", "--id", "past", "--prefix", "exp/", "--expire-date", yesterday)
        assert run.exit_code == 0, run

    if s3_server.seaweed is None:
        for name in (plain, versioned):
            header = service.s3.stat(name, "exp/a.log").metadata.get("x-amz-expiration") or ""
            assert 'rule-id="past"' in header, (name, header)
            assert not service.s3.stat(name, "keep/c.log").metadata.get("x-amz-expiration")
        return

    output = _weed_lifecycle_run(s3_server)
    assert "complete" in output, output
    assert [o["key"] for o in cli("ls", f"s3://{plain}", "-r", "--json").jsonl()] == ["keep/c.log"]
    assert [o["key"] for o in cli("ls", f"s3://{versioned}", "-r", "--json").jsonl()] == ["keep/c.log"]
    entries = cli("ls", f"s3://{versioned}/exp/", "-r", "--versions", "--json").jsonl()
    assert sorted((e["key"], e["is_delete_marker"]) for e in entries) == [
        ("exp/a.log", False), ("exp/a.log", True), ("exp/b.log", False), ("exp/b.log", True)]


def test_rules_written_by_another_tool_are_never_silently_rewritten(cli, bucket, service):
    """A rule part its-store cannot express (here ExpiredObjectDeleteMarker, as `mc ilm` writes it) is shown,
    and a merge that would drop it is refused (exit 5) instead of losing it."""
    from minio.commonconfig import ENABLED, Filter
    from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule
    config = LifecycleConfig([Rule(ENABLED, rule_filter=Filter(prefix="b/"), rule_id="mc-rule",
                                   expiration=Expiration(expired_object_delete_marker=True))])
    service.s3._minio.set_bucket_lifecycle(bucket_name=bucket, config=config)

    [rule] = _rules(cli, bucket)
    assert rule["id"] == "mc-rule" and rule["unsupported"] == ["expired_object_delete_marker"]
    human = cli(*LC, "show", f"s3://{bucket}", extra_env={"COLUMNS": "200"})
    assert "expired_object_delete_marker" in human.stdout, human
    for args in (("set", f"s3://{bucket}", "--id", "mine", "--expire-days", "3"),
                 ("set", f"s3://{bucket}", "--preset", "logs")):
        run = cli(*LC, *args)
        assert run.exit_code == 5 and "cannot write back" in one_line_error(run), run
    kept = service.s3._minio.get_bucket_lifecycle(bucket_name=bucket).rules
    assert [(r.rule_id, r.expiration.expired_object_delete_marker) for r in kept] == [("mc-rule", True)]

    run = cli(*LC, "set", f"s3://{bucket}", "--id", "mine", "--expire-days", "3", "--replace", "--json")
    assert run.exit_code == 0 and [r["id"] for r in run.json()["rules"]] == ["mine"], run
