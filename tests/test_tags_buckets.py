"""End-to-end: object and bucket tags, ls --tag / --meta filters, and bucket ls|create|rm|info."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import one_line_error, unique


def _tags(cli, target: str, *extra: str) -> dict[str, str]:
    run = cli("tag", "get", target, *extra, "--json")
    assert run.exit_code == 0, run
    return run.json()["tags"]


def _keys(run) -> list[str]:
    assert run.exit_code == 0, run
    return sorted(o["key"] for o in run.jsonl())


def test_object_tags_set_get_rm(cli, bucket, env):
    cli("upload", "-", f"s3://{bucket}/cam1/f.jpg", "--tag", "site=a4", input=b"frame")
    run = cli("tag", "set", f"s3://{bucket}/cam1/f.jpg", "incident=42", "review=pending", "--json")
    assert run.exit_code == 0, run
    assert run.json() == {"bucket": bucket, "key": "cam1/f.jpg", "version_id": None,
                          "tags": {"site": "a4", "incident": "42", "review": "pending"}, "removed": []}
    assert _tags(cli, f"s3://{bucket}/cam1/f.jpg") == {"site": "a4", "incident": "42", "review": "pending"}
    assert cli("stat", f"s3://{bucket}/cam1/f.jpg", "--json").json()["tags"]["incident"] == "42"
    human = cli("tag", "get", f"s3://{bucket}/cam1/f.jpg")
    assert human.exit_code == 0 and "incident" in human.stdout and "pending" in human.stdout

    assert cli("tag", "set", f"s3://{bucket}/cam1/f.jpg", "review=done").exit_code == 0
    assert _tags(cli, f"s3://{bucket}/cam1/f.jpg")["review"] == "done"
    run = cli("tag", "rm", f"s3://{bucket}/cam1/f.jpg", "review", "absent", "--json")
    assert run.exit_code == 0 and run.json()["removed"] == ["review"]
    assert run.json()["tags"] == {"site": "a4", "incident": "42"}
    assert cli("tag", "set", f"s3://{bucket}/cam1/f.jpg", "only=1", "--replace").exit_code == 0
    assert _tags(cli, f"s3://{bucket}/cam1/f.jpg") == {"only": "1"}
    run = cli("tag", "rm", f"s3://{bucket}/cam1/f.jpg", "--json")
    assert run.exit_code == 0 and run.json()["removed"] == ["only"] and run.json()["tags"] == {}
    assert _tags(cli, f"s3://{bucket}/cam1/f.jpg") == {}
    assert "has no tags" in cli("tag", "get", f"s3://{bucket}/cam1/f.jpg").stderr
    assert cli("get", f"s3://{bucket}/cam1/f.jpg", "-").stdout_bytes == b"frame"  # data untouched

    audit = [json.loads(line) for line in Path(env["MINIO_AUDIT_LOG"]).read_text().splitlines()]
    ops = [(e["operation"], e["result"]) for e in audit if e.get("key") == "cam1/f.jpg" and e["operation"] != "upload"]
    assert ops == [("tag", "ok"), ("tag", "ok"), ("tag", "ok"), ("tag", "ok"), ("untag", "ok")]


def test_tags_of_one_version(cli, bucket):
    v1 = cli("upload", "-", f"s3://{bucket}/m.pt", "--json", input=b"v1").json()["version_id"]
    cli("upload", "-", f"s3://{bucket}/m.pt", input=b"v2")
    run = cli("tag", "set", f"s3://{bucket}/m.pt", "stage=archived", "--version-id", v1, "--json")
    assert run.exit_code == 0 and run.json()["version_id"] == v1, run
    assert _tags(cli, f"s3://{bucket}/m.pt", "--version-id", v1) == {"stage": "archived"}
    assert _tags(cli, f"s3://{bucket}/m.pt") == {}
    assert cli("stat", f"s3://{bucket}/m.pt", "--version-id", v1, "--json").json()["tags"] == {"stage": "archived"}
    assert cli("tag", "rm", f"s3://{bucket}/m.pt", "--version-id", v1).exit_code == 0
    assert _tags(cli, f"s3://{bucket}/m.pt", "--version-id", v1) == {}


def test_bucket_tags(cli, bucket):
    assert _tags(cli, f"s3://{bucket}") == {}
    run = cli("tag", "set", f"s3://{bucket}", "team=cv", "env=prod", "--json")
    assert run.exit_code == 0 and run.json()["key"] is None, run
    assert _tags(cli, f"s3://{bucket}/") == {"team": "cv", "env": "prod"}
    assert cli("tag", "rm", f"s3://{bucket}", "env").exit_code == 0
    assert _tags(cli, f"s3://{bucket}") == {"team": "cv"}
    assert cli("bucket", "info", f"s3://{bucket}", "--json").json()["tags"] == {"team": "cv"}
    assert cli("tag", "rm", f"s3://{bucket}").exit_code == 0
    assert _tags(cli, f"s3://{bucket}") == {}
    ten = [f"k{i}=v" for i in range(10)]  # S3 allows 50 bucket tags, SeaweedFS only 10
    assert cli("tag", "set", f"s3://{bucket}", *ten).exit_code == 0
    assert len(_tags(cli, f"s3://{bucket}")) == 10
    too_many = cli("tag", "set", f"s3://{bucket}", *[f"x{i}=v" for i in range(41)])
    assert too_many.exit_code == 2 and "at most 50 tags" in one_line_error(too_many)
    assert len(_tags(cli, f"s3://{bucket}")) == 10


def test_tag_errors(cli, bucket):
    cli("upload", "-", f"s3://{bucket}/k", "--tag", "keep=me", input=b"x")
    eleven = [f"k{i}=v" for i in range(11)]
    cases = [
        (("tag", "get", f"s3://{bucket}/missing"), 3, "not found"),
        (("tag", "set", f"s3://{bucket}/missing", "a=b"), 3, "not found"),
        (("tag", "get", "s3://no-such-bucket-tg1"), 3, "bucket not found"),
        (("tag", "set", "s3://no-such-bucket-tg1/k", "a=b"), 3, "bucket not found"),
        (("tag", "set", f"s3://{bucket}/k", *eleven), 2, "at most 10 tags"),
        (("tag", "set", f"s3://{bucket}/k", "novalue"), 2, "malformed tag"),
        (("tag", "set", f"s3://{bucket}/k", "=v"), 2, "malformed tag"),
        (("tag", "set", f"s3://{bucket}/k", "bad<key>=v"), 2, "invalid character"),
        (("tag", "set", f"s3://{bucket}/k", "k=" + "v" * 257), 2, "values up to 256"),
        (("tag", "set", f"s3://{bucket}/dir/", "a=b"), 2, "prefix"),
        (("tag", "set", f"s3://{bucket}", "a=b", "--version-id", "x"), 2, "needs an object key"),
        (("tag", "set", f"s3://{bucket}/k"), 2, "Missing argument"),
        (("tag", "get", f"s3://{bucket}/k", "--version-id", "nope"), 3, "not found"),
    ]
    for args, code, fragment in cases:
        run = cli(*args)
        assert run.exit_code == code, (args, run)
        assert fragment in one_line_error(run), (args, run)
    assert _tags(cli, f"s3://{bucket}/k") == {"keep": "me"}  # nothing half-written
    err = cli("tag", "get", f"s3://{bucket}/missing", "--json")
    assert err.exit_code == 3 and err.json()["error"]["code"] == "object_not_found"


def test_ls_filters_by_tag_and_metadata(cli, bucket):
    uploads = [
        ("cam1/a.jpg", ["--tag", "site=a4", "--tag", "review=yes", "--meta", "camera_id=cam1"]),
        ("cam1/b.jpg", ["--tag", "site=a4", "--meta", "camera_id=cam1"]),
        ("cam2/c.jpg", ["--tag", "site=b7", "--meta", "camera_id=cam2"]),
        ("cam2/d.jpg", ["--meta", "Camera_ID=cam2"]),
        ("plain.bin", []),
    ]
    for key, extra in uploads:
        assert cli("upload", "-", f"s3://{bucket}/{key}", *extra, input=key.encode()).exit_code == 0
    b = f"s3://{bucket}"
    assert _keys(cli("ls", b, "-r", "--tag", "site=a4", "--json")) == ["cam1/a.jpg", "cam1/b.jpg"]
    assert _keys(cli("ls", b, "-r", "--tag", "site=a4", "--tag", "review=yes", "--json")) == ["cam1/a.jpg"]
    assert _keys(cli("ls", b, "-r", "--tag", "site=zz", "--json")) == []
    assert _keys(cli("ls", b, "-r", "--meta", "camera_id=cam2", "--json")) == ["cam2/c.jpg", "cam2/d.jpg"]
    assert _keys(cli("ls", b, "-r", "--meta", "CAMERA_ID=cam2", "--tag", "site=b7", "--json")) == ["cam2/c.jpg"]
    assert _keys(cli("ls", f"{b}/cam1/", "-r", "--meta", "camera_id=cam2", "--json")) == []
    rows = cli("ls", b, "-r", "--tag", "site=a4", "--json").jsonl()
    assert all(r["tags"]["site"] == "a4" and r["metadata"]["camera_id"] == "cam1" for r in rows)
    human = cli("ls", b, "-r", "--tag", "review=yes")
    assert human.exit_code == 0 and "cam1/a.jpg" in human.stdout and "cam1/b.jpg" not in human.stdout
    assert len(cli("ls", b, "-r", "--tag", "site=a4", "--limit", "1", "--json").jsonl()) == 1

    # a changed tag shows in the next filtered listing (no stale cached tags)
    assert cli("tag", "set", f"{b}/cam2/d.jpg", "site=a4").exit_code == 0
    assert _keys(cli("ls", b, "-r", "--tag", "site=a4", "--json")) == ["cam1/a.jpg", "cam1/b.jpg", "cam2/d.jpg"]
    assert cli("tag", "rm", f"{b}/cam1/a.jpg").exit_code == 0
    assert _keys(cli("ls", b, "-r", "--tag", "site=a4", "--json")) == ["cam1/b.jpg", "cam2/d.jpg"]
    bad = cli("ls", b, "--meta", "novalue")
    assert bad.exit_code == 2 and "malformed metadata" in one_line_error(bad)


def test_bucket_create_ls_info(cli, service):
    name = unique("bk")
    run = cli("bucket", "create", f"s3://{name}", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["bucket"] == name and doc["versioning"] == "Enabled" and doc["lifecycle"] == []
    assert name in [b["name"] for b in cli("bucket", "ls", "--json").jsonl()]
    assert name in cli("bucket", "ls").stdout
    info = cli("bucket", "info", f"s3://{name}", "--json").json()
    assert (info["objects"], info["size"], info["versions"], info["delete_markers"]) == (0, 0, 0, 0)
    assert info["created"] and info["versioning"] == "Enabled" and info["tags"] == {}

    cli("upload", "-", f"s3://{name}/a", input=b"1234")
    cli("upload", "-", f"s3://{name}/a", input=b"123456")
    cli("upload", "-", f"s3://{name}/dir/b", input=b"12")
    cli("upload", "-", f"s3://{name}/gone", input=b"123")
    cli("rm", f"s3://{name}/gone")
    cli("tag", "set", f"s3://{name}", "team=cv")
    cli("bucket", "lifecycle", "set", f"s3://{name}", "--id", "r1", "--expire-days", "9")
    service.s3.create_multipart(name, "big.bin", {"Content-Type": "application/octet-stream"})
    info = cli("bucket", "info", f"s3://{name}", "--json").json()
    assert (info["objects"], info["size"]) == (2, 8)
    assert (info["versions"], info["delete_markers"], info["stored_size"]) == (4, 1, 15)
    assert info["tags"] == {"team": "cv"} and [r["id"] for r in info["lifecycle"]] == ["r1"]
    assert info["uploads_in_progress"] == 1 and "encryption" in info
    human = cli("bucket", "info", f"s3://{name}")
    assert human.exit_code == 0 and "r1: expire 9 d" in human.stdout and "team=cv" in human.stdout

    plain = unique("bk")
    assert cli("bucket", "create", f"s3://{plain}", "--no-versioning", "--json").json()["versioning"] == "Off"
    off = cli("bucket", "create", f"s3://{unique('bk')}", "--json", extra_env={"MINIO_ENABLE_VERSIONING": "false"})
    assert off.exit_code == 0 and off.json()["versioning"] == "Off", off
    for args, code, fragment in [
        (("bucket", "create", f"s3://{name}"), 5, "already exists"),
        (("bucket", "create", "s3://Bad_Name"), 2, "invalid bucket name"),
        (("bucket", "create", f"s3://{unique('bk')}/key"), 2, "names an object"),
        (("bucket", "create", f"s3://{unique('bk')}", "--preset", "archive"), 2, "--preset"),
        (("bucket", "info", "s3://no-such-bucket-bi1"), 3, "bucket not found"),
    ]:
        run = cli(*args)
        assert run.exit_code == code, (args, run)
        assert fragment in one_line_error(run), (args, run)
    err = cli("bucket", "create", f"s3://{name}", "--json")
    assert err.exit_code == 5 and err.json()["error"]["code"] == "already_exists"


def test_bucket_rm_refuses_non_empty_unless_forced(cli, service):
    empty = unique("rm")
    cli("bucket", "create", f"s3://{empty}")
    run = cli("bucket", "rm", f"s3://{empty}", "--json")
    assert run.exit_code == 0 and run.json()["bucket"] == empty and run.json()["versions"] == 0
    assert not service.s3.bucket_exists(empty)
    assert cli("bucket", "rm", f"s3://{empty}").exit_code == 3

    full = unique("rm")
    cli("bucket", "create", f"s3://{full}")
    cli("upload", "-", f"s3://{full}/a", input=b"1234")
    cli("upload", "-", f"s3://{full}/a", input=b"12")
    cli("upload", "-", f"s3://{full}/b", input=b"123")
    cli("rm", f"s3://{full}/b")
    service.s3.create_multipart(full, "big.bin", {"Content-Type": "application/octet-stream"})
    refused = cli("bucket", "rm", f"s3://{full}")
    assert refused.exit_code == 5 and "not empty" in one_line_error(refused)
    no_yes = cli("bucket", "rm", f"s3://{full}", "--force")
    assert no_yes.exit_code == 2 and "--yes" in one_line_error(no_yes)
    assert cli("get", f"s3://{full}/a", "-").stdout_bytes == b"12"  # untouched

    run = cli("bucket", "rm", f"s3://{full}", "--force", "--yes", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert (doc["objects"], doc["versions"], doc["delete_markers"], doc["bytes"], doc["uploads_aborted"]) \
        == (2, 3, 1, 9, 1)
    assert not service.s3.bucket_exists(full)
    assert cli("ls", f"s3://{full}").exit_code == 3

    markers_only = unique("rm")
    cli("bucket", "create", f"s3://{markers_only}")
    cli("upload", "-", f"s3://{markers_only}/x", input=b"1")
    cli("rm", f"s3://{markers_only}/x")
    cli("rm", "--all-versions", "--yes", f"s3://{markers_only}/x")
    assert cli("bucket", "rm", f"s3://{markers_only}").exit_code == 0
    uploads_only = unique("rm")
    cli("bucket", "create", f"s3://{uploads_only}")
    service.s3.create_multipart(uploads_only, "u.bin", {"Content-Type": "application/octet-stream"})
    refused = cli("bucket", "rm", f"s3://{uploads_only}")
    assert refused.exit_code == 5 and "multipart" in one_line_error(refused)
    assert cli("bucket", "rm", f"s3://{uploads_only}", "--force", "-y").exit_code == 0


def test_library_api(service):
    from its_store import UploadRequest
    name = unique("lib")
    created = service.buckets().create(name, preset="logs", encryption=False)
    assert created.versioning == "Enabled" and created.lifecycle[0].expire_days == 90
    first = service.upload_object(UploadRequest(bucket=name, key="app.log", data=b"one"))
    service.upload_object(UploadRequest(bucket=name, key="app.log", data=b"two"))
    assert service.tagging().set(name, "app.log", {"kept": "yes"}).tags == {"kept": "yes"}
    restored = service.versions().restore(name, "app.log", first.version_id)
    assert restored.version_id and not restored.already_current
    assert service.stat_object(name, "app.log").size == 3
    assert [r.id for r in service.lifecycle().get(name)] == ["its-preset-logs"]
    details = service.buckets().info(name)
    assert (details.objects, details.versions) == (1, 3)
    removed = service.buckets().remove(name, force=True)
    assert removed.versions == 3 and not service.s3.bucket_exists(name)


def test_every_new_command_has_help_with_an_example(cli):
    commands = [("bucket", c) for c in ("ls", "create", "rm", "info", "versioning")]
    commands += [("bucket", "lifecycle", c) for c in ("set", "show", "rm")]
    commands += [("tag", c) for c in ("set", "get", "rm")] + [("restore",)]
    for command in commands:
        run = cli(*command, "--help")
        assert run.exit_code == 0 and "Example: its-store" in run.stdout, command
