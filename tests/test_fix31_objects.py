"""Session 31 fixes on objects and listings, each proved against the code before it."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

from conftest import one_line_error, plain_client


def put(client: Any, bucket: str, key: str, body: bytes, meta: dict[str, str] | None = None) -> None:
    client.put_object(bucket, key, io.BytesIO(body), len(body), metadata=meta or {})


def test_corrupt_zstd_data_names_the_object(cli, s3_server, bucket: str, tmp_path: Path) -> None:
    """Was `its-store: error: corrupt zstd data: ...` with no object named (a recursive get of thousands)."""
    body = gzip.compress(b"frame" * 100)
    put(plain_client(s3_server), bucket, "z.bin", body, {"its-codec": "zstd", "its-original-size": "500"})
    run = cli("get", f"s3://{bucket}/z.bin", str(tmp_path / "z.bin"))
    assert run.exit_code == 4, run
    line = one_line_error(run)
    assert f"s3://{bucket}/z.bin" in line and "zstd" in line and "--raw" in line, line
    assert not (tmp_path / "z.bin").exists()


def test_a_codec_object_without_a_size_is_refused_naming_it_and_the_way_out(cli, s3_server, bucket: str,
                                                                            tmp_path: Path) -> None:
    """The refusal (tests/test_atk31_hostile_inputs.py proves the bound) names the object and `get --raw`; to
    stdout too (download_stream shares the decision)."""
    put(plain_client(s3_server), bucket, "n.bin", gzip.compress(b"x" * 1000), {"its-codec": "gzip"})
    for target in (str(tmp_path / "n.bin"), "-"):
        run = cli("get", f"s3://{bucket}/n.bin", target)
        assert run.exit_code == 4, run
        line = one_line_error(run)
        assert f"s3://{bucket}/n.bin" in line and "original size" in line and "--raw" in line, line
        assert run.stdout == "", run


def _register(cli: Any, path: Path, name: str) -> dict[str, Any]:
    run = cli("model", "register", str(path), "--name", name, "--version", "1.0.0", "--json")
    assert run.exit_code == 0, run
    return run.json()


def test_dedup_still_copies_what_the_servers_checksum_proves(cli, tmp_path: Path) -> None:
    """The control of the forged-source test (tests/test_atk31_hostile_inputs.py): bytes its-store stored are
    copied, not uploaded, since the server's CRC32 of the source (whole object, and composite over parts of
    a multipart upload: 6 MiB > the tests' 5 MiB threshold) matches the local file's; a copy of a copy too."""
    import os
    for size in (3000, 6 * 1024 * 1024 + 17):
        weights = tmp_path / f"w{size}.onnx"
        weights.write_bytes(os.urandom(size))
        first = _register(cli, weights, f"a{size}")
        assert (first["uploaded_bytes"], first["copied_files"]) == (size, 0), first
        for name in (f"b{size}", f"c{size}"):  # c's index entry names b's copy
            again = _register(cli, weights, name)
            assert (again["uploaded_bytes"], again["copied_files"]) == (0, 1), (name, again)
        assert cli("model", "pull", f"c{size}@1.0.0", str(tmp_path / f"pulled{size}")).exit_code == 0


def test_verify_decodes_a_compressed_object_it_can_only_check_by_md5(cli, s3_server, bucket: str) -> None:
    """gzip bytes labelled zstd, with a recorded size and no its-sha256: the MD5 matches the stored bytes,
    yet `get` cannot decode them. verify said ok (by md5); now corrupt, exit 4, as `get`. The control: real
    zstd bytes of the recorded size, written by another tool without its-sha256, stay ok."""
    import zstandard
    client = plain_client(s3_server)
    put(client, bucket, "v/bad.bin", gzip.compress(b"frame" * 100), {"its-codec": "zstd", "its-original-size": "500"})
    put(client, bucket, "v/good.bin", zstandard.ZstdCompressor().compress(b"frame" * 100),
        {"its-codec": "zstd", "its-original-size": "500"})
    run = cli("--json", "verify", f"s3://{bucket}/v/", "-r")
    assert run.exit_code == 4, run
    doc = run.json()
    assert (doc["counts"]["ok"], doc["counts"]["corrupt"]) == (1, 1), doc
    assert [o["key"] for o in doc["corrupt"]] == ["v/bad.bin"], doc


def test_verify_stops_decoding_past_the_recorded_size(cli, s3_server, bucket: str) -> None:
    """A zstd bomb recorded as 500 bytes: corrupt at byte 501, not decoded to its 64 MB end."""
    import zstandard
    bomb = zstandard.ZstdCompressor(level=19).compress(bytes(64 << 20))
    put(plain_client(s3_server), bucket, "v/bomb.bin", bomb,
        {"its-codec": "zstd", "its-original-size": "500", "its-sha256": "0" * 64})
    run = cli("--json", "verify", f"s3://{bucket}/v/bomb.bin")
    assert run.exit_code == 4, run
    assert "more than its recorded size" in run.json()["corrupt"][0]["reason"], run
