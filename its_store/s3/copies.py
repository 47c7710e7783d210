"""Server-side copies, one S3Client's `s3.copies`: CopyObject (copy_object, copy_version) and the
multipart copy above 5 GiB (copy_multipart), each answering a Written (etag, version id, the answer's SSE headers).

S3Client builds the ServerCopies object and hands it what it needs (s3/calls.py): the current minio
client, its raw request and its `stat`, with which the version id of a copy is read back where the server's answer
does not name it (radosgw).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.s3.errors import from_code, parsing
from its_store.s3.messages import Written, sse_of

if TYPE_CHECKING:
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
        """Server-side multipart copy (UploadPartCopy of byte ranges): needed above 5 GiB, where CopyObject
        stops. A multipart copy copies no metadata, so `headers` (Content-Type, x-amz-meta-*) and `tags` are
        sent again. `etag`: the ETag of the source those headers were read from, which each part must still
        have (x-amz-copy-source-if-match; without it, the ETag of one HEAD here): a source rewritten in
        between is refused, never copied under the old metadata (its custody sha256 naming other bytes).

        A failure aborts the upload, except once its CompleteMultipartUpload may have been sent and the
        server did not refuse it (a timeout, a gateway's 5xx, an answer not understood): the completion may
        still run there, and on SeaweedFS an abort meanwhile deletes the data the completed object is made
        of (transfer/resume.py). minio's compose_object, used before, aborted then too. (etag, version id)."""
        from urllib.parse import quote, urlencode

        from its_store.s3.multipart import Multipart, custody_of
        if part_size < MIN_PART:
            raise E.InvalidInputError(f"copy part size {part_size} is below the S3 minimum of 5 MiB")
        sent = dict(headers)
        if tags:
            sent["x-amz-tagging"] = urlencode(tags, quote_via=quote)
        if sse_s3:
            sent["x-amz-server-side-encryption"] = "AES256"
        source = quote(f"/{src_bucket}/{src_key}", safe="/") + (
            f"?versionId={quote(version_id, safe='')}" if version_id else "")
        match = etag or self._stat(src_bucket, src_key, version_id).etag
        steps = Multipart(self._raw, self._stat)
        upload_id = self._create(bucket, key, sent)
        completing = False
        try:
            etags = [self._copy_part(bucket, key, upload_id, number, {
                "x-amz-copy-source": source, "x-amz-copy-source-if-match": match,
                "x-amz-copy-source-range": f"bytes={start}-{min(start + part_size, size) - 1}"})
                for number, start in enumerate(range(0, size, part_size), 1)]
            completing = True
            return self._completed(bucket, key, steps.complete_multipart(bucket, key, upload_id, etags,
                                                                        custody_of(sent, size)))
        except BaseException as exc:
            if not completing or E.completion_refused(exc):
                _abort_quietly(steps, bucket, key, upload_id)
            raise

    def _create(self, bucket: str, key: str, headers: dict[str, str]) -> str:
        """CreateMultipartUpload without a checksum algorithm (the parts are copied by the server)."""
        from xml.etree import ElementTree as ET
        resp = self._raw("POST", bucket, key, headers=headers, query={"uploads": ""})
        with parsing(bucket, key, "CreateMultipartUpload"):
            upload_id = ET.fromstring(resp.data).findtext("{*}UploadId") or ""
            if not upload_id:
                raise ValueError("XML element <UploadId> not found")
        return upload_id

    def _copy_part(self, bucket: str, key: str, upload_id: str, number: int, headers: dict[str, str]) -> str:
        """One UploadPartCopy; its ETag (a 200 with an <Error> document is the server's error)."""
        from xml.etree import ElementTree as ET
        resp = self._raw("PUT", bucket, key, headers=headers, query={"partNumber": str(number), "uploadId": upload_id})
        with parsing(bucket, key, "UploadPartCopy"):
            root = ET.fromstring(resp.data)
            if root.tag.rpartition("}")[2] == "Error":
                code = root.findtext("{*}Code") or "InternalError"
                raise from_code(code, root.findtext("{*}Message") or code, bucket, key, f"s3://{bucket}/{key}")
            etag = (root.findtext("{*}ETag") or "").strip().strip('"')
            if not etag:
                raise ValueError("XML element <ETag> not found")
        return etag

    def copy_version(self, bucket: str, key: str, version_id: str, *, sse_s3: bool = False) -> Written:
        """Server-side copy of one version onto the same key (metadata and tags kept; SSE-S3 again when
        `sse_s3`, as a copy does not inherit it). Returns (etag, new version id)."""
        return self.copy_object(bucket, key, bucket, key, version_id=version_id, sse_s3=sse_s3)

    def _completed(self, bucket: str, key: str, written: Written) -> Written:
        """A multipart copy's Written: radosgw 16.2 answers its Complete without x-amz-version-id; then the
        HEAD of the key names it, if it shows the copy's ETag (else None), as _copied_answer does."""
        if written.version_id or written.unchecked == "version":  # "version": the HEAD's is not proven the copy's
            return written
        return self._copied_answer(bucket, key, written.etag, None, {})._replace(sse=written.sse,
                                                                                 unchecked=written.unchecked)

    def _copied_answer(self, bucket: str, key: str, etag: str, version_id: str | None, headers: Any) -> Written:
        """(etag, version id, the answer's SSE headers) of a copy: the caller checks the encryption it asked
        for on them as an upload's is (service/copying.checked). radosgw 16.2 answers CopyObject (and a
        multipart copy) without x-amz-version-id: then the HEAD of the key names it, if it shows the copy's
        ETag (else None)."""
        sse = sse_of(headers)
        if version_id:
            return Written(etag, version_id, sse)
        try:
            head = self._stat(bucket, key)
        except E.ItsStoreError:
            return Written(etag, None, sse)
        found = head.version_id if head.etag == etag and head.version_id not in (None, "", "null") else None
        return Written(etag, found, sse)


def _abort_quietly(steps: Any, bucket: str, key: str, upload_id: str) -> None:
    """Abort a multipart copy; never raises (the error that failed the copy is the one to show)."""
    try:
        steps.abort_multipart(bucket, key, upload_id)
    except Exception:  # noqa: BLE001
        pass


def _check_date(text: str | None) -> None:
    """A CopyObjectResult's <LastModified>, when there, is an S3 timestamp with its zone (as minio's parser
    held it): a value that is none is a broken answer (ValueError: the answer's fault), whatever else it says."""
    if text is None:
        return
    from datetime import datetime
    if datetime.fromisoformat(text.strip()).tzinfo is None:
        raise ValueError(f"a date without a time zone: {text[:40]!r}")
