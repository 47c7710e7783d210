"""The only module that imports minio: builds the client and translates its errors.

Everything above this module sees ItsStoreError subclasses, never S3Error or urllib3 exceptions.
Where minio has no public call for what we need (raw PUT with our own headers, the multipart steps,
a conditional PUT), we reach its lower layer here and only here; `PRIVATE_API` lists what we use and
tests/test_s3_adapter.py fails loudly if a minio upgrade removes it.
"""

from __future__ import annotations

import contextlib
import random
import ssl
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import certifi
import urllib3
from minio import Minio
from minio.datatypes import Part
from minio.error import InvalidResponseError, S3Error, ServerError
from urllib3.util import Retry, Timeout

from . import errors as E
from .checksums import HEADER as CRC_HEADER
from .checksums import PartETag, crc32_of

if TYPE_CHECKING:
    from .settings import Settings

PRIVATE_API = ("_put_object", "_create_multipart_upload", "_upload_part", "_complete_multipart_upload",
               "_abort_multipart_upload", "_list_multipart_uploads", "_list_parts", "_build_headers", "_execute")
UNSIGNED_MIN = 64 * 1024  # bodies this large go unsigned, protected by a CRC32 the server checks


class _Minio(Minio):
    """minio.Minio that signs large bodies as UNSIGNED-PAYLOAD when they carry x-amz-checksum-crc32.

    Over plain HTTP minio hashes every body with SHA-256 for SigV4 (and the server hashes it again
    to check): ~3.5 CPU-s per GiB on each side. A CRC32 the server verifies protects the bytes as
    well against corruption, for a tenth of the CPU (see its_store/checksums.py).
    """

    def _build_headers(self, host: str, headers: Any = None, body: bytes | None = None,
                       creds: Any = None) -> Any:
        if (body is not None and len(body) >= UNSIGNED_MIN and creds is not None and headers
                and any(name.lower() == "x-amz-checksum-crc32" for name in headers)):
            built, date = super()._build_headers(host, headers, None, creds)
            built["Content-Length"] = str(len(body))
            built["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
            return built, date
        return super()._build_headers(host, headers, body, creds)

_NOT_FOUND_BUCKET = {"NoSuchBucket"}
_NOT_FOUND_OBJECT = {"NoSuchKey", "NoSuchVersion", "NoSuchUpload", "ResourceNotFound", "NoSuchObject"}
_ACCESS = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
           "AllAccessDisabled", "InvalidToken", "AuthorizationHeaderMalformed"}
_CONFLICT = {"BucketNotEmpty", "PreconditionFailed", "OperationAborted", "InvalidBucketState"}
_EXISTS = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}
_INPUT = {"InvalidBucketName", "InvalidArgument", "EntityTooLarge", "EntityTooSmall", "KeyTooLongError",
          "InvalidRequest", "InvalidPart", "InvalidPartOrder", "MalformedXML", "InvalidTag",
          "InvalidObjectName", "MetadataTooLarge"}
_UNAVAILABLE = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "XMinioServerNotInitialized"}
_INTEGRITY = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"}
T = TypeVar("T")
_CREDENTIAL_HINT = "check MINIO_ACCESS_KEY and MINIO_SECRET_KEY, and the key's permissions"


def _where(bucket: str | None, key: str | None) -> str:
    if bucket and key:
        return f"s3://{bucket}/{key}"
    return f"s3://{bucket}" if bucket else "the server"


def translate(exc: BaseException, bucket: str | None = None, key: str | None = None) -> E.ItsStoreError:
    """Map a minio / urllib3 / ssl exception to our error tree. Messages never carry secrets."""
    if isinstance(exc, E.ItsStoreError):
        return exc
    where = _where(bucket, key)
    if isinstance(exc, S3Error):
        return _translate_s3(exc, bucket, key, where)
    if isinstance(exc, ServerError):
        return E.ServiceUnavailableError(f"server error {exc.status_code} for {where}")
    if isinstance(exc, InvalidResponseError):
        return E.ServiceUnavailableError(
            f"the endpoint did not answer like an S3 server ({where})",
            hint="check MINIO_ENDPOINT: is it the S3 API port?")
    if isinstance(exc, (ssl.SSLError, urllib3.exceptions.SSLError)) or "SSL" in type(exc).__name__:
        return E.ServiceUnavailableError(
            "TLS handshake with the endpoint failed",
            hint="set MINIO_SECURE=false for a plain-HTTP server, or MINIO_CA_BUNDLE for a private CA")
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return translate(exc.reason, bucket, key)
    if isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError, OSError)):
        return E.ServiceUnavailableError(
            f"cannot reach the endpoint: {_short(exc)}",
            hint="check MINIO_ENDPOINT and that the server is running")
    if isinstance(exc, SyntaxError) or (isinstance(exc, ValueError) and "XML" in str(exc)):
        return E.ServiceUnavailableError(  # ElementTree.ParseError, or minio missing an XML element
            f"the endpoint did not answer like an S3 server ({where})",
            hint="check MINIO_ENDPOINT: is it the S3 API port?")
    if isinstance(exc, ValueError):
        return E.InvalidInputError(str(exc))
    return E.ItsStoreError(f"unexpected error: {type(exc).__name__}: {exc}")


def _translate_s3(exc: S3Error, bucket: str | None, key: str | None, where: str) -> E.ItsStoreError:
    return from_code(exc.code or "", exc.message or exc.code or "", bucket, key, where)


def failure_error(text: str, bucket: str | None = None, key: str | None = None) -> E.ItsStoreError:
    """The error for a per-key failure of a batch call, given as 'Code: message'."""
    code, _, detail = text.partition(": ")
    return from_code(code.strip(), detail or code, bucket, key, _where(bucket, key))


def from_code(code: str, detail: str, bucket: str | None, key: str | None, where: str) -> E.ItsStoreError:
    """Map an S3 error code to our error tree (so exit codes follow the cause, e.g. 6 for AccessDenied)."""
    if code in _NOT_FOUND_BUCKET:
        return E.BucketNotFoundError(f"bucket not found: {bucket or where}")
    if code in _NOT_FOUND_OBJECT:
        return E.ObjectNotFoundError(f"object not found: {where}")
    if code in _ACCESS:
        return E.AccessDeniedError(f"access denied ({code}) for {where}", hint=_CREDENTIAL_HINT)
    if code in _EXISTS:
        return E.AlreadyExistsError(f"bucket already exists: {bucket}")
    if code in _CONFLICT:
        return E.ConflictError(f"{code}: {detail} ({where})")
    if code in _INPUT:
        return E.InvalidInputError(f"{code}: {detail} ({where})")
    if code in _INTEGRITY:
        return E.IntegrityError(f"{code}: {detail} ({where})")
    if code in _UNAVAILABLE:
        return E.ServiceUnavailableError(f"{code}: server busy or failing ({where})",
                                         hint="retry later or raise --retries")
    if code == "NotImplemented":
        return E.ItsStoreError(f"the server does not support this operation ({where})")
    return E.ItsStoreError(f"server refused the request: {code}: {detail} ({where})")


_SHORT = (
    ("Connection refused", "connection refused"),
    ("timed out", "timed out"),
    ("Name or service not known", "unknown host"),
    ("nodename nor servname", "unknown host"),
    ("Temporary failure in name resolution", "unknown host"),
    ("RemoteDisconnected", "connection closed by the server"),
    ("Remote end closed", "connection closed by the server"),
    ("Connection reset", "connection reset"),
    ("Connection aborted", "connection aborted"),
    ("IncompleteRead", "connection broken in the middle of a transfer"),
    ("Broken pipe", "connection broken"),
)


def _short(exc: BaseException) -> str:
    """A few words for a network failure, not a repr of urllib3's exception chain."""
    text = f"{type(exc).__name__}: {exc}"
    for needle, words in _SHORT:
        if needle.lower() in text.lower():
            return words
    return text[:160]


@contextlib.contextmanager
def errors(bucket: str | None = None, key: str | None = None) -> Iterator[None]:
    """`with errors(b, k): ...` turns any client-side failure into an ItsStoreError."""
    try:
        yield
    except E.ItsStoreError:
        raise
    except Exception as exc:
        raise translate(exc, bucket, key) from exc


def build_http(settings: Settings, pool_size: int | None = None) -> urllib3.PoolManager:
    """The urllib3 pool minio uses: sized to our workers, our timeouts, our retry policy."""
    retries = Retry(
        total=settings.max_retries, connect=settings.max_retries, read=settings.max_retries,
        status=settings.max_retries, backoff_factor=0.25, backoff_jitter=0.25, backoff_max=8.0,
        status_forcelist=(500, 502, 503, 504), raise_on_status=False, respect_retry_after_header=True,
        allowed_methods=frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}),
    )
    ca = str(settings.ca_bundle) if settings.ca_bundle else certifi.where()
    if not settings.verify_tls:  # the user opted out; the CLI prints its own warning once
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return urllib3.PoolManager(
        timeout=Timeout(connect=settings.connect_timeout, read=settings.read_timeout),
        maxsize=max(pool_size or settings.max_pool_connections, 1),
        block=True,
        cert_reqs="CERT_REQUIRED" if settings.verify_tls else "CERT_NONE",
        ca_certs=ca,
        retries=retries,
    )


class S3Client:
    """A thin, thread-safe facade over minio.Minio with our headers, errors and private calls."""

    def __init__(self, settings: Settings, pool_size: int | None = None) -> None:
        self.settings = settings
        self.endpoint = settings.endpoint
        self.minio = _Minio(
            endpoint=settings.endpoint,
            access_key=settings.access_key,
            secret_key=settings.secret_key.get_secret_value(),
            secure=settings.secure,
            region=settings.region,
            http_client=build_http(settings, pool_size),
        )

    # -- buckets ---------------------------------------------------------------------------------
    def list_buckets(self) -> list[Any]:
        with errors():
            return self.minio.list_buckets()

    def bucket_exists(self, bucket: str) -> bool:
        with errors(bucket):
            return self.minio.bucket_exists(bucket_name=bucket)

    def make_bucket(self, bucket: str) -> None:
        with errors(bucket):
            self.minio.make_bucket(bucket_name=bucket, location=self.settings.region)

    def remove_bucket(self, bucket: str) -> None:
        with errors(bucket):
            self.minio.remove_bucket(bucket_name=bucket)

    def set_versioning(self, bucket: str, enabled: bool) -> None:
        from minio.commonconfig import ENABLED
        from minio.versioningconfig import SUSPENDED, VersioningConfig
        with errors(bucket):
            self.minio.set_bucket_versioning(
                bucket_name=bucket, config=VersioningConfig(ENABLED if enabled else SUSPENDED))

    def get_versioning(self, bucket: str) -> str:
        with errors(bucket):
            return self.minio.get_bucket_versioning(bucket_name=bucket).status

    def get_bucket_encryption(self, bucket: str) -> tuple[str, str | None] | None:
        """(algorithm, KMS key id) of the bucket's default encryption, or None when it has none."""
        with errors(bucket):
            config = self.minio.get_bucket_encryption(bucket_name=bucket)
        rule = config.rule if config is not None else None
        return (rule.sse_algorithm, rule.kms_master_key_id) if rule is not None else None

    def set_bucket_encryption(self, bucket: str, kms_key_id: str | None = None) -> None:
        """Default encryption SSE-S3 (AES256), or SSE-KMS with `kms_key_id`."""
        from minio.sseconfig import Rule, SSEConfig
        rule = Rule.new_sse_kms_rule(kms_key_id) if kms_key_id else Rule.new_sse_s3_rule()
        with errors(bucket):
            self.minio.set_bucket_encryption(bucket_name=bucket, config=SSEConfig(rule))

    def delete_bucket_encryption(self, bucket: str) -> None:
        with errors(bucket):
            self.minio.delete_bucket_encryption(bucket_name=bucket)

    # -- versions, tags, lifecycle (plain dicts in and out: no minio types leave this module) -------
    def get_bucket_tags(self, bucket: str) -> dict[str, str]:
        with errors(bucket):
            return dict(self.minio.get_bucket_tags(bucket_name=bucket) or {})

    def set_bucket_tags(self, bucket: str, tags: dict[str, str]) -> None:
        from minio.commonconfig import Tags
        value = Tags.new_bucket_tags()
        value.update(tags)
        with errors(bucket):
            self.minio.set_bucket_tags(bucket_name=bucket, tags=value)

    def delete_bucket_tags(self, bucket: str) -> None:
        with errors(bucket):
            self.minio.delete_bucket_tags(bucket_name=bucket)

    def set_tags(self, bucket: str, key: str, tags: dict[str, str], version_id: str | None = None) -> None:
        from minio.commonconfig import Tags
        value = Tags.new_object_tags()
        value.update(tags)
        with errors(bucket, key):
            self.minio.set_object_tags(bucket_name=bucket, object_name=key, tags=value, version_id=version_id)

    def delete_tags(self, bucket: str, key: str, version_id: str | None = None) -> None:
        with errors(bucket, key):
            self.minio.delete_object_tags(bucket_name=bucket, object_name=key, version_id=version_id)

    def copy_version(self, bucket: str, key: str, version_id: str, *, sse_s3: bool = False) -> tuple[str, str | None]:
        """Server-side copy of one version onto the same key (metadata and tags kept; SSE-S3 again when
        `sse_s3`, as a copy does not inherit it). Returns (etag, new version id)."""
        from minio.commonconfig import CopySource
        from minio.sse import SseS3
        with errors(bucket, key):
            result = self.minio.copy_object(bucket_name=bucket, object_name=key, source=CopySource(
                bucket_name=bucket, object_name=key, version_id=version_id), sse=SseS3() if sse_s3 else None)
        return (result.etag or "").strip('"'), result.version_id

    def remove_versions(self, bucket: str, items: list[tuple[str, str | None]]) -> list[tuple[str, str | None, str]]:
        """Batch delete of (key, version id) pairs. Returns the failures as (key, version id, message)."""
        from minio.deleteobjects import DeleteObject
        with errors(bucket):
            failures = self.minio.remove_objects(
                bucket_name=bucket, delete_object_list=[DeleteObject(k, v) for k, v in items])
            return [(f.name, f.version_id, f"{f.code}: {f.message}") for f in failures]

    def get_lifecycle(self, bucket: str) -> list[dict[str, Any]]:
        """The bucket's lifecycle rules as dicts (see _rule_from_minio); [] when none is set."""
        with errors(bucket):
            config = self.minio.get_bucket_lifecycle(bucket_name=bucket)
        return [self._rule_from_minio(rule) for rule in (config.rules if config else [])]

    def set_lifecycle(self, bucket: str, rules: list[dict[str, Any]]) -> None:
        from minio.lifecycleconfig import LifecycleConfig
        config = LifecycleConfig([self._rule_to_minio(rule) for rule in rules])
        with errors(bucket):
            self.minio.set_bucket_lifecycle(bucket_name=bucket, config=config)

    def delete_lifecycle(self, bucket: str) -> None:
        with errors(bucket):
            self.minio.delete_bucket_lifecycle(bucket_name=bucket)

    @staticmethod
    def _rule_to_minio(rule: dict[str, Any]) -> Any:
        """{id, enabled, prefix, tags, expire_days, expire_date, noncurrent_expire_days,
        abort_multipart_days} -> minio Rule. Validation is the caller's (its_store.lifecycle)."""
        from minio.commonconfig import DISABLED, ENABLED, AndOperator, Filter, Tag, Tags
        from minio.lifecycleconfig import (
            AbortIncompleteMultipartUpload,
            Expiration,
            NoncurrentVersionExpiration,
            Rule,
        )
        tags, prefix = dict(rule.get("tags") or {}), rule.get("prefix") or ""
        if tags and (prefix or len(tags) > 1):
            value = Tags()
            value.update(tags)
            rule_filter = Filter(and_operator=AndOperator(prefix=prefix or None, tags=value))
        elif tags:
            rule_filter = Filter(tag=Tag(*next(iter(tags.items()))))
        else:
            rule_filter = Filter(prefix=prefix)
        date, days = rule.get("expire_date"), rule.get("expire_days")
        noncurrent, abort = rule.get("noncurrent_expire_days"), rule.get("abort_multipart_days")
        return Rule(
            ENABLED if rule.get("enabled", True) else DISABLED, rule_filter=rule_filter, rule_id=rule.get("id"),
            expiration=Expiration(date=date, days=days) if (date or days) else None,
            noncurrent_version_expiration=NoncurrentVersionExpiration(noncurrent_days=noncurrent)
            if noncurrent else None,
            abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(days_after_initiation=abort)
            if abort else None)

    @staticmethod
    def _rule_from_minio(rule: Any) -> dict[str, Any]:
        flt, exp = rule.rule_filter, rule.expiration
        prefix, tags = "", {}
        if flt is not None:
            prefix = flt.prefix or prefix
            if flt.tag is not None:
                tags = {flt.tag.key: flt.tag.value}
            if flt.and_operator is not None:
                prefix = flt.and_operator.prefix or prefix
                tags = dict(flt.and_operator.tags or {})
        noncurrent, abort = rule.noncurrent_version_expiration, rule.abort_incomplete_multipart_upload
        unsupported = [name for name, present in (
            ("transition", rule.transition), ("noncurrent_version_transition", rule.noncurrent_version_transition),
            ("expired_object_delete_marker", exp and exp.expired_object_delete_marker),
            ("newer_noncurrent_versions", noncurrent and noncurrent.newer_noncurrent_versions)) if present]
        return {"id": rule.rule_id, "enabled": rule.status == "Enabled", "prefix": prefix, "tags": tags,
                "expire_days": exp.days if exp else None, "expire_date": exp.date if exp else None,
                "noncurrent_expire_days": noncurrent.noncurrent_days if noncurrent else None,
                "abort_multipart_days": abort.days_after_initiation if abort else None,
                "unsupported": unsupported}

    # -- objects ---------------------------------------------------------------------------------
    def stat(self, bucket: str, key: str, version_id: str | None = None,
             headers: dict[str, str] | None = None) -> Any:
        """HEAD an object; `headers` carries an SSE-C key (its_store.encryption)."""
        asked = {"x-amz-checksum-mode": "ENABLED", **(headers or {})}  # returns x-amz-checksum-crc32
        with errors(bucket, key):
            return self.minio.stat_object(bucket_name=bucket, object_name=key, version_id=version_id,
                                          extra_headers=asked)

    def put(self, bucket: str, key: str, data: bytes, headers: dict[str, str]) -> tuple[str, str | None]:
        """One PUT with our own headers (no copy of `data`), with a CRC32 the server verifies.
        Returns (etag, version_id)."""
        sent = dict(headers)
        if not any(name.lower().startswith("x-amz-checksum-") for name in sent):
            sent[CRC_HEADER] = crc32_of(data)
        with errors(bucket, key):
            result = self.minio._put_object(bucket, key, data, sent)
        return result.etag, result.version_id

    def put_if_absent(self, bucket: str, key: str, data: bytes, headers: dict[str, str]) -> str:
        """PUT with `If-None-Match: *`: a write-once object. Raises AlreadyExistsError if present."""
        try:
            etag, _ = self.put(bucket, key, data, {**headers, "If-None-Match": "*"})
        except E.ConflictError:
            raise E.AlreadyExistsError(f"already exists: s3://{bucket}/{key}") from None
        return etag

    def _retry_refused(self, fn: Callable[[], T]) -> T:
        """Retry a non-idempotent call (POST) only when the server said it did not process it (5xx, SlowDown).

        urllib3 retries GET/PUT/HEAD/DELETE itself; a POST lost on the wire is not retried, because
        it may have been applied.
        """
        delay = 0.25
        for attempt in range(self.settings.max_retries + 1):
            try:
                return fn()
            except S3Error as exc:
                if exc.code not in _UNAVAILABLE or attempt == self.settings.max_retries:
                    raise
            except ServerError:
                if attempt == self.settings.max_retries:
                    raise
            time.sleep(min(delay, 8.0) * (0.5 + random.random()))
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def create_multipart(self, bucket: str, key: str, headers: dict[str, str]) -> str:
        """Start a multipart upload that declares CRC32 part checksums (see upload_part/complete)."""
        sent = {**headers, "x-amz-checksum-algorithm": "CRC32"}
        with errors(bucket, key):
            return self._retry_refused(lambda: self.minio._create_multipart_upload(bucket, key, dict(sent)))

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes,
                    headers: dict[str, str] | None = None) -> PartETag:
        """Upload one part with its CRC32; the returned ETag carries that CRC32 for complete_multipart."""
        crc = crc32_of(data)
        with errors(bucket, key):
            etag = self.minio._upload_part(bucket, key, data, {**(headers or {}), CRC_HEADER: crc},
                                           upload_id, number)
        return PartETag.of(etag, crc)

    def complete_multipart(self, bucket: str, key: str, upload_id: str,
                           etags: list[str]) -> tuple[str, str | None]:
        crcs = [getattr(etag, "crc32", None) for etag in etags]
        with errors(bucket, key):
            if all(crcs):
                result = self._retry_refused(lambda: self._complete_with_checksums(bucket, key, upload_id, etags))
            else:
                parts = [Part(i + 1, etag) for i, etag in enumerate(etags)]
                result = self._retry_refused(
                    lambda: self.minio._complete_multipart_upload(bucket, key, upload_id, parts))
        return (result.etag or "").strip('"'), result.version_id

    def _complete_with_checksums(self, bucket: str, key: str, upload_id: str, etags: list[Any]) -> Any:
        """CompleteMultipartUpload listing each part's ChecksumCRC32 (minio-py sends ETags only)."""
        from xml.sax.saxutils import escape

        from minio.datatypes import CompleteMultipartUploadResult
        from minio.helpers import md5sum_hash
        body = ("<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>\"{escape(str(etag))}\"</ETag>"
            f"<ChecksumCRC32>{etag.crc32}</ChecksumCRC32></Part>" for n, etag in enumerate(etags, 1))
            + "</CompleteMultipartUpload>").encode()
        response = self.minio._execute("POST", bucket, key, body=body, query_params={"uploadId": upload_id},
                                       headers={"Content-Type": "application/xml", "Content-MD5": md5sum_hash(body)})
        return CompleteMultipartUploadResult(response)

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        with errors(bucket, key):
            self.minio._abort_multipart_upload(bucket, key, upload_id)

    def list_multipart_uploads(self, bucket: str, prefix: str = "") -> list[tuple[str, str]]:
        """(key, upload_id) of incomplete multipart uploads under `prefix`."""
        with errors(bucket):
            result = self.minio._list_multipart_uploads(bucket, prefix=prefix or None)
        return [(u.object_name, u.upload_id) for u in result.uploads]

    def list_parts(self, bucket: str, key: str, upload_id: str) -> dict[int, tuple[str, int]]:
        """{part number: (etag, size)} already uploaded to an incomplete multipart upload."""
        parts: dict[int, tuple[str, int]] = {}
        marker = None
        with errors(bucket, key):
            while True:
                result = self.minio._list_parts(bucket, key, upload_id, max_parts=1000,
                                                part_number_marker=marker)
                for part in result.parts:
                    parts[part.part_number] = (part.etag.strip('"'), part.size)
                if not result.is_truncated or not result.parts:
                    return parts
                marker = str(result.next_part_number_marker)

    def get(self, bucket: str, key: str, offset: int = 0, length: int = 0,
            version_id: str | None = None, headers: dict[str, str] | None = None) -> Any:
        """A streaming GET (urllib3 response; the caller closes and releases it). `headers`: SSE-C key."""
        with errors(bucket, key):
            return self.minio.get_object(bucket_name=bucket, object_name=key, offset=offset,
                                         length=length, version_id=version_id,
                                         request_headers=dict(headers) if headers else None)

    def list_objects(self, bucket: str, prefix: str = "", recursive: bool = True,
                     include_versions: bool = False, start_after: str | None = None) -> Iterator[Any]:
        with errors(bucket, prefix):
            yield from self.minio.list_objects(
                bucket_name=bucket, prefix=prefix or None, recursive=recursive,
                include_version=include_versions, start_after=start_after)

    def list_fast(self, bucket: str, prefix: str = "", recursive: bool = True,
                  start_after: str | None = None) -> Iterator[Any]:
        """ListObjectsV2 pages parsed by its_store.listing (3-4x less CPU than minio's parser)."""
        from .listing import parse_list_v2
        query = {"list-type": "2", "max-keys": "1000", "encoding-type": "url"}
        if prefix:
            query["prefix"] = prefix
        if not recursive:
            query["delimiter"] = "/"
        if start_after:
            query["start-after"] = start_after
        while True:
            with errors(bucket, prefix or None):
                page = parse_list_v2(self.minio._execute("GET", bucket, query_params=dict(query)).data)
            yield from page.entries
            if not page.truncated or not page.next_token:
                return
            query["continuation-token"] = page.next_token
            query.pop("start-after", None)

    def remove(self, bucket: str, key: str, version_id: str | None = None) -> None:
        with errors(bucket, key):
            self.minio.remove_object(bucket_name=bucket, object_name=key, version_id=version_id)

    def remove_many(self, bucket: str, keys: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
        """Batch delete (<= 1000 per request, minio splits). Returns (key, error message) failures."""
        from minio.deleteobjects import DeleteObject
        with errors(bucket):
            failures = self.minio.remove_objects(
                bucket_name=bucket, delete_object_list=[DeleteObject(k, v) for k, v in keys])
            return [(f.name, f"{f.code}: {f.message}") for f in failures]

    def get_tags(self, bucket: str, key: str, version_id: str | None = None) -> dict[str, str]:
        with errors(bucket, key):
            tags = self.minio.get_object_tags(bucket_name=bucket, object_name=key, version_id=version_id)
        return dict(tags or {})

    def presign(self, method: str, bucket: str, key: str, expires: timedelta) -> str:
        with errors(bucket, key):
            return self.minio.get_presigned_url(method=method, bucket_name=bucket, object_name=key,
                                                expires=expires)


def object_headers(content_type: str, metadata: dict[str, str], tags: dict[str, str]) -> dict[str, str]:
    """Request headers for a PUT / CreateMultipartUpload: content type, user metadata, tags."""
    headers = {"Content-Type": content_type}
    for name, value in metadata.items():
        headers["x-amz-meta-" + name] = value
    if tags:
        headers["x-amz-tagging"] = "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in tags.items())
    return headers
