"""What crosses the seam besides errors: the headers an object's write sends and what a call hands back.

Requests: `object_headers` (content type, user metadata, tags of a PUT or CreateMultipartUpload) and the
ASCII rule every write's headers are checked with before a request (`check_ascii`). Answers: our own small
types (Headers, ObjectStat, Body, Written, BucketEntry), never minio's or urllib3's, so that no type of
theirs leaves s3/ (DESIGN.md "One transport"). s3/client.py builds them and re-exports them: callers
import them from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime  # loaded with urllib3 (http.client, email.message)
from typing import TYPE_CHECKING, ClassVar, NamedTuple, TypeVar, overload

from urllib3 import HTTPHeaderDict

from its_store.core import errors as E
from its_store.core.units import parse_uint
from its_store.s3.errors import errors

# an upload's custody (s3/multipart.custody_of): (its-sha256 it sends, size as stored, SHA-256 of the bytes as
# stored, None when unknown: the its-sha256 of an encoded object is of its original bytes)
Custody = tuple[str, int, str | None]

if TYPE_CHECKING:
    from collections.abc import Mapping

    from urllib3 import BaseHTTPResponse

    from its_store.s3.pacing import Pacer

__all__ = ["Body", "BucketEntry", "Headers", "ObjectStat", "Written", "check_ascii", "object_headers", "sse_of",
           "sse_shown"]

_T = TypeVar("_T")


_dict_get = dict.get


class Headers(dict[str, str]):
    """Response headers with lower-case names; get() takes any case."""

    names_lower: ClassVar[bool] = True  # every name is lower-case (service/fetch.user_metadata reads them as such)

    @overload
    def get(self, name: str, default: None = None, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...
    def get(self, name: str, default: object = None, /) -> object:
        return _dict_get(self, name.lower(), default)  # not super().get: ~15 reads of an answer's headers a GET

    @classmethod
    def of(cls, raw: Mapping[str, object] | None) -> Headers:
        if isinstance(raw, HTTPHeaderDict):  # an answer's: str names and values, read without the items() view
            return cls({k.lower(): v for k, v in raw.iteritems()})  # public: no read of urllib3's _container
        return cls((str(k).lower(), str(v)) for k, v in (raw or {}).items())


class Written(NamedTuple):
    """What the answer to a write (PUT, CompleteMultipartUpload) said: ETag, version id, and its server-side
    encryption headers (lower-case x-amz-server-side-encryption*, never an SSE-C key; empty when it names
    none), so that the encryption asked for is checked without a HEAD where the server answers as S3 does."""

    etag: str
    version_id: str | None
    sse: dict[str, str] = {}  # noqa: RUF012 - never mutated
    unchecked: str | None = None  # "etag": a Complete's answer taken as it is, the key may not read it back


_SSE = "x-amz-server-side-encryption"


_VERSION = "x-amz-version-id"


def written_of(headers: Mapping[str, str]) -> Written:
    """Written of a PUT's answer: Written(ETag without quotes, headers.get("x-amz-version-id"), sse_of(headers)),
    the header names read once for both the version id and the SSE headers: an answer whose names hold no
    x-amz-version-id (an unversioned bucket) is not asked for it, as urllib3's HTTPHeaderDict.get raises and
    catches a KeyError for a missing name (tests/test_s3_fastpaths.py: the same Written)."""
    names = _names_lower(headers)
    version = headers.get(_VERSION) if _VERSION in names else None
    return Written((headers.get("etag") or "").replace('"', ""), version, _sse_named(headers, names))


def _names_lower(headers: Mapping[str, str]) -> str:
    """Every header name, lower-case, one a line: a name not in it is not in `headers`."""
    # urllib3's names are str: joined as they are (map(str, ...) cost ~5k instructions an answer, callgrind)
    names = "\n".join(headers) if type(headers) is HTTPHeaderDict else "\n".join(map(str, headers))
    return names.lower()


def sse_of(headers: Mapping[str, str] | None) -> dict[str, str]:
    """The server-side encryption headers of a write's answer, lower-case (Written.sse)."""
    if not headers:
        return {}
    return _sse_named(headers, _names_lower(headers))


_ECHO = ("x-amz-date", "x-amz-content-sha256", "x-amz-server-side-encryption-customer-key")


def sse_shown(headers: Mapping[str, str]) -> dict[str, str]:
    """The server-side encryption headers of a HEAD's answer (s3 Headers: lower-case names) where they show
    an encryption, as Written.sse; {} where the answer carries the request's own x-amz-date or
    x-amz-content-sha256 (rclone keeps a PUT's headers as metadata, its SSE ones among them:
    codec/sse_choice.ECHOED) or the SSE-C key itself (stored with the object: no SSE-C). {} leaves the
    question to service/ssecheck.ensure_encrypted, which HEADs again and says which."""
    if any(name in headers for name in _ECHO):
        return {}
    return sse_of(headers)


def _sse_named(headers: Mapping[str, str], names: str) -> dict[str, str]:
    """sse_of(headers), `names` its _names_lower."""
    found: dict[str, str] = {}
    if _SSE not in names:
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

def check_ascii(content_type: str, headers: dict[str, str]) -> None:
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
    headers = {"Content-Type": content_type}
    for name, value in metadata.items():
        headers["x-amz-meta-" + name] = value
    check_ascii(content_type, headers)
    if tags:
        from urllib.parse import quote  # here: each run of this import statement costs ~1 us
        headers["x-amz-tagging"] = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in tags.items())
    return headers
