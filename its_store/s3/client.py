"""S3Client: every request to the server, through one minio.Minio client on one urllib3 pool.

One method per operation, each inside `errors()` so that callers see ItsStoreError only; results are
our own small types (ObjectStat, Entry, Body, Headers), never minio's or urllib3's. minio has public
calls for almost everything; it has none for the steps of a multipart upload run by our own thread
pool, for listing or resuming those, or for a PUT with `If-None-Match: *`. Those go through `_raw`,
the one function that calls minio's private `Minio._execute` (signing, region and error parsing stay
minio's); tests/test_s3_adapter.py fails loudly if a minio upgrade changes it. So do object listings:
minio has a call for them, but its parser cost ~60 µs a key; s3/listing.py sends the same requests
and reads the pages itself.

Over plain HTTP minio signs every body with its SHA-256; over TLS it sends UNSIGNED-PAYLOAD (with a
Content-MD5), as aws-cli does. Uploads also send a CRC32 (x-amz-checksum-crc32) that the server
stores, so that downloads can be verified cheaply later.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, NamedTuple, TypeVar, cast, overload
from xml.etree import ElementTree as ET

from urllib3 import HTTPHeaderDict

from its_store.core import errors as E
from its_store.core import forks
from its_store.core.units import parse_uint
from its_store.s3 import keys
from its_store.s3.copies import MIN_PART, ServerCopies
from its_store.s3.crc import HEADER as CRC_HEADER
from its_store.s3.crc import PartETag, crc32_of
from its_store.s3.errors import errors, failure_error, from_code, parsing, translate
from its_store.s3.governance import BYPASS_HEADER, Governance
from its_store.s3.listing import Entry
from its_store.s3.pool import build_pool

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from minio import Minio
    from minio.helpers import DictType
    from urllib3 import BaseHTTPResponse

    from its_store.core.bwlimit import Limiter
    from its_store.core.settings import Settings
    from its_store.s3.pacing import Pacer

__all__ = ["BYPASS_HEADER", "MIN_PART", "Body", "Entry", "Headers", "ObjectStat", "S3Client", "errors",
           "failure_error", "from_code", "object_headers", "translate"]


_T = TypeVar("_T")


class Headers(dict[str, str]):
    """Response headers with lower-case names; get() takes any case."""

    @overload
    def get(self, name: str, default: None = None, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...
    def get(self, name: str, default: object = None, /) -> object:
        return super().get(name.lower(), default)

    @classmethod
    def of(cls, raw: Mapping[str, object] | None) -> Headers:
        if isinstance(raw, HTTPHeaderDict):  # an answer's: str names and values, read without the items() view
            return cls({k.lower(): v for k, v in raw.iteritems()})  # (~3 µs less, for every GET and HEAD)
        return cls((str(k).lower(), str(v)) for k, v in (raw or {}).items())


class Written(NamedTuple):
    """What the answer to a write (PUT, CompleteMultipartUpload) said: ETag, version id, and its server-side
    encryption headers (lower-case x-amz-server-side-encryption*, never an SSE-C key; empty when it names
    none), so that the encryption asked for is checked without a HEAD where the server answers as S3 does."""

    etag: str
    version_id: str | None
    sse: dict[str, str] = {}  # noqa: RUF012 - never mutated


def _minio_dict(headers: Mapping[str, str] | None) -> DictType | None:
    """Our str headers as minio's parameter type (a dict invariant in a wider value type): a copy."""
    return None if headers is None else {**headers}


_SSE = "x-amz-server-side-encryption"


def _sse_of(headers: Mapping[str, str] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    if not headers or _SSE not in "\n".join(map(str, headers)).lower():
        return found  # no such name (most answers): the names alone were read, not every value
    for name, value in headers.items():
        low = str(name).lower()
        if low.startswith(_SSE) and low != "x-amz-server-side-encryption-customer-key":
            found[low] = str(value)
    return found


class BucketEntry(NamedTuple):
    name: str
    creation_date: datetime | None


class ObjectStat:
    """What a HEAD tells about an object."""

    __slots__ = ("bucket_name", "content_type", "etag", "last_modified", "metadata", "object_name", "size",
                 "version_id")

    def __init__(self, bucket: str, key: str, headers: Headers) -> None:
        from email.utils import parsedate_to_datetime
        self.bucket_name, self.object_name = bucket, key
        self.size = parse_uint(headers.get("content-length") or "0", "Content-Length", error=ValueError)
        self.etag = (headers.get("etag") or "").strip('"')
        modified = headers.get("last-modified")
        try:
            self.last_modified = parsedate_to_datetime(modified) if modified else None
        except (TypeError, ValueError):
            self.last_modified = None
        self.content_type = headers.get("content-type")
        self.version_id = headers.get("x-amz-version-id")
        self.metadata = headers  # every response header (x-amz-meta-*, checksums, SSE)


class Body:
    """A streaming GET answer: read(), readinto(), stream(), close(). Network errors while reading
    come out as ItsStoreError, like every other failure of this seam.

    It holds one of the pool's connections until closed, and the pool blocks when all are held: use
    it as a context manager (`with s3.get(...) as body:`), so that every path, a local write error
    included, gives the connection back. Under a bandwidth limit (`pacer`), reads go in paced steps."""

    __slots__ = ("_pacer", "_resp", "bucket", "headers", "key", "status")

    def __init__(self, resp: BaseHTTPResponse, bucket: str, key: str, pacer: Pacer | None = None) -> None:
        self._resp, self.bucket, self.key, self._pacer = resp, bucket, key, pacer
        self.headers = Headers.of(resp.headers)
        self.status = resp.status

    def __enter__(self) -> Body:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def read(self, amt: int | None = None) -> bytes:
        try:
            if self._pacer is None:
                return self._resp.read(amt)
            return self._pacer.read(self._resp.read, amt)
        except Exception as exc:  # noqa: BLE001 - translated, as errors() does
            raise self._failed(exc)  # noqa: B904 - its cause is set there

    def readinto(self, buf: bytearray | memoryview) -> int:
        try:
            if self._pacer is None:
                return self._resp.readinto(buf)
            return self._pacer.readinto(self._resp.readinto, buf)
        except Exception as exc:  # noqa: BLE001 - translated, as errors() does
            raise self._failed(exc)  # noqa: B904 - its cause is set there

    def stream(self, amt: int) -> Iterator[bytes]:
        try:
            if self._pacer is None:
                yield from self._resp.stream(amt)
            else:
                yield from self._pacer.stream(self._resp.stream, amt)
        except Exception as exc:  # noqa: BLE001 - translated, as errors() does
            raise self._failed(exc)  # noqa: B904 - its cause is set there

    def _failed(self, exc: Exception) -> E.ItsStoreError:
        """The error a failed read raises: as errors() translates it (its __cause__ set there), marked
        `mid_body` when the connection broke: urllib3 retried the request up to its answer's head; a
        break after that is the transfer layer's to retry (the range, once more). Built only on failure:
        a read that succeeds pays for a `try` alone (the errors() block around each read cost ~3 µs, and
        a small object takes two reads)."""
        try:
            with errors(self.bucket, self.key):
                raise exc
        except E.ItsStoreError as err:
            if isinstance(err, E.ServiceUnavailableError):
                err.mid_body = True
            return err
        raise AssertionError("unreachable: errors() raises an ItsStoreError for every Exception")

    def close(self) -> None:
        """Close the answer and give its connection back to the pool (twice is harmless)."""
        self._resp.close()
        self._resp.release_conn()

    def release_conn(self) -> None:  # close() already returned the connection
        pass


def _xml(data: bytes) -> ET.Element:
    return ET.fromstring(data)


def multipart_etag(etags: list[str]) -> str:
    """The ETag S3 gives an object completed from these parts: MD5 of the part MD5s, "-N" ("" if a
    part ETag is no MD5)."""
    try:
        digest = hashlib.md5(b"".join(bytes.fromhex(str(e)) for e in etags), usedforsecurity=False)
    except ValueError:
        return ""
    return f"{digest.hexdigest()}-{len(etags)}"


def _text(node: ET.Element, name: str) -> str:
    return node.findtext(f"{{*}}{name}") or ""  # {*}: any namespace, or none


class S3Client:
    """Thread-safe S3 calls with our headers and errors, over one minio client. Policy, lifecycle,
    object lock, retention and legal hold are `s3.governance` (s3/governance.py), server-side copies
    `s3.copies` (s3/copies.py)."""

    def __init__(self, settings: Settings, pool_size: int | None = None, *, bwlimit: str | None = None,
                 limiters: Sequence[Limiter] | None = None) -> None:
        """`bwlimit`: this endpoint's own bandwidth limit (a remote's), paced besides the process's
        MINIO_BWLIMIT; `limiters`: the limiters to pace with instead of both (tests: a fake clock)."""
        from its_store.s3.pacing import pacer_for
        self.settings = settings
        self.endpoint = settings.endpoint
        self._pool_size = pool_size or settings.max_pool_connections
        self._pacer = pacer_for(settings, bwlimit, limiters)
        self._closed = False
        self._connect()
        forks.renew_in_child(self._connect)  # a forked child never writes to the parent's kept-alive sockets
        self._tagging_ok: set[str] = set()  # buckets whose GET ?tagging answered S3's XML
        self._conditional: dict[str, str | None] = {}  # bucket -> what conditional_write_gap() found
        self._bare_if_match: set[str] = set()  # buckets whose server matches If-Match only without quotes

    def _connect(self) -> None:
        """A new pool and the minio client on it (at start, and in a forked child: the parent's pool is
        dropped there; its sockets are closed in the child only, the parent goes on using them)."""
        from minio import Minio
        s = self.settings
        self._http = build_pool(s, self._pool_size)
        self._http.closed = self._closed  # a child forked after close() gets a pool that sends nothing either
        self._http.pacer = self._pacer  # request bodies go out paced (s3/pacing.py)
        self._minio = Minio(endpoint=s.endpoint, access_key=s.access_key, secret_key=s.secret_key.get_secret_value(),
                            secure=s.secure, region=s.region or None, http_client=self._http)

    @property
    def governance(self) -> Governance:
        """Bucket policy, lifecycle, object lock, retention and legal hold, through this client's calls."""
        return Governance(self._current_minio, self._raw, self.stat)

    @property
    def copies(self) -> ServerCopies:
        """Server-side copies, through this client's calls."""
        return ServerCopies(self._current_minio, self.stat)
    # Built on each use (a few attribute stores): kept on self, they would hold bound methods of self, a
    # reference cycle that keeps the client and its pool's sockets alive until the garbage collector runs.

    def _current_minio(self) -> Minio:
        return self._minio  # not the object itself: _connect() replaces it in a forked child

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close the pool's kept-alive connections and send nothing more: a later request, also one of an
        operation another thread is still running, raises ItsStoreError (s3/pool.checked_urlopen) instead
        of opening new connections. Twice is harmless."""
        self._closed = True
        self._http.closed = True
        self._http.clear()

    def _raw(self, method: str, bucket: str, key: str | None = None, *, body: bytes | None = None,
             headers: dict[str, str] | None = None, query: dict[str, str] | None = None,
             place: str | None = None) -> BaseHTTPResponse:
        """The ONE call of minio's private API (Minio._execute), for requests minio has no public call
        for or whose answer we read ourselves: multipart steps on our own pool, listing objects (s3/listing.py),
        uploads and parts, conditional PUTs. `place`: what an error names after the bucket (default `key`;
        a listing names its prefix)."""
        keys.check_addressable(key)
        with errors(bucket, key if place is None else place):
            return self._minio._execute(method, bucket, key, body=body, headers=_minio_dict(headers),
                                        query_params=_minio_dict(query))

    # -- buckets -------------------------------------------------------------------------------------
    def list_buckets(self) -> list[BucketEntry]:
        with errors():
            return [BucketEntry(b.name, b.creation_date) for b in self._minio.list_buckets()]

    def bucket_exists(self, bucket: str) -> bool:
        with errors(bucket):
            return self._minio.bucket_exists(bucket_name=bucket)

    def make_bucket(self, bucket: str, object_lock: bool = False) -> None:
        region = self.settings.region
        with errors(bucket):
            self._minio.make_bucket(bucket_name=bucket, location=None if region in ("", "us-east-1") else region,
                                    object_lock=object_lock)

    def remove_bucket(self, bucket: str) -> None:
        with errors(bucket):
            self._minio.remove_bucket(bucket_name=bucket)

    def set_versioning(self, bucket: str, enabled: bool) -> None:
        from minio.commonconfig import ENABLED
        from minio.versioningconfig import SUSPENDED, VersioningConfig
        with errors(bucket):
            self._minio.set_bucket_versioning(
                bucket_name=bucket, config=VersioningConfig(ENABLED if enabled else SUSPENDED))

    def get_versioning(self, bucket: str) -> str | None:
        with errors(bucket):
            return self._minio.get_bucket_versioning(bucket_name=bucket).status

    def get_bucket_encryption(self, bucket: str) -> tuple[str, str | None] | None:
        """(algorithm, KMS key id) of the bucket's default encryption, or None when it has none."""
        with errors(bucket):
            config = self._minio.get_bucket_encryption(bucket_name=bucket)
        rule = config.rule if config is not None else None
        return (rule.sse_algorithm, rule.kms_master_key_id) if rule is not None else None

    def set_bucket_encryption(self, bucket: str, kms_key_id: str | None = None) -> None:
        """Default encryption SSE-S3 (AES256), or SSE-KMS with `kms_key_id`."""
        from minio.sseconfig import Rule, SSEConfig
        rule = Rule.new_sse_kms_rule(kms_key_id) if kms_key_id else Rule.new_sse_s3_rule()
        with errors(bucket):
            self._minio.set_bucket_encryption(bucket_name=bucket, config=SSEConfig(rule))

    def delete_bucket_encryption(self, bucket: str) -> None:
        with errors(bucket):
            self._minio.delete_bucket_encryption(bucket_name=bucket)

    # -- tags, versions, lifecycle (plain dicts in and out) ------------------------------------------
    def get_bucket_tags(self, bucket: str) -> dict[str, str]:
        with errors(bucket):
            return dict(self._minio.get_bucket_tags(bucket_name=bucket) or {})

    def set_bucket_tags(self, bucket: str, tags: dict[str, str]) -> None:
        from minio.commonconfig import Tags
        value = Tags.new_bucket_tags()
        value.update(tags)
        with errors(bucket):
            self._minio.set_bucket_tags(bucket_name=bucket, tags=value)

    def delete_bucket_tags(self, bucket: str) -> None:
        with errors(bucket):
            self._minio.delete_bucket_tags(bucket_name=bucket)

    def get_tags(self, bucket: str, key: str, version_id: str | None = None) -> dict[str, str]:
        """The object's tags; {} when the server has no tagging (see _read_tags)."""
        return self._read_tags(bucket, key, version_id) or {}

    def _read_tags(self, bucket: str, key: str, version_id: str | None) -> dict[str, str] | None:
        """The object's tags, or None when the server has no object tagging: rclone's server answers
        GET ?tagging with the object itself (its ETag and bytes), which s3/answers.py tells apart as
        SubresourceIgnoredError, the one sign of a missing sub-resource (get_retention reads it too).
        Any other bad answer (empty, truncated, another document, garbage) is BadAnswerError, never
        "no tags": a tag set read as empty would be written back as empty."""
        try:
            with errors(bucket, key):
                tags = self._minio.get_object_tags(bucket_name=bucket, object_name=key, version_id=version_id)
        except E.SubresourceIgnoredError:
            return None
        self._tagging_ok.add(bucket)
        return dict(tags or {})

    def set_tags(self, bucket: str, key: str, tags: dict[str, str], version_id: str | None = None) -> None:
        """Replace the object's tags. On a server that has shown no tagging (GET ?tagging answered
        with the object itself), nothing is sent: such a server (rclone serve s3) stores a PUT ?tagging
        as the object's new content, destroying it."""
        from minio.commonconfig import Tags
        if bucket not in self._tagging_ok and self._read_tags(bucket, key, version_id) is None:
            raise E.ItsStoreError(
                f"the server does not support object tagging (s3://{bucket}/{key})",
                hint="it answered GET ?tagging with the object itself; tags were not sent, as such a server "
                     "would store them as the object's content")
        value = Tags.new_object_tags()
        value.update(tags)
        with errors(bucket, key):
            self._minio.set_object_tags(bucket_name=bucket, object_name=key, tags=value, version_id=version_id)

    def delete_tags(self, bucket: str, key: str, version_id: str | None = None) -> None:
        """Remove the object's tags; refused like set_tags on a server without tagging (which might
        take DELETE ?tagging for a delete of the object)."""
        if bucket not in self._tagging_ok and self._read_tags(bucket, key, version_id) is None:
            raise E.ItsStoreError(f"the server does not support object tagging (s3://{bucket}/{key})",
                                  hint="nothing was sent")
        with errors(bucket, key):
            self._minio.delete_object_tags(bucket_name=bucket, object_name=key, version_id=version_id)

    def remove_versions(self, bucket: str, items: list[tuple[str, str | None]], *,
                        bypass_governance: bool = False) -> list[tuple[str, str | None, str]]:
        """Delete (key, version id) pairs: batches of 1,000, and one DELETE for each key XML cannot carry
        (s3/keys.py). Returns the failures as (key, version id, message), the message starting with the
        server's error code (AccessDenied for a locked version). `bypass_governance` sends
        x-amz-bypass-governance-retention (never lifts compliance or a hold)."""
        from minio.deleteobjects import DeleteObject

        def batch(chunk: list[tuple[str, str | None]]) -> list[tuple[str, str | None, str]]:
            with errors(bucket):
                failures = self._minio.remove_objects(
                    bucket_name=bucket, delete_object_list=[DeleteObject(k, v) for k, v in chunk],
                    bypass_governance_mode=bypass_governance)
                found = [(f.name or "", f.version_id, f"{f.code}: {f.message}") for f in failures]
            return keys.with_versions(found, chunk)

        def single(key: str, version: str | None) -> None:
            if bypass_governance:
                self._raw("DELETE", bucket, key, headers={BYPASS_HEADER: "true"},
                          query={"versionId": version} if version else None)
            else:
                self.remove(bucket, key, version)

        return keys.delete_all(list(items), batch, single)

    def remove_many(self, bucket: str, keys: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
        """Batch delete (<= 1000 per request, minio splits). Returns (key, error message) failures."""
        return [(k, message) for k, _, message in self.remove_versions(bucket, keys)]

    # -- objects ---------------------------------------------------------------------------------------
    def stat(self, bucket: str, key: str, version_id: str | None = None,
             headers: dict[str, str] | None = None) -> ObjectStat:
        """HEAD an object; `headers` carries an SSE-C key (codec/encryption.py)."""
        asked = {"x-amz-checksum-mode": "ENABLED", **(headers or {})}  # returns x-amz-checksum-crc32
        keys.check_addressable(key)
        with errors(bucket, key):
            obj = self._minio.stat_object(bucket_name=bucket, object_name=key, version_id=version_id,
                                          extra_headers=_minio_dict(asked))
        with parsing(bucket, key, "HeadObject"):  # minio's int() took "-1" and "+5" as a Content-Length
            return ObjectStat(bucket, key, Headers.of(obj.metadata))

    def get(self, bucket: str, key: str, offset: int = 0, length: int = 0,
            version_id: str | None = None, headers: dict[str, str] | None = None) -> Body:
        """A streaming GET: a Body that holds a pool connection until closed (`with s3.get(...) as body:`).
        `length` 0 means to the end. The body is the stored bytes, also of an object stored with a
        Content-Encoding (gzip): nothing is decoded on the way (s3/pool.py)."""
        keys.check_addressable(key)
        with errors(bucket, key):
            resp = self._minio.get_object(bucket_name=bucket, object_name=key, offset=offset, length=length,
                                          request_headers=_minio_dict(headers), version_id=version_id)
        return Body(resp, bucket, key, self._pacer)

    def put(self, bucket: str, key: str, data: bytes, headers: dict[str, str]) -> Written:
        """One PUT of `data` with our headers (content type, x-amz-meta-*, tags, SSE) and a CRC32 the
        server checks and stores. Returns (etag, version_id, SSE headers of the answer)."""
        sent = dict(headers)
        content_type = sent.pop("Content-Type", None) or "application/octet-stream"
        checksum = False
        for name in sent:
            low = name.lower()
            if low in ("if-match", "if-none-match"):
                raise ValueError("conditional PUTs go through put_if_absent / put_if_match")
            checksum = checksum or low.startswith("x-amz-checksum-")
        if not checksum:
            sent[CRC_HEADER] = crc32_of(data)
        _check_ascii(content_type, sent)
        with errors(bucket, key):
            result = self._minio.put_object(bucket_name=bucket, object_name=key, data=io.BytesIO(data),
                                            length=len(data), content_type=content_type,
                                            metadata=cast("DictType", sent),  # our own copy: minio's type
                                            part_size=max(len(data), MIN_PART))
        return Written((result.etag or "").strip('"'), result.version_id, _sse_of(result.http_headers))

    def put_if_absent(self, bucket: str, key: str, data: bytes, headers: dict[str, str]) -> str:
        """PUT with `If-None-Match: *`: a write-once object. Raises AlreadyExistsError if present."""
        try:
            return self._put_conditional(bucket, key, data, {**headers, "If-None-Match": "*"})
        except E.ConflictError:
            raise E.AlreadyExistsError(f"already exists: s3://{bucket}/{key}") from None

    def put_if_match(self, bucket: str, key: str, data: bytes, headers: dict[str, str], etag: str) -> str:
        """PUT with `If-Match: ETAG` (compare-and-swap). Raises ConflictError if the object changed. The ETag
        goes quoted, as HTTP writes it, or bare where the probe found that the server matches only that
        (radosgw 16.2; SeaweedFS and moto match only the quoted form): see conditional_write_gap."""
        bare = etag.strip(chr(34))
        value = bare if bucket in self._bare_if_match else f'"{bare}"'
        return self._put_conditional(bucket, key, data, {**headers, "If-Match": value})

    def if_match_form(self, bucket: str) -> str:
        """"quoted" or "bare": how If-Match names an ETag in `bucket` (for a cache of the probe's answer)."""
        return "bare" if bucket in self._bare_if_match else "quoted"

    def use_if_match_form(self, bucket: str, form: str) -> None:
        """Take the If-Match form a probe of an earlier process found (see if_match_form)."""
        if form == "bare":
            self._bare_if_match.add(bucket)
        else:
            self._bare_if_match.discard(bucket)

    def _put_conditional(self, bucket: str, key: str, data: bytes, headers: dict[str, str]) -> str:
        """A conditional PUT (minio has no public call that keeps If-* headers). It is never re-sent
        blindly (s3/pool.py): when its answer is lost, the object is read back: ours (same MD5) is a
        success, another is a ConflictError, none means it never arrived and it is sent again."""
        sent = {**headers, CRC_HEADER: crc32_of(data)}
        _check_ascii(sent.get("Content-Type", ""), sent)
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        for attempt in range(self.settings.max_retries + 1):
            try:
                resp = self._raw("PUT", bucket, key, body=data, headers=sent)
                return (resp.headers.get("etag") or "").strip('"')
            except E.ServiceUnavailableError:
                try:
                    found = self.stat(bucket, key)
                except E.ObjectNotFoundError:
                    if attempt >= self.settings.max_retries or "If-Match" in sent:
                        raise
                    continue
                if found.etag == md5:
                    return found.etag
                raise E.ConflictError(f"PreconditionFailed: s3://{bucket}/{key} was written by someone else") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def conditional_write_gap(self, bucket: str, probe_key: str) -> str | None:
        """None when the server honours If-None-Match: * and If-Match on PUT in `bucket`, else which it
        ignores (`rclone serve s3` both: a second write-once PUT overwrites). Probed once per bucket, like
        `_tagging_ok`: the new `probe_key` (in a prefix the caller reserves) is PUT write-once, again
        write-once (must be refused), then If-Match a wrong ETag (must be refused); lost answers are read
        back as for any conditional PUT. Then every version it wrote is deleted."""
        if bucket not in self._conditional:
            written = [0]
            try:
                self._conditional[bucket] = self._probe_conditional(bucket, probe_key, written)
            finally:
                for _ in range(written[0]):  # the newest version first, then the one it hid, if any
                    with contextlib.suppress(E.ItsStoreError):
                        self.remove(bucket, probe_key, self.stat(bucket, probe_key).version_id)
        return self._conditional[bucket]

    def _probe_conditional(self, bucket: str, key: str, written: list[int]) -> str | None:
        """The probe's steps: a new key write-once (must be stored), again write-once (must be refused),
        If-Match a wrong ETag (must be refused), If-Match the right ETag (must be stored: quoted, or else
        bare, which radosgw 16.2 needs and then is used for this bucket)."""
        headers = {"Content-Type": "text/plain"}
        etag = ""
        steps: tuple[tuple[Callable[[str, str, bytes, dict[str, str]], str], type[E.ItsStoreError], str], ...]
        steps = ((self.put_if_absent, E.AlreadyExistsError, ""), (self.put_if_absent, E.AlreadyExistsError,
                 "ignores If-None-Match: *"), (partial(self.put_if_match, etag="0" * 32), E.ConflictError,
                                               "ignores If-Match"))
        for step, (put, refusal, gap) in enumerate(steps):
            try:
                stored = put(bucket, key, f"its-store conditional write probe {step}".encode(), headers)
            except refusal:
                if step == 0:
                    raise  # a new random key that "exists": no answer to trust
                continue  # refused (412), as it must be
            except (E.ServiceUnavailableError, E.AccessDeniedError, E.NotFoundError):
                raise
            except E.ItsStoreError as exc:  # 501 NotImplemented and the like
                return f"refuses conditional PUTs ({exc.message})"
            written[0] += 1
            if gap:
                return gap
            etag = stored
        for form in ("quoted", "bare"):  # the compare-and-swap itself: the right ETag must be taken
            self.use_if_match_form(bucket, form)
            try:
                etag = self.put_if_match(bucket, key, b"its-store conditional write probe 3", headers, etag)
            except E.ConflictError:
                continue
            written[0] += 1
            return None
        self.use_if_match_form(bucket, "quoted")
        return "refuses If-Match even when the ETag matches"

    def create_multipart(self, bucket: str, key: str, headers: dict[str, str]) -> str:
        """Start a multipart upload that declares CRC32 part checksums (see upload_part/complete)."""
        sent = {**headers, "x-amz-checksum-algorithm": "CRC32"}
        _check_ascii(sent.get("Content-Type", ""), sent)
        resp = self._raw("POST", bucket, key, headers=sent, query={"uploads": ""})
        with parsing(bucket, key, "CreateMultipartUpload"):
            upload_id = _text(_xml(resp.data), "UploadId")
            if not upload_id:
                raise ValueError("XML element <UploadId> not found")
        return upload_id

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes,
                    headers: dict[str, str] | None = None) -> PartETag:
        """Upload one part (signed with its SHA-256 over plain HTTP) with its CRC32; the returned ETag
        carries that CRC32 for complete_multipart."""
        crc = crc32_of(data)
        resp = self._raw("PUT", bucket, key, body=data, headers={**(headers or {}), CRC_HEADER: crc},
                         query={"partNumber": str(number), "uploadId": upload_id})
        return PartETag.of((resp.headers.get("etag") or "").strip('"'), crc)

    def complete_multipart(self, bucket: str, key: str, upload_id: str, etags: list[str]) -> Written:
        """CompleteMultipartUpload, listing each part's ChecksumCRC32 when known. S3 may answer 200 with
        an <Error> document: a failure too. The POST is never re-sent: when its answer is lost, the
        object is HEADed, and the multipart ETag the parts imply means it was completed."""
        from xml.sax.saxutils import escape
        crcs = [getattr(etag, "crc32", None) for etag in etags]
        body = ("<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>\"{escape(str(etag))}\"</ETag>"
            + (f"<ChecksumCRC32>{crc}</ChecksumCRC32>" if all(crcs) else "") + "</Part>"
            for n, (etag, crc) in enumerate(zip(etags, crcs, strict=True), 1)) + "</CompleteMultipartUpload>").encode()
        md5 = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
        try:
            resp = self._raw("POST", bucket, key, body=body, query={"uploadId": upload_id},
                             headers={"Content-Type": "application/xml", "Content-MD5": md5})
        except E.ServiceUnavailableError:
            found = self._completed_as(bucket, key, etags)
            if found is None:
                raise
            return Written(*found)  # the answer is lost: its SSE headers with it (a HEAD can tell)
        with parsing(bucket, key, "CompleteMultipartUpload"):
            root = _xml(resp.data)
            failed = root.tag.rpartition("}")[2] == "Error"
            etag = _text(root, "ETag").strip('"')
            # radosgw 16.2 answers an empty <ETag></ETag>: the object must then show, on a HEAD, the ETag
            # the parts make; without an ETag nor that object there is no sign the object was made
            found = None if failed or etag else self._completed_as(bucket, key, etags)
            if not failed and not etag and found is None:
                raise ValueError("XML element <ETag> not found")
        if failed:
            code = _text(root, "Code") or "InternalError"
            raise from_code(code, _text(root, "Message") or code, bucket, key, f"s3://{bucket}/{key}")
        if found is not None:
            return Written(found[0], resp.headers.get("x-amz-version-id") or found[1], _sse_of(resp.headers))
        return Written(etag, resp.headers.get("x-amz-version-id"), _sse_of(resp.headers))

    def _completed_as(self, bucket: str, key: str, etags: list[str]) -> tuple[str, str | None] | None:
        """(etag, version) if the object now carries the multipart ETag these parts make, else None."""
        expected = multipart_etag(etags)
        if not expected:
            return None
        try:
            stat = self.stat(bucket, key)
        except E.ItsStoreError:
            return None
        return (stat.etag, stat.version_id) if stat.etag == expected else None

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        self._raw("DELETE", bucket, key, query={"uploadId": upload_id})

    def list_multipart_uploads(self, bucket: str, prefix: str = "") -> list[tuple[str, str]]:
        """(key, upload_id) of incomplete multipart uploads under `prefix` (first 1,000)."""
        query = {"uploads": "", "max-uploads": "1000", **({"prefix": prefix} if prefix else {})}
        resp = self._raw("GET", bucket, query=query)
        with parsing(bucket, None, "ListMultipartUploads"):
            root = _xml(resp.data)
        return [(_text(u, "Key"), _text(u, "UploadId")) for u in root.iterfind(".//{*}Upload")]

    def list_parts(self, bucket: str, key: str, upload_id: str) -> dict[int, tuple[str, int]]:
        """{part number: (etag, size)} already uploaded to an incomplete multipart upload."""
        parts: dict[int, tuple[str, int]] = {}
        marker = "0"
        while True:
            resp = self._raw("GET", bucket, key, query={"uploadId": upload_id, "max-parts": "1000",
                                                       "part-number-marker": marker})
            with parsing(bucket, key, "ListParts"):
                root = _xml(resp.data)
                found = root.findall(".//{*}Part")
                for part in found:
                    number = parse_uint(_text(part, "PartNumber").strip(), "<PartNumber>", low=1, high=10_000,
                                        error=ValueError)  # xs:int: blanks around it allowed, nothing else
                    parts[number] = (_text(part, "ETag").strip('"'),
                                     parse_uint(_text(part, "Size").strip() or "0", "<Size>", error=ValueError))
            marker = _text(root, "NextPartNumberMarker")
            if _text(root, "IsTruncated").lower() != "true" or not found or not marker:
                return parts

    def list_objects(self, bucket: str, prefix: str = "", recursive: bool = True,
                     include_versions: bool = False, start_after: str | None = None) -> Iterator[Entry]:
        """Objects (or all versions and delete markers) under `prefix`, in the server's order; with
        recursive=False, common prefixes too (is_prefix). Listings ask for URL-encoded names and decode
        them, so any key comes back exactly; a name the server altered anyway is marked `garbled`. A
        listing that yields an entry twice pages in a loop: ServiceUnavailableError (answers.Listed). An
        entry no S3 object can be (an empty key, a negative size) is BadAnswerError: every command that lists
        took it as is (`ls` showed "-5 B", `du` summed it, the HEAD of an empty key failed with no message).
        The pages are read by s3/listing.py (minio's parser cost ~60 µs a key), one page asked for ahead."""
        from its_store.s3.listing import list_entries
        return list_entries(self._raw, self.stat, bucket, prefix or "", recursive, include_versions, start_after)

    def remove(self, bucket: str, key: str, version_id: str | None = None) -> None:
        keys.check_addressable(key)
        with errors(bucket, key):
            self._minio.remove_object(bucket_name=bucket, object_name=key, version_id=version_id)

    def presign(self, method: str, bucket: str, key: str, expires: timedelta) -> str:
        with errors(bucket, key):
            return self._minio.get_presigned_url(method=method, bucket_name=bucket, object_name=key,
                                                 expires=expires)


def _check_ascii(content_type: str, headers: dict[str, str]) -> None:
    """HTTP header values are ASCII here: a non-ASCII one would be mangled, and its signature fail."""
    if not content_type.isascii():
        raise E.InvalidInputError(f"content type {content_type!r} is not ASCII",
                                  hint="use a plain MIME type such as image/jpeg")
    for name, value in headers.items():
        if not str(value).isascii():
            raise E.InvalidInputError(f"header {name} has a non-ASCII value")


def object_headers(content_type: str, metadata: dict[str, str], tags: dict[str, str]) -> dict[str, str]:
    """Request headers for a PUT / CreateMultipartUpload: content type, user metadata, tags. Checked
    here, before any request: a non-ASCII value is InvalidInputError (exit 2)."""
    from urllib.parse import quote
    headers = {"Content-Type": content_type}
    for name, value in metadata.items():
        headers["x-amz-meta-" + name] = value
    _check_ascii(content_type, headers)
    if tags:
        headers["x-amz-tagging"] = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in tags.items())
    return headers
