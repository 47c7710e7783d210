"""Session 35 (lock): a CompleteMultipartUpload that a proxy sent twice.

A proxy (or a load balancer) that retries a POST whose answer it did not get, passes on the answer to the
second one: the first completed the object, the second finds no such upload (NoSuchUpload). That used to
count as the server refusing the Complete: the user got an error (and the upload was aborted) for an object
that was stored whole. Now a NoSuchUpload answer to a Complete is checked with a HEAD (s3/multipart.py): the
object with the multipart ETag the parts make is success; anything else is still the error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import response

from its_store.core import errors as E

from helpers import object_bytes, write_file

MiB = 1024 * 1024


def _run(cli: Any, args: list[str], **extra: str) -> Any:
    """`its-store ARGS` in-process (the `cli` fixture) with two connections and workers, as run_cli_process had
    them; `extra`: more environment (the proxy as MINIO_ENDPOINT)."""
    return cli(*args, extra_env={"MINIO_MAX_POOL_CONNECTIONS": "2", "MINIO_MAX_WORKERS": "2", **extra})


def _is_complete(seen: Seen) -> bool:
    return seen.method == "POST" and "uploadId" in seen.query


def _gone() -> bytes:
    """A NoSuchUpload answer, as SeaweedFS and S3 send it."""
    return response(404, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The '
                         b"specified upload does not exist.</Message></Error>", content_type="application/xml")


@pytest.mark.parametrize("fault", ["resend", "replace_answer"])
def test_a_completed_object_answered_again_is_a_success(s3_server: Any, cli: Any, service: Any,
                                                        bucket: str, tmp_path: Path, fault: str) -> None:
    """The proxy forwards the Complete (the object is made), then either sends it again and passes on the
    second answer (SeaweedFS answers that one 200 as well), or answers NoSuchUpload itself, as servers that
    forget a completed upload answer a re-sent POST: exit 0, the stored object's ETag and version, its bytes."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=37)
    hook = _is_complete if fault == "resend" else (lambda seen: _gone() if _is_complete(seen) else None)
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), **{fault: hook}) as proxy:
        done = _run(cli, ["upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB", "--json"],
                    MINIO_ENDPOINT=proxy.endpoint, MINIO_MAX_RETRIES="0")
        assert proxy.counters.resent + proxy.counters.replaced == 1
    assert done.exit_code == 0, done
    stored = service.s3.stat(bucket, "clip.mp4")
    assert done.json()["etag"] == stored.etag and stored.etag.endswith("-3")
    assert done.json()["version_id"] == stored.version_id
    assert object_bytes(service, bucket, "clip.mp4") == src.read_bytes()
    assert service.s3.list_multipart_uploads(bucket) == []


def test_no_such_upload_without_the_object_is_still_an_error(s3_server: Any, cli: Any, service: Any,
                                                             bucket: str, tmp_path: Path) -> None:
    """The Complete never reached the server (the proxy answers NoSuchUpload itself): no object has the
    parts' ETag, the error stands (exit 3), nothing is visible."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=36)
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]),
                    answer=lambda seen: _gone() if _is_complete(seen) else None) as proxy:
        done = _run(cli, ["upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB"],
                    MINIO_ENDPOINT=proxy.endpoint, MINIO_MAX_RETRIES="0")
    assert done.exit_code == 3 and "Traceback" not in done.stderr, done
    with pytest.raises(E.NotFoundError):
        service.s3.stat(bucket, "clip.mp4")


def _sse_c_upload(s3_server: Any, cli: Any, bucket: str, tmp_path: Path, seed: int,
                  **proxied: Any) -> tuple[Any, Path, Path]:
    """An 11 MiB SSE-C upload (3 parts) through a proxy that forwards the Complete and answers NoSuchUpload
    itself (and does `proxied`): (its Run, the key file, the source file)."""
    from test_encryption import new_key
    key_file = tmp_path / "sse.key"
    new_key(key_file)
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=seed)
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), **proxied,
                    replace_answer=lambda seen: _gone() if _is_complete(seen) else None) as proxy:
        done = _run(cli, ["upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB", "--sse", "c",
                          "--sse-c-key-file", str(key_file), "--json"],
                       MINIO_ENDPOINT=proxy.endpoint, MINIO_MAX_RETRIES="0")
        assert proxy.counters.replaced == 1
    return done, key_file, src


def _read_back(cli: Any, bucket: str, tmp_path: Path, key_file: Path) -> bytes:
    got = _run(cli, ["get", f"s3://{bucket}/clip.mp4", str(tmp_path / "back.mp4"), "--sse-c-key-file",
                     str(key_file)])
    assert got.exit_code == 0, got
    return (tmp_path / "back.mp4").read_bytes()


def test_a_completed_sse_c_object_answered_no_such_upload_is_known_by_its_custody(
        s3_server: Any, cli: Any, bucket: str, tmp_path: Path) -> None:
    """fix2: an SSE-C multipart upload: the proxy forwards the Complete (the object is made) and answers
    NoSuchUpload itself. The HEAD that tells whether the object was made must carry the SSE-C key (without it
    the server answers 400, and the made object was reported as an error, exit 3, as it was before): exit 0,
    the object whole (read back with its key). NB SeaweedFS gives SSE-C parts MD5 ETags, so this passes by the
    multipart-ETag sign; the custody sign (its-sha256 and size) is the one for servers whose SSE-C ETags are
    not MD5s (AWS, MinIO): the next test makes the HEAD say such an ETag."""
    done, key_file, src = _sse_c_upload(s3_server, cli, bucket, tmp_path, 38)
    assert done.exit_code == 0, done
    stat = _run(cli, ["stat", f"s3://{bucket}/clip.mp4", "--sse-c-key-file", str(key_file), "--json"])
    assert stat.exit_code == 0, stat
    assert done.json()["etag"] == stat.json()["etag"]
    assert _read_back(cli, bucket, tmp_path, key_file) == src.read_bytes()


def test_metadata_never_confirms_an_object_whose_etag_the_parts_do_not_make(
        s3_server: Any, cli: Any, bucket: str, tmp_path: Path) -> None:
    """fix2 + atk3: the proxy makes every HEAD answer's ETag one the parts do not make. Where the parts' ETags
    are MD5s (every server of the suite; SeaweedFS's SSE-C parts too), only the multipart ETag they make proves
    that a Complete answered NoSuchUpload made the object: its-sha256 and size are metadata any client writing
    the key can carry (test_atk35c_complete_proof), so the error stands (exit 3), never a success on them. The
    custody sign is left for part ETags that are no MD5 at all (no multipart ETag can be computed)."""
    import re

    def opaque_etag(method: str, head: bytes) -> bytes:
        return re.sub(rb'(?im)^(etag:\s*)"[^"\r\n]*"', rb'\1"' + b"e" * 32 + b'-3"', head) if method == "HEAD" else head

    done, _key_file, _src = _sse_c_upload(s3_server, cli, bucket, tmp_path, 39, head_of=opaque_etag)
    assert done.exit_code == 3 and "Traceback" not in done.stderr, done


def test_a_shouted_multipart_etag_still_proves_the_object(s3_server: Any, cli: Any, service: Any,
                                                         bucket: str, tmp_path: Path) -> None:
    """revb: a server answering its ETags upper-case (checksums compare a hex MD5 whatever its case since s35)
    made the HEAD after a Complete answered NoSuchUpload miss the multipart ETag the parts make: an object
    stored whole was 'not found', exit 3."""
    import re

    def shout(method: str, head: bytes) -> bytes:
        return re.sub(rb'(?im)^(etag:\s*)("[^"\r\n]*")', lambda m: m.group(1) + m.group(2).upper(),
                      head) if method == "HEAD" else head

    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=40)
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), head_of=shout,
                    replace_answer=lambda seen: _gone() if _is_complete(seen) else None) as proxy:
        done = _run(cli, ["upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB", "--json"],
                    MINIO_ENDPOINT=proxy.endpoint, MINIO_MAX_RETRIES="0")
        assert proxy.counters.replaced == 1
    assert done.exit_code == 0, done
    assert object_bytes(service, bucket, "clip.mp4") == src.read_bytes()
