"""End-to-end: upload, get, ls, rm, stat through the CLI against the real server."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import one_line_error
from helpers import make_frames, random_bytes, write_file


def test_upload_get_roundtrip_with_metadata_and_tags(cli, bucket, tmp_path: Path):
    src = write_file(tmp_path / "frame.jpg", 70_000, seed=1)
    run = cli("upload", str(src), f"s3://{bucket}/cam1/", "--type", "video_frame", "--meta", "camera_id=cam_1",
              "--meta", "Timestamp=2024-08-12T12:00:00Z", "--tag", "site=a4", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["key"] == "cam1/frame.jpg" and doc["bucket"] == bucket and doc["total_size"] == 70_000
    assert doc["content_type"] == "image/jpeg" and doc["object_type"] == "video_frame"
    assert doc["multipart"] is False and doc["etag"]

    stat = cli("stat", f"s3://{bucket}/cam1/frame.jpg", "--json").json()
    assert stat["metadata"] == {"camera_id": "cam_1", "timestamp": "2024-08-12T12:00:00Z"}
    assert stat["tags"] == {"site": "a4"} and stat["object_type"] == "video_frame" and stat["size"] == 70_000

    run = cli("get", f"s3://{bucket}/cam1/frame.jpg", "out.jpg", "--json")
    assert run.exit_code == 0, run
    assert run.json()["verified"] is True
    assert Path("out.jpg").read_bytes() == src.read_bytes()


def test_upload_into_folder_and_default_bucket_by_type(cli, buckets, service, tmp_path: Path):
    src = write_file(tmp_path / "a.log", 1000)
    assert cli("upload", str(src), "--type", "log").exit_code == 0
    assert cli("upload", str(src), "s3:///logs/day1.log", "--type", "log").exit_code == 0
    keys = [o["key"] for o in cli("ls", f"s3://{buckets['logs']}", "-r", "--json").jsonl()]
    assert sorted(keys) == ["a.log", "logs/day1.log"]
    assert cli("upload", str(src), "s3:///x.log").exit_code == 0  # type other -> default bucket
    assert service.stat_object(buckets["default"], "x.log").size == 1000


def test_get_into_existing_folder_and_to_stdout(cli, bucket, tmp_path: Path):
    data = random_bytes(12_345, seed=3)
    cli("upload", "-", f"s3://{bucket}/dir/blob.bin", input=data)
    (tmp_path / "dl").mkdir()
    assert cli("get", f"s3://{bucket}/dir/blob.bin", "dl").exit_code == 0
    assert (tmp_path / "dl" / "blob.bin").read_bytes() == data
    run = cli("get", f"s3://{bucket}/dir/blob.bin", "-")
    assert run.exit_code == 0 and run.stdout_bytes == data


def test_recursive_roundtrip_of_frames(cli, bucket, tmp_path: Path):
    frames = make_frames(tmp_path / "frames", cameras=3, per_camera=10, size=30_000)
    (tmp_path / "frames" / "camera_001" / "nested" / "deeper").mkdir(parents=True)
    write_file(tmp_path / "frames" / "camera_001" / "nested" / "deeper" / "x.jpg", 5000, seed=9)
    run = cli("upload", "frames", f"s3://{bucket}/site/", "-r", "--type", "video_frame", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["succeeded"] == len(frames) + 1 and doc["failed"] == 0
    assert doc["bytes"] == 30_000 * len(frames) + 5000

    run = cli("get", f"s3://{bucket}/site/", "restored", "-r", "--json")
    assert run.exit_code == 0, run
    assert run.json()["succeeded"] == len(frames) + 1
    for path in [*frames, tmp_path / "frames/camera_001/nested/deeper/x.jpg"]:
        rel = path.relative_to(tmp_path / "frames")
        assert (tmp_path / "restored" / rel).read_bytes() == path.read_bytes(), rel
    leftovers = [p for p in (tmp_path / "restored").rglob("*") if ".its-tmp" in p.name]
    assert leftovers == []


def test_ls_filters_and_json_lines(cli, bucket, tmp_path: Path):
    write_file(tmp_path / "small.jpg", 500)
    write_file(tmp_path / "mid.jpg", 50_000)
    write_file(tmp_path / "big.bin", 300_000)
    cli("upload", "small.jpg", f"s3://{bucket}/cam/small.jpg", "--type", "video_frame")
    cli("upload", "mid.jpg", f"s3://{bucket}/cam/mid.jpg", "--type", "video_frame")
    cli("upload", "big.bin", f"s3://{bucket}/cam/sub/big.bin", "--type", "dataset")

    top = cli("ls", f"s3://{bucket}/cam/", "--json").jsonl()
    assert {(o["key"], o["is_prefix"]) for o in top} == {("cam/small.jpg", False), ("cam/mid.jpg", False),
                                                        ("cam/sub/", True)}
    rec = cli("ls", f"s3://{bucket}/cam/", "-r", "--min-size", "1K", "--max-size", "100K", "--json").jsonl()
    assert [o["key"] for o in rec] == ["cam/mid.jpg"]
    typed = cli("ls", f"s3://{bucket}", "-r", "--type", "dataset", "--json").jsonl()
    assert [(o["key"], o["object_type"]) for o in typed] == [("cam/sub/big.bin", "dataset")]
    assert cli("ls", f"s3://{bucket}", "-r", "--newer-than", "1h", "--json").jsonl().__len__() == 3
    assert cli("ls", f"s3://{bucket}", "-r", "--older-than", "1h", "--json").jsonl() == []
    assert len(cli("ls", f"s3://{bucket}", "-r", "--limit", "2", "--json").jsonl()) == 2
    human = cli("ls", f"s3://{bucket}/cam/", "-r")
    assert human.exit_code == 0 and "cam/sub/big.bin" in human.stdout and "293.0 KiB" in human.stdout


def test_ls_buckets(cli, bucket):
    names = [b["name"] for b in cli("ls", "--json").jsonl()]
    assert bucket in names
    assert bucket in cli("ls").stdout


def test_rm_keys_and_recursive(cli, bucket, service, tmp_path: Path):
    make_frames(tmp_path / "f", cameras=2, per_camera=3, size=1000)
    cli("upload", "f", f"s3://{bucket}/", "-r")
    run = cli("rm", f"s3://{bucket}/camera_001/frame_0001.jpg", f"s3://{bucket}/camera_001/frame_0002.jpg", "--json")
    assert run.exit_code == 0, run
    assert [d["key"] for d in run.json()["deleted"]] == ["camera_001/frame_0001.jpg", "camera_001/frame_0002.jpg"]

    dry = cli("rm", f"s3://{bucket}/camera_002", "-r", "--dry-run", "--json")
    assert dry.exit_code == 0 and dry.json()["succeeded"] == 3 and dry.json()["dry_run"] is True
    assert len(cli("ls", f"s3://{bucket}", "-r", "--json").jsonl()) == 4  # nothing deleted by a dry run

    refused = cli("rm", f"s3://{bucket}/camera_002/", "-r")  # no terminal, no --yes
    assert refused.exit_code == 2 and "--yes" in one_line_error(refused)
    assert len(cli("ls", f"s3://{bucket}", "-r", "--json").jsonl()) == 4

    run = cli("rm", f"s3://{bucket}/camera_002/", "-r", "--yes", "--json")
    assert run.exit_code == 0 and run.json()["succeeded"] == 3 and run.json()["bytes"] == 3000
    assert [o["key"] for o in cli("ls", f"s3://{bucket}", "-r", "--json").jsonl()] == ["camera_001/frame_0003.jpg"]


def test_rm_prefix_does_not_touch_siblings(cli, bucket):
    for key in ("cam1/a", "cam10/b", "cam1-x/c"):
        cli("upload", "-", f"s3://{bucket}/{key}", input=b"x")
    assert cli("rm", f"s3://{bucket}/cam1", "-r", "--yes").exit_code == 0
    keys = sorted(o["key"] for o in cli("ls", f"s3://{bucket}", "-r", "--json").jsonl())
    assert keys == ["cam1-x/c", "cam10/b"]


def test_error_paths_one_line_and_exit_codes(cli, bucket, tmp_path: Path):
    cases = [
        (("get", f"s3://{bucket}/missing.jpg", "x"), 3, "object not found"),
        (("get", "s3://no-such-bucket-zz9/k", "x"), 3, "bucket not found"),
        (("stat", f"s3://{bucket}/missing"), 3, "not found"),
        (("rm", f"s3://{bucket}/missing"), 3, "not found"),
        (("upload", "nope.jpg", f"s3://{bucket}/k"), 3, "no such file"),
        (("upload", str(tmp_path), f"s3://{bucket}/k"), 2, "directory"),
        (("upload", "-", f"s3://{bucket}/"), 2, "full key"),
        (("ls", "s3://Bad_Bucket"), 2, "invalid bucket name"),
        (("get", f"s3://{bucket}/a/../b", "x"), 2, ".."),
        (("get", f"s3://{bucket}/prefix/", "x"), 2, "prefix"),
        (("ls", f"s3://{bucket}", "--newer-than", "soon"), 2, "invalid duration"),
        (("ls", f"s3://{bucket}", "--min-size", "big"), 2, "invalid size"),
        (("upload", "-", f"s3://{bucket}/k", "--meta", "novalue"), 2, "malformed metadata"),
        (("upload", "-", f"s3://{bucket}/k", "--type", "movie"), 2, "--type"),
        (("frobnicate",), 2, "No such command"),
    ]
    for args, code, fragment in cases:
        run = cli(*args, input=b"")
        assert run.exit_code == code, (args, run)
        assert fragment.lower() in one_line_error(run).lower(), (args, run)
        assert not Path("x").exists()


def test_json_errors_on_stdout(cli, bucket):
    run = cli("get", f"s3://{bucket}/missing", "x", "--json")
    assert run.exit_code == 3
    err = json.loads(run.stdout)["error"]
    assert err["code"] == "object_not_found" and "missing" in err["message"] and "hint" in err
    usage = cli("ls", "--json", "--min-size")
    assert usage.exit_code == 2 and json.loads(usage.stdout)["error"]["code"] == "usage_error"


def test_wrong_credentials_and_unreachable_endpoint(cli):
    run = cli("ls", extra_env={"MINIO_SECRET_KEY": "definitely-wrong"})
    assert run.exit_code == 6 and "access denied" in one_line_error(run)
    assert "definitely-wrong" not in run.stderr + run.stdout
    run = cli("ls", extra_env={"MINIO_ENDPOINT": "127.0.0.1:9"})
    assert run.exit_code == 69 and "cannot reach" in one_line_error(run)
    run = cli("ls", extra_env={"MINIO_MULTIPART_THRESHOLD": "abc"})
    assert run.exit_code == 78 and "MINIO_MULTIPART_THRESHOLD" in one_line_error(run)


def test_failed_download_leaves_existing_target_untouched(cli, bucket):
    Path("keep.jpg").write_bytes(b"precious")
    run = cli("get", f"s3://{bucket}/missing.jpg", "keep.jpg")
    assert run.exit_code == 3
    assert Path("keep.jpg").read_bytes() == b"precious"
    assert [p.name for p in Path(".").iterdir()] == ["keep.jpg"]


def test_get_into_new_folder_with_trailing_slash_and_umask_mode(cli, bucket):
    import os
    cli("upload", "-", f"s3://{bucket}/m/model.pt", input=b"weights")
    assert cli("stat", f"s3://{bucket}/m/model.pt", "--json").json()["content_type"] == "application/octet-stream"
    assert cli("get", f"s3://{bucket}/m/model.pt", "newdir/").exit_code == 0
    target = Path("newdir/model.pt")
    assert target.read_bytes() == b"weights"
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_init_creates_even_when_auto_create_is_off(cli, buckets):
    run = cli("init", "--json", extra_env={"MINIO_CREATE_BUCKETS": "false"})
    assert run.exit_code == 0, run
    assert sorted(run.json()["created"]) == sorted(buckets.values())


def test_rm_dry_run_without_recursive_deletes_nothing(cli, bucket):
    cli("upload", "-", f"s3://{bucket}/keep.bin", input=b"keep")
    run = cli("rm", f"s3://{bucket}/keep.bin", "--dry-run", "--json")
    assert run.exit_code == 0, run
    assert run.json()["would_delete"][0]["key"] == "keep.bin" and run.json()["dry_run"] is True
    assert cli("get", f"s3://{bucket}/keep.bin", "-").stdout_bytes == b"keep"
    assert cli("rm", f"s3://{bucket}/missing", "--dry-run").exit_code == 3
    refused = cli("rm", f"s3://{bucket}/", "-r", "--yes", "--version-id", "v1")
    assert refused.exit_code == 2 and cli("get", f"s3://{bucket}/keep.bin", "-").stdout_bytes == b"keep"
