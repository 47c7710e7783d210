"""Object lock retention against real servers: bucket --object-lock and --preset evidence, default
retention, `retention set|show`, `upload --retain`, `stat`, deletes that meet governance or compliance
retention (with and without --bypass-governance), audit lines, and bad input that changes nothing.

The core tests run on all four servers (`object_*` fixtures, conftest.py): SeaweedFS, moto, Ceph's
RADOS Gateway and `rclone serve s3`, which has no object lock: there each asserts the refusal (exit 78)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from its_store.core import lock as L
from its_store.core.errors import InvalidInputError

from conftest import one_line_error, unique
from helpers import audit_lines, list_versions, put_stdin, random_bytes, refused_without_lock


def _show(cli, target: str, *flags: str) -> dict:
    run = cli("retention", "show", target, *flags, "--json")
    assert run.exit_code == 0, run
    return run.json()


def _until(doc: dict, field: str = "retain_until") -> datetime:
    return datetime.fromisoformat(doc[field].replace("Z", "+00:00"))


# ------------------------------------------------------------------------------------- parsing
def test_retain_spans_dates_and_modes_parse_or_fail_with_input_errors():
    now = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
    assert L.parse_retain("90d", now=now) == now + timedelta(days=90)
    assert L.parse_retain("2w", now=now) == now + timedelta(days=14)
    assert L.parse_retain("1y", now=now) == now + timedelta(days=365)
    assert L.parse_retain("2031-01-31", now=now) == datetime(2031, 1, 31, tzinfo=UTC)
    assert L.parse_retain("2031-01-31T10:00:00+02:00", now=now) == datetime(2031, 1, 31, 8, tzinfo=UTC)
    assert L.parse_mode("governance") == "GOVERNANCE" and L.parse_mode("COMPLIANCE") == "COMPLIANCE"
    for bad in ("0d", "-3d", "2030-04-30", "2030-05-01T12:00:00Z", "tomorrow", "90", ""):
        with pytest.raises(InvalidInputError):
            L.parse_retain(bad, now=now)
    with pytest.raises(InvalidInputError):
        L.parse_mode("forever")
    with pytest.raises(InvalidInputError):
        L.until_from("2031-01-01", 3, now=now)      # --until and --days together
    with pytest.raises(InvalidInputError):
        L.until_from(None, 0, now=now)
    with pytest.raises(InvalidInputError):
        L.default_period(3, 1)
    with pytest.raises(InvalidInputError):
        L.upload_lock_fields(None, "governance")     # a mode needs a date
    assert L.upload_lock_fields(None, None, False) == {}
    fields = L.upload_lock_fields("30d", None, True, now=now)
    assert fields == {"retain_until": now + timedelta(days=30), "retain_mode": "GOVERNANCE", "legal_hold": True}
    assert L.lock_headers("GOVERNANCE", fields["retain_until"], True) == {
        "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "2030-05-31T12:00:00.000Z",
        "x-amz-object-lock-legal-hold": "ON", "x-amz-sdk-checksum-algorithm": "CRC32"}  # S3 wants MD5 or this
    assert L.lock_headers(None, None, False) == {}
    assert L.from_headers({"X-Amz-Object-Lock-Mode": "COMPLIANCE", "X-Amz-Object-Lock-Legal-Hold": "OFF",
                           "X-Amz-Object-Lock-Retain-Until-Date": "2030-05-31T12:00:00Z"}) == (
        "COMPLIANCE", datetime(2030, 5, 31, 12, tzinfo=UTC), False)
    assert L.from_headers({"x-amz-object-lock-retain-until-date": "2026-12-07T07:38:27.123456789Z"})[1] == \
        datetime(2026, 12, 7, 7, 38, 27, 123456, tzinfo=UTC)  # radosgw: nine digits
    assert L.describe("GOVERNANCE", now - timedelta(days=1), False, now=now) == []  # ran out
    assert L.describe("COMPLIANCE", now + timedelta(days=1), True, now=now) == [
        "retained until 2030-05-02 12:00:00Z (compliance)", "under legal hold"]


def test_rfc3339_times_parse_in_full_whatever_the_fraction_and_zone():
    """Servers answer retain-until dates with 0, 3 (S3, SeaweedFS) or 9 (radosgw) fraction digits, and
    minio's parser takes at most 6: core/units.parse_rfc3339 reads them all, cut (never rounded) to
    microseconds, 'Z' or an offset, as aware UTC datetimes."""
    from its_store.core.units import parse_rfc3339
    want = datetime(2026, 12, 7, 7, 38, 27, tzinfo=UTC)
    for text in ("2026-12-07T07:38:27Z", "2026-12-07T07:38:27.000Z", "2026-12-07T07:38:27.000000000Z",
                 "2026-12-07t07:38:27z", "2026-12-07 07:38:27Z", "2026-12-07T09:38:27+02:00",
                 "2026-12-07T02:08:27.0-05:30"):
        assert parse_rfc3339(text) == want, text
    assert parse_rfc3339("2026-12-07T07:38:27.999999999Z") == want.replace(microsecond=999999)  # cut, not 28 s
    assert parse_rfc3339("2026-12-07T07:38:27.1Z").microsecond == 100_000
    assert parse_rfc3339("2016-12-31T23:59:60Z") == datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)  # leap second
    for bad in ("2026-12-07", "2026-12-07T07:38:27", "2026-12-07T07:38:27.Z", "2026-13-07T07:38:27Z",
                "2026-12-07T07:38:27+0200", "yesterday", "", " 2026-12-07T07:38:27ZZ"):
        with pytest.raises(ValueError, match="RFC 3339"):
            parse_rfc3339(bad)


# ------------------------------------------------------------------------------------- buckets
def test_bucket_create_object_lock_turns_versioning_on_and_info_shows_it(cli, env):
    name, plain = unique("ol"), unique("pl")
    created = cli("bucket", "create", f"s3://{name}", "--object-lock", "--json")
    assert created.exit_code == 0, created
    assert created.json()["object_lock"] is True and created.json()["versioning"] == "Enabled"
    info = cli("bucket", "info", f"s3://{name}", "--json").json()
    assert info["object_lock"] is True and info["default_retention"] is None
    assert cli("bucket", "create", f"s3://{plain}", "--json").exit_code == 0
    assert cli("bucket", "info", f"s3://{plain}", "--json").json()["object_lock"] is False
    human = cli("bucket", "info", f"s3://{name}")
    assert "object lock" in human.stdout and "enabled" in human.stdout
    refused = cli("bucket", "create", f"s3://{unique('nv')}", "--object-lock", "--no-versioning")
    assert refused.exit_code == 2 and "versioning" in one_line_error(refused)


def test_bucket_default_retention_set_show_rm_andaudit_lines(object_cli, object_env, object_locked, object_server):
    cli, env, locked = object_cli, object_env, object_locked
    target = f"s3://{locked}"
    if object_server.kind == "rclone":
        shown = cli("bucket", "retention", "show", target)  # its answer to GET ?object-lock is a listing
        assert shown.exit_code == 1 and "GetObjectLockConfiguration" in one_line_error(shown), shown
        refused_without_lock(cli, "bucket", "retention", "set", target, "--mode", "governance", "--days", "3")
        return
    assert cli("bucket", "retention", "show", target, "--json").json() == {
        "bucket": locked, "object_lock": True, "mode": None, "days": None, "years": None,
        "unchecked": None}  # the field a denied read-back fills (test_gaps33_denied_settings)
    run = cli("bucket", "retention", "set", target, "--mode", "governance", "--days", "3", "--json")
    assert run.exit_code == 0, run
    assert run.json()["mode"] == "GOVERNANCE" and run.json()["days"] == 3
    run = cli("bucket", "retention", "set", target, "--mode", "compliance", "--years", "1", "--json")
    assert run.json()["mode"] == "COMPLIANCE" and run.json()["years"] == 1 and run.json()["days"] is None
    assert "compliance, 1 years" in cli("bucket", "retention", "show", target).stdout
    assert cli("bucket", "info", target, "--json").json()["default_retention"] == {
        "mode": "COMPLIANCE", "days": None, "years": 1}
    assert cli("bucket", "retention", "rm", target).exit_code == 0
    assert cli("bucket", "retention", "show", target, "--json").json()["mode"] is None
    ops = [(e["operation"], e["result"], e.get("mode")) for e in audit_lines(env) if e["bucket"] == locked]
    assert ops == [("bucket_retention_set", "ok", "GOVERNANCE"), ("bucket_retention_set", "ok", "COMPLIANCE"),
                   ("bucket_retention_rm", "ok", None)]


def test_default_retention_retains_a_new_upload_without_flags(cli, env, locked):
    assert cli("bucket", "retention", "set", f"s3://{locked}", "--mode", "governance", "--days", "2").exit_code == 0
    before = datetime.now(UTC)
    version = put_stdin(cli, locked, "cam1/f.jpg")
    info = cli("stat", f"s3://{locked}/cam1/f.jpg", "--json").json()
    assert info["retention_mode"] == "GOVERNANCE"
    slack = timedelta(minutes=5)
    assert before + timedelta(days=2) - slack <= _until(info) <= datetime.now(UTC) + timedelta(days=2) + slack
    refused = cli("rm", f"s3://{locked}/cam1/f.jpg", "--version-id", version)
    assert refused.exit_code == 6
    assert "(governance)" in one_line_error(refused) and "--bypass-governance" in refused.stderr
    assert [v["version_id"] for v in list_versions(cli, locked)] == [version]


def test_evidence_preset_locks_encrypts_retains_and_expires_oldlist_versions(cli, env):
    name = unique("ev")
    run = cli("bucket", "create", f"s3://{name}", "--preset", "evidence", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["object_lock"] is True and doc["versioning"] == "Enabled"
    assert doc["default_retention"] == {"mode": "GOVERNANCE", "days": 90, "years": None}
    assert doc["encryption"] == "SSE-S3" and doc["warnings"] == []  # SeaweedFS has SSE-S3
    assert [(r["id"], r["noncurrent_expire_days"], r["expire_days"]) for r in doc["lifecycle"]] == [
        ("its-preset-evidence", 90, None)]
    put_stdin(cli, name, "incidents/1/f.jpg")
    info = cli("stat", f"s3://{name}/incidents/1/f.jpg", "--json").json()
    assert info["retention_mode"] == "GOVERNANCE" and info["encryption"] == "SSE-S3"
    assert _until(info) > datetime.now(UTC) + timedelta(days=89)
    assert ("bucket_retention_set", name) in [(e["operation"], e["bucket"]) for e in audit_lines(env)]


# ------------------------------------------------------------------------------ object retention
def test_upload_retain_flags_single_and_multipart_and_stat_shows_them(object_cli, object_locked, object_server,
                                                                      tmp_path):
    cli, locked = object_cli, object_locked
    if object_server.kind == "rclone":
        refused_without_lock(cli, "upload", "-", f"s3://{locked}/a.jpg", "--retain", "30d", input=b"a")
        refused_without_lock(cli, "upload", "-", f"s3://{locked}/a.jpg", "--legal-hold", input=b"a")
        assert cli("ls", f"s3://{locked}", "-r", "--json").jsonl() == []
        return
    put_stdin(cli, locked, "a.jpg", "--retain", "30d", "--retain-mode", "compliance")
    info = cli("stat", f"s3://{locked}/a.jpg", "--json").json()
    # the HEAD of a version whose hold was never set: SeaweedFS says OFF, moto and radosgw nothing (null)
    assert info["retention_mode"] == "COMPLIANCE" and info["legal_hold"] is (False if object_server.kind == "seaweedfs"
                                                                             else None)
    assert _until(info) > datetime.now(UTC) + timedelta(days=29)
    human = cli("stat", f"s3://{locked}/a.jpg").stdout
    assert "compliance until" in human and "legal hold" in human
    big = tmp_path / "big.bin"
    big.write_bytes(random_bytes(6 * 1024 * 1024))  # above the test multipart threshold (5 MiB)
    run = cli("upload", str(big), f"s3://{locked}/big.bin", "--retain", "2031-01-31", "--legal-hold", "--json")
    assert run.exit_code == 0 and run.json()["multipart"] is True, run
    shown = _show(cli, f"s3://{locked}/big.bin")
    assert shown["mode"] == "GOVERNANCE" and shown["retain_until"].startswith("2031-01-31T00:00:00")
    assert shown["legal_hold"] is True
    listed = {i["key"]: i for i in cli("ls", f"s3://{locked}/", "--metadata", "--json").jsonl()}
    assert listed["big.bin"]["legal_hold"] is True and listed["a.jpg"]["retention_mode"] == "COMPLIANCE"
    lines = {line.split()[-1]: line for line in cli("ls", f"s3://{locked}/", "--metadata").stdout.splitlines()}
    assert "governance 2031-01-31 hold" in lines["big.bin"] and "compliance 20" in lines["a.jpg"]
    frames = tmp_path / "frames"
    frames.mkdir()
    for n in range(3):
        (frames / f"f{n}.jpg").write_bytes(b"f%d" % n)
    assert cli("upload", str(frames), f"s3://{locked}/dir/", "-r", "--retain", "5d").exit_code == 0
    assert all(_show(cli, f"s3://{locked}/dir/f{n}.jpg")["mode"] == "GOVERNANCE" for n in range(3))


def test_governance_retained_version_needs_bypass_to_be_deleted(object_cli, object_env, object_locked, object_server):
    cli, env, locked = object_cli, object_env, object_locked
    if object_server.kind == "rclone":
        assert put_stdin(cli, locked, "g.jpg") is None  # no versions there: nothing to retain or bypass
        refused_without_lock(cli, "retention", "set", f"s3://{locked}/g.jpg", "--mode", "governance", "--days", "2")
        refused_without_lock(cli, "retention", "show", f"s3://{locked}/g.jpg")
        return
    version = put_stdin(cli, locked, "g.jpg", "--retain", "2d")
    refused = cli("rm", f"s3://{locked}/g.jpg", "--version-id", version, "--json")
    assert refused.exit_code == 6
    assert refused.json()["error"]["code"] == "object_locked" and "(governance)" in refused.json()["error"]["message"]
    assert [v["version_id"] for v in list_versions(cli, locked)] == [version]
    # moto answers a refused DeleteObjects entry without its <VersionId>: it must still count as kept
    erase = cli("rm", f"s3://{locked}/g.jpg", "--all-versions", "--yes")
    assert erase.exit_code == 6 and "(governance)" in erase.stderr
    assert [v["version_id"] for v in list_versions(cli, locked)] == [version]
    run = cli("rm", f"s3://{locked}/g.jpg", "--version-id", version, "--bypass-governance")
    assert run.exit_code == 0, run
    assert "deleted" in run.stderr and list_versions(cli, locked) == []
    line = [e for e in audit_lines(env) if e["operation"] == "rm" and e["bucket"] == locked][-1]
    assert line["result"] == "ok" and line["bypass_governance"] is True and line["version_id"] == version


def test_compliance_retained_version_cannot_be_deleted_even_with_bypass(object_cli, object_locked, object_server):
    cli, locked = object_cli, object_locked
    if object_server.kind == "rclone":
        refused_without_lock(cli, "upload", "-", f"s3://{locked}/c.jpg", "--retain", "2d", "--retain-mode",
                             "compliance", input=b"c")
        return
    version = put_stdin(cli, locked, "c.jpg", "--retain", "2d", "--retain-mode", "compliance")
    for flags in (("--version-id", version), ("--version-id", version, "--bypass-governance"),
                  ("--all-versions", "--yes", "--bypass-governance")):
        run = cli("rm", f"s3://{locked}/c.jpg", *flags)
        assert run.exit_code == 6, (flags, run)
        assert "(compliance)" in run.stderr
    assert [v["version_id"] for v in list_versions(cli, locked)] == [version]


def test_plain_rm_in_a_locked_bucket_adds_a_delete_marker_and_says_so(cli, env, locked):
    version = put_stdin(cli, locked, "m.jpg", "--retain", "2d", "--retain-mode", "compliance")
    run = cli("rm", f"s3://{locked}/m.jpg")
    assert run.exit_code == 0, run
    assert "delete marker" in run.stderr and not run.stderr.startswith("deleted")
    assert cli("rm", f"s3://{locked}/m.jpg", "--version-id", version, "--json").exit_code == 6
    kept = list_versions(cli, locked)
    assert [v["version_id"] for v in kept if not v["is_delete_marker"]] == [version]
    assert sum(v["is_delete_marker"] for v in kept) == 1
    assert cli("get", f"s3://{locked}/m.jpg", "-", "--version-id", version).stdout_bytes == b"frame"
    useless = cli("rm", f"s3://{locked}/m.jpg", "--bypass-governance")
    assert useless.exit_code == 2 and "--version-id" in one_line_error(useless)
    again = cli("upload", "-", f"s3://{locked}/m2.jpg", "--json", input=b"x")
    doc = cli("rm", f"s3://{locked}/m2.jpg", "--json").json()
    assert again.exit_code == 0 and doc["deleted"][0]["delete_marker"] is True
    put_stdin(cli, locked, "dir/a.jpg", "--retain", "2d")
    swept = cli("rm", f"s3://{locked}/dir/", "-r", "--yes")
    assert swept.exit_code == 0, swept
    assert swept.stderr.startswith("hid s3://") and "every version is kept" in swept.stderr
    put_stdin(cli, locked, "dir/b.jpg")
    doc = cli("rm", f"s3://{locked}/dir/", "-r", "--yes", "--json").json()
    assert doc["delete_markers"] is True and [o["key"] for o in doc["objects"]] == ["dir/b.jpg"]
    assert sorted(v["key"] for v in list_versions(cli, locked, "dir/") if not v["is_delete_marker"]) == [
        "dir/a.jpg", "dir/b.jpg"]


def test_retention_shortened_in_governance_with_bypass_refused_in_compliance(object_cli, object_env, object_locked,
                                                                              object_server):
    cli, env, locked = object_cli, object_env, object_locked
    if object_server.kind == "rclone":
        put_stdin(cli, locked, "g.jpg")
        refused_without_lock(cli, "retention", "set", f"s3://{locked}/g.jpg", "--mode", "governance", "--days", "2",
                             "--bypass-governance")
        assert cli("get", f"s3://{locked}/g.jpg", "-").stdout_bytes == b"frame"  # its content untouched
        assert not [e for e in audit_lines(env) if e["operation"] == "retention_set"]
        return
    put_stdin(cli, locked, "g.jpg", "--retain", "10d")
    put_stdin(cli, locked, "c.jpg", "--retain", "10d", "--retain-mode", "compliance")
    before = {k: _show(cli, f"s3://{locked}/{k}")["retain_until"] for k in ("g.jpg", "c.jpg")}
    refused = cli("retention", "set", f"s3://{locked}/g.jpg", "--mode", "governance", "--days", "2")
    if object_server.kind == "moto":  # moto keeps retention but lets anyone shorten it, bypass or not
        assert refused.exit_code == 0 and _until(_show(cli, f"s3://{locked}/g.jpg")) < _until(before, "g.jpg")
        return
    assert refused.exit_code == 6 and "--bypass-governance" in one_line_error(refused)
    assert _show(cli, f"s3://{locked}/g.jpg")["retain_until"] == before["g.jpg"]
    run = cli("retention", "set", f"s3://{locked}/g.jpg", "--mode", "governance", "--days", "2",
              "--bypass-governance", "--json")
    assert run.exit_code == 0, run
    shortened = _until(_show(cli, f"s3://{locked}/g.jpg"))
    assert shortened < datetime.now(UTC) + timedelta(days=3)
    for flags in ((), ("--bypass-governance",)):
        run = cli("retention", "set", f"s3://{locked}/c.jpg", "--mode", "compliance", "--days", "2", *flags)
        assert run.exit_code == 6 and "(compliance)" in one_line_error(run)
    assert _show(cli, f"s3://{locked}/c.jpg")["retain_until"] == before["c.jpg"]
    longer = cli("retention", "set", f"s3://{locked}/c.jpg", "--mode", "compliance", "--until", "2031-06-30")
    assert longer.exit_code == 0, longer
    assert _show(cli, f"s3://{locked}/c.jpg")["retain_until"].startswith("2031-06-30")
    lines = [(e["key"], e["result"], e.get("bypass_governance")) for e in audit_lines(env)
             if e["operation"] == "retention_set"]
    assert lines == [("g.jpg", "error", None), ("g.jpg", "ok", True), ("c.jpg", "error", None),
                     ("c.jpg", "error", True), ("c.jpg", "ok", None)]


def test_retention_set_recursive_and_by_version(cli, env, locked):
    old = put_stdin(cli, locked, "p/a.jpg")
    put_stdin(cli, locked, "p/a.jpg", data=b"newer")
    put_stdin(cli, locked, "p/b.jpg")
    put_stdin(cli, locked, "q/c.jpg")
    run = cli("retention", "set", f"s3://{locked}/p/", "-r", "--mode", "governance", "--days", "3", "--json")
    assert run.exit_code == 0, run
    assert sorted(c["key"] for c in run.json()["changed"]) == ["p/a.jpg", "p/b.jpg"]
    assert _show(cli, f"s3://{locked}/p/b.jpg")["mode"] == "GOVERNANCE"
    assert _show(cli, f"s3://{locked}/q/c.jpg")["mode"] is None
    assert _show(cli, f"s3://{locked}/p/a.jpg", "--version-id", old)["mode"] is None  # only current ones
    assert cli("retention", "set", f"s3://{locked}/p/a.jpg", "--version-id", old, "--mode", "governance",
               "--days", "1").exit_code == 0
    assert _show(cli, f"s3://{locked}/p/a.jpg", "--version-id", old)["mode"] == "GOVERNANCE"


# ------------------------------------------------------------------------------------ bad input
BAD_RETENTION = [
    (("--mode", "governance", "--until", "2020-01-01"), 2, "not in the future"),
    (("--mode", "governance", "--days", "0"), 2, "at least one day"),
    (("--mode", "forever", "--days", "3"), 2, "forever"),
    (("--mode", "governance", "--until", "2031-01-01", "--days", "3"), 2, "exactly one"),
    (("--mode", "governance"), 2, "exactly one"),
    (("--mode", "governance", "--until", "someday"), 2, "bad date"),
]


@pytest.mark.parametrize(("flags", "code", "words"), BAD_RETENTION)
def test_bad_retention_input_is_one_line_and_changes_nothing(cli, env, locked, flags, code, words):
    put_stdin(cli, locked, "x.jpg", "--retain", "5d")
    before = _show(cli, f"s3://{locked}/x.jpg")
    run = cli("retention", "set", f"s3://{locked}/x.jpg", *flags)
    assert run.exit_code == code, run
    assert words in one_line_error(run)
    assert _show(cli, f"s3://{locked}/x.jpg") == before
    assert not [e for e in audit_lines(env) if e["operation"] == "retention_set"]


def test_bucket_without_object_lock_is_a_configuration_error_with_a_hint(cli, env, bucket):
    put_stdin(cli, bucket, "x.jpg")
    for args in (("retention", "set", f"s3://{bucket}/x.jpg", "--mode", "governance", "--days", "3"),
                 ("retention", "show", f"s3://{bucket}/x.jpg"),
                 ("bucket", "retention", "set", f"s3://{bucket}", "--mode", "governance", "--days", "3"),
                 ("bucket", "retention", "rm", f"s3://{bucket}")):
        run = cli(*args)
        assert run.exit_code == 78, (args, run)
        assert "has no object lock" in one_line_error(run) and "--object-lock" in run.stderr
    run = cli("upload", "-", f"s3://{bucket}/y.jpg", "--retain", "3d", input=b"y")
    assert run.exit_code == 78 and "has no object lock" in one_line_error(run)
    assert [v["key"] for v in list_versions(cli, bucket)] == ["x.jpg"]  # y.jpg was not stored
    assert cli("bucket", "retention", "show", f"s3://{bucket}", "--json").json()["object_lock"] is False


@pytest.mark.parametrize(("flags", "words"), [
    (("--retain", "0d"), "at least one day"), (("--retain", "2020-01-01"), "not in the future"),
    (("--retain-mode", "governance"), "needs --retain"), (("--retain", "5d", "--retain-mode", "x"), "mode"),
])
def test_bad_upload_lock_flags_store_nothing(cli, env, locked, flags, words):
    run = cli("upload", "-", f"s3://{locked}/u.jpg", *flags, input=b"u")
    assert run.exit_code == 2, run
    assert words in one_line_error(run)
    assert list_versions(cli, locked) == []


@pytest.mark.parametrize("flags", [("--days", "0"), ("--days", "3", "--years", "1"), (), ("--years", "-1")])
def test_bad_bucket_retention_changes_nothing(cli, env, locked, flags):
    run = cli("bucket", "retention", "set", f"s3://{locked}", "--mode", "governance", *flags)
    assert run.exit_code == 2, run
    one_line_error(run)
    assert cli("bucket", "retention", "show", f"s3://{locked}", "--json").json()["mode"] is None
