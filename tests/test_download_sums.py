"""A small object's download (transfer/download.response_to_file, every `get -r` frame) computes only the sum
its check compares: the CRC32 when the server keeps one, else no CRC32 at all (issue 22, W5 of objects another
tool uploaded: ~46K instructions a 100 KB frame checked by its MD5 ETag). Every file still verified."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from its_store.transfer import download

from conftest import ServerInfo, plain_client
from helpers import started_from_now, write_file


def _crc_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = download.crc32
    ours = started_from_now()  # the patch is process-wide: not a download of a thread an earlier test left

    def counted(data: Any, value: int = 0) -> int:
        calls[0] += ours()
        return real(data, value)
    monkeypatch.setattr(download, "crc32", counted)
    return calls


def test_a_frame_without_a_stored_crc_is_checked_by_its_md5_alone(service: Any, bucket: str, tmp_path: Path,
                                                                    s3_server: ServerInfo,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bodies = {f"other/f{i}.bin": bytes([i]) * (5000 + i) for i in range(6)}
    raw = plain_client(s3_server)  # as another tool stores them: an MD5 ETag, no x-amz-checksum-crc32
    for key, data in bodies.items():
        raw.put_object(bucket, key, io.BytesIO(data), len(data))
    calls = _crc_calls(monkeypatch)
    result = service.batch().download_prefix(bucket, "other/", tmp_path / "md5", workers=3)
    monkeypatch.undo()
    assert result.succeeded == 6 and not result.errors
    assert all(item.verified for item in result.objects)  # by the MD5 ETag
    assert calls[0] == 0
    for key, data in bodies.items():
        assert (tmp_path / "md5" / key.split("/")[1]).read_bytes() == data


def test_a_frame_with_a_stored_crc_is_still_checked_by_it(service: Any, bucket: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    for i in range(4):
        write_file(src / f"g{i}.bin", 4000 + i, seed=i)
    service.batch().upload_directory(src, bucket, "ours/", workers=2)  # our uploads: the server keeps a CRC32
    calls = _crc_calls(monkeypatch)
    result = service.batch().download_prefix(bucket, "ours/", tmp_path / "crc", workers=2)
    monkeypatch.undo()
    assert result.succeeded == 4 and all(item.verified for item in result.objects)
    assert calls[0] >= 4


def test_a_frame_checked_by_its_md5_alone_is_still_refused_when_changed(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    """No CRC32 computed (no stored one to compare with) does not mean no check: a body changed on the way
    under an MD5 ETag alone (no CRC32, no its-sha256) is refused by `get -r`, exit 4, no file left."""
    import hashlib

    from faultserver import FakeObject, FaultServer

    from conftest import cli_runner, environment_for
    from helpers import random_bytes
    data = random_bytes(100_000, seed=5)
    flipped = bytearray(data)
    flipped[50_000] ^= 0x01
    with FaultServer(buckets=("md5",)) as server:
        etag = hashlib.md5(data).hexdigest()
        server.put_object("md5", "good/o.bin", FakeObject(data, headers={}, etag=etag))
        server.put_object("md5", "bad/o.bin", FakeObject(bytes(flipped), headers={}, etag=etag))
        info = ServerInfo(server.endpoint, "fakeaccess", "fake-secret-key-0123")
        cli = cli_runner(environment_for(info, dict.fromkeys(("default", "video", "models", "logs"), "md5"),
                                         monkeypatch, tmp_path))
        good = cli("get", "s3://md5/good/", str(tmp_path / "good"), "-r", "--json")
        assert good.exit_code == 0 and good.json()["objects"][0]["verified"] is True, good
        assert (tmp_path / "good" / "o.bin").read_bytes() == data
        bad = cli("get", "s3://md5/bad/", str(tmp_path / "bad"), "-r")
        assert bad.exit_code == 4, bad
        assert not [p for p in (tmp_path / "bad").rglob("*") if p.is_file()]
