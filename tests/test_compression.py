"""Compression: codec units and the `auto` rules, then end-to-end round trips against the real server."""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
from pathlib import Path

import pytest

from its_store.codec import compression as C
from its_store.core import errors as E

from conftest import SMALL_THRESHOLD, one_line_error
from helpers import JPEG_HEADER, random_bytes

CODECS = ("gzip", "lz4", "zstd")


@functools.cache
def log_lines(size: int, seed: int = 0) -> bytes:
    """Camera log text: compressible like the real thing, not a repeated constant. Each field drawn uniformly
    (one list per field: ~2x faster than a draw at a time) and each (size, seed) made once per session: the
    megabytes of text the codec tests ask for again and again were a quarter of this file's time."""
    import random
    rng = random.Random(seed)
    count = size // 50 + 1  # a line is at least 57 bytes
    fields = [rng.choices(range(top), k=count) for top in (60, 60, 40, 140, 4, 10**4)]
    text = "".join([f"2024-08-12T12:{mm:02d}:{ss:02d}Z cam_{cam:03d} speed={speed} lane={lane} plate=AB{plate:04d}\n"
                    for mm, ss, cam, speed, lane, plate in zip(*fields, strict=True)])
    return text.encode()[:size]


def independent_decompress(codec: str, data: bytes) -> bytes:
    """Decode with the codec libraries directly: the stored bytes are standard formats."""
    if codec == "gzip":
        return gzip.decompress(data)
    if codec == "lz4":
        import lz4.frame
        return lz4.frame.decompress(data)
    import zstandard
    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


# ------------------------------------------------------------------------------------------ units
@pytest.mark.parametrize("name", ("none", *CODECS))
@pytest.mark.parametrize("kind", ("text", "random", "empty"))
def test_streaming_codec_roundtrip(name, kind):
    data = {"text": log_lines(3_000_000), "random": random_bytes(2_000_000, seed=5), "empty": b""}[kind]
    codec = C.get_codec(name)
    reader = C.CompressingReader(io.BytesIO(data), codec, codec.default_level)
    stored = b"".join(iter(lambda: reader.read(700_000), b""))
    assert reader.bytes_in == len(data) and reader.sha256.hexdigest() == hashlib.sha256(data).hexdigest()
    if name != "none":
        assert independent_decompress(name, stored) == data
        if kind == "text":
            assert len(stored) < len(data) / 3
    slices: list[bytes] = []
    writer = C.DecodingWriter(codec, slices.append, "x")
    for i in range(0, len(stored), 65_537):  # odd feed sizes cross frame/block boundaries
        writer.write(stored[i:i + 65_537])
    writer.close()
    assert b"".join(slices) == data
    assert all(len(s) <= C.OUT_SLICE for s in slices)


@pytest.mark.parametrize("name", CODECS)
def test_decoder_bounds_output_of_a_bomb_and_handles_concatenated_frames(name):
    codec = C.get_codec(name)
    bomb = C.compress_bytes(b"\0" * 64_000_000, codec, codec.default_level)
    biggest = [0]
    writer = C.DecodingWriter(codec, lambda b: biggest.__setitem__(0, max(biggest[0], len(b))), "x")
    writer.write(bomb)  # one small write that expands to 64 MB: emitted in bounded slices
    writer.close()
    assert 0 < biggest[0] <= C.OUT_SLICE
    two = C.compress_bytes(b"frame-one ", codec, 1 if name != "lz4" else 0) + C.compress_bytes(b"two", codec, 3)
    assert C.decompress_bytes(two, codec) == b"frame-one two"


@pytest.mark.parametrize("name", CODECS)
def test_corrupt_or_truncated_data_is_an_integrity_error(name):
    codec = C.get_codec(name)
    stored = C.compress_bytes(log_lines(400_000), codec, codec.default_level)
    bad = stored[:60] + bytes(b ^ 0xFF for b in stored[60:90]) + stored[90:]
    with pytest.raises(E.IntegrityError):
        sink = C.VerifyingSink(lambda _: None, "x", 400_000, hashlib.sha256(log_lines(400_000)).hexdigest())
        writer = C.DecodingWriter(codec, sink, "x")
        writer.write(bad)
        writer.close()
        sink.verify()
    with pytest.raises(E.IntegrityError):  # truncation: caught by the codec or by the size check
        sink = C.VerifyingSink(lambda _: None, "x", 400_000, None)
        writer = C.DecodingWriter(codec, sink, "x")
        writer.write(stored[: len(stored) // 2])
        writer.close()
        sink.verify()


def test_verifying_sink_refuses_more_than_the_recorded_size():
    sink = C.VerifyingSink(lambda _: None, "s3://b/k", 10, None)
    sink(b"0123456789")
    with pytest.raises(E.IntegrityError, match="more than its recorded size"):
        sink(b"x")


def test_compressing_reader_notices_a_file_that_changed():
    data = log_lines(50_000)
    reader = C.CompressingReader(io.BytesIO(data), C.get_codec("zstd"), 3,
                                 expect=(len(data), hashlib.sha256(data + b"!").hexdigest()), name="f.log")
    with pytest.raises(E.FileChangedError, match="changed while it was uploaded"):
        while reader.read(10_000):
            pass


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
H264 = b"\x00\x00\x00\x01\x67\x42\xc0\x1e"
H265 = b"\x00\x00\x01\x40\x01\x0c\x01"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "


@pytest.mark.parametrize(("head", "what"), [
    (JPEG_HEADER, "JPEG"), (PNG, "PNG"), (MP4, "MP4"), (H264, "H.264"), (H265, "H.265"), (WEBP, "WebP"),
    (b"PK\x03\x04", "zip"), (gzip.compress(b"x")[:4], "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x04\x22\x4d\x18", "lz4"), (b"BZh9", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"7z\xbc\xaf\x27\x1c", "7z"),
])
def test_auto_never_recompresses_media_or_archives_by_magic(head, what):
    sample = head + b"\0" * 70_000  # very compressible after the header: only the magic bytes decide
    decision = C.decide_auto(sample, "application/octet-stream", len(sample))
    assert decision.codec == "none" and what.split("/")[0].split(".")[0] in decision.reason


def test_auto_by_content_type_size_and_trial():
    text = log_lines(100_000)
    assert C.decide_auto(text, "image/jpeg", len(text)).codec == "none"  # declared media: left alone
    assert C.decide_auto(text, "video/mp4", len(text)).codec == "none"
    assert C.decide_auto(text, "application/zip", len(text)).codec == "none"
    assert C.decide_auto(text[:500], "text/plain", 500).codec == "none"  # too small to gain
    assert C.decide_auto(random_bytes(100_000), "text/plain", 100_000).codec == "none"  # trial says no
    doc = json.dumps([{"camera": f"cam_{i}", "boxes": [[i, i + 1, 40, 80]], "score": 0.9} for i in range(2000)])
    csv = "\n".join(f"{i},cam_{i % 9},{i * 7 % 130},lane{i % 4}" for i in range(5000))
    yaml = "\n".join(f"layer_{i}:\n  type: conv\n  filters: {32 * (i % 8 + 1)}\n  stride: 1" for i in range(500))
    for body, ctype in ((doc, "application/json"), (csv, "text/csv"), (text.decode(), "text/plain"),
                        (yaml, "application/octet-stream"), (doc, None)):
        decision = C.decide_auto(body.encode(), ctype, len(body))
        assert decision.codec == "zstd", (ctype, decision)


def test_codec_names_and_levels_are_validated():
    assert C.resolve(None, True) == "auto" and C.resolve(None, False) == "none"
    assert C.resolve("ZSTD", True) == "zstd"
    with pytest.raises(E.InvalidInputError, match="unknown compression"):
        C.resolve("brotli", True)
    with pytest.raises(E.UnknownCodecError):
        C.get_codec("brotli", stored=True, where="s3://b/k")
    assert C.get_codec("gzip").level(None) == 6 and C.get_codec("zstd").level(19) == 19
    for name, level in (("gzip", 10), ("zstd", 0), ("zstd", 23), ("lz4", 17)):
        with pytest.raises(E.InvalidInputError, match="out of range"):
            C.get_codec(name).level(level)
    with pytest.raises(E.InvalidInputError, match="needs a codec"):
        C.check_level("none", 3)
    C.check_level("auto", 22)


# -------------------------------------------------------------------------------------- end to end
@pytest.mark.parametrize("codec", CODECS)
def test_codec_roundtrip_compressible_and_incompressible_multipart(cli, bucket, service, tmp_path: Path, codec):
    text = tmp_path / "cam.log"
    text.write_bytes(log_lines(SMALL_THRESHOLD * 2 + 12345, seed=3))
    noise = tmp_path / "noise.bin"
    noise.write_bytes(random_bytes(SMALL_THRESHOLD + 777_777, seed=4))
    for src, part_args in ((text, ()), (noise, ("--part-size", "5MiB"))):
        data = src.read_bytes()
        key = f"{codec}/{src.name}"
        run = cli("upload", str(src), f"s3://{bucket}/{key}", "--compress", codec, *part_args, "--json")
        assert run.exit_code == 0, run
        up = run.json()
        assert up["codec"] == codec and up["total_size"] == len(data)
        stat = cli("stat", f"s3://{bucket}/{key}", "--json").json()
        assert stat["codec"] == codec and stat["original_size"] == len(data)
        assert stat["sha256"] == hashlib.sha256(data).hexdigest() and stat["size"] == up["stored_size"]
        assert stat["metadata"] == {}  # internal keys hidden
        if src is text:
            assert stat["size"] < len(data) / 3 and stat["compression_ratio"] > 3
        else:  # incompressible and stored in two parts (5 MiB part size)
            assert stat["size"] >= len(data) and stat["etag"].endswith("-2")
        got = cli("get", f"s3://{bucket}/{key}", f"out-{codec}-{src.name}", "--json")
        assert got.exit_code == 0, got
        assert got.json()["verified"] is True and got.json()["codec"] == codec
        assert Path(f"out-{codec}-{src.name}").read_bytes() == data
        raw = cli("get", f"s3://{bucket}/{key}", f"raw-{codec}-{src.name}", "--raw", "--json")
        assert raw.exit_code == 0 and raw.json()["codec"] is None
        stored = Path(f"raw-{codec}-{src.name}").read_bytes()
        assert len(stored) == stat["size"] and independent_decompress(codec, stored) == data


def test_stdin_streams_small_and_larger_than_a_part(cli, bucket):
    small = log_lines(200_000, seed=7)
    run = cli("upload", "-", f"s3://{bucket}/small.log", "--compress", "lz4", "--json", input=small)
    assert run.exit_code == 0 and run.json()["codec"] == "lz4", run
    big = log_lines(SMALL_THRESHOLD * 3 + 4321, seed=8)  # > one 5 MiB part: compressed via a spool file
    run = cli("upload", "-", f"s3://{bucket}/big.log", "--compress", "gzip", "--part-size", "5MiB", "--json",
              input=big)
    assert run.exit_code == 0, run
    assert run.json()["total_size"] == len(big) and run.json()["stored_size"] < len(big) / 3
    assert cli("stat", f"s3://{bucket}/big.log", "--json").json()["sha256"] == hashlib.sha256(big).hexdigest()
    for key, data in (("small.log", small), ("big.log", big)):
        out = cli("get", f"s3://{bucket}/{key}", "-")
        assert out.exit_code == 0 and out.stdout_bytes == data
    raw = cli("get", f"s3://{bucket}/big.log", "-", "--raw")
    assert gzip.decompress(raw.stdout_bytes) == big


def test_auto_skips_a_real_jpeg_and_compresses_json_csv_and_logs(cli, bucket, tmp_path: Path):
    frame = tmp_path / "frame_0001.bin"  # no .jpg name: the magic bytes decide
    frame.write_bytes(JPEG_HEADER + b"\0" * 50_000)  # compressible payload, still a JPEG: never recompressed
    meta = tmp_path / "detections.json"
    meta.write_text(json.dumps([{"frame": i, "boxes": [[i % 640, i % 480, 32, 64]], "label": "car"}
                                for i in range(3000)]))
    table = tmp_path / "counts.csv"
    table.write_text("\n".join(f"{i},cam_{i % 12},{i % 97},{i % 4}" for i in range(20_000)))
    log = tmp_path / "its.log"
    log.write_bytes(log_lines(300_000))
    cli("upload", str(frame), f"s3://{bucket}/auto/")
    for src in (meta, table, log):
        assert cli("upload", str(src), f"s3://{bucket}/auto/").exit_code == 0
    listed = {o["key"]: o for o in cli("ls", f"s3://{bucket}/auto/", "--metadata", "--json").jsonl()}
    jpeg = listed["auto/frame_0001.bin"]
    assert jpeg["codec"] is None and jpeg["size"] == frame.stat().st_size and jpeg["original_size"] is None
    for src in (meta, table, log):
        info = listed[f"auto/{src.name}"]
        assert info["codec"] == "zstd" and info["original_size"] == src.stat().st_size
        assert info["size"] < src.stat().st_size / 2 and info["compression_ratio"] > 2
    assert listed["auto/detections.json"]["content_type"] == "application/json"
    for src in (frame, meta, table, log):
        assert cli("get", f"s3://{bucket}/auto/{src.name}", f"back-{src.name}").exit_code == 0
        assert Path(f"back-{src.name}").read_bytes() == src.read_bytes()


def test_compression_setting_and_explicit_flags(cli, bucket, tmp_path: Path):
    src = tmp_path / "a.json"
    src.write_text(json.dumps({"rows": list(range(5000))}))
    off = {"MINIO_ENABLE_COMPRESSION": "false"}
    assert cli("upload", str(src), f"s3://{bucket}/off.json", "--json", extra_env=off).json()["codec"] == "none"
    assert cli("stat", f"s3://{bucket}/off.json", "--json").json()["size"] == src.stat().st_size
    run = cli("upload", str(src), f"s3://{bucket}/on.json", "--compress", "zstd", "--level", "19", "--json",
              extra_env=off)
    assert run.json()["codec"] == "zstd"
    assert cli("upload", str(src), f"s3://{bucket}/none.json", "--compress", "none", "--json").json()["codec"] == "none"
    human = cli("stat", f"s3://{bucket}/on.json")
    assert human.exit_code == 0 and "zstd" in human.stdout and "original size" in human.stdout


def test_bad_compression_flags_are_one_line_usage_errors(cli, bucket, tmp_path: Path):
    src = tmp_path / "a.txt"
    src.write_text("hello " * 1000)
    cases = [(("--compress", "brotli"), "--compress"), (("--compress", "gzip", "--level", "12"), "out of range"),
             (("--compress", "none", "--level", "3"), "needs a codec"), (("--level", "30"), "out of range")]
    for flags, fragment in cases:
        run = cli("upload", str(src), f"s3://{bucket}/a.txt", *flags)
        assert run.exit_code == 2 and fragment in one_line_error(run), (flags, run)
    assert cli("ls", f"s3://{bucket}", "--json").jsonl() == []


def _put_raw(service, bucket: str, key: str, data: bytes, meta: dict[str, str]) -> None:
    """Write an object the way another tool would: our headers only where the test says so."""
    headers = {"Content-Type": "application/octet-stream", **{"x-amz-meta-" + k: v for k, v in meta.items()}}
    service.s3.put(bucket, key, data, headers)


def test_unknown_codec_is_refused_and_raw_still_works(cli, bucket, service):
    data = b"brotli-compressed-bytes-we-cannot-read" * 10
    _put_raw(service, bucket, "odd.bin", data, {"its-codec": "brotli", "its-original-size": "999"})
    Path("keep.bin").write_bytes(b"precious")
    run = cli("get", f"s3://{bucket}/odd.bin", "keep.bin")
    assert run.exit_code == 4 and "unknown codec 'brotli'" in one_line_error(run) and "--raw" in run.stderr
    assert Path("keep.bin").read_bytes() == b"precious"
    js = cli("get", f"s3://{bucket}/odd.bin", "-", "--json")
    assert js.exit_code == 4 and js.json()["error"]["code"] == "unknown_codec"
    raw = cli("get", f"s3://{bucket}/odd.bin", "keep.bin", "--raw")
    assert raw.exit_code == 0 and Path("keep.bin").read_bytes() == data


def test_sha256_mismatch_is_refused_and_the_target_untouched(cli, bucket, service):
    data = log_lines(2_000_000, seed=11)
    stored = C.compress_bytes(data, C.get_codec("zstd"), 3)
    wrong = hashlib.sha256(data + b"tampered").hexdigest()
    _put_raw(service, bucket, "bad-sum.log",
             stored, {"its-codec": "zstd", "its-original-size": str(len(data)), "its-sha256": wrong})
    _put_raw(service, bucket, "corrupt.log", stored[:1000] + b"\x00" * 500 + stored[1500:],
             {"its-codec": "zstd", "its-original-size": str(len(data)),
              "its-sha256": hashlib.sha256(data).hexdigest()})
    Path("keep.log").write_bytes(b"precious")
    for key, fragment in (("bad-sum.log", "sha256 mismatch"), ("corrupt.log", "")):
        run = cli("get", f"s3://{bucket}/{key}", "keep.log")
        assert run.exit_code == 4, run
        assert fragment in one_line_error(run)
        assert Path("keep.log").read_bytes() == b"precious"
        assert sorted(p.name for p in Path(".").iterdir()) == ["keep.log"]  # no temp file left behind


def test_object_from_another_tool_is_returned_as_is(cli, bucket, service):
    foreign = gzip.compress(log_lines(100_000))  # a .gz another tool stored, no codec metadata
    _put_raw(service, bucket, "other/archive.log.gz", foreign, {})
    run = cli("get", f"s3://{bucket}/other/archive.log.gz", "a.gz", "--json")
    assert run.exit_code == 0 and run.json()["verified"] is True and run.json()["codec"] is None
    assert Path("a.gz").read_bytes() == foreign
    stat = cli("stat", f"s3://{bucket}/other/archive.log.gz", "--json").json()
    assert stat["codec"] is None and stat["original_size"] is None and stat["size"] == len(foreign)


def test_library_api(service, bucket, tmp_path: Path):
    from its_store import DownloadRequest, UploadRequest
    data = log_lines(500_000, seed=2)
    resp = service.upload_object(UploadRequest(bucket=bucket, key="lib.log", data=data, compression="gzip",
                                               compression_level=9))
    assert resp.codec == "gzip" and resp.total_size == len(data) and resp.stored_size < len(data) / 3
    plain = service.upload_object(UploadRequest(bucket=bucket, key="plain.log", data=data, compression="none"))
    assert plain.codec == "none" and service.stat_object(bucket, "plain.log").size == len(data)
    got = service.download_object(DownloadRequest(bucket=bucket, key="lib.log", file_path=tmp_path / "x"))
    assert got.verified and got.size == len(data) and (tmp_path / "x").read_bytes() == data
    buf = io.BytesIO()
    assert service.download_to_stream(bucket, "lib.log", buf) == len(data) and buf.getvalue() == data
    info = service.stat_object(bucket, "lib.log")
    assert info.codec == "gzip" and info.original_size == len(data) and "its-codec" not in info.metadata


def test_recursive_upload_and_download_carry_the_flags(cli, bucket, tmp_path: Path):
    root = tmp_path / "logs"
    (root / "day1").mkdir(parents=True)
    files = {root / "day1" / "a.log": log_lines(150_000, seed=20), root / "b.log": log_lines(90_000, seed=21)}
    for path, data in files.items():
        path.write_bytes(data)
    run = cli("upload", str(root), f"s3://{bucket}/logs/", "-r", "--compress", "gzip", "--json")
    assert run.exit_code == 0 and run.json()["succeeded"] == 2, run
    assert run.json()["bytes"] == sum(len(d) for d in files.values())  # original bytes
    for path in files:
        key = "logs/" + path.relative_to(root).as_posix()
        assert cli("stat", f"s3://{bucket}/{key}", "--json").json()["codec"] == "gzip"
    assert cli("get", f"s3://{bucket}/logs/", "back", "-r").exit_code == 0
    assert cli("get", f"s3://{bucket}/logs/", "raw", "-r", "--raw").exit_code == 0
    for path, data in files.items():
        rel = path.relative_to(root)
        assert (tmp_path / "back" / rel).read_bytes() == data
        assert gzip.decompress((tmp_path / "raw" / rel).read_bytes()) == data


def test_resume_uploads_are_stored_as_is(cli, bucket, tmp_path: Path):
    src = tmp_path / "big.log"
    src.write_bytes(log_lines(SMALL_THRESHOLD + 50_000, seed=30))
    run = cli("upload", str(src), f"s3://{bucket}/big.log", "--resume", "--json")
    assert run.exit_code == 0 and run.json()["codec"] == "none", run  # auto + --resume: plain file parts
    refused = cli("upload", str(src), f"s3://{bucket}/big.log", "--resume", "--compress", "zstd")
    assert refused.exit_code == 2 and "--resume" in one_line_error(refused)
