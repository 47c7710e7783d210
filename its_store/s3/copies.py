"""Server-side copies, one S3Client's `s3.copies`: CopyObject (copy_object, copy_version) and the
multipart copy above 5 GiB (copy_multipart), each answering a Written (etag, version id, the answer's SSE headers).

S3Client builds the ServerCopies object and hands it what it needs (s3/calls.py): the current minio
client and its `stat`, with which the version id of a copy is read back where the server's answer
does not name it (radosgw).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.s3.errors import errors, from_code, parsing
from its_store.s3.messages import Written, sse_of

if TYPE_CHECKING:
    from minio.helpers import ObjectWriteResult

    from its_store.s3.calls import MinioOf, Raw, Stat

__all__ = ["MIN_PART", "ServerCopies"]
MIN_PART = 5 * 1024 * 1024  # S3's smallest multipart part (but the last)


class ServerCopies:
    """The server-side copies of one S3Client (see the module docstring)."""

    def __init__(self, minio: MinioOf, stat: Stat, raw: Raw, attempts: int = 1) -> None:
        self._minio, self._stat, self._raw, self._attempts = minio, stat, raw, max(attempts, 1)

    def copy_object(self, src_bucket: str, src_key: str, bucket: str, key: str, *, version_id: str | None = None,
                    tags: dict[str, str] | None = None, sse_s3: bool = False) -> Written:
        """Server-side copy (one CopyObject, sources up to 5 GiB): metadata and content type are copied
        (directive COPY); `tags` given are set on the copy (directive REPLACE), else the server copies
        the source's. SSE-S3 again when `sse_s3`, as a copy does not inherit it. (etag, version id)."""
        from urllib.parse import quote, urlencode
        source = quote(f"/{src_bucket}/{src_key}", safe="/")
        headers = {"x-amz-copy-source": source + (f"?versionId={quote(version_id, safe='')}" if version_id else "")}
        if tags:
            headers.update({"x-amz-tagging-directive": "REPLACE", "x-amz-tagging": urlencode(tags, quote_via=quote)})
        if sse_s3:
            headers["x-amz-server-side-encryption"] = "AES256"
        return self._copy(bucket, key, headers)

    def _copy(self, bucket: str, key: str, headers: dict[str, str]) -> Written:
        """One CopyObject through the client's raw request, its answer read here: S3 may answer 200 and then
        an <Error> document (the copy failed after the answer began). That is the server's own error
        (s3/errors.from_code: AccessDenied exit 6, NoSuchKey exit 3...), not "element <ETag> is missing" as
        minio's parser said; a retryable one (InternalError, SlowDown...) is asked again as a 5xx answer is,
        up to the client's retries (a copy made again is the same copy)."""
        from xml.etree import ElementTree as ET

        from its_store.core.retry import retry_call

        def once() -> Written:
            resp = self._raw("PUT", bucket, key, headers=headers)
            with parsing(bucket, key, "CopyObject"):
                root = ET.fromstring(resp.data)
                if root.tag.rpartition("}")[2] == "Error":
                    code = root.findtext("{*}Code") or "InternalError"
                    error = from_code(code, root.findtext("{*}Message") or code, bucket, key, f"s3://{bucket}/{key}")
                    error.in_body = True  # type: ignore[attr-defined]  # only these are asked again here
                    raise error
                etag = (root.findtext("{*}ETag") or "").strip().strip('"')
                if not etag:
                    raise ValueError("XML element <ETag> not found")
                _check_date(root.findtext("{*}LastModified"))
            return self._copied_answer(bucket, key, etag, resp.headers.get("x-amz-version-id"), resp.headers)

        return retry_call(once, attempts=self._attempts, retry_if=lambda exc: isinstance(
            exc, E.ServiceUnavailableError) and getattr(exc, "in_body", False))

    def copy_multipart(self, src_bucket: str, src_key: str, bucket: str, key: str, *, size: int, part_size: int,
                       headers: dict[str, str], tags: dict[str, str] | None = None,
                       version_id: str | None = None, sse_s3: bool = False, etag: str | None = None) -> Written:
        """Server-side multipart copy (UploadPartCopy of byte ranges, through minio's compose_object):
        needed above 5 GiB, where CopyObject stops. A multipart copy copies no metadata, so `headers`
        (Content-Type, x-amz-meta-*) and `tags` are sent again. `etag`: the ETag of the source those headers
        were read from, which each part must still have (x-amz-copy-source-if-match; else the ETag minio's
        own HEAD finds, and a source rewritten in between was copied under the old metadata, its custody
        sha256 naming other bytes). (etag, version id)."""
        from minio.commonconfig import ComposeSource, Tags
        from minio.sse import SseS3
        if part_size < MIN_PART:
            raise E.InvalidInputError(f"copy part size {part_size} is below the S3 minimum of 5 MiB")
        sources = [ComposeSource(bucket_name=src_bucket, object_name=src_key, version_id=version_id,
                                 offset=start, length=min(part_size, size - start), match_etag=etag or None)
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
        return self.copy_object(bucket, key, bucket, key, version_id=version_id, sse_s3=sse_s3)

    def _copied(self, bucket: str, key: str, result: ObjectWriteResult) -> Written:
        """(etag, version id, the answer's SSE headers) of a copy: the caller checks the encryption it asked
        for on them as an upload's is (service/copying.checked). radosgw 16.2 answers CopyObject (and a
        multipart copy) without x-amz-version-id: then the HEAD of the key names it, if it shows the copy's
        ETag (else None)."""
        return self._copied_answer(bucket, key, (result.etag or "").strip('"'), result.version_id, result.http_headers)

    def _copied_answer(self, bucket: str, key: str, etag: str, version_id: str | None, headers: Any) -> Written:
        """_copied's rule on an answer's ETag, version id and headers."""
        sse = sse_of(headers)
        if version_id:
            return Written(etag, version_id, sse)
        try:
            head = self._stat(bucket, key)
        except E.ItsStoreError:
            return Written(etag, None, sse)
        found = head.version_id if head.etag == etag and head.version_id not in (None, "", "null") else None
        return Written(etag, found, sse)


def _check_date(text: str | None) -> None:
    """A CopyObjectResult's <LastModified>, when there, is an S3 timestamp with its zone (as minio's parser
    held it): a value that is none is a broken answer (ValueError: the answer's fault), whatever else it says."""
    if text is None:
        return
    from datetime import datetime
    if datetime.fromisoformat(text.strip()).tzinfo is None:
        raise ValueError(f"a date without a time zone: {text[:40]!r}")
