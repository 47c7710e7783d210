"""The custody hash of a large upload, started when the file is opened (transfer/upload.Prehash, issue 22 W2).

S3 metadata travels in the first request, so the its-sha256 of a multipart upload must be known before
CreateMultipartUpload; the hash now runs on a helper thread while the upload gets ready (the S3 client's
imports and pool, the bucket check). What must hold: the same digest as a plain sha256 of the file, the
thread reads its own duplicate of the descriptor (closing the caller's never makes it read another file),
a file that shrank is still an error, and an upload that fails before it needed the hash leaves no thread
hashing on (it stops at its next 4 MiB block; the join below is a safety net, not a timing).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from its_store.core import errors as E
from its_store.transfer.upload import HASH_BUF, Prehash, fd_sha256

from conftest import SMALL_THRESHOLD as T
from helpers import write_file


def test_the_digest_is_the_files_sha256_even_once_the_callers_descriptor_is_closed(tmp_path: Path) -> None:
    path = write_file(tmp_path / "big.bin", 3 * HASH_BUF + 17, seed=1)
    fd = os.open(path, os.O_RDONLY)
    pre = Prehash(fd, path.stat().st_size, path)
    os.close(fd)  # the caller is done with its descriptor; the thread reads its own
    other = os.open(write_file(tmp_path / "other.bin", 100, seed=2), os.O_RDONLY)  # may reuse fd's number
    try:
        assert pre.result() == hashlib.sha256(path.read_bytes()).hexdigest()
    finally:
        os.close(other)


def test_a_file_that_shrank_is_an_error(tmp_path: Path) -> None:
    path = write_file(tmp_path / "big.bin", 2 * HASH_BUF, seed=3)
    with open(path, "rb") as fh:
        pre = Prehash(fh.fileno(), 3 * HASH_BUF, path)  # more than there is: the file "shrank"
        with pytest.raises(E.FileChangedError, match="changed while it was uploaded"):
            pre.result()


def test_a_cancelled_hash_stops_at_its_next_block(tmp_path: Path) -> None:
    path = write_file(tmp_path / "big.bin", 2 * HASH_BUF, seed=4)
    stop = threading.Event()
    stop.set()
    with open(path, "rb") as fh, pytest.raises(E.InterruptedError_):
        fd_sha256(fh.fileno(), 2 * HASH_BUF, path, stop)


def test_an_upload_that_fails_before_its_parts_leaves_no_hash_running(cli, env, tmp_path: Path) -> None:
    src = write_file(tmp_path / "clip.bin", 3 * T, seed=5)
    earlier = set(threading.enumerate())  # an its-sha thread of an earlier test is not this upload's
    run = cli("upload", str(src), "s3://no-such-bucket-for-prehash/clip.bin",
              extra_env={"MINIO_CREATE_BUCKETS": "false"})
    assert run.exit_code == 3, run
    for thread in [t for t in threading.enumerate() if t.name == "its-sha" and t not in earlier]:
        thread.join(timeout=120)  # a safety net: cancelled, it ends at its next 4 MiB block
        assert not thread.is_alive()


def test_a_multipart_upload_records_the_prehashed_sha256(cli, service, bucket, tmp_path: Path) -> None:
    src = write_file(tmp_path / "clip.bin", 2 * T + 3, seed=6)
    for compression in ("none", "zstd"):  # the plain parts, and the compressing path (its-sha256 of the original)
        run = cli("upload", str(src), f"s3://{bucket}/{compression}.bin", "--compress", compression, "--json")
        assert run.exit_code == 0 and run.json()["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest(), run
        assert service.stat_object(bucket, f"{compression}.bin").sha256 == run.json()["sha256"]


def test_a_hash_dropped_unused_is_told_to_stop(tmp_path: Path) -> None:
    """An upload that fails before it needs the hash drops its Prehash: the thread is told to stop (it is
    not bound to the Prehash, so dropping it is enough)."""
    path = write_file(tmp_path / "big.bin", HASH_BUF, seed=7)
    with open(path, "rb") as fh:
        pre = Prehash(fh.fileno(), HASH_BUF, path)
        stop = pre._stop
        del pre
    assert stop.is_set()
