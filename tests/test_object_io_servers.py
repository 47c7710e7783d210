"""Object I/O through the CLI on four S3 servers: SeaweedFS, moto's server, `rclone serve s3` and Ceph's
RADOS Gateway (Debian's radosgw 16.2).

Every test runs once per server (the `object_server` fixture, conftest.py); where a server behaves
differently but acceptably, the test says which server and why in an explicit branch. Nothing is skipped.
The multipart threshold is 5 MiB here (conftest.SMALL_THRESHOLD).
"""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

from conftest import SMALL_THRESHOLD, ServerInfo
from helpers import JPEG_HEADER, random_bytes, write_file

MiB = 1024 * 1024


def has_versioning(server: ServerInfo) -> bool:
    """rclone serve s3 keeps no versions ("Versioning is not currently supported"); the others do."""
    return server.kind != "rclone"


def kept_metadata(server: ServerInfo, sent: dict[str, str]) -> dict[str, str]:
    """The metadata a server gives back for `sent` (names lower-cased by all). radosgw turns `_` in a
    name into `-` (x-amz-meta-camera_id comes back as camera-id); the value is kept."""
    if server.kind == "ceph":
        return {k.replace("_", "-"): v for k, v in sent.items()}
    return sent


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".its-tmp" in p.name]


def test_single_upload_get_roundtrip_with_metadata_and_content_type(object_cli, object_bucket, object_server,
                                                                     tmp_path: Path):
    cli, bucket = object_cli, object_bucket
    src = tmp_path / "frame.jpg"
    src.write_bytes(JPEG_HEADER + random_bytes(70_000, seed=1))
    run = cli("upload", str(src), f"s3://{bucket}/cam1/", "--type", "video_frame", "--meta", "camera_id=cam_1",
              "--meta", "Timestamp=2024-08-12T12:00:00Z", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert (doc["bucket"], doc["key"], doc["total_size"]) == (bucket, "cam1/frame.jpg", src.stat().st_size)
    assert doc["content_type"] == "image/jpeg" and doc["object_type"] == "video_frame"
    assert doc["multipart"] is False and doc["etag"]
    if has_versioning(object_server):
        assert doc["version_id"], doc
    else:
        assert doc["version_id"] is None, doc

    # an explicit content type, on a body from stdin
    body = random_bytes(3000, seed=2)
    run = cli("upload", "-", f"s3://{bucket}/raw/blob", "--content-type", "application/x-its-test",
              "--meta", "source=stdin", "--json", input=body)
    assert run.exit_code == 0, run

    # what the server kept, read back with one HEAD per object (`stat` has a test of its own below)
    listed = {o["key"]: o for o in cli("ls", f"s3://{bucket}", "-r", "--metadata", "--json").jsonl()}
    info = listed["cam1/frame.jpg"]
    assert info["metadata"] == kept_metadata(object_server, {"camera_id": "cam_1", "timestamp": "2024-08-12T12:00:00Z"})
    assert info["content_type"] == "image/jpeg" and info["object_type"] == "video_frame"
    assert info["size"] == src.stat().st_size and info["etag"] == doc["etag"] and info["is_prefix"] is False
    info = listed["raw/blob"]
    assert info["content_type"] == "application/x-its-test" and info["metadata"] == {"source": "stdin"}

    run = cli("get", f"s3://{bucket}/cam1/frame.jpg", "out.jpg", "--json")
    assert run.exit_code == 0, run
    assert run.json()["verified"] is True and run.json()["size"] == src.stat().st_size
    assert Path("out.jpg").read_bytes() == src.read_bytes()
    assert leftovers(tmp_path) == []


def test_multipart_upload_and_ranged_parallel_download(object_cli, object_bucket, object_server, tmp_path: Path):
    cli, bucket = object_cli, object_bucket
    size = 12 * MiB + 4321  # over the 5 MiB threshold both ways: parts up, ranges down
    src = write_file(tmp_path / "big.bin", size, seed=12)
    run = cli("upload", str(src), f"s3://{bucket}/models/big.bin", "--part-size", "5MiB", "--workers", "3",
              "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["multipart"] is True and doc["parts"] == 3 and doc["total_size"] == size
    assert doc["codec"] == "none"  # random bytes are not worth compressing

    [listed] = cli("ls", f"s3://{bucket}/models/", "--json").jsonl()
    assert listed["size"] == size
    if object_server.kind == "rclone":
        # rclone stores the parts as one file: CompleteMultipartUpload answers the multipart ETag
        # (MD5 of the part MD5s, "-3"), but the object then carries the plain MD5 of its bytes
        assert listed["etag"] == hashlib.md5(src.read_bytes()).hexdigest() != doc["etag"]
    else:
        assert listed["etag"] == doc["etag"] and doc["etag"].endswith("-3")

    run = cli("get", f"s3://{bucket}/models/big.bin", "big.out", "--workers", "4", "--json")
    assert run.exit_code == 0, run
    assert run.json()["size"] == size
    # rclone keeps no CRC32 (x-amz-checksum-*) and its whole-object MD5 ETag cannot be checked against
    # parallel ranges, but it keeps the its-sha256 metadata every upload records: verified everywhere
    assert run.json()["verified"] is True
    got = (tmp_path / "big.out").read_bytes()
    assert len(got) == size and hashlib.sha256(got).digest() == hashlib.sha256(src.read_bytes()).digest()
    assert leftovers(tmp_path) == []


def _nested_tree(root: Path) -> list[Path]:
    """50 small files, 3 levels deep, sizes 0..~20 KB (one empty file)."""
    paths = []
    for i in range(50):
        rel = Path(f"cam_{i % 3}") / (f"day_{i % 2}" if i % 5 else "") / (f"hour_{i % 4}" if i % 7 == 0 else "")
        path = root / rel / f"f_{i:02d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(random_bytes((i * 397) % 20_000, seed=100 + i))
        paths.append(path)
    return paths


def test_recursive_upload_and_get_of_nested_folders(object_cli, object_bucket, tmp_path: Path):
    cli, bucket = object_cli, object_bucket
    files = _nested_tree(tmp_path / "tree")
    total = sum(p.stat().st_size for p in files)
    run = cli("upload", "tree", f"s3://{bucket}/site/", "-r", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert (doc["succeeded"], doc["failed"], doc["bytes"], doc["errors"]) == (50, 0, total, [])

    keys = sorted(o["key"] for o in cli("ls", f"s3://{bucket}/site/", "-r", "--json").jsonl())
    assert keys == sorted(f"site/{p.relative_to(tmp_path / 'tree').as_posix()}" for p in files)

    run = cli("get", f"s3://{bucket}/site/", "restored", "-r", "--json")
    assert run.exit_code == 0, run
    assert (run.json()["succeeded"], run.json()["failed"]) == (50, 0)
    for path in files:
        rel = path.relative_to(tmp_path / "tree")
        assert (tmp_path / "restored" / rel).read_bytes() == path.read_bytes(), rel
    assert sorted(p for p in (tmp_path / "restored").rglob("*") if p.is_file()) == \
        sorted(tmp_path / "restored" / p.relative_to(tmp_path / "tree") for p in files)
    assert leftovers(tmp_path) == []


def test_ls_plain_recursive_and_json_lines(object_cli, object_bucket, tmp_path: Path):
    cli, bucket = object_cli, object_bucket
    sizes = {"top.txt": 10, "cam/a.jpg": 2000, "cam/sub/b.jpg": 30_000, "cam/sub/deeper/c.jpg": 500}
    for key, size in sizes.items():
        run = cli("upload", "-", f"s3://{bucket}/{key}", "--compress", "none", input=random_bytes(size, seed=size))
        assert run.exit_code == 0, run

    top = cli("ls", f"s3://{bucket}", "--json").jsonl()
    assert {(o["key"], o["is_prefix"]) for o in top} == {("top.txt", False), ("cam/", True)}
    level = cli("ls", f"s3://{bucket}/cam/", "--json").jsonl()
    assert {(o["key"], o["is_prefix"]) for o in level} == {("cam/a.jpg", False), ("cam/sub/", True)}

    everything = cli("ls", f"s3://{bucket}", "-r", "--json").jsonl()
    assert {o["key"]: o["size"] for o in everything} == sizes
    assert all(o["bucket"] == bucket and o["etag"] and o["last_modified"] and o["is_prefix"] is False
               for o in everything)
    under = cli("ls", f"s3://{bucket}/cam/sub/", "-r", "--json").jsonl()
    assert sorted(o["key"] for o in under) == ["cam/sub/b.jpg", "cam/sub/deeper/c.jpg"]

    human = cli("ls", f"s3://{bucket}/cam/")
    assert human.exit_code == 0, human
    assert "cam/a.jpg" in human.stdout and "cam/sub/" in human.stdout and "b.jpg" not in human.stdout
    human = cli("ls", f"s3://{bucket}", "-r")
    assert human.exit_code == 0 and all(key in human.stdout for key in sizes), human

    buckets = [b["name"] for b in cli("ls", "--json").jsonl()]
    assert bucket in buckets


def test_stat_json_and_missing_objects(object_cli, object_bucket, object_server):
    cli, bucket = object_cli, object_bucket
    data = random_bytes(4096, seed=4)
    up = cli("upload", "-", f"s3://{bucket}/d/stat.bin", "--meta", "camera_id=cam_9", "--json", input=data).json()
    run = cli("stat", f"s3://{bucket}/d/stat.bin", "--json")
    assert run.exit_code == 0, run
    info = run.json()
    assert (info["bucket"], info["key"], info["size"]) == (bucket, "d/stat.bin", 4096)
    assert info["etag"] == up["etag"]
    assert info["metadata"] == kept_metadata(object_server, {"camera_id": "cam_9"}) and info["is_prefix"] is False
    assert info["last_modified"] and info["version_id"] == up["version_id"]
    assert info["content_type"] == "application/octet-stream" and info["object_type"] == "other"
    # rclone has no object tagging (a GET ?tagging is answered with the object's bytes); others: no tags
    assert info["tags"] in ({}, None) if object_server.kind == "rclone" else info["tags"] == {}

    for args in (("stat", f"s3://{bucket}/d/missing"), ("get", f"s3://{bucket}/d/missing", "x.bin"),
                 ("get", f"s3://{bucket}/d/missing", "-"), ("rm", f"s3://{bucket}/d/missing")):
        run = cli(*args, "--json")
        assert run.exit_code == 3, (args, run)
        assert run.json()["error"]["code"] == "object_not_found", (args, run)
    assert not Path("x.bin").exists()


def test_presign_get_url_works_without_credentials(object_cli, object_bucket):
    cli, bucket = object_cli, object_bucket
    data = random_bytes(50_000, seed=6)
    assert cli("upload", "-", f"s3://{bucket}/share/clip.bin", input=data).exit_code == 0
    run = cli("presign", f"s3://{bucket}/share/clip.bin", "--expires", "5m", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["method"] == "GET" and doc["expires_in_seconds"] == 300 and doc["key"] == "share/clip.bin"
    with urllib.request.urlopen(doc["url"], timeout=10) as resp:
        assert resp.status == 200 and resp.read() == data


def test_rm_single_and_recursive(object_cli, object_bucket):
    cli, bucket = object_cli, object_bucket
    keys = ["one.bin", "dir/a.bin", "dir/b.bin", "dir/sub/c.bin", "dir-sibling/d.bin"]
    for i, key in enumerate(keys):
        assert cli("upload", "-", f"s3://{bucket}/{key}", input=random_bytes(100 + i, seed=i)).exit_code == 0

    run = cli("rm", f"s3://{bucket}/one.bin", "--json")
    assert run.exit_code == 0, run
    assert [(d["key"], d["deleted"]) for d in run.json()["deleted"]] == [("one.bin", True)]
    assert cli("stat", f"s3://{bucket}/one.bin").exit_code == 3

    run = cli("rm", f"s3://{bucket}/dir/", "-r", "--yes", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert (doc["succeeded"], doc["failed"], doc["bytes"]) == (3, 0, 101 + 102 + 103)
    assert sorted(o["key"] for o in doc["objects"]) == ["dir/a.bin", "dir/b.bin", "dir/sub/c.bin"]
    remaining = [o["key"] for o in cli("ls", f"s3://{bucket}", "-r", "--json").jsonl()]
    assert remaining == ["dir-sibling/d.bin"]


def test_stdin_upload_and_stdout_get(object_cli, object_bucket):
    cli, bucket = object_cli, object_bucket
    small = random_bytes(300_000, seed=7)
    run = cli("upload", "-", f"s3://{bucket}/pipe/small.bin", "--json", input=small)
    assert run.exit_code == 0, run
    assert run.json()["total_size"] == len(small) and run.json()["multipart"] is False
    down = cli("get", f"s3://{bucket}/pipe/small.bin", "-")
    assert down.exit_code == 0 and down.stdout_bytes == small, down

    big = random_bytes(SMALL_THRESHOLD + MiB + 17, seed=8)  # a stream past the threshold goes up in parts
    run = cli("upload", "-", f"s3://{bucket}/pipe/big.bin", "--part-size", "5MiB", "--json", input=big)
    assert run.exit_code == 0, run
    assert run.json()["total_size"] == len(big) and run.json()["parts"] == 2
    down = cli("get", f"s3://{bucket}/pipe/big.bin", "-")
    assert down.exit_code == 0 and down.stdout_bytes == big, down


def test_tag_set_and_rm_never_destroy_the_object(object_cli, object_bucket, object_server):
    """`tag set` / `tag rm` on every server; rclone has no object tagging and stores a PUT ?tagging as
    the object's content, so there its-store refuses (exit 1) and the object stays as it was."""
    cli, bucket = object_cli, object_bucket
    body = random_bytes(50_000, seed=44)
    assert cli("upload", "-", f"s3://{bucket}/t/frame.jpg", input=body).exit_code == 0
    for args in (("tag", "set", f"s3://{bucket}/t/frame.jpg", "case=4711", "--replace"),
                 ("tag", "set", f"s3://{bucket}/t/frame.jpg", "camera=cam_7"),
                 ("tag", "rm", f"s3://{bucket}/t/frame.jpg")):
        run = cli(*args)
        if object_server.kind == "rclone":  # no tagging: refused (rm too: "has no tags" was a false answer)
            assert run.exit_code == 1 and "does not support object tagging" in run.stderr, run
        else:
            assert run.exit_code == 0, run
    got = cli("tag", "get", f"s3://{bucket}/t/frame.jpg")  # rclone: refused as set is, not "has no tags"
    assert (got.exit_code == 1 and "does not support object tagging" in got.stderr) if object_server.kind == "rclone" \
        else got.exit_code == 0, got
    assert cli("get", f"s3://{bucket}/t/frame.jpg", "-").stdout_bytes == body
