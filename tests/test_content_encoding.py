"""Objects stored with `Content-Encoding: gzip` by other tools (`aws s3 cp --content-encoding gzip`, a web
pipeline) come back as stored, on every read path: get to a file (one GET, and parallel ranges), get to
stdout, get --range, verify, sync s3 -> local, a folder compare that reads the objects, and a copy between
endpoints (transfer/relay.py). On SeaweedFS, moto's server and `rclone serve s3`.

An S3 object's Content-Encoding is metadata it was stored with, not an encoding of the transfer: we ask for
none (http.client sends `Accept-Encoding: identity`), and mc, s5cmd, rclone and aws-cli return the stored
bytes. urllib3 decodes a gzip answer unless told not to: `get` then wrote the decoded bytes, which match
neither the size, nor the ETag, nor the CRC32 the server holds for the object.

The objects are written with the plain minio SDK (not its-store's upload), as another tool would. Our own
compression (x-amz-meta-its-codec) sets no Content-Encoding and is tested in tests/test_compression.py.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import Any

import pytest

from conftest import SMALL_THRESHOLD, ServerInfo, cli_runner, environment_for, plain_client, unique
from helpers import random_bytes

MiB = 1024 * 1024
# small: one GET; large: over the (test) multipart threshold and the 5 MiB part, so two ranges in parallel
SMALL = gzip.compress(b'{"camera": "cam_042", "speed_kmh": 88.5, "plate": "AB-123-CD"}\n' * 800)


def _stored_gzip(size: int) -> bytes:
    """A gzip stream of `size` random bytes in stored (level 0) blocks: valid gzip, cheap to make."""
    packer = zlib.compressobj(0, zlib.DEFLATED, 31)
    return packer.compress(random_bytes(size, seed=7)) + packer.flush()


LARGE = _stored_gzip(SMALL_THRESHOLD + MiB // 2)


def put_gzip(server: ServerInfo, bucket: str, key: str, body: bytes) -> None:
    """PUT `body` with Content-Encoding: gzip through the plain minio SDK, in one request (so its ETag is
    the MD5), and check that the server kept the header: without it this file would test nothing."""
    client = plain_client(server)
    client.put_object(bucket, key, io.BytesIO(body), len(body), content_type="application/json",
                      metadata={"Content-Encoding": "gzip"}, part_size=max(len(body), 5 * MiB))
    assert client.stat_object(bucket, key).metadata.get("Content-Encoding") == "gzip"


def stored(server: ServerInfo, bucket: str, key: str) -> bytes:
    """The bytes the server holds, read with the plain SDK and urllib3's decoding off."""
    resp = plain_client(server).get_object(bucket, key)
    try:
        return resp.read(decode_content=False)
    finally:
        resp.close()
        resp.release_conn()


def seed(server: ServerInfo, bucket: str) -> dict[str, bytes]:
    tree = {"logs/small.json.gz": SMALL, "logs/large.bin.gz": LARGE}
    for key, body in tree.items():
        put_gzip(server, bucket, key, body)
    return tree


def read_back(cli: Any, bucket: str, tree: dict[str, bytes], tmp_path: Path, *, every_path: bool) -> None:
    """get to a file, get -, get --range and verify -r read the stored gzip bytes, verified where a check ran;
    with `every_path` also sync s3 -> local and verify DIR s3://... --download, and the large object to
    stdout (ranges written in order). Elsewhere the large object goes to stdout on SeaweedFS only: the
    server's part of that path is the ranged GET, which `get` to a file has already asked of it."""
    for n, (key, body) in enumerate(tree.items()):
        run = cli("get", f"s3://{bucket}/{key}", f"out{n}.gz", "--json")
        assert run.exit_code == 0, run
        assert run.json()["verified"] is True and run.json()["size"] == len(body), run
        assert (tmp_path / f"out{n}.gz").read_bytes() == body, key

        if every_path or len(body) < SMALL_THRESHOLD:
            run = cli("get", f"s3://{bucket}/{key}", "-")
            assert run.exit_code == 0, run
            assert run.stdout_bytes == body, key

        run = cli("get", f"s3://{bucket}/{key}", "-", "--range", "10-209")
        assert run.exit_code == 0, run
        assert run.stdout_bytes == body[10:210], key

    run = cli("verify", f"s3://{bucket}/logs/", "-r", "--json")
    assert run.exit_code == 0, run
    report = run.json()
    assert report["counts"] == {"ok": len(tree), "corrupt": 0, "unreadable": 0, "unverifiable": 0}, report
    assert report["bytes_read"] == sum(map(len, tree.values())), report
    if not every_path:
        return

    run = cli("sync", f"s3://{bucket}/logs/", "mirror", "--json")
    assert run.exit_code == 0, run
    for key, body in tree.items():
        assert (tmp_path / "mirror" / key.removeprefix("logs/")).read_bytes() == body, key

    run = cli("verify", "mirror", f"s3://{bucket}/logs/", "--download", "--json")  # the bytes compared
    assert run.exit_code == 0, run
    assert run.json()["counts"]["same"] == len(tree), run


def test_gzip_encoded_objects_read_as_stored_on_seaweedfs(cli, s3_server, service, tmp_path: Path):
    bucket = unique("ce")
    plain_client(s3_server).make_bucket(bucket)
    tree = seed(s3_server, bucket)
    read_back(cli, bucket, tree, tmp_path, every_path=True)
    assert gzip.decompress(SMALL).startswith(b'{"camera"')  # it is real gzip: urllib3 would have undone it


def test_our_own_gzip_is_undone_once_by_us(cli, s3_server, service, tmp_path: Path):
    """Our compression stores gzip bytes with x-amz-meta-its-codec and no Content-Encoding: `get` undoes it
    once (the original bytes, checked against its-sha256), `get --raw` gives the stored gzip bytes."""
    bucket = unique("ce")
    plain_client(s3_server).make_bucket(bucket)
    text = b"frame 1 speed=88 plate=AB-123-CD\n" * 2000
    run = cli("upload", "-", f"s3://{bucket}/ours/log.txt", "--compress", "gzip", "--json", input=text)
    assert run.exit_code == 0, run
    meta = plain_client(s3_server).stat_object(bucket, "ours/log.txt").metadata
    assert meta.get("x-amz-meta-its-codec") == "gzip" and meta.get("Content-Encoding") is None, meta
    run = cli("get", f"s3://{bucket}/ours/log.txt", "log.txt", "--json")
    assert run.exit_code == 0 and run.json()["verified"] is True, run
    assert (tmp_path / "log.txt").read_bytes() == text
    run = cli("get", f"s3://{bucket}/ours/log.txt", "-", "--raw")
    assert run.exit_code == 0, run
    assert run.stdout_bytes == stored(s3_server, bucket, "ours/log.txt") and gzip.decompress(run.stdout_bytes) == text


@pytest.mark.parametrize("kind", ["moto", "rclone"])
def test_gzip_encoded_objects_read_as_stored_on_another_server(kind, request, buckets, monkeypatch, tmp_path: Path):
    server: ServerInfo = request.getfixturevalue(f"{kind}_server_info")
    cli = cli_runner(environment_for(server, buckets, monkeypatch, tmp_path))
    bucket = unique("ce")
    plain_client(server).make_bucket(bucket)
    tree = seed(server, bucket)
    read_back(cli, bucket, tree, tmp_path, every_path=False)


def test_copy_between_endpoints_keeps_the_stored_bytes_and_header(service, s3_server, tmp_path: Path):
    """A copy that streams through this process (transfer/relay.py) reads and writes the stored bytes, and
    the destination keeps Content-Encoding: gzip. The other endpoint is the same server under another name
    (localhost for 127.0.0.1): a different endpoint to its-store, so the copy is relayed, not server-side."""
    from its_store.core.settings import load_settings
    from its_store.service.context import Context
    from its_store.sync.copy import Copier
    host, _, port = s3_server.endpoint.rpartition(":")
    assert host == "127.0.0.1", s3_server.endpoint
    settings = load_settings(endpoint=f"localhost:{port}", access_key=s3_server.access_key,
                             secret_key=s3_server.secret_key, secure=False, region="us-east-1",
                             cache_dir=tmp_path / "dest-state", multipart_threshold=SMALL_THRESHOLD, max_retries=1)
    dest = Context(settings)
    try:
        sb, db = unique("ces"), unique("ced")
        plain_client(s3_server).make_bucket(sb)
        tree = seed(s3_server, sb)
        result = Copier(service.ctx, dest_owner=dest).copy(f"s3://{sb}/logs/", f"s3://{db}/copy/", recursive=True)
        assert result.errors == [] and result.succeeded == len(tree), result
        assert all(item.verified for item in result.objects), result
        for key, body in tree.items():
            there = "copy/" + key.removeprefix("logs/")
            assert stored(s3_server, db, there) == body, key
            assert plain_client(s3_server).stat_object(db, there).metadata.get("Content-Encoding") == "gzip"
    finally:
        dest.close()
