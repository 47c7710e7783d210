"""Server-side copies, one S3Client's `s3.copies`: CopyObject (copy_object, copy_version) and the
multipart copy above 5 GiB (copy_multipart), each answering a Written (etag, version id, the answer's SSE headers).

S3Client builds the ServerCopies object and hands it what it needs (s3/calls.py): the current minio
client and its `stat`, with which the version id of a copy is read back where the server's answer
does not name it (radosgw).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.s3.errors import errors
from its_store.s3.messages import Written, sse_of

if TYPE_CHECKING:
    from minio.helpers import ObjectWriteResult

    from its_store.s3.calls import MinioOf, Stat

__all__ = ["MIN_PART", "ServerCopies"]
MIN_PART = 5 * 1024 * 1024  # S3's smallest multipart part (but the last)


class ServerCopies:
    """The server-side copies of one S3Client (see the module docstring)."""

    def __init__(self, minio: MinioOf, stat: Stat) -> None:
        self._minio, self._stat = minio, stat

    def copy_object(self, src_bucket: str, src_key: str, bucket: str, key: str, *, version_id: str | None = None,
                    tags: dict[str, str] | None = None, sse_s3: bool = False) -> Written:
        """Server-side copy (one CopyObject, sources up to 5 GiB): metadata and content type are copied
        (directive COPY); `tags` given are set on the copy (directive REPLACE), else the server copies
        the source's. SSE-S3 again when `sse_s3`, as a copy does not inherit it. (etag, version id)."""
        from minio.commonconfig import REPLACE, CopySource, Tags
        from minio.sse import SseS3
        value = None
        if tags:
            value = Tags.new_object_tags()
            value.update(tags)
        with errors(bucket, key):
            result = self._minio().copy_object(
                bucket_name=bucket, object_name=key, tags=value, tagging_directive=REPLACE if value else None,
                source=CopySource(bucket_name=src_bucket, object_name=src_key, version_id=version_id),
                sse=SseS3() if sse_s3 else None)
        return self._copied(bucket, key, result)

    def copy_multipart(self, src_bucket: str, src_key: str, bucket: str, key: str, *, size: int, part_size: int,
                       headers: dict[str, str], tags: dict[str, str] | None = None,
                       version_id: str | None = None, sse_s3: bool = False) -> Written:
        """Server-side multipart copy (UploadPartCopy of byte ranges, through minio's compose_object):
        needed above 5 GiB, where CopyObject stops. A multipart copy copies no metadata, so `headers`
        (Content-Type, x-amz-meta-*) and `tags` are sent again. (etag, version id)."""
        from minio.commonconfig import ComposeSource, Tags
        from minio.sse import SseS3
        if part_size < MIN_PART:
            raise E.InvalidInputError(f"copy part size {part_size} is below the S3 minimum of 5 MiB")
        sources = [ComposeSource(bucket_name=src_bucket, object_name=src_key, version_id=version_id,
                                 offset=start, length=min(part_size, size - start))
                   for start in range(0, size, part_size)]
        value = None
        if tags:
            value = Tags.new_object_tags()
            value.update(tags)
        with errors(bucket, key):
            result = self._minio().compose_object(bucket_name=bucket, object_name=key, sources=sources,
                                                  metadata=dict(headers), tags=value, sse=SseS3() if sse_s3 else None)
        return self._copied(bucket, key, result)

    def copy_version(self, bucket: str, key: str, version_id: str, *, sse_s3: bool = False) -> Written:
        """Server-side copy of one version onto the same key (metadata and tags kept; SSE-S3 again when
        `sse_s3`, as a copy does not inherit it). Returns (etag, new version id)."""
        from minio.commonconfig import CopySource
        from minio.sse import SseS3
        with errors(bucket, key):
            result = self._minio().copy_object(bucket_name=bucket, object_name=key, source=CopySource(
                bucket_name=bucket, object_name=key, version_id=version_id), sse=SseS3() if sse_s3 else None)
        return self._copied(bucket, key, result)

    def _copied(self, bucket: str, key: str, result: ObjectWriteResult) -> Written:
        """(etag, version id, the answer's SSE headers) of a copy: the caller checks the encryption it asked
        for on them as an upload's is (service/copying.checked). radosgw 16.2 answers CopyObject (and a
        multipart copy) without x-amz-version-id: then the HEAD of the key names it, if it shows the copy's
        ETag (else None)."""
        etag = (result.etag or "").strip('"')
        sse = sse_of(result.http_headers)
        if result.version_id:
            return Written(etag, result.version_id, sse)
        try:
            head = self._stat(bucket, key)
        except E.ItsStoreError:
            return Written(etag, None, sse)
        found = head.version_id if head.etag == etag and head.version_id not in (None, "", "null") else None
        return Written(etag, found, sse)
