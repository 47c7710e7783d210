"""Chain of custody against a file rewritten in place while it is uploaded in parts.

The its-sha256 of a multipart upload travels in CreateMultipartUpload, so it is hashed by a read of the
file before any part is read. A writer that rewrites the file in place between the two (same size, its
mtime set back) must not leave an object whose bytes differ from its its-sha256: the parts' bytes are
hashed as they are read and compared before CompleteMultipartUpload (transfer/upload._hashed_parts);
on a mismatch the upload is aborted (nothing stored, no upload left open) and the command exits 5.

Deterministic without timing: the fault proxy's `answer` hook sees CreateMultipartUpload arrive (the
hash is done: it is in that request) and rewrites the file before passing it on; every part is read after
its answer.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen

from its_store.core import errors as E
from its_store.transfer.upload import SHA256_HEADER, upload_file

from helpers import write_file

SIZE = 12 * 1024 * 1024 + 333  # two 8 MiB parts (multipart from 5 MiB in tests)


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def _rewrite_on_create(path: Path) -> Any:
    """An `answer` hook: at CreateMultipartUpload, rewrite the end of `path` in place (same size) and set
    its mtime back, as a writer hiding its change from an fstat check would; then pass the request on."""
    def hook(seen: Seen) -> None:
        if seen.method == "POST" and "uploads" in seen.query:
            before = os.stat(path)
            with open(path, "r+b") as fh:
                fh.seek(SIZE - 1000)
                fh.write(b"\x00" * 1000)
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
            hook.rewrites += 1  # type: ignore[attr-defined]
        return None
    hook.rewrites = 0  # type: ignore[attr-defined]
    return hook


@pytest.mark.parametrize("command", ["upload", "upload-r", "cp", "mv", "sync"])
def test_a_file_rewritten_in_place_midway_stores_nothing(cli: Any, service: Any, bucket: str, s3_server: Any,
                                                        tmp_path: Path, command: str) -> None:
    src = write_file(tmp_path / "in" / "clip.mp4", SIZE, seed=7)
    args = {"upload": ["upload", str(src), f"s3://{bucket}/clip.mp4"],
            "upload-r": ["upload", str(src.parent), f"s3://{bucket}/", "-r"],
            "cp": ["cp", str(src), f"s3://{bucket}/clip.mp4"],
            "mv": ["mv", str(src), f"s3://{bucket}/clip.mp4"],
            "sync": ["sync", str(src.parent), f"s3://{bucket}/"]}[command]
    hook = _rewrite_on_create(src)
    with FaultProxy(_port(s3_server.endpoint), answer=hook) as proxy:
        run = cli(*args, extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert hook.rewrites == 1, run
    assert run.exit_code == E.EXIT_CONFLICT, run
    assert "clip.mp4 changed while it was uploaded" in run.stderr, run
    assert list(service.s3.list_objects(bucket)) == []  # nothing stored, not even a half object
    assert service.s3.list_multipart_uploads(bucket) == []  # and the upload was aborted
    assert src.exists()  # mv kept its source


def test_an_unchanged_file_still_uploads_through_the_same_path(cli: Any, service: Any, bucket: str,
                                                              tmp_path: Path) -> None:
    src = write_file(tmp_path / "clip.mp4", SIZE, seed=8)
    run = cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--json", "--compress", "none")
    assert run.exit_code == 0, run
    assert run.json()["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert service.stat_object(bucket, "clip.mp4").sha256 == run.json()["sha256"]


def test_a_single_put_checks_a_hash_made_by_an_earlier_read(service: Any, bucket: str, tmp_path: Path) -> None:
    """A file below the threshold whose its-sha256 was hashed before (SSE-C: service/encoded.py) is sent
    only if its bytes still hash to it."""
    src = write_file(tmp_path / "frame.jpg", 70_000, seed=9)
    stale = hashlib.sha256(b"what the file held when it was hashed").hexdigest()
    with pytest.raises(E.FileChangedError, match="changed while it was uploaded"):
        upload_file(service.s3, bucket, "frame.jpg", src, {SHA256_HEADER: stale},
                    threshold=5 * 1024 * 1024, part_size=None, workers=2)
    assert list(service.s3.list_objects(bucket)) == []


def test_a_resumed_part_must_still_be_what_the_server_holds(tmp_path: Path) -> None:
    """--resume: a part already on the server is read again for the hash; bytes that no longer match its
    MD5 (the server's ETag) are not what is stored, so they cannot vouch for the its-sha256."""
    from its_store.transfer.upload import _hashed_parts
    data = b"part one as read now"
    parts = _hashed_parts(lambda _n: data, 1, 5 * 1024 * 1024, {1: hashlib.md5(b"as stored").hexdigest()},
                          hashlib.sha256(data).hexdigest(), tmp_path / "f.bin", {})
    with pytest.raises(E.FileChangedError, match="changed while it was uploaded"):
        list(parts)
    same = _hashed_parts(lambda _n: data, 1, 5 * 1024 * 1024, {1: hashlib.md5(data).hexdigest()},
                         hashlib.sha256(data).hexdigest(), tmp_path / "f.bin", {})
    assert list(same) == []  # nothing left to send, and the hash of what is stored matches
