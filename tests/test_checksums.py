import os
import zlib
from pathlib import Path
from typing import Any

import pytest

from its_store.core import errors as E
from its_store.transfer.checksums import Expected, RangeSum, crc32_b64, crc32_combine, crc32_of, expected_for, verify


@pytest.mark.parametrize("la,lb", [(0, 5), (5, 0), (1, 1), (1000, 12345), (5 * 1024 * 1024, 777)])
def test_crc32_combine_matches_zlib(la, lb):
    a, b = os.urandom(la), os.urandom(lb)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), lb) == zlib.crc32(a + b)


@pytest.mark.parametrize("la,lb", [(0, 5), (5, 0), (1, 1), (1000, 12345), (5 * 1024 * 1024, 777)])
def test_crc32_combine_without_isal_matches_zlib(la, lb):
    """The pure-Python fallback (no isal wheel): zlib's table method, equal to zlib's CRC of A+B, and to
    ISA-L's combine for lengths up to S3's 5 TiB."""
    from its_store.s3.crc import _crc32_combine
    a, b = os.urandom(la), os.urandom(lb)
    assert _crc32_combine(zlib.crc32(a), zlib.crc32(b), lb) == zlib.crc32(a + b)
    for length in (8 << 20, 5 << 30, (5 << 40) - 1):
        assert _crc32_combine(0x12345678, 0x9ABCDEF0, length) == crc32_combine(0x12345678, 0x9ABCDEF0, length)


def _sums(chunks):
    return [RangeSum(len(c), zlib.crc32(c)) for c in chunks]


def test_verify_full_and_composite():
    chunks = [os.urandom(1000), os.urandom(1000), os.urandom(10)]
    verify(Expected("crc32", crc32_of(b"".join(chunks))), _sums(chunks), "x")
    composite = crc32_of(b"".join(zlib.crc32(c).to_bytes(4, "big") for c in chunks))
    verify(Expected("crc32-composite", composite, 3), _sums(chunks), "x")
    with pytest.raises(E.IntegrityError):
        verify(Expected("crc32", crc32_b64(1)), _sums(chunks), "x")
    with pytest.raises(E.IntegrityError):
        verify(Expected("crc32-composite", crc32_b64(1), 3), _sums(chunks), "x")


def test_expected_prefers_crc_and_falls_back_to_md5():
    assert expected_for(10, "a" * 32, "AAAAAA==", None, True).kind == "crc32"
    assert expected_for(10, "a" * 32, "AAAAAA==-2", 5, True).kind == "crc32-composite"
    assert expected_for(10, "a" * 32, "AAAAAA==-2", None, True).kind == "md5"  # parts unknown: use the ETag
    assert expected_for(10, "a" * 32, None, None, True).kind == "md5"
    assert expected_for(10, "a" * 32 + "-2", None, 5, True).kind == "md5-multipart"
    assert expected_for(10, "a" * 32 + "-2", None, None, True) is None
    assert expected_for(10, "a" * 32, None, None, False) is None  # SSE-C: the ETag is no MD5


def test_fast_crc32_is_zlibs():
    """checksums.crc32 (ISA-L when installed) gives zlib's values, chained as transfers chain it."""
    import zlib

    from its_store.transfer.checksums import crc32

    from helpers import random_bytes
    assert crc32.__module__ == "isal.isal_zlib"  # installed by pyproject: the fast path is the one tested
    for size in (0, 1, 15, 4096, 1_000_003):
        data = random_bytes(size, seed=size)
        assert crc32(data) == zlib.crc32(data)
        assert crc32(data[size // 3:], crc32(data[: size // 3])) == zlib.crc32(data)
        assert crc32(memoryview(data)) == zlib.crc32(data)


def test_an_upper_case_md5_etag_verifies() -> None:
    """A hex MD5 ETag is the same digest whatever the case of its letters (a server may answer it upper-case);
    a CRC32's base64 is compared as it is (its case is part of the value)."""
    import hashlib
    data = bytes(range(256)) * 4
    assert crc32_of(data).swapcase() != crc32_of(data)
    digest = hashlib.md5(data).digest()
    sums = [RangeSum(len(data), zlib.crc32(data), digest)]
    assert verify(Expected("md5", digest.hex().upper()), sums, "x")
    assert verify(Expected("md5-multipart", hashlib.md5(digest).hexdigest().upper(), 1), sums, "x")
    with pytest.raises(E.IntegrityError):
        verify(Expected("md5", hashlib.md5(b"other").hexdigest().upper()), sums, "x")
    with pytest.raises(E.IntegrityError):
        verify(Expected("crc32", crc32_of(data).swapcase()), sums, "x")


def test_a_server_answering_upper_case_md5_etags_is_downloaded(cli: Any, bucket: str, s3_server: Any,
                                                                tmp_path: Path) -> None:
    """Through a proxy that spells every object answer's ETag in upper case (as some servers do), a single-part
    object without a stored CRC (verified by its MD5 ETag) downloads: the same digest, not a checksum mismatch."""
    import io
    import re

    from faultproxy import FaultProxy

    from conftest import plain_client

    def shouted(method: str, head: bytes) -> bytes:
        return re.sub(rb"(?i)(\r\netag: *\"?)([0-9a-f]{32})", lambda m: m.group(1) + m.group(2).upper(), head)

    data = os.urandom(100_000)
    plain_client(s3_server).put_object(bucket, "up/a.bin", io.BytesIO(data), len(data))  # no x-amz-checksum-*
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), head_of=shouted) as proxy:
        run = cli("get", f"s3://{bucket}/up/a.bin", str(tmp_path / "a.bin"),
                  extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert run.exit_code == 0, run.stderr
    assert (tmp_path / "a.bin").read_bytes() == data
