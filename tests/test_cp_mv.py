"""cp and mv end to end (CLI and library) against the real servers: server-side copies keeping metadata and
tags, recursive copies, the multipart copy path, moves that delete only what was verified, shards."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from its_store.core.shard import Shard

from conftest import one_line_error, unique
from helpers import make_frames, random_bytes, write_file


def _keys(cli, where: str) -> list[str]:
    run = cli("ls", where, "-r", "--json")
    assert run.exit_code == 0, run
    return sorted(o["key"] for o in run.jsonl())


def test_cp_s3_to_s3_keeps_metadata_tags_and_content_type(object_cli, object_bucket, object_server,
                                                         tmp_path: Path):
    src = write_file(tmp_path / "f.jpg", 70_000, seed=1)
    run = object_cli("upload", str(src), f"s3://{object_bucket}/a/f.jpg", "--type", "video_frame",
                     "--meta", "camera_id=cam_7", "--json")
    assert run.exit_code == 0, run
    tagging = object_server.kind != "rclone"  # rclone serve s3 has no object tagging (test_object_io_servers)
    if tagging:
        assert object_cli("tag", "set", f"s3://{object_bucket}/a/f.jpg", "site=a4", "lane=2").exit_code == 0
    other = unique("c") if object_server.kind != "rclone" else object_bucket  # rclone: no new versioned bucket
    run = object_cli("cp", f"s3://{object_bucket}/a/f.jpg", f"s3://{other}/copied/", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["action"] == "copy" and doc["succeeded"] == 1 and doc["failed"] == 0
    assert doc["objects"][0]["dest"] == f"s3://{other}/copied/f.jpg"
    stat = object_cli("stat", f"s3://{other}/copied/f.jpg", "--json").json()
    assert stat["size"] == 70_000 and stat["content_type"] == "image/jpeg"
    # rclone serve s3 adds its own `mtime` to a copy's metadata; ours is kept on every server (radosgw
    # stores `_` in a metadata name as `-`: test_object_io_servers.kept_metadata)
    name = "camera-id" if object_server.kind == "ceph" else "camera_id"
    assert stat["metadata"][name] == "cam_7" and stat["object_type"] == "video_frame"
    if object_server.kind != "rclone":
        assert stat["metadata"] == {name: "cam_7"}
    if tagging:
        assert stat["tags"] == {"site": "a4", "lane": "2"}
    assert object_cli("get", f"s3://{other}/copied/f.jpg", "back.jpg").exit_code == 0
    assert Path("back.jpg").read_bytes() == src.read_bytes()
    # the source is still there (cp, not mv)
    assert object_cli("stat", f"s3://{object_bucket}/a/f.jpg").exit_code == 0


def test_cp_local_to_s3_and_back(object_cli, object_bucket, tmp_path: Path):
    src = write_file(tmp_path / "blob.bin", 123_457, seed=2)
    run = object_cli("cp", str(src), f"s3://{object_bucket}/x/", "--json")
    assert run.exit_code == 0, run
    assert run.json()["objects"][0]["dest"] == f"s3://{object_bucket}/x/blob.bin"
    run = object_cli("cp", f"s3://{object_bucket}/x/blob.bin", "out/", "--json")
    assert run.exit_code == 0, run
    assert run.json()["objects"][0]["verified"] is True
    assert (tmp_path / "out" / "blob.bin").read_bytes() == src.read_bytes()
    assert src.exists()


def test_cp_recursive_s3_to_s3_and_local(object_cli, object_bucket, tmp_path: Path):
    frames = make_frames(tmp_path / "frames", cameras=2, per_camera=4, size=10_000)
    assert object_cli("upload", "frames", f"s3://{object_bucket}/site/", "-r").exit_code == 0
    run = object_cli("cp", f"s3://{object_bucket}/site", f"s3://{object_bucket}/archive/2024/", "-r", "--json")
    assert run.exit_code == 0, run
    assert run.json()["succeeded"] == len(frames) and run.json()["bytes"] == 10_000 * len(frames)
    assert _keys(object_cli, f"s3://{object_bucket}/archive/") == sorted(
        f"archive/2024/{p.relative_to(tmp_path / 'frames').as_posix()}" for p in frames)
    run = object_cli("cp", f"s3://{object_bucket}/archive/2024/", "pulled", "-r", "--json")
    assert run.exit_code == 0, run
    for path in frames:
        assert (tmp_path / "pulled" / path.relative_to(tmp_path / "frames")).read_bytes() == path.read_bytes()


def test_cp_refuses_bad_input(cli, bucket, tmp_path: Path):
    write_file(tmp_path / "a.bin", 10)
    assert one_line_error(cli("cp", "a.bin", "b.bin")).endswith("(hint: one of them must be s3://BUCKET/...)")
    run = cli("cp", f"s3://{bucket}/p/", "x")
    assert run.exit_code == 2 and "add -r" in one_line_error(run)
    run = cli("cp", f"s3://{bucket}/p/", f"s3://{bucket}/p/q/", "-r")
    assert run.exit_code == 2 and "overlap" in one_line_error(run)
    run = cli("cp", "a.bin", f"s3://{bucket}/k", "--shard", "0/2")
    assert run.exit_code == 2
    run = cli("cp", "frames", f"s3://{bucket}/k/", "-r", "--shard", "2/2")
    assert run.exit_code == 2 and "--shard" in one_line_error(run)
    run = cli("cp", f"s3://{bucket}/missing.bin", "x.bin")
    assert run.exit_code == 3, run
    assert not (tmp_path / "x.bin").exists()
    for args in (("cp", f"s3://{bucket}/missing.bin", f"s3://{bucket}/y.bin"),
                 ("mv", f"s3://{bucket}/missing.bin", f"s3://{bucket}/y.bin")):
        run = cli(*args)  # one object: its own error line, no batch report ("copied ... (0 objects)")
        assert run.exit_code == 3 and one_line_error(run).endswith("object not found: "
                                                                   f"s3://{bucket}/missing.bin"), run
        as_json = cli(*args, "--json")
        assert as_json.exit_code == 3 and as_json.json()["error"]["code"] == "object_not_found", as_json


def test_multipart_copy_path_with_small_parts(service, bucket):
    """The path taken above 5 GiB, forced with a low threshold: a 12 MiB object copied in 5 MiB ranges."""
    from its_store.core.models import UploadRequest
    from its_store.sync.copy import Copier
    data = random_bytes(12 * 1024 * 1024 + 333, seed=5)
    Path("one.src").write_bytes(data)  # a file above the tests' 5 MiB threshold: uploaded in 5 MiB parts
    service.upload_object(UploadRequest(bucket=bucket, key="big/one.bin", file_path=Path("one.src"),
                                        part_size=5 * 1024 * 1024, metadata={"camera_id": "cam9"}, tags={"k": "v"}))
    source = service.s3.stat(bucket, "big/one.bin")
    assert source.etag.endswith("-3")
    copier = Copier(service, copy_threshold=1024 * 1024)
    result = copier.copy(f"s3://{bucket}/big/one.bin", f"s3://{bucket}/copy/one.bin")
    assert not result.errors, result.errors
    assert result.objects[0].multipart_copy is True
    copy = service.stat_object(bucket, "copy/one.bin")
    assert copy.size == len(data) and copy.metadata == {"camera_id": "cam9"} and copy.tags == {"k": "v"}
    assert copy.etag == source.etag  # same 5 MiB parts as the source upload: same multipart ETag
    from its_store.core.models import DownloadRequest
    got = service.download_object(DownloadRequest(bucket=bucket, key="copy/one.bin", file_path=Path("one.bin")))
    assert got.verified is True
    assert hashlib.sha256(Path("one.bin").read_bytes()).digest() == hashlib.sha256(data).digest()
    # a single-part source copied in parts (different part size): bytes still match, ETag differs
    service.upload_object(UploadRequest(bucket=bucket, key="big/single.bin", data=data[:7 * 1024 * 1024]))
    result = Copier(service, copy_threshold=1024 * 1024, copy_part_size=5 * 1024 * 1024).move(
        f"s3://{bucket}/big/single.bin", f"s3://{bucket}/copy/single.bin")
    assert not result.errors and result.objects[0].multipart_copy is True
    assert result.objects[0].verified_by == "sha256"
    body = service.s3.get(bucket, "copy/single.bin")
    try:
        assert body.read() == data[:7 * 1024 * 1024]
    finally:
        body.close()


def test_mv_s3_to_s3_deletes_the_source_after_verification(object_cli, object_bucket, object_server, tmp_path: Path):
    make_frames(tmp_path / "frames", cameras=1, per_camera=5, size=5_000)
    assert object_cli("upload", "frames", f"s3://{object_bucket}/in/", "-r").exit_code == 0
    run = object_cli("mv", f"s3://{object_bucket}/in/", f"s3://{object_bucket}/done/", "-r", "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["succeeded"] == 5 and all(o["deleted"] and o["verified_by"] == "etag" for o in doc["objects"])
    conditional = object_server.kind != "rclone"  # it ignores If-Match on DELETE and keeps no versions: a plain
    #                                               DELETE (Ceph ignores it too, but this bucket is versioned there)
    assert all(o["delete_conditional"] is conditional for o in doc["objects"]), doc["objects"]
    assert _keys(object_cli, f"s3://{object_bucket}/in/") == []
    assert len(_keys(object_cli, f"s3://{object_bucket}/done/")) == 5


def test_mv_local_to_s3_removes_files_only_after_upload(cli, bucket, tmp_path: Path):
    frames = make_frames(tmp_path / "outbox", cameras=2, per_camera=3, size=4_000)
    digests = {p.relative_to(tmp_path / "outbox").as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in frames}
    run = cli("mv", "outbox", f"s3://{bucket}/cams/", "-r", "--json")
    assert run.exit_code == 0, run
    assert not any(p.exists() for p in frames)
    for rel, digest in digests.items():
        body = cli("get", f"s3://{bucket}/cams/{rel}", "-")
        assert hashlib.sha256(body.stdout_bytes).hexdigest() == digest


def test_mv_keeps_the_source_when_the_copy_fails(cli, bucket, tmp_path: Path):
    """A target bucket that does not exist (bucket creation off): nothing copied, nothing deleted."""
    src = write_file(tmp_path / "keep.bin", 2_000)
    assert cli("upload", str(src), f"s3://{bucket}/keep.bin").exit_code == 0
    missing = unique("nb")
    off = {"MINIO_CREATE_BUCKETS": "false"}
    run = cli("mv", "keep.bin", f"s3://{missing}/keep.bin", extra_env=off)
    assert run.exit_code == 3, run
    assert src.exists()
    run = cli("mv", f"s3://{bucket}/keep.bin", f"s3://{missing}/keep.bin", extra_env=off)
    assert run.exit_code == 3, run
    assert cli("stat", f"s3://{bucket}/keep.bin").exit_code == 0


def test_mv_keeps_the_object_when_the_download_fails_verification(cli, bucket, service, tmp_path: Path):
    """An object whose recorded sha256 does not match its bytes: the download is refused (exit 4), the
    object stays, and a good object moved in the same run is deleted: one failure does not stop the rest."""
    good = random_bytes(3_000, seed=1)
    service.s3.put(bucket, "box/good.bin", good, {"Content-Type": "application/octet-stream"})
    service.s3.put(bucket, "box/bad.bin", random_bytes(3_000, seed=2),
                   {"Content-Type": "application/octet-stream", "x-amz-meta-its-sha256": "0" * 64,
                    "x-amz-meta-its-original-size": "3000"})
    run = cli("mv", f"s3://{bucket}/box/", "local", "-r", "--json")
    assert run.exit_code == 4, run
    doc = run.json()  # stdout: one document, the report; the error document goes to stderr
    assert json.loads(run.stderr.strip().splitlines()[-1])["error"]["code"] == "integrity_error"
    assert doc["succeeded"] == 1 and doc["failed"] == 1
    assert doc["errors"][0]["key"] == "box/bad.bin" and doc["errors"][0]["code"] == "integrity_error"
    assert _keys(cli, f"s3://{bucket}/box/") == ["box/bad.bin"]
    assert (tmp_path / "local" / "good.bin").read_bytes() == good
    assert not (tmp_path / "local" / "bad.bin").exists()


@pytest.mark.parametrize("count", [3])
def test_cp_shards_cover_every_key_exactly_once(cli, bucket, tmp_path: Path, count: int):
    files = make_frames(tmp_path / "many", cameras=4, per_camera=10, size=500)
    assert cli("upload", "many", f"s3://{bucket}/src/", "-r").exit_code == 0
    seen: list[str] = []
    for k in range(count):
        run = cli("cp", f"s3://{bucket}/src/", f"s3://{bucket}/dst/", "-r", "--shard", f"{k}/{count}", "--json")
        assert run.exit_code == 0, run
        mine = [o["dest"].split("/dst/", 1)[1] for o in run.json()["objects"]]
        assert all(rel in Shard(k, count) for rel in mine)
        seen += mine
    expected = sorted(p.relative_to(tmp_path / "many").as_posix() for p in files)
    assert sorted(seen) == expected  # every key once: no duplicates, none missing
    assert len(set(seen)) == len(seen)
    assert 0 < len([r for r in expected if r in Shard(0, count)]) < len(expected)  # a real split
    # local -> s3 sharded by relative path
    seen = []
    for k in range(2):
        run = cli("cp", "many", f"s3://{bucket}/up/", "-r", "--shard", f"{k}/2", "--json")
        assert run.exit_code == 0, run
        seen += [o["dest"].split("/up/", 1)[1] for o in run.json()["objects"]]
    assert sorted(seen) == expected


def test_rm_recursive_shards_cover_every_key_exactly_once(cli, bucket, tmp_path: Path):
    files = make_frames(tmp_path / "many", cameras=3, per_camera=10, size=300)
    assert cli("upload", "many", f"s3://{bucket}/p/", "-r").exit_code == 0
    deleted: list[str] = []
    for k in range(3):
        run = cli("rm", f"s3://{bucket}/p/", "-r", "--shard", f"{k}/3", "--yes", "--json")
        assert run.exit_code == 0, run
        mine = [o["key"] for o in run.json()["objects"]]
        assert all(key[len("p/"):] in Shard(k, 3) for key in mine)
        left = _keys(cli, f"s3://{bucket}/p/")
        assert not set(mine) & set(left)
        deleted += mine
    assert sorted(deleted) == sorted(f"p/{p.relative_to(tmp_path / 'many').as_posix()}" for p in files)
    assert _keys(cli, f"s3://{bucket}/p/") == []
    run = cli("rm", f"s3://{bucket}/p/x", "--shard", "0/2", "--yes")
    assert run.exit_code == 2 and "--recursive" in one_line_error(run)


@pytest.fixture(scope="module")
def two_keys(tmp_path_factory):
    import json
    import secrets

    from its_store.testing.devserver import SeaweedServer
    folder = tmp_path_factory.mktemp("two-keys")
    admin = ("itsrw" + secrets.token_hex(4), secrets.token_urlsafe(18))
    reader = ("itsro" + secrets.token_hex(4), secrets.token_urlsafe(18))
    (folder / "s3.json").write_text(json.dumps({"identities": [
        {"name": "rw", "credentials": [{"accessKey": admin[0], "secretKey": admin[1]}],
         "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
        {"name": "ro", "credentials": [{"accessKey": reader[0], "secretKey": reader[1]}], "actions": ["Read", "List"]},
    ]}))
    server = SeaweedServer(access_key=admin[0], secret_key=admin[1], workdir=folder / "server",
                           extra_args=[f"-s3.config={folder / 's3.json'}"]).start()
    keys = {name: {"MINIO_ENDPOINT": server.endpoint, "MINIO_ACCESS_KEY": user[0], "MINIO_SECRET_KEY": user[1],
                   "MINIO_MAX_RETRIES": "0"} for name, user in (("rw", admin), ("ro", reader))}
    yield keys
    server.kill()  # SIGKILL: the folder stays in tmp_path for a look, no clean stop needed (~2 s)


def test_mv_with_a_read_only_key_deletes_nothing(cli, two_keys, tmp_path: Path):
    """A key that may read but not write or delete: a move fails (exit 6) and every source stays."""
    rw, ro = two_keys["rw"], two_keys["ro"]
    data = random_bytes(4_000, seed=3)
    bucket = unique("ro")
    Path("up.bin").write_bytes(data)
    assert cli("cp", "up.bin", f"s3://{bucket}/in/a.bin", extra_env=rw).exit_code == 0
    run = cli("mv", "up.bin", f"s3://{bucket}/in/b.bin", extra_env=ro)  # upload refused
    assert run.exit_code == 6, run
    assert Path("up.bin").read_bytes() == data
    run = cli("mv", f"s3://{bucket}/in/a.bin", f"s3://{bucket}/out/a.bin", extra_env=ro)  # copy refused
    assert run.exit_code == 6, run
    run = cli("mv", f"s3://{bucket}/in/a.bin", "local.bin", "--json", extra_env=ro)  # copied, delete refused
    assert run.exit_code == 6, run
    assert Path("local.bin").read_bytes() == data
    keys = [o["key"] for o in cli("ls", f"s3://{bucket}", "-r", "--json", extra_env=rw).jsonl()]
    assert keys == ["in/a.bin"]
