"""Session 31 attacks: input written by someone else that the earlier attacks did not feed.

- An object stored by another client with `x-amz-meta-its-codec` but no (or no valid) its-original-size: its
  decompressed size has no bound, so a 2 KB zstd object wrote 64 MB (a 1 MB one: ~30 GB) to the edge box's
  disk before anything was checked. its-store always records the size of what it compresses.
- A registry document (manifest, dedup index entry) of any size was read whole into memory before the size
  rule (validate.MAX_DOCUMENT_BYTES) was applied: a 300 MB manifest put by another client cost 350 MB RSS.
- A MINIO_REDIS_URL that urlsplit cannot read (a bracketed host without its closing bracket) was "unexpected
  ValueError", exit 1, for every command that touches the cache (`stat`, `cache stats`), where a URL with a
  bad port is one warning and the disk cache.
- A listing whose pages cycle over more distinct entries than answer_paging.Listed.WINDOW (10,000) never ended:
  each page is valid, each continuation token differs from the one asked with, but the tokens come round.

Fixture data is written with a plain minio client (fixture work is not a user operation).
"""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultserver import XML, Conn, FakeObject, FaultServer, Request, response

from conftest import ServerInfo, one_line_error
from helpers import tiny_disk


def minio_client(server: ServerInfo) -> Any:
    from minio import Minio
    return Minio(server.endpoint, access_key=server.access_key, secret_key=server.secret_key, secure=False,
                 region="us-east-1")


def put(client: Any, bucket: str, key: str, body: bytes, meta: dict[str, str] | None = None) -> None:
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)
    client.put_object(bucket, key, io.BytesIO(body), len(body), metadata=meta or {})


# -- a decompression bomb whose size was never recorded -----------------------------------------------------
BOMB_PLAIN = 64 << 20  # what the 2 KB object decompresses to


@pytest.fixture(scope="module")
def zstd_bomb() -> bytes:
    import zstandard
    return zstandard.ZstdCompressor(level=19).compress(bytes(BOMB_PLAIN))


@pytest.mark.parametrize("meta", [
    {"its-codec": "zstd"},
    {"its-codec": "zstd", "its-original-size": "-1"},
    {"its-codec": "zstd", "its-sha256": "0" * 64},
], ids=["no-size", "size-not-a-count", "sha-but-no-size"])
def test_a_codec_object_without_a_recorded_size_is_not_expanded_without_bound(
        cli, s3_server: ServerInfo, bucket: str, tmp_path: Path, zstd_bomb: bytes, meta: dict[str, str]) -> None:
    """Refused before a byte is written: the target folder is a 1 MiB tmpfs, which the bomb's 64 MB would
    fill (the disk an edge box's cameras write to). Fails on main (b76b436): exit 0 with the 64 MB file
    written (a larger disk), or the disk filled to ENOSPC (exit 1) before the sha256 could refuse it."""
    assert len(zstd_bomb) < 8 << 10
    put(minio_client(s3_server), bucket, "bomb.bin", zstd_bomb, meta)
    out = tmp_path / "out"
    with tiny_disk(out):
        run = cli("--json", "get", f"s3://{bucket}/bomb.bin", str(out / "bomb.bin"))
        left = list(out.iterdir())
    assert run.exit_code == 4, run
    assert run.json()["error"]["code"] == "integrity_error", run
    assert left == [], "a refused download left a file"


def test_raw_still_fetches_such_an_object(cli, s3_server: ServerInfo, bucket: str, tmp_path: Path,
                                          zstd_bomb: bytes) -> None:
    """The way out the error names: the stored bytes as they are (passes on main)."""
    put(minio_client(s3_server), bucket, "bomb.bin", zstd_bomb, {"its-codec": "zstd"})
    run = cli("get", "--raw", f"s3://{bucket}/bomb.bin", str(tmp_path / "raw.zst"))
    assert run.exit_code == 0, run
    assert (tmp_path / "raw.zst").read_bytes() == zstd_bomb


# -- registry documents larger than the size rule -----------------------------------------------------------
LIMIT = 64 << 10      # validate.MAX_DOCUMENT_BYTES for these tests (256 MiB in the product)
HUGE = 8 << 20        # the hostile document


@pytest.fixture
def small_document_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.registry import validate
    monkeypatch.setattr(validate, "MAX_DOCUMENT_BYTES", LIMIT)


def peak_while(fn: Any, prepare: Any = lambda: None) -> tuple[Any, int]:
    """(fn(), the peak of Python allocations while it ran), measured on a second run (prepare() before
    each): the first imports the modules the command loads lazily (a few MB that are not the document's)."""
    prepare()
    fn()
    prepare()
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_oversized_manifest_is_refused_without_reading_it_whole(
        cli, s3_server: ServerInfo, buckets: dict[str, str], small_document_limit: None) -> None:
    """Fails on main: the whole 8 MiB body is read before the size rule (peak >= 8 MiB)."""
    put(minio_client(s3_server), buckets["models"], "det/1.0.0/manifest.json", b" " * HUGE)
    run, peak = peak_while(lambda: cli("model", "show", "det@1.0.0"))
    assert run.exit_code == 4 and "larger than" in one_line_error(run), run
    assert peak < HUGE // 2, f"peak {peak} bytes for a document refused above {LIMIT}"


def test_an_oversized_dedup_index_entry_is_not_read_whole(
        cli, s3_server: ServerInfo, buckets: dict[str, str], tmp_path: Path, small_document_limit: None) -> None:
    """The dedup index entry of the very bytes being registered, 8 MiB of padding written by another client:
    the registration uploads the file (an entry that is not ours is no entry) without reading it all.
    Fails on main: the entry is read whole (peak >= 8 MiB)."""
    import hashlib
    weights = tmp_path / "w.onnx"
    weights.write_bytes(b"weights" * 100)
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    client = minio_client(s3_server)
    versions = iter(["1.0.0", "1.0.1"])  # the first run is peak_while's warm-up; each run repairs the entry
    run, peak = peak_while(lambda: cli("model", "register", str(weights), "--name", "det", "--version", next(versions)),
                           lambda: put(client, buckets["models"], f"_index/sha256/{digest}", b" " * HUGE))
    assert run.exit_code == 0, run
    assert peak < HUGE // 2, f"peak {peak} bytes for an index entry refused above {LIMIT}"


# -- a Redis URL that cannot be parsed ----------------------------------------------------------------------
BAD_REDIS = "redis://:hunter2-redis-pw@[::1:1/0"


@pytest.mark.parametrize("command", [("stat", "{obj}"), ("cache", "stats")], ids=["stat", "cache-stats"])
def test_an_unreadable_redis_url_is_a_warning_not_an_unexpected_error(cli, s3_server: ServerInfo, bucket: str,
                                                                       command: tuple[str, ...]) -> None:
    """As a URL with a bad port: one warning, the disk cache, the command done. Fails on main: exit 1,
    "unexpected ValueError: Invalid IPv6 URL"."""
    put(minio_client(s3_server), bucket, "a.bin", b"frame")
    args = [part.format(obj=f"s3://{bucket}/a.bin") for part in command]
    run = cli(*args, extra_env={"MINIO_REDIS_URL": BAD_REDIS})
    assert run.exit_code == 0, run
    assert "unexpected" not in run.stderr and "hunter2" not in run.stdout + run.stderr, run
    assert "Redis" in run.stderr, run


# -- a listing whose tokens come round after more entries than the window -------------------------------------
PAGES, PER_PAGE = 11, 1000   # 11,000 distinct entries per round: beyond answer_paging.Listed.WINDOW (10,000)


def cycling_page(req: Request) -> bytes:
    """Page i lists keys c/iii-jjjj and names token T<i+1>; the last names T0, the first page's own."""
    asked = req.query.get("continuation-token") or ""
    page = int(asked[1:]) if asked.startswith("T") else 0
    entries = "".join(
        f"<Contents><Key>c/{page:03d}-{j:04d}</Key><LastModified>2026-12-06T13:00:00.000Z</LastModified>"
        f'<ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass>'
        f"</Contents>" for j in range(PER_PAGE))
    body = ('<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>cyc</Name><Prefix>c/</Prefix>'
            f"<KeyCount>{PER_PAGE}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
            f"<NextContinuationToken>T{(page + 1) % PAGES}</NextContinuationToken>{entries}</ListBucketResult>")
    return response(200, b'<?xml version="1.0" encoding="UTF-8"?>' + body.encode(), content_type=XML)


@pytest.fixture
def cycling(tmp_path: Path) -> Iterator[Any]:
    def handler(server: FaultServer, req: Request, conn: Conn) -> bool:
        listing = req.method == "GET" and not req.key and "list-type" in req.query
        if listing:
            conn.send(cycling_page(req))
        return listing

    with FaultServer(handler, buckets=("cyc",)) as server:
        server.put_object("cyc", "c/000-0000", FakeObject(b""))
        from its_store import StorageService
        from its_store.core.settings import Settings
        settings = Settings(endpoint=server.endpoint, access_key="fakeaccess", secret_key="fake-secret-key-0123",
                            secure=False, max_retries=0, cache_dir=tmp_path / "cache",
                            audit_log=tmp_path / "audit.log", enable_caching=False)
        yield StorageService(settings)


def test_a_listing_whose_tokens_cycle_beyond_the_window_ends(cycling: Any) -> None:
    """Fails on main: 25,000 entries (the same 11,000 again and again) are listed and it would go on."""
    from its_store.core import errors as E
    from its_store.core.models import ListObjectsRequest
    seen = 0
    with pytest.raises(E.ServiceUnavailableError, match="never end"):
        for _info in cycling.iter_objects(ListObjectsRequest(bucket="cyc", prefix="c/", recursive=True)):
            seen += 1
            if seen >= 25_000:
                break
    assert seen < 25_000


# -- a small state file read through a buffer the size of the limit -----------------------------------------
def test_reading_a_small_state_file_allocates_its_size_not_the_limit(tmp_path: Path) -> None:
    """core/statefile.read_state read a 1 KB stats file with f.read(256 MiB + 1), which allocates the
    256 MiB first: under `ulimit -v 300000` (LimitAS= of a service unit) every command that records stats
    ended with a raw MemoryError traceback and exit 1 after its work was done. Fails on main (peak 256 MiB)."""
    from its_store.core.statefile import MAX_STATE_BYTES, read_state
    state = tmp_path / "stats.json"
    state.write_bytes(b"{}" * 512)
    data, peak = peak_while(lambda: read_state(state))
    assert data == b"{}" * 512
    assert peak < 1 << 20, f"peak {peak} bytes to read 1 KB (limit {MAX_STATE_BYTES})"


def test_a_state_file_that_grew_after_its_fstat_is_still_bounded(tmp_path: Path) -> None:
    """The rule is unchanged: more than `limit` bytes is not a state file of ours (passes on main)."""
    from its_store.core.statefile import NotRegularFile, read_state
    state = tmp_path / "stats.json"
    state.write_bytes(b"x" * 100)
    assert read_state(state, limit=100) == b"x" * 100
    state.write_bytes(b"x" * 101)
    with pytest.raises(NotRegularFile):
        read_state(state, limit=100)


def test_a_command_does_not_allocate_a_quarter_gigabyte_at_its_end(cli, s3_server: ServerInfo, bucket: str) -> None:
    """`stat` merges its stats into the stats file at the end (read_state). Fails on main (peak ~256 MiB)."""
    put(minio_client(s3_server), bucket, "a.bin", b"frame")
    run, peak = peak_while(lambda: cli("stat", f"s3://{bucket}/a.bin"))
    assert run.exit_code == 0, run
    assert peak < 64 << 20, f"peak {peak} bytes for one stat"


# -- an object whose codec metadata does not match its bytes ---------------------------------------------------
def test_verify_does_not_call_ok_what_get_refuses_as_corrupt(cli, s3_server: ServerInfo, bucket: str,
                                                             tmp_path: Path) -> None:
    """gzip bytes stored (by another client) with x-amz-meta-its-codec: zstd and no its-sha256: `get` refuses
    them (exit 4, corrupt zstd data), `verify` said "ok (by md5)", exit 0: the MD5 proves the stored bytes,
    not that they decode. Expected: not ok (corrupt or unverifiable). Fails on main (b76b436)."""
    import gzip
    put(minio_client(s3_server), bucket, "x.bin", gzip.compress(b"frame" * 100), {"its-codec": "zstd"})
    assert cli("get", f"s3://{bucket}/x.bin", str(tmp_path / "x.bin")).exit_code == 4
    run = cli("--json", "verify", f"s3://{bucket}/x.bin")
    assert run.json()["counts"]["ok"] == 0, run
    assert run.exit_code != 0, run


# -- one hostile manifest and the listing of every model --------------------------------------------------------
def test_one_hostile_manifest_does_not_hide_every_other_model(cli, s3_server: ServerInfo, buckets: dict[str, str],
                                                               tmp_path: Path) -> None:
    """Another writer of the models bucket puts `{}` as evil/1.0.0/manifest.json: `model list` (every model)
    exited 4 with one line and listed nothing, so one bad document hides all the good ones (as the keys rule
    says for listings: no key blocks the others). Expected: the good model listed, the bad version reported,
    a non-zero exit. Fails on main (b76b436): exit 4, stdout empty."""
    weights = tmp_path / "w.onnx"
    weights.write_bytes(b"weights")
    assert cli("model", "register", str(weights), "--name", "good", "--version", "1.0.0").exit_code == 0
    put(minio_client(s3_server), buckets["models"], "evil/1.0.0/manifest.json", b"{}")
    run = cli("--json", "model", "list")
    assert run.exit_code != 0, run
    listed = [line for line in run.stdout.splitlines() if '"good"' in line]
    assert listed, run
    assert "evil" in run.stdout + run.stderr, run


# -- a dedup index entry that points at forged bytes ---------------------------------------------------------------
def test_a_dedup_source_with_forged_sha256_metadata_is_not_copied(cli, s3_server: ServerInfo, buckets: dict[str, str],
                                                                  tmp_path: Path) -> None:
    """Another writer of the models bucket stores other bytes of the same size under x-amz-meta-sha256 = the
    sha256 of our weights, and an index entry naming them. registry/dedup trusts the size and that metadata
    (its docstring: "the index is a hint, never trusted alone"), copies the forged object server-side, and
    `model register` reports success for a version whose file does not hold the bytes its manifest names:
    `model pull` of it is exit 4 for ever. Expected: the copy is checked against the local bytes (e.g. the
    server's CRC32 of the source against the file's, both at hand) or the file is uploaded.
    Fails on main (b76b436): the pull is exit 4."""
    import hashlib
    import json
    weights = tmp_path / "w.onnx"
    weights.write_bytes(b"W" * 4096)
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    client = minio_client(s3_server)
    put(client, buckets["models"], "other/9.9.9/w.onnx", b"X" * 4096, {"sha256": digest})
    put(client, buckets["models"], f"_index/sha256/{digest}",
        json.dumps({"key": "other/9.9.9/w.onnx", "size": 4096, "sha256": digest}).encode())
    assert cli("model", "register", str(weights), "--name", "det", "--version", "1.0.0").exit_code == 0
    run = cli("model", "pull", "det@1.0.0", str(tmp_path / "pulled"))
    assert run.exit_code == 0, run
