"""`get --range` end to end: the three forms, to a file (atomic) and to stdout, on every test server; bad
ranges; compressed and SSE-C objects; the library's DownloadRequest offset/length."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from its_store.core import errors as E
from its_store.core.ranges import parse_range, resolve_range

from conftest import SMALL_THRESHOLD, one_line_error
from helpers import random_bytes

MiB = 1024 * 1024


@pytest.mark.parametrize(("text", "want"), [("0-99", (0, 100)), ("100-", (100, None)), ("-500", (-500, None)),
                                             ("7-7", (7, 1)), (" 3-4 ", (3, 2))])
def test_parse_range_forms(text: str, want: tuple[int, int | None]):
    assert parse_range(text) == want


@pytest.mark.parametrize("text", ["", "-", "abc", "5", "10-2", "-0", "1-2-3", "0x10-", "1.5-3", "--5"])
def test_parse_range_refuses_bad_syntax(text: str):
    with pytest.raises(E.InvalidInputError):
        parse_range(text)


def test_resolve_range_follows_http():
    assert resolve_range(0, 100, 1000, "o") == (0, 100)
    assert resolve_range(900, 500, 1000, "o") == (900, 100)   # an end past the last byte is clipped
    assert resolve_range(-10, None, 1000, "o") == (990, 10)
    assert resolve_range(-5000, None, 1000, "o") == (0, 1000)  # a suffix longer than the object: all of it
    assert resolve_range(999, None, 1000, "o") == (999, 1)
    for offset, length, size in ((1000, None, 1000), (2000, 5, 1000), (0, 1, 0), (-1, None, 0)):
        with pytest.raises(E.RangeNotSatisfiableError):
            resolve_range(offset, length, size, "o")


def test_range_forms_to_file_and_stdout(object_cli, object_bucket, tmp_path: Path):
    data = random_bytes(300_000, seed=4)
    assert object_cli("upload", "-", f"s3://{object_bucket}/r/blob.bin", input=data).exit_code == 0
    where = f"s3://{object_bucket}/r/blob.bin"
    for text, want in (("0-99", data[:100]), ("1000-1999", data[1000:2000]), ("299990-", data[299990:]),
                       ("-77", data[-77:]), ("299000-999999", data[299000:]), ("5-5", data[5:6])):
        run = object_cli("get", where, "part.bin", "--range", text, "--json")
        assert run.exit_code == 0, (text, run)
        doc = run.json()
        assert Path("part.bin").read_bytes() == want, text
        assert doc["size"] == len(want) and doc["object_size"] == len(data) and doc["verified"] is False
        assert doc["offset"] == len(data) - len(want) if text.startswith("-") else doc["offset"] == int(
            text.split("-")[0])
        assert "cannot be verified" in doc["note"]
        run = object_cli("get", where, "-", "--range", text)
        assert run.exit_code == 0 and run.stdout_bytes == want, (text, run)
    assert not [p for p in tmp_path.rglob("*") if ".its-tmp" in p.name]  # no temp file left


def test_long_range_in_parallel_parts(cli, bucket, tmp_path: Path):
    data = random_bytes(2 * SMALL_THRESHOLD + 123_456, seed=8)
    Path("big.bin").write_bytes(data)
    assert cli("upload", "big.bin", f"s3://{bucket}/big.bin").exit_code == 0
    start, end = 1234, len(data) - 4321  # more than one 5 MiB part: parallel ranged GETs into one file
    run = cli("get", f"s3://{bucket}/big.bin", "slice.bin", "--range", f"{start}-{end}", "--workers", "4",
              "--json")
    assert run.exit_code == 0, run
    assert Path("slice.bin").read_bytes() == data[start:end + 1]
    run = cli("get", f"s3://{bucket}/big.bin", "-", "--range", f"{start}-{end}")
    assert run.exit_code == 0 and run.stdout_bytes == data[start:end + 1]


def test_bad_ranges_are_exit_2_and_leave_the_target_alone(cli, bucket, tmp_path: Path):
    data = random_bytes(1000, seed=1)
    assert cli("upload", "-", f"s3://{bucket}/k.bin", input=data).exit_code == 0
    Path("keep.bin").write_bytes(b"precious")
    for text in ("10-2", "abc", "-0", "1-x"):
        run = cli("get", f"s3://{bucket}/k.bin", "keep.bin", "--range", text)
        assert run.exit_code == 2, (text, run)
        line = one_line_error(run)
        assert any(why in line for why in ("not a byte range", "ends before", "last 0 bytes")), (text, run)
    run = cli("get", f"s3://{bucket}/k.bin", "keep.bin", "--range", "1000-")  # past the end: HTTP 416
    assert run.exit_code == 2 and "outside" in one_line_error(run) and "last byte is 999" in run.stderr
    run = cli("get", f"s3://{bucket}/k.bin", "-", "--range", "5000-6000", "--json")
    assert run.exit_code == 2 and run.json()["error"]["code"] == "range_not_satisfiable"
    assert Path("keep.bin").read_bytes() == b"precious"
    run = cli("get", f"s3://{bucket}/", "d", "-r", "--range", "0-1")
    assert run.exit_code == 2 and "--recursive" in one_line_error(run)
    run = cli("get", f"s3://{bucket}/missing.bin", "x.bin", "--range", "0-1")
    assert run.exit_code == 3 and not Path("x.bin").exists()


def test_compressed_object_ranges_only_raw(cli, bucket, tmp_path: Path):
    text = b"".join(b"cam_%03d speed=%d\n" % (i % 50, i % 130) for i in range(50_000))
    Path("log.txt").write_bytes(text)
    run = cli("upload", "log.txt", f"s3://{bucket}/log.txt", "--compress", "zstd", "--json")
    assert run.exit_code == 0, run
    stored = run.json()["stored_size"]
    run = cli("get", f"s3://{bucket}/log.txt", "part.txt", "--range", "0-99")
    assert run.exit_code == 2, run
    line = one_line_error(run)
    assert "compressed (zstd)" in line and "--raw" in line
    assert not Path("part.txt").exists()
    run = cli("get", f"s3://{bucket}/log.txt", "part.zst", "--range", "0-3", "--raw", "--json")
    assert run.exit_code == 0 and run.json()["object_size"] == stored
    assert Path("part.zst").read_bytes() == b"\x28\xb5\x2f\xfd"  # the zstd frame magic: the stored bytes


def test_sse_c_object_ranges_with_its_key(cli, bucket, tmp_path: Path):
    key_file = tmp_path / "k.key"
    key_file.write_bytes(secrets.token_bytes(32))
    data = random_bytes(50_000, seed=6)
    Path("d.bin").write_bytes(data)
    run = cli("upload", "d.bin", f"s3://{bucket}/c.bin", "--sse", "c", "--sse-c-key-file", str(key_file))
    assert run.exit_code == 0, run
    run = cli("get", f"s3://{bucket}/c.bin", "-", "--range", "100-199", "--sse-c-key-file", str(key_file))
    assert run.exit_code == 0 and run.stdout_bytes == data[100:200], run
    run = cli("get", f"s3://{bucket}/c.bin", "p.bin", "--range", "-10", "--sse-c-key-file", str(key_file))
    assert run.exit_code == 0 and Path("p.bin").read_bytes() == data[-10:]
    run = cli("get", f"s3://{bucket}/c.bin", "q.bin", "--range", "0-9")  # no key: says so, exit 2
    assert run.exit_code == 2 and "SSE-C" in one_line_error(run) and not Path("q.bin").exists()


def test_library_download_request_offset_length(service, bucket, tmp_path: Path):
    from its_store.core.models import DownloadRequest, UploadRequest
    data = random_bytes(10_000, seed=2)
    service.upload_object(UploadRequest(bucket=bucket, key="lib.bin", data=data))
    got = service.download_object(DownloadRequest(bucket=bucket, key="lib.bin", file_path=tmp_path / "o.bin",
                                                  offset=9000, length=500))
    assert (tmp_path / "o.bin").read_bytes() == data[9000:9500]
    assert got.size == 500 and got.offset == 9000 and got.object_size == 10_000 and got.verified is False
    got = service.download_object(DownloadRequest(bucket=bucket, key="lib.bin", file_path=tmp_path / "s.bin",
                                                  offset=-3))
    assert (tmp_path / "s.bin").read_bytes() == data[-3:] and got.offset == 9997
