"""Which check a download runs (transfer/download.checks, issue 22 W3): the cheapest honest one.

- The server's CRC32 where it keeps one (a whole-object CRC32, or a composite one checked on ranges cut at
  the parts): the its-sha256 is then not hashed again on the way down (~1.3 CPU-s per GiB); `verify` still
  checks the stored bytes against it.
- Without one, the its-sha256 of a plain object (SHA-256), and no MD5 ETag besides (slower, weaker).
- Else the MD5 ETag.

Whatever the check, bytes changed on the way are refused: the fault server (tests/faultserver.py) serves
objects whose headers (ETag, CRC32, its-sha256, its-part-size) describe the uploaded bytes while its body
has one byte flipped; every download of them ends with exit 4 and leaves the target as it was, through both
paths (a HEAD, then ranged GETs; and `get -r`, one GET per listed small object), and to stdout (exit 4
after the bytes went out).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer, composite_crc32_b64, crc32_b64, multipart_etag

from conftest import SMALL_THRESHOLD as T
from conftest import ServerInfo, cli_runner, environment_for
from helpers import random_bytes

BUCKET = "checks"
SIZES = {"multipart": 2 * T + 1000, "small": 100_000}


def stored(data: bytes, *, crc: bool, sha: bytes | None = None, flip: bool = False, moto: bool = False
           ) -> FakeObject:
    """An object as its-store stores it: multipart in parts of T above T (composite CRC32 -N, its-part-size),
    else one PUT (CRC32 of the whole); `sha` the content its-sha256 names (default: `data`). `flip`: the
    body served has one byte changed, the headers still describe `data`. `moto`: the composite CRC32 as
    moto's HEAD gives it, without the -N and without x-amz-checksum-type."""
    multipart = len(data) > T
    headers = {"x-amz-meta-its-sha256": hashlib.sha256(data if sha is None else sha).hexdigest()}
    if multipart:
        headers["x-amz-meta-its-part-size"] = str(T)
    if crc and multipart and moto:
        headers["x-amz-checksum-crc32"] = composite_crc32_b64(data, T)
    elif crc and multipart:
        headers.update({"x-amz-checksum-crc32": f"{composite_crc32_b64(data, T)}-{-(-len(data) // T)}",
                        "x-amz-checksum-type": "COMPOSITE"})
    elif crc:
        headers["x-amz-checksum-crc32"] = crc32_b64(data)
    body = bytearray(data)
    if flip:
        body[len(body) // 2] ^= 0x01
    etag = multipart_etag(data, T) if multipart else hashlib.md5(data).hexdigest()
    return FakeObject(bytes(body), headers=headers, etag=etag)


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[FaultServer, Any]]:
    with FaultServer(buckets=(BUCKET,)) as server:
        info = ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123")
        env = environment_for(info, dict.fromkeys(("default", "video", "models", "logs"), BUCKET), monkeypatch,
                              tmp_path)
        yield server, cli_runner(env)


def get(cli: Any, key: str, target: Path) -> Any:
    return cli("get", f"s3://{BUCKET}/{key}", str(target), "--json")


@pytest.mark.parametrize("crc", [True, False], ids=["server-crc32", "no-crc32"])
@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_a_body_changed_on_the_way_is_refused(checked: Any, tmp_path: Path, size: int, crc: bool) -> None:
    server, cli = checked
    data = random_bytes(size, seed=size)
    server.put_object(BUCKET, "good/o.bin", stored(data, crc=crc))
    server.put_object(BUCKET, "bad/o.bin", stored(data, crc=crc, flip=True))
    target = tmp_path / "o.bin"
    run = get(cli, "good/o.bin", target)
    assert run.exit_code == 0 and json.loads(run.stdout)["verified"] is True, run
    assert target.read_bytes() == data
    target.write_bytes(b"old")
    run = get(cli, "bad/o.bin", target)
    assert run.exit_code == 4, run
    assert json.loads(run.stdout)["error"]["code"] == "integrity_error", run
    assert target.read_bytes() == b"old"
    assert cli("get", f"s3://{BUCKET}/bad/o.bin", "-").exit_code == 4  # to stdout: said after the bytes
    folder = tmp_path / "tree"  # get -r: small listed objects come by one GET, without a HEAD
    run = cli("get", f"s3://{BUCKET}/bad/", str(folder), "-r")
    assert run.exit_code == 4, run
    assert [p for p in folder.rglob("*") if p.is_file()] == [] if folder.exists() else True  # no temp file left


@pytest.mark.parametrize(("size", "moto"), [(SIZES["multipart"], False), (SIZES["small"], False),
                                            (SIZES["multipart"], True)], ids=["multipart", "small", "moto-head"])
def test_with_the_servers_crc32_the_custody_hash_is_left_to_verify(checked: Any, tmp_path: Path, size: int,
                                                                   moto: bool) -> None:
    """The stored bytes are the ones the server checked against our CRC32, but its-sha256 names other
    content (metadata written by someone else): `get` checks the server's CRC32, not the SHA-256 again
    (exit 0, verified); `verify`, the custody check, reads the object and refuses it (exit 4). moto's HEAD
    gives a composite CRC32 without its -N: the multipart ETag's part count stands in for it."""
    server, cli = checked
    data = random_bytes(size, seed=3)
    server.put_object(BUCKET, "o.bin", stored(data, crc=True, sha=b"something else", moto=moto))
    server.put_object(BUCKET, "flipped.bin", stored(data, crc=True, moto=moto, flip=True))
    assert get(cli, "flipped.bin", tmp_path / "f.bin").exit_code == 4
    run = get(cli, "o.bin", tmp_path / "o.bin")
    assert run.exit_code == 0 and json.loads(run.stdout)["verified"] is True, run
    run = cli("verify", f"s3://{BUCKET}/o.bin")
    assert run.exit_code == 4 and run.stdout.startswith("corrupt") and "sha256 expected" in run.stdout, run


def test_without_a_crc32_the_sha256_replaces_the_md5_etag(checked: Any, tmp_path: Path) -> None:
    """No CRC32 from the server (radosgw 16.2, moto's PUT, rclone's multipart): the its-sha256 is checked,
    and the MD5 ETag is not computed besides (an ETag that is not the parts' MD5 is no mismatch then)."""
    server, cli = checked
    data = random_bytes(SIZES["multipart"], seed=5)
    obj = stored(data, crc=False)
    obj.etag = multipart_etag(data[::-1], T)  # an ETag of other bytes: checked, it would refuse them
    server.put_object(BUCKET, "o.bin", obj)
    run = get(cli, "o.bin", tmp_path / "o.bin")
    assert run.exit_code == 0 and json.loads(run.stdout)["verified"] is True, run
    assert (tmp_path / "o.bin").read_bytes() == data
