"""`verify`: the integrity scrub of a prefix and the folder/prefix compare, against the real SeaweedFS.

Corruption "behind our back" is made the way it happens: another client (plain minio, not its-store)
rewrites an object's body and copies its its-sha256 metadata along, so that S3's own checksums and
ETag are fresh and consistent; only the hash recorded at upload can tell."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from pathlib import Path

import pytest

from conftest import one_line_error
from helpers import random_bytes, write_file


@pytest.fixture
def other_tool(s3_server):
    """A plain minio client: "another tool" writing to the same server."""
    from minio import Minio
    return Minio(s3_server.endpoint, access_key=s3_server.access_key, secret_key=s3_server.secret_key,
                 secure=False, region="us-east-1")


def _upload_many(cli, root: Path, bucket: str, count: int) -> None:
    for i in range(count):
        path = root / f"cam_{i % 10:02d}" / f"f{i:04d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(random_bytes(1000 + i % 7, seed=i))
    run = cli("upload", str(root), f"s3://{bucket}/frames/", "-r", "--compress", "none", "--json")
    assert run.exit_code == 0 and run.json()["succeeded"] == count, run


def test_scrub_finds_one_body_replaced_behind_our_back_among_500(cli, bucket, other_tool, tmp_path: Path):
    _upload_many(cli, tmp_path / "frames", bucket, 500)
    clean = cli("verify", f"s3://{bucket}/frames/", "-r", "--json")
    assert clean.exit_code == 0, clean
    doc = clean.json()
    assert doc["objects"] == 500 and doc["counts"]["ok"] == 500 and doc["verified_by"] == {"sha256": 500}
    assert doc["corrupt"] == [] and doc["exit_code"] == 0

    victim = "frames/cam_03/f0123.jpg"
    recorded = other_tool.stat_object(bucket, victim).metadata["x-amz-meta-its-sha256"]
    body = bytearray((tmp_path / "frames" / "cam_03" / "f0123.jpg").read_bytes())
    body[500] ^= 0x01  # one bit, same size
    other_tool.put_object(bucket, victim, io.BytesIO(bytes(body)), len(body), metadata={"its-sha256": recorded})
    assert other_tool.stat_object(bucket, victim).etag == hashlib.md5(bytes(body)).hexdigest()  # S3 is happy

    run = cli("verify", f"s3://{bucket}/frames/", "-r", "--json")
    assert run.exit_code == 4, run
    doc = run.json()
    assert doc["counts"] == {"ok": 499, "corrupt": 1, "unreadable": 0, "unverifiable": 0} and len(doc["corrupt"]) == 1
    [bad] = doc["corrupt"]
    assert bad["key"] == victim and bad["method"] == "sha256" and bad["expected"] == recorded
    assert bad["actual"] == hashlib.sha256(bytes(body)).hexdigest()
    human = cli("verify", f"s3://{bucket}/frames/", "-r")
    assert human.exit_code == 4 and f"s3://{bucket}/{victim}" in human.stdout and "corrupt" in human.stdout
    assert "499 ok" in human.stderr
    one = cli("verify", f"s3://{bucket}/{victim}")  # a single object
    assert one.exit_code == 4 and victim in one.stdout


def test_objects_from_another_tool_md5_multipart_unverifiable_and_unreadable(cli, bucket, other_tool,
                                                                              tmp_path: Path):
    other_tool.put_object(bucket, "x/single.bin", io.BytesIO(b"a" * 1000), 1000)  # MD5 ETag
    big = random_bytes(6 * 1024 * 1024, seed=1)
    other_tool.put_object(bucket, "x/multi.bin", io.BytesIO(big), -1, part_size=5 * 1024 * 1024)
    assert "-" in other_tool.stat_object(bucket, "x/multi.bin").etag
    key_file = tmp_path / "k.key"
    key_file.write_bytes(secrets.token_bytes(32))
    src = write_file(tmp_path / "secret.bin", 2000, seed=2)
    assert cli("upload", str(src), f"s3://{bucket}/x/sse-c.bin", "--sse", "c", "--sse-c-key-file",
               str(key_file)).exit_code == 0
    text = b"".join(b"cam_%03d speed=%d\n" % (i % 50, i % 130) for i in range(200_000))
    assert cli("upload", "-", f"s3://{bucket}/x/log.txt", "--compress", "zstd", input=text).exit_code == 0
    old = random_bytes(11 * 1024 * 1024, seed=4)  # multipart with its-part-size, no its-sha256 (older its-store)
    other_tool.put_object(bucket, "x/old-multi.bin", io.BytesIO(old), -1, part_size=5 * 1024 * 1024,
                          metadata={"its-part-size": str(5 * 1024 * 1024)})
    large = write_file(tmp_path / "large.bin", 19 * 1024 * 1024 + 7, seed=3)  # multipart, its-sha256
    assert cli("upload", str(large), f"s3://{bucket}/x/large.bin", "--compress", "none").exit_code == 0

    run = cli("verify", f"s3://{bucket}/x/", "-r", "--json")
    doc = run.json()
    # ok: single.bin by MD5, old-multi.bin by its multipart ETag, log.txt (decoded) and large.bin by sha256
    assert doc["counts"]["ok"] == 4 and doc["verified_by"] == {"md5": 1, "md5-multipart": 1, "sha256": 2}, doc
    assert [o["key"] for o in doc["unverifiable"]] == ["x/multi.bin"]
    assert "multipart" in doc["unverifiable"][0]["reason"]
    assert [o["key"] for o in doc["unreadable"]] == ["x/sse-c.bin"]
    assert doc["unreadable"][0]["code"] == "sse_c_key_required"
    assert doc["corrupt"] == [] and run.exit_code == 2 == doc["exit_code"]  # the unreadable one's code
    assert doc["bytes_read"] >= len(text) // 50 + 30 * 1024 * 1024

    keyed = cli("verify", f"s3://{bucket}/x/", "-r", "--json", extra_env={"MINIO_SSE_C_KEY_FILE": str(key_file)})
    assert keyed.exit_code == 0 and keyed.json()["counts"]["ok"] == 5 and keyed.json()["unverifiable"], keyed


def test_scrub_of_a_compressed_object_whose_body_was_replaced(cli, bucket, other_tool):
    text = b"".join(b"cam_%03d speed=%d\n" % (i % 50, i % 130) for i in range(50_000))
    cli("upload", "-", f"s3://{bucket}/log.txt", "--compress", "gzip", input=text)
    meta = other_tool.stat_object(bucket, "log.txt").metadata
    import gzip
    other = gzip.compress(text.replace(b"speed=7\n", b"speed=9\n"))
    keep = {k[len("x-amz-meta-"):]: v for k, v in meta.items() if k.lower().startswith("x-amz-meta-")}
    other_tool.put_object(bucket, "log.txt", io.BytesIO(other), len(other), metadata=keep)
    run = cli("verify", f"s3://{bucket}/log.txt", "--json")
    assert run.exit_code == 4 and run.json()["corrupt"][0]["key"] == "log.txt", run


def test_shard_and_age_filters(cli, bucket, tmp_path: Path):
    _upload_many(cli, tmp_path / "frames", bucket, 40)
    counts = [cli("verify", f"s3://{bucket}/frames/", "-r", "--shard", f"{k}/3", "--json").json()["objects"]
              for k in range(3)]
    assert sum(counts) == 40 and all(0 < c < 40 for c in counts)
    assert cli("verify", f"s3://{bucket}/", "-r", "--newer-than", "1d", "--json").json()["objects"] == 40
    assert cli("verify", f"s3://{bucket}/", "-r", "--older-than", "1d", "--json").json()["objects"] == 0
    assert cli("verify", f"s3://{bucket}/", "-r", "--newer-than", "2999-01-01", "--json").json()["objects"] == 0
    assert cli("verify", f"s3://{bucket}/", "-r", "--older-than", "2999-01-01T00:00:00",
               "--json").json()["objects"] == 40


@pytest.mark.parametrize("args", [
    ["--shard", "3/2"], ["--newer-than", "last tuesday"], ["--older-than", "7x"], ["--download"],
])
def test_bad_input_is_one_line_exit_2(cli, bucket, args):
    run = cli("verify", f"s3://{bucket}/", "-r", *args)
    assert run.exit_code == 2, run
    one_line_error(run)


def test_prefix_without_r_and_missing_things(cli, bucket):
    run = cli("verify", f"s3://{bucket}/frames/")
    assert run.exit_code == 2 and "-r" in one_line_error(run)
    assert cli("verify", f"s3://{bucket}/nope.jpg").exit_code == 3
    assert cli("verify", "s3://no-such-bucket-x1/", "-r").exit_code == 3
    empty = cli("verify", f"s3://{bucket}/", "-r", "--json")
    assert empty.exit_code == 0 and empty.json()["objects"] == 0


def test_folder_compare_finds_missing_extra_and_different(cli, bucket, other_tool, tmp_path: Path):
    root = tmp_path / "site"
    for rel in ("a.jpg", "b.jpg", "c/d.jpg", "c/e/f.jpg", "c.jpg"):
        write_file(root / rel, 3000, seed=len(rel))
    assert cli("upload", str(root), f"s3://{bucket}/site/", "-r").exit_code == 0
    same = cli("verify", str(root), f"s3://{bucket}/site/", "--json")
    assert same.exit_code == 0 and same.json()["counts"]["same"] == 5, same

    (root / "a.jpg").unlink()                                   # only on the server now
    write_file(root / "new.jpg", 10, seed=9)                    # only here
    data = bytearray((root / "b.jpg").read_bytes())
    data[0] ^= 1
    (root / "b.jpg").write_bytes(bytes(data))                   # same size, other content
    (root / "c" / "d.jpg").write_bytes(b"short")                # other size
    big = random_bytes(6 * 1024 * 1024, seed=5)                 # another tool's multipart object
    (root / "m.bin").write_bytes(big)
    other_tool.put_object(bucket, "site/m.bin", io.BytesIO(big), -1, part_size=5 * 1024 * 1024)

    run = cli("verify", str(root), f"s3://{bucket}/site/", "--json")
    assert run.exit_code == 4, run
    doc = run.json()
    assert [e["key"] for e in doc["missing_local"]] == ["site/a.jpg"]
    assert [e["path"] for e in doc["missing_remote"]] == ["new.jpg"]
    assert sorted(e["key"] for e in doc["different"]) == ["site/b.jpg", "site/c/d.jpg"]
    assert [e["key"] for e in doc["unverifiable"]] == ["site/m.bin"]
    assert doc["counts"]["same"] == 2  # c.jpg, c/e/f.jpg
    human = cli("verify", str(root), f"s3://{bucket}/site/")
    assert human.exit_code == 4 and "new.jpg" in human.stdout and "site/b.jpg" in human.stdout

    downloaded = cli("verify", str(root), f"s3://{bucket}/site/", "--download", "--json").json()
    assert downloaded["unverifiable"] == [] and downloaded["counts"]["same"] == 3


def test_folder_compare_says_skipped_not_missing_for_what_it_did_not_compare(cli, bucket, tmp_path: Path):
    """A FIFO or a link (not followed) where a stored object's file was: the walk skips and names it; the
    march then met the object with no file beside it and ALSO said `missing_local` (exit 4: "the folder
    lacks it"). It is there, just not compared: skipped only, once."""
    root = tmp_path / "site"
    for rel in ("a.jpg", "b.jpg", "c/d.jpg"):
        write_file(root / rel, 3000, seed=len(rel))
    assert cli("upload", str(root), f"s3://{bucket}/site/", "-r").exit_code == 0
    (root / "a.jpg").unlink()
    os.mkfifo(root / "a.jpg")
    (root / "c" / "d.jpg").unlink()
    (root / "c" / "d.jpg").symlink_to(root / "b.jpg")
    run = cli("verify", str(root), f"s3://{bucket}/site/", "--json")
    doc = run.json()
    assert doc["missing_local"] == [] and sorted(e["path"] for e in doc["skipped"]) == ["a.jpg", "c/d.jpg"], run
    assert run.exit_code == 0 and doc["counts"]["same"] == 1, run


def test_folder_compare_bad_input(cli, bucket, tmp_path: Path):
    (tmp_path / "f.txt").write_text("x")
    for args in (["f.txt", f"s3://{bucket}/p/"], ["nope-dir", f"s3://{bucket}/p/"], [".", "not-s3"],
                 [".", f"s3://{bucket}/p/", "--shard", "0/2"]):
        run = cli("verify", *args)
        assert run.exit_code == 2, (args, run)
        one_line_error(run)


def test_verify_r_of_a_name_is_that_folder_as_rm_du_and_get_have_it(cli, bucket):
    """`verify -r s3://B/p/cam1` checked cam10/ and cam1x too, where rm -r, du and get -r take the folder p/cam1/."""
    for key in ("p/cam1/a.jpg", "p/cam1/b.jpg", "p/cam10/c.jpg", "p/cam1x"):
        assert cli("upload", "-", f"s3://{bucket}/{key}", input=key).exit_code == 0
    run = cli("verify", f"s3://{bucket}/p/cam1", "-r", "--json")
    assert run.exit_code == 0, run
    assert run.json()["objects"] == 2  # a.jpg and b.jpg
    assert cli("verify", f"s3://{bucket}/p/cam1/", "-r", "--json").json()["objects"] == 2
    assert cli("verify", f"s3://{bucket}/p/cam1x", "--json").json()["objects"] == 1  # without -r: that object
