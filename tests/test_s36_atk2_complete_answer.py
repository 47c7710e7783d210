"""Session 36 (atk2): a CompleteMultipartUpload answered 200 with a result that is not of these parts.

A caching or replaying proxy (or a server bug) may answer a Complete 200 with a well-formed
<CompleteMultipartUploadResult> that is another upload's: another key, or an ETag other than the one the
parts make (MD5 of the parts' MD5s, "-N"). The answer was taken at its word: its ETag was the one claimed
(--json, audit, sync state) where the object made had another, and where nothing was made a later HEAD
said "object not found" (exit 3) of the file just uploaded. Where the parts' ETags are MD5s the ETag of
the object is known before the answer: an answer naming another is checked with a HEAD (s3/multipart.py),
and when the object does not carry the parts' ETag the upload is the bad-answer error (exit 1), nothing
claimed; unless it carries the answer's ETag with this upload's custody (its-sha256 and size): a server
whose multipart ETags are no MD5 of MD5s and lack "-N" (old Swift s3api, SSE-KMS), consistent (etag helper).
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


def _is_complete(seen: Seen) -> bool:
    return seen.method == "POST" and "uploadId" in seen.query


def _result(bucket: str, key: str, etag: str) -> bytes:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult '
            f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://x/{bucket}/{key}</Location>'
            f"<Bucket>{bucket}</Bucket><Key>{key}</Key><ETag>&quot;{etag}&quot;</ETag>"
            "</CompleteMultipartUploadResult>").encode()
    return response(200, body, content_type="application/xml")


def _upload(s3_server: Any, cli: Any, src: Path, bucket: str, **hooks: Any) -> Any:
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), **hooks) as proxy:
        return cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB", "--json",
                   extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0",
                              "MINIO_MAX_POOL_CONNECTIONS": "2", "MINIO_MAX_WORKERS": "2"})


@pytest.mark.parametrize("other", ["etag", "key"])
def test_a_complete_answered_for_another_upload_is_not_a_success(s3_server: Any, cli: Any, service: Any,
                                                                 bucket: str, tmp_path: Path, other: str) -> None:
    """The proxy answers the Complete itself (it never reaches the server): another upload's result, with
    its ETag (another object's, of 3 parts) under this key or under another key. Exit 1 (bad_server_answer),
    no ETag claimed, no object."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=51)
    key = "clip.mp4" if other == "etag" else "other.mp4"
    canned = _result(bucket, key, "0123456789abcdef0123456789abcdef-3")
    done = _upload(s3_server, cli, src, bucket, answer=lambda seen: canned if _is_complete(seen) else None)
    assert done.exit_code == 1 and done.json()["error"]["code"] == "bad_server_answer", done
    assert "etag" not in done.json() and "Traceback" not in done.stderr
    with pytest.raises(E.NotFoundError):
        service.s3.stat(bucket, "clip.mp4")


def test_an_answer_with_another_etag_for_the_object_made_takes_the_objects(s3_server: Any, cli: Any, service: Any,
                                                                           bucket: str, tmp_path: Path) -> None:
    """The Complete reaches the server and makes the object; the proxy passes on another ETag: the HEAD
    finds the parts' ETag on the object, the upload succeeds with the object's ETag, not the answer's."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=52)
    canned = _result(bucket, "clip.mp4", "0123456789abcdef0123456789abcdef-3")
    done = _upload(s3_server, cli, src, bucket,
                   replace_answer=lambda seen: canned if _is_complete(seen) else None)
    assert done.exit_code == 0, done
    stored = service.s3.stat(bucket, "clip.mp4")
    assert done.json()["etag"] == stored.etag and stored.etag.endswith("-3")
    assert object_bytes(service, bucket, "clip.mp4") == src.read_bytes()


def test_an_answer_with_another_etag_lends_the_upload_none_of_its_headers(s3_server: Any, cli: Any, service: Any,
                                                                          bucket: str, tmp_path: Path) -> None:
    """The answer passed on is another upload's, headers and all: its version id is not this object's (the
    result, audit and sync state would name another version), so the version is the HEAD's, as the ETag is."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=53)
    body = _result(bucket, "clip.mp4", "0123456789abcdef0123456789abcdef-3").partition(b"\r\n\r\n")[2]
    canned = response(200, body, content_type="application/xml", headers={"x-amz-version-id": "another-upload-s"})
    done = _upload(s3_server, cli, src, bucket, replace_answer=lambda seen: canned if _is_complete(seen) else None)
    assert done.exit_code == 0, done
    stored = service.s3.stat(bucket, "clip.mp4")
    assert done.json()["etag"] == stored.etag and done.json()["version_id"] == stored.version_id


def test_an_answer_with_another_etag_vouches_for_no_encryption(s3_server: Any, cli: Any, service: Any,
                                                                bucket: str, tmp_path: Path) -> None:
    """--sse s3 to a server that does not encrypt (here: the proxy takes the SSE headers off every HEAD's
    answer); the Complete's answer passed on is another upload's, saying AES256. That answer vouches for
    nothing: the encryption asked for is checked by a HEAD, and found missing (exit 78), never claimed."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=54)
    body = _result(bucket, "clip.mp4", "0123456789abcdef0123456789abcdef-3").partition(b"\r\n\r\n")[2]
    canned = response(200, body, content_type="application/xml",
                      headers={"x-amz-server-side-encryption": "AES256"})

    def unencrypted(method: str, head: bytes) -> bytes:
        if method != "HEAD":
            return head
        return b"\r\n".join(line for line in head.split(b"\r\n")
                            if not line.lower().startswith(b"x-amz-server-side-encryption"))

    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), head_of=unencrypted,
                    replace_answer=lambda seen: canned if _is_complete(seen) else None) as proxy:
        done = cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB", "--sse", "s3", "--json",
                   extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0",
                              "MINIO_MAX_POOL_CONNECTIONS": "2", "MINIO_MAX_WORKERS": "2"})
    assert done.exit_code == E.EXIT_CONFIG and done.json()["error"]["code"] == "encryption_not_kept", done
    assert "Traceback" not in done.stderr


def _etag_everywhere(etag: str) -> Any:
    """A head_of hook: every HEAD's and GET's ETag header said as `etag` (a server whose multipart ETags are
    no MD5-of-MD5s and carry no "-N": old Swift s3api, SSE-KMS), consistently with its Complete answer."""
    def head_of(method: str, head: bytes) -> bytes:
        if method not in ("HEAD", "GET"):
            return head
        return b"\r\n".join(f'ETag: "{etag}"'.encode() if line.lower().startswith(b"etag:") else line
                            for line in head.split(b"\r\n"))
    return head_of


@pytest.mark.parametrize("performed", [True, False])
def test_a_server_whose_multipart_etag_is_no_md5_of_md5s_is_believed_on_custody(
        s3_server: Any, cli: Any, service: Any, bucket: str, tmp_path: Path, performed: bool) -> None:
    """A consistent server (Complete answer and every HEAD name one 32-hex ETag, no "-N"): the HEAD shows the
    answer's ETag with this upload's size and its-sha256, so the upload is done (exit 0, that ETag), not the
    bad-answer error after the object was stored. Where the Complete never reached the server (the proxy
    answers it) and the key holds another file under that ETag, custody differs: exit 1, as before."""
    import hashlib
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=55)
    etag = hashlib.md5(src.read_bytes(), usedforsecurity=False).hexdigest()  # a whole-object MD5: no "-N"
    canned = _result(bucket, "clip.mp4", etag)
    if not performed:
        other = write_file(tmp_path / "other.mp4", 11 * MiB, seed=56)
        assert cli("upload", str(other), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB").exit_code == 0
    hook = {"replace_answer" if performed else "answer": lambda seen: canned if _is_complete(seen) else None}
    done = _upload(s3_server, cli, src, bucket, head_of=_etag_everywhere(etag), **hook)
    if performed:
        assert done.exit_code == 0 and done.json()["etag"] == etag, done
        assert object_bytes(service, bucket, "clip.mp4") == src.read_bytes()
    else:
        assert done.exit_code == 1 and done.json()["error"]["code"] == "bad_server_answer", done
        assert object_bytes(service, bucket, "clip.mp4") == other.read_bytes()
    assert "Traceback" not in done.stderr


def _stored_before(cli: Any, service: Any, bucket: str, tmp_path: Path, size: int, part_size: str, seed: int,
                   same_as: Path | None = None) -> str:
    """Another upload's object at clip.mp4 (its ETag returned): `size` bytes of `seed` (or `same_as`'s bytes)
    sent in parts of `part_size`, straight to the server."""
    first = tmp_path / "before.mp4"
    first.write_bytes(same_as.read_bytes()) if same_as is not None else write_file(first, size, seed=seed)
    done = cli("upload", str(first), f"s3://{bucket}/clip.mp4", "--part-size", part_size)
    assert done.exit_code == 0, done
    return service.s3.stat(bucket, "clip.mp4").etag.strip('"')


def test_an_answer_naming_the_etag_of_another_uploads_object_is_not_a_success(s3_server: Any, cli: Any,
                                                                               service: Any, bucket: str,
                                                                               tmp_path: Path) -> None:
    """The key already holds another upload's object of as many parts (3) with other bytes; the proxy answers
    the Complete itself (nothing made) naming that object's ETag. The HEAD finds that very ETag, but not this
    upload's custody SHA-256: exit 1 (bad_server_answer), the other object's ETag not claimed as ours."""
    other = _stored_before(cli, service, bucket, tmp_path, 11 * MiB, "5MiB", seed=55)
    assert other.endswith("-3")
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=56)
    canned = _result(bucket, "clip.mp4", other)
    done = _upload(s3_server, cli, src, bucket, answer=lambda seen: canned if _is_complete(seen) else None)
    assert done.exit_code == 1 and done.json()["error"]["code"] == "bad_server_answer", done
    assert "etag" not in done.json() and "Traceback" not in done.stderr
    assert object_bytes(service, bucket, "clip.mp4") != src.read_bytes()


def test_an_answer_naming_the_etag_of_the_same_bytes_sent_in_other_parts_is_believed_on_custody(
        s3_server: Any, cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    """The key holds the same bytes (same size and its-sha256), written by another upload in 2 parts; the proxy
    answers this 3-part upload's Complete itself (nothing made) naming that 2-part object's ETag. The object at
    the key is this upload's content, proven by its custody: exit 0 with the object's own ETag (the rule of
    s3/multipart._named_as; this upload's parts are left to the lifecycle rule). Without custody the part count
    ("-N") must match instead (tests/test_s36_etag_relay.py)."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=57)
    other = _stored_before(cli, service, bucket, tmp_path, 11 * MiB, "6MiB", seed=0, same_as=src)
    assert other.endswith("-2")
    canned = _result(bucket, "clip.mp4", other)
    done = _upload(s3_server, cli, src, bucket, answer=lambda seen: canned if _is_complete(seen) else None)
    assert done.exit_code == 0 and done.json()["etag"] == other, done
    assert object_bytes(service, bucket, "clip.mp4") == src.read_bytes()
