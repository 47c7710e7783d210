"""End-to-end: bucket versioning, ls --versions, get/stat/rm --version-id, restore, and erasure
(rm --all-versions, GDPR) against real servers. The listing, restore and one-key erasure tests run on all four
(`object_*` fixtures, conftest.py): SeaweedFS, moto, Ceph's RADOS Gateway, and `rclone serve s3`, which
keeps no versions: there each asserts the one-line refusal (exit 1, NotImplemented)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from conftest import one_line_error, unique
from helpers import refused_unsupported, wait_for_server_clock


def _put(cli, bucket: str, key: str, data: bytes, *extra: str) -> str:
    run = cli("upload", "-", f"s3://{bucket}/{key}", *extra, "--json", input=data)
    assert run.exit_code == 0, run
    version = run.json()["version_id"]
    assert version, run
    return version


def _versions(cli, target: str, *extra: str) -> list[dict]:
    run = cli("ls", target, "--versions", "-r", *extra, "--json")
    assert run.exit_code == 0, run
    return run.jsonl()


def _audit(env: dict[str, str]) -> list[dict]:
    path = Path(env["MINIO_AUDIT_LOG"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_versioning_command_status_on_off(cli, bucket, env):
    plain = unique("nv")
    assert cli("bucket", "create", f"s3://{plain}", "--no-versioning").exit_code == 0
    assert cli("bucket", "versioning", f"s3://{plain}", "--json").json() == {"bucket": plain, "versioning": "Off",
                                                                             "unchecked": None}
    assert cli("bucket", "versioning", f"s3://{plain}", "on", "--json").json()["versioning"] == "Enabled"
    assert cli("bucket", "versioning", f"s3://{plain}", "status", "--json").json()["versioning"] == "Enabled"
    assert cli("bucket", "versioning", f"s3://{plain}", "off", "--json").json()["versioning"] == "Suspended"
    human = cli("bucket", "versioning", f"s3://{plain}")
    assert human.exit_code == 0 and "Suspended" in human.stdout
    # buckets made by the tool (fixture: ensure_bucket, MINIO_ENABLE_VERSIONING defaults to true)
    assert cli("bucket", "versioning", f"s3://{bucket}", "--json").json()["versioning"] == "Enabled"

    for args, code, fragment in [
        (("bucket", "versioning", f"s3://{plain}", "maybe"), 2, "maybe"),
        (("bucket", "versioning", "s3://no-such-bucket-vv1"), 3, "bucket not found"),
        (("bucket", "versioning", f"s3://{plain}/key", "on"), 2, "names an object"),
    ]:
        run = cli(*args)
        assert run.exit_code == code, (args, run)
        assert fragment in one_line_error(run), (args, run)
    changes = [e for e in _audit(env) if e["operation"] == "versioning" and e["bucket"] == plain]
    assert [(e["enabled"], e["result"]) for e in changes] == [(True, "ok"), (False, "ok")]


def test_versions_listing_and_version_id_on_get_stat_rm(object_cli, object_bucket, object_server):
    cli, bucket = object_cli, object_bucket
    if object_server.kind == "rclone":
        refused_unsupported(cli, "bucket", "versioning", f"s3://{bucket}", "on")
        assert cli("upload", "-", f"s3://{bucket}/cam/frame.jpg", "--json", input=b"one").json()["version_id"] is None
        refused_unsupported(cli, "ls", f"s3://{bucket}/cam/", "--versions", "-r")
        refused_unsupported(cli, "rm", f"s3://{bucket}/cam/frame.jpg", "--version-id", "v1")
        assert cli("get", f"s3://{bucket}/cam/frame.jpg", "-").stdout_bytes == b"one"  # nothing deleted
        return
    v1 = _put(cli, bucket, "cam/frame.jpg", b"one")
    v2 = _put(cli, bucket, "cam/frame.jpg", b"two!")
    v3 = _put(cli, bucket, "cam/frame.jpg", b"three")
    _put(cli, bucket, "cam/other.jpg", b"x")
    assert len({v1, v2, v3}) == 3
    assert cli("rm", f"s3://{bucket}/cam/frame.jpg").exit_code == 0  # a delete marker on top

    entries = [e for e in _versions(cli, f"s3://{bucket}/cam/") if e["key"] == "cam/frame.jpg"]
    data = {e["version_id"]: e for e in entries if not e["is_delete_marker"]}
    markers = [e for e in entries if e["is_delete_marker"]]
    assert set(data) == {v1, v2, v3} and len(markers) == 1
    assert {data[v1]["size"], data[v2]["size"], data[v3]["size"]} == {3, 4, 5}
    assert [e["is_latest"] for e in entries].count(True) == 1 and markers[0]["is_latest"] is True
    assert not any(e["is_latest"] for e in data.values())
    for e in entries:
        assert set(e) >= {"bucket", "key", "version_id", "is_latest", "is_delete_marker", "size", "last_modified"}

    assert cli("get", f"s3://{bucket}/cam/frame.jpg", "x").exit_code == 3  # current is the marker
    run = cli("get", f"s3://{bucket}/cam/frame.jpg", "-", "--version-id", v1)
    assert run.exit_code == 0 and run.stdout_bytes == b"one"
    assert cli("get", f"s3://{bucket}/cam/frame.jpg", "f2.jpg", "--version-id", v2).exit_code == 0
    assert Path("f2.jpg").read_bytes() == b"two!"
    stat = cli("stat", f"s3://{bucket}/cam/frame.jpg", "--version-id", v2, "--json").json()
    assert stat["size"] == 4 and stat["version_id"] == v2

    # rm --version-id of the delete marker brings v3 back; of a data version removes just that one
    run = cli("rm", f"s3://{bucket}/cam/frame.jpg", "--version-id", markers[0]["version_id"], "--json")
    assert run.exit_code == 0, run
    assert cli("get", f"s3://{bucket}/cam/frame.jpg", "-").stdout_bytes == b"three"
    assert cli("rm", f"s3://{bucket}/cam/frame.jpg", "--version-id", v2).exit_code == 0
    left = {e["version_id"] for e in _versions(cli, f"s3://{bucket}/cam/frame.jpg") if e["key"] == "cam/frame.jpg"}
    assert left == {v1, v3}
    missing = cli("rm", f"s3://{bucket}/cam/frame.jpg", "--version-id", v2)
    assert missing.exit_code == 3 and "not found" in one_line_error(missing)
    assert cli("stat", f"s3://{bucket}/cam/frame.jpg", "--version-id", "nope123").exit_code == 3


def test_ls_versions_human_limit_prefixes_and_refused_filters(cli, bucket):
    _put(cli, bucket, "a/k", b"1")
    _put(cli, bucket, "a/k", b"22")
    cli("rm", f"s3://{bucket}/a/k")
    _put(cli, bucket, "b/deep/k", b"3")
    human = cli("ls", f"s3://{bucket}/a/", "--versions")
    assert human.exit_code == 0, human
    rows = [line for line in human.stdout.splitlines()[1:] if line.strip()]
    assert len(rows) == 3 and sum("DEL" in r for r in rows) == 1 and sum(" * " in f" {r} " for r in rows) == 1
    assert len(_versions(cli, f"s3://{bucket}", "--limit", "2")) == 2
    top = cli("ls", f"s3://{bucket}", "--versions", "--json").jsonl()
    assert {(e["key"], e["is_prefix"]) for e in top} == {("a/", True), ("b/", True)}
    for flag in (("--tag", "a=b"), ("--meta", "a=b"), ("--type", "log"), ("--min-size", "1")):
        run = cli("ls", f"s3://{bucket}", "--versions", *flag)
        assert run.exit_code == 2 and "--versions cannot be combined" in one_line_error(run), flag


def test_restore_makes_an_old_version_current(object_cli, object_bucket, object_env, object_server):
    cli, bucket, env = object_cli, object_bucket, object_env
    if object_server.kind == "rclone":
        assert cli("upload", "-", f"s3://{bucket}/models/m.pt", input=b"weights-v1").exit_code == 0
        refused_unsupported(cli, "restore", f"s3://{bucket}/models/m.pt", "--version-id", "v1")
        assert cli("get", f"s3://{bucket}/models/m.pt", "-").stdout_bytes == b"weights-v1"
        return
    v1 = _put(cli, bucket, "models/m.pt", b"weights-v1", "--meta", "accuracy=0.91", "--tag", "stage=prod")
    v2 = _put(cli, bucket, "models/m.pt", b"weights-v2-broken", "--sse", "none")
    v1_encryption = cli("stat", f"s3://{bucket}/models/m.pt", "--version-id", v1, "--json").json()["encryption"]
    run = cli("restore", f"s3://{bucket}/models/m.pt", "--version-id", v1, "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["source_version_id"] == v1 and doc["already_current"] is False
    assert doc["version_id"] and doc["version_id"] not in (v1, v2) and doc["size"] == len(b"weights-v1")
    assert cli("get", f"s3://{bucket}/models/m.pt", "-").stdout_bytes == b"weights-v1"
    stat = cli("stat", f"s3://{bucket}/models/m.pt", "--json").json()
    assert stat["version_id"] == doc["version_id"] and stat["metadata"]["accuracy"] == "0.91"
    assert stat["tags"] == {"stage": "prod"}
    assert stat["encryption"] == v1_encryption  # a copy would drop SSE-S3 unless asked again
    ids = [e["version_id"] for e in _versions(cli, f"s3://{bucket}/models/m.pt")]
    assert len(ids) == 3 and {v1, v2} <= set(ids)  # nothing deleted, one version added
    entry = [e for e in _audit(env) if e["operation"] == "restore"][-1]
    assert entry["bucket"] == bucket and entry["key"] == "models/m.pt" and entry["result"] == "ok"
    assert entry["restored_version_id"] == v1 and entry["version_id"] == doc["version_id"]

    again = cli("restore", f"s3://{bucket}/models/m.pt", "--version-id", doc["version_id"], "--json")
    assert again.exit_code == 0 and again.json()["already_current"] is True
    assert len(_versions(cli, f"s3://{bucket}/models/m.pt")) == 3
    human = cli("restore", f"s3://{bucket}/models/m.pt", "--version-id", v2)
    assert human.exit_code == 0 and "restored" in human.stderr
    assert cli("get", f"s3://{bucket}/models/m.pt", "-").stdout_bytes == b"weights-v2-broken"

    cli("rm", f"s3://{bucket}/models/m.pt")
    marker = next(e for e in _versions(cli, f"s3://{bucket}/models/m.pt") if e["is_delete_marker"])
    for args, code, fragment in [
        (("restore", f"s3://{bucket}/models/m.pt", "--version-id", marker["version_id"]), 2, "delete marker"),
        (("restore", f"s3://{bucket}/models/m.pt", "--version-id", "nope"), 3, "not found"),
        (("restore", f"s3://{bucket}/models/", "--version-id", v1), 2, "prefix"),
        (("restore", f"s3://{bucket}/models/m.pt"), 2, "--version-id"),
        (("restore", "s3://no-such-bucket-rr1/k", "--version-id", v1), 3, "bucket not found"),
    ]:
        run = cli(*args)
        assert run.exit_code == code, (args, run)
        assert fragment in one_line_error(run), (args, run)
    json_err = cli("restore", f"s3://{bucket}/models/m.pt", "--version-id", "nope", "--json")
    assert json_err.exit_code == 3 and json_err.json()["error"]["code"] == "object_not_found"


def test_restore_of_an_sse_c_version_is_refused(cli, bucket, tmp_path: Path):
    (tmp_path / "k.key").write_bytes(bytes(range(32)))
    up = cli("upload", "-", f"s3://{bucket}/secret.bin", "--sse", "c", "--sse-c-key-file", "k.key", "--json",
             input=b"secret")
    if up.exit_code != 0:  # e.g. MinIO refuses SSE-C over plain HTTP: then that must be a clear refusal
        assert up.json()["error"]["code"] in ("encryption_unsupported", "invalid_input"), up
        return
    _put(cli, bucket, "secret.bin", b"plain")
    run = cli("restore", f"s3://{bucket}/secret.bin", "--version-id", up.json()["version_id"])
    assert run.exit_code == 2 and "SSE-C" in one_line_error(run), run
    assert cli("get", f"s3://{bucket}/secret.bin", "-").stdout_bytes == b"plain"


def test_rm_all_versions_of_one_key(object_cli, object_bucket, object_env, object_server):
    cli, bucket, env = object_cli, object_bucket, object_env
    if object_server.kind == "rclone":
        assert cli("upload", "-", f"s3://{bucket}/k", input=b"a").exit_code == 0
        refused_unsupported(cli, "rm", f"s3://{bucket}/k", "--all-versions", "--yes")
        assert cli("get", f"s3://{bucket}/k", "-").stdout_bytes == b"a"
        return
    for data in (b"a", b"bb", b"ccc"):
        _put(cli, bucket, "k", data)
    cli("rm", f"s3://{bucket}/k")
    _put(cli, bucket, "k2", b"sibling")
    _put(cli, bucket, "k/child", b"child")

    refused = cli("rm", f"s3://{bucket}/k", "--all-versions")  # no terminal, no --yes
    assert refused.exit_code == 2 and "--yes" in one_line_error(refused)
    dry = cli("rm", f"s3://{bucket}/k", "--all-versions", "--dry-run", "--json").json()
    assert (dry["objects"], dry["versions"], dry["delete_markers"], dry["bytes"]) == (1, 3, 1, 6)
    assert dry["dry_run"] is True and len(dry["entries"]) == 4
    assert len(_versions(cli, f"s3://{bucket}")) == 6  # a dry run deletes nothing

    run = cli("rm", f"s3://{bucket}/k", "--all-versions", "--yes", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert (doc["objects"], doc["versions"], doc["delete_markers"], doc["bytes"], doc["failed"]) == (1, 3, 1, 6, 0)
    assert sorted(e["key"] for e in _versions(cli, f"s3://{bucket}")) == ["k/child", "k2"]
    entry = [e for e in _audit(env) if e["operation"] == "rm" and e.get("erasure")][-1]
    assert entry["key"] == "k" and entry["versions"] == 3 and entry["delete_markers"] == 1 and entry["size"] == 6

    for args, code, fragment in [
        (("rm", f"s3://{bucket}/k", "--all-versions", "--yes"), 3, "not found"),
        (("rm", f"s3://{bucket}/k2", "--older-than", "1d"), 2, "--older-than needs --all-versions"),
        (("rm", f"s3://{bucket}/k2", "--all-versions", "--version-id", "x", "--yes"), 2, "not both"),
        (("rm", f"s3://{bucket}/k/", "--all-versions", "--yes"), 2, "--recursive"),
        (("rm", f"s3://{bucket}/k2", f"s3://{bucket}/k/child", "--all-versions", "--yes"), 2, "exactly one"),
        (("rm", f"s3://{bucket}/k2", "--all-versions", "--older-than", "soon", "--yes"), 2, "--older-than"),
        (("rm", f"s3://{bucket}/k2", "--all-versions", "--older-than", "0s", "--yes"), 2, "longer than zero"),
    ]:
        run = cli(*args)
        assert run.exit_code == code, (args, run)
        assert fragment in one_line_error(run), (args, run)
    assert sorted(e["key"] for e in _versions(cli, f"s3://{bucket}")) == ["k/child", "k2"]


def test_erasure_of_a_prefix_counts_bytes_dry_run_and_audit(cli, bucket, env):
    """On SeaweedFS only (suite time): `-r --all-versions` runs on all four servers in
    test_legal_hold.py, one key's erasure in test_rm_all_versions_of_one_key."""
    expected_bytes = 0
    for cam in ("cam1", "cam1/sub"):
        for n in range(3):
            for rev in range(2):
                data = f"{cam}-{n}-{rev}".encode() * (rev + 1)
                expected_bytes += len(data)
                _put(cli, bucket, f"{cam}/f{n}.jpg", data)
    cli("rm", f"s3://{bucket}/cam1/f0.jpg")
    cli("rm", f"s3://{bucket}/cam1/f1.jpg")
    _put(cli, bucket, "cam10/keep.jpg", b"sibling prefix")
    _put(cli, bucket, "cam1.jpg", b"sibling key")

    dry = cli("rm", f"s3://{bucket}/cam1", "-r", "--all-versions", "--dry-run", "--json")
    assert dry.exit_code == 0, dry
    doc = dry.json()
    assert (doc["objects"], doc["versions"], doc["delete_markers"], doc["bytes"]) == (6, 12, 2, expected_bytes)
    assert doc["prefix"] == "cam1/" and doc["dry_run"] is True
    assert len(_versions(cli, f"s3://{bucket}/cam1/")) == 14
    human = cli("rm", f"s3://{bucket}/cam1/", "-r", "--all-versions", "--dry-run")
    assert human.exit_code == 0 and "would erase 6 objects: 12 versions, 2 delete markers" in human.stderr
    assert human.stdout.count("cam1/") == 14

    young = cli("rm", f"s3://{bucket}/cam1/", "-r", "--all-versions", "--older-than", "30d", "--yes", "--json")
    assert young.exit_code == 0 and (young.json()["versions"], young.json()["older_than"]) == (0, "30d")
    assert len(_versions(cli, f"s3://{bucket}/cam1/")) == 14  # everything is newer than 30 days

    refused = cli("rm", f"s3://{bucket}/cam1/", "-r", "--all-versions")
    assert refused.exit_code == 2 and len(_versions(cli, f"s3://{bucket}/cam1/")) == 14
    run = cli("rm", f"s3://{bucket}/cam1/", "-r", "--all-versions", "--yes", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert (doc["objects"], doc["versions"], doc["delete_markers"], doc["bytes"]) == (6, 12, 2, expected_bytes)
    assert _versions(cli, f"s3://{bucket}/cam1/") == []
    assert sorted(e["key"] for e in _versions(cli, f"s3://{bucket}")) == ["cam1.jpg", "cam10/keep.jpg"]
    entry = [e for e in _audit(env) if e["operation"] == "rm" and e.get("erasure")][-1]
    assert entry["prefix"] == "cam1/" and entry["result"] == "ok" and entry["versions"] == 12
    assert entry["delete_markers"] == 2 and entry["size"] == expected_bytes and entry["objects"] == 6


def test_erasure_older_than_keeps_newer_versions(service, bucket):
    """Each version is judged by its own date: the old ones go, the newer ones stay current."""
    versions = service.versions()
    from its_store import UploadRequest
    for key in ("p/a", "p/b"):
        service.upload_object(UploadRequest(bucket=bucket, key=key, data=b"old-" + key.encode()))
    wait_for_server_clock(service, bucket, max(v.last_modified for v in versions.iter_versions(bucket, "p/")))
    service.upload_object(UploadRequest(bucket=bucket, key="p/a", data=b"new-a"))
    listed = list(versions.iter_versions(bucket, "p/"))
    newest = max(v.last_modified for v in listed)
    assert min(v.last_modified for v in listed) < newest
    # "now" one hour after the new generation, erase what is older than one hour
    result = versions.erase(bucket, "p/", recursive=True, older_than=timedelta(hours=1),
                            now=newest + timedelta(hours=1))
    assert (result.objects, result.versions, result.delete_markers) == (2, 2, 0)
    assert result.total_bytes == len(b"old-p/a") + len(b"old-p/b")
    left = list(versions.iter_versions(bucket, "p/"))
    assert [(v.key, v.is_latest) for v in left] == [("p/a", True)]
    assert service.stat_object(bucket, "p/a").size == len(b"new-a")


def test_erasure_in_an_unversioned_bucket(cli):
    plain = unique("nv")
    assert cli("bucket", "create", f"s3://{plain}", "--no-versioning").exit_code == 0
    cli("upload", "-", f"s3://{plain}/logs/a.log", input=b"12345")
    cli("upload", "-", f"s3://{plain}/logs/b.log", input=b"678")
    run = cli("rm", f"s3://{plain}/logs/", "-r", "--all-versions", "--yes", "--json")
    assert run.exit_code == 0, run
    assert (run.json()["objects"], run.json()["versions"], run.json()["bytes"]) == (2, 2, 8)
    assert cli("ls", f"s3://{plain}", "-r", "--json").jsonl() == []
