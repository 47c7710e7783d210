"""Multipart uploads run by our own thread pool, one S3Client's steps of them: create, upload a part,
complete, abort, and the listings a resume reads (ListMultipartUploads, ListParts).

minio has no public call for these steps, so each is one request through the client's `_raw` (still the ONE
caller of minio's private API, tests/test_s3_adapter.py) with the XML read here. Parts carry a CRC32 the
server checks and stores; CompleteMultipartUpload lists them. Its POST is never re-sent: when its answer is
lost, or is NoSuchUpload (a proxy re-sent a POST that had succeeded), the object is HEADed through the
client's `stat`, and the multipart ETag the parts imply means it was completed; after a NoSuchUpload only,
where a part's ETag is no MD5, the upload's custody SHA-256 and size do. An answer naming an ETag other than
the one the parts make is HEADed too (_named_as): it may be another upload's, passed on by a proxy, and then
nothing of it is believed (its ETag, version id or SSE headers); or the server's own multipart ETag (no MD5 of
MD5s), believed when the object carries it with this upload's custody (without custody: when it is a "-N" of as
many parts). S3Client builds a Multipart on each use and hands it those two calls (s3/calls.py).
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from its_store.core import errors as E
from its_store.core.units import parse_uint
from its_store.s3.crc import HEADER as CRC_HEADER
from its_store.s3.crc import PartETag, crc32_of
from its_store.s3.errors import from_code, parsing
from its_store.s3.messages import Written, check_ascii, sse_of
from its_store.s3.payload import PAYLOAD_SHA256

if TYPE_CHECKING:
    from its_store.s3.calls import Raw, Stat

__all__ = ["Multipart", "custody_of", "multipart_etag"]

CUSTODY = "x-amz-meta-its-sha256"  # the custody SHA-256 (transfer/upload.SHA256_HEADER), as a HEAD names it


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


def custody_of(headers: dict[str, str], size: int) -> tuple[str, int] | None:
    """The custody of an upload whose request headers are `headers` and whose object is `size` bytes as stored:
    the its-sha256 it sends (a relay's or server copy's, the source's) and that size; None without one. Not a
    proof of the bytes: what shows, on a HEAD, that the object at the key is the one these headers made."""
    sha256 = next((value for name, value in headers.items() if name.lower() == CUSTODY), None)
    return (sha256, size) if sha256 else None


def _complete_body(etags: list[str]) -> bytes:
    """The CompleteMultipartUpload document: each part's number and ETag, and its ChecksumCRC32 when every
    part carries one (PartETag.crc32)."""
    from xml.sax.saxutils import escape
    crcs = [getattr(etag, "crc32", None) for etag in etags]
    return ("<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>\"{escape(str(etag))}\"</ETag>"
        + (f"<ChecksumCRC32>{crc}</ChecksumCRC32>" if all(crcs) else "") + "</Part>"
        for n, (etag, crc) in enumerate(zip(etags, crcs, strict=True), 1)) + "</CompleteMultipartUpload>").encode()


def _text(node: ET.Element, name: str) -> str:
    return node.findtext(f"{{*}}{name}") or ""  # {*}: any namespace, or none


class Multipart:
    """The multipart-upload steps of one S3Client (see the module docstring)."""

    def __init__(self, raw: Raw, stat: Stat) -> None:
        self._raw, self._stat = raw, stat

    def create_multipart(self, bucket: str, key: str, headers: dict[str, str]) -> str:
        """Start a multipart upload that declares CRC32 part checksums (see upload_part/complete)."""
        sent = {**headers, "x-amz-checksum-algorithm": "CRC32"}
        check_ascii(sent.get("Content-Type", ""), sent)
        resp = self._raw("POST", bucket, key, headers=sent, query={"uploads": ""})
        with parsing(bucket, key, "CreateMultipartUpload"):
            upload_id = _text(_xml(resp.data), "UploadId")
            if not upload_id:
                raise ValueError("XML element <UploadId> not found")
        return upload_id

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes,
                    headers: dict[str, str] | None = None, sha256: str | None = None) -> PartETag:
        """Upload one part (signed with its SHA-256 over plain HTTP) with its CRC32; the returned ETag
        carries that CRC32 for complete_multipart. `sha256`: the part's hex SHA-256 as an earlier read of
        the same bytes found (transfer/partsums.py), signed instead of hashing `data` again (s3/payload.py's
        override takes it; over TLS no payload is signed and it is dropped); a server that checks payload
        hashes refuses the part if `data` is not what was hashed."""
        crc = crc32_of(data)
        sent = {**(headers or {}), CRC_HEADER: crc}
        if sha256 is not None:
            sent[PAYLOAD_SHA256] = sha256
        resp = self._raw("PUT", bucket, key, body=data, headers=sent,
                         query={"partNumber": str(number), "uploadId": upload_id})
        return PartETag.of((resp.headers.get("etag") or "").strip('"'), crc)

    def complete_multipart(self, bucket: str, key: str, upload_id: str, etags: list[str],
                           custody: tuple[str, int] | None = None, head: dict[str, str] | None = None) -> Written:
        """CompleteMultipartUpload, listing each part's ChecksumCRC32 when known. S3 may answer 200 with
        an <Error> document: a failure too. The POST is never re-sent: when its answer is lost, the
        object is HEADed, and the multipart ETag the parts imply means it was completed. So is a
        NoSuchUpload answer (_gone_but_made): a proxy that re-sent a POST which had succeeded passes on
        the answer to the second one. `custody`: (its-sha256, size) of the upload (custody_of), the other sign of
        it on that HEAD where a part's ETag is no MD5 (SSE-C, SSE-KMS), and on the HEAD of an answer naming an
        ETag other than the parts' (_named_as). `head`: the headers that HEAD needs (an
        SSE-C object is HEADed with its key, or not at all)."""
        body = _complete_body(etags)
        md5 = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
        try:
            resp = self._raw("POST", bucket, key, body=body, query={"uploadId": upload_id},
                             headers={"Content-Type": "application/xml", "Content-MD5": md5})
        except E.ServiceUnavailableError:
            found = self._completed_as(bucket, key, etags, head=head)
            if found is None:
                raise
            return Written(*found)  # the answer is lost: its SSE headers with it (a HEAD can tell)
        except E.NotFoundError as exc:
            return self._gone_but_made(bucket, key, etags, custody, exc, head)
        with parsing(bucket, key, "CompleteMultipartUpload"):
            root = _xml(resp.data)
            failed = root.tag.rpartition("}")[2] == "Error"
            etag = _text(root, "ETag").strip('"')
            # radosgw 16.2 answers an empty <ETag></ETag>: the object must then show, on a HEAD, the ETag
            # the parts make; without an ETag nor that object there is no sign the object was made. An ETag
            # other than the parts' (another upload's answer, passed on by a proxy) is HEADed likewise
            expected = "" if failed or not etag else multipart_etag(etags)
            found = None if failed or (etag and (not expected or etag.lower() == expected)) else (
                self._completed_as(bucket, key, etags, head=head) if not etag
                else self._named_as(bucket, key, etags, etag, custody, head))
            if not failed and not etag and found is None:
                raise ValueError("XML element <ETag> not found")
            if expected and etag.lower() != expected and found is None:
                # short: the reason shown is cut at 80 characters (s3/errors._parse_reason)
                raise ValueError(f"<ETag> {etag}: not the parts' ETag, nor the object's")
        if failed:
            code = _text(root, "Code") or "InternalError"
            err = from_code(code, _text(root, "Message") or code, bucket, key, f"s3://{bucket}/{key}")
            if code == "NoSuchUpload" and isinstance(err, E.NotFoundError):
                err.s3_code = code
                return self._gone_but_made(bucket, key, etags, custody, err, head)
            raise err
        if found is not None and etag:  # an answer naming another ETag (_named_as): none of it is this upload's,
            return Written(*found)      # its version id and SSE headers neither (a HEAD tells the SSE)
        if found is not None:
            return Written(found[0], resp.headers.get("x-amz-version-id") or found[1], sse_of(resp.headers))
        return Written(etag, resp.headers.get("x-amz-version-id"), sse_of(resp.headers))

    def _gone_but_made(self, bucket: str, key: str, etags: list[str], custody: tuple[str, int] | None,
                       exc: E.NotFoundError, head: dict[str, str] | None = None) -> Written:
        """A Complete answered NoSuchUpload: the upload is gone, completed (by this very POST, sent twice by a
        proxy, or by another run that resumed it) or aborted. Completed when the object HEADed now carries
        the multipart ETag these parts make, or this upload's custody SHA-256 and size; else `exc` stands
        (the Complete was refused: nothing of it is visible)."""
        if getattr(exc, "s3_code", "") != "NoSuchUpload":
            raise exc
        found = self._completed_as(bucket, key, etags, custody, head)
        if found is None:
            raise exc
        return Written(*found)  # the answer that made it is lost: its SSE headers with it (a HEAD can tell)

    def _completed_as(self, bucket: str, key: str, etags: list[str],
                      custody: tuple[str, int] | None = None, head: dict[str, str] | None = None,
                      ) -> tuple[str, str | None] | None:
        """(etag, version) if the object now carries the multipart ETag these parts make, else None. Only where
        a part's ETag is no MD5 (no such ETag can be computed), `custody` decides: that its-sha256 and size on an
        object made of as many parts. Metadata is written by whoever writes the key: where the parts' ETags
        are MD5s, an object with another ETag is not this upload, whatever its its-sha256 says. `head`: headers
        of the HEAD (an SSE-C key)."""
        expected = multipart_etag(etags)
        if not expected and custody is None:
            return None
        try:
            stat = self._stat(bucket, key, None, head)
        except E.ItsStoreError:
            return None
        if expected:  # the proof no other client can write: anything else at the key is not this upload
            return (stat.etag, stat.version_id) if stat.etag.lower() == expected else None  # hex: any case
        same = (custody is not None and stat.size == custody[1] and stat.metadata.get(CUSTODY) == custody[0]
                and stat.etag.endswith(f"-{len(etags)}"))
        return (stat.etag, stat.version_id) if same else None

    def _named_as(self, bucket: str, key: str, etags: list[str], etag: str, custody: tuple[str, int] | None,
                  head: dict[str, str] | None) -> tuple[str, str | None] | None:
        """(etag, version) of the object at the key when a Complete's answer named an ETag other than the
        parts' (`etags`, MD5s), else None (nothing shows this upload was made). Made when the object HEADed
        carries the parts' ETag (the answer was another's), or carries the ETag the answer named and:
        this upload's custody (its-sha256 and size), when known, whatever that ETag's form (a server whose
        multipart ETags are no MD5 of MD5s and may lack "-N": old Swift s3api, SSE-KMS); without custody
        (a server-side copy), a "-N" of as many parts."""
        try:
            stat = self._stat(bucket, key, None, head)
        except E.ItsStoreError:
            return None
        got = stat.etag.strip('"').lower()
        if got == multipart_etag(etags):
            return stat.etag, stat.version_id
        if got != etag.lower():
            return None
        ours = (got.endswith(f"-{len(etags)}") if custody is None
                else stat.size == custody[1] and stat.metadata.get(CUSTODY) == custody[0])
        return (stat.etag, stat.version_id) if ours else None

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        self._raw("DELETE", bucket, key, query={"uploadId": upload_id})

    def list_multipart_uploads(self, bucket: str, prefix: str = "") -> list[tuple[str, str]]:
        """(key, upload_id) of every incomplete multipart upload under `prefix`, page after page (1,000 a page;
        a page that repeats its markers is the endless-listing error, as any listing's: s3/listing.once; a
        truncated page without its <NextKeyMarker> is a bad answer, not the last page)."""
        from its_store.s3.listing import once
        query = {"uploads": "", "max-uploads": "1000", **({"prefix": prefix} if prefix else {})}
        found: list[tuple[str, str]] = []
        asked: set[tuple[str | None, ...]] = set()
        while True:
            resp = self._raw("GET", bucket, query=query)
            with parsing(bucket, None, "ListMultipartUploads"):
                root = _xml(resp.data)
                found += [(_text(u, "Key"), _text(u, "UploadId")) for u in root.iterfind(".//{*}Upload")]
                following = {**query, "key-marker": _text(root, "NextKeyMarker"),
                             "upload-id-marker": _text(root, "NextUploadIdMarker")}
                if _text(root, "IsTruncated").strip().lower() != "true":
                    return found
                if not following["key-marker"]:  # a page that ends nothing: not the last (listing_page.next_query)
                    raise ValueError("XML element <NextKeyMarker> not found")
                once(asked, following, "ListMultipartUploads", ("key-marker", "upload-id-marker"))
            query = following

    def list_parts(self, bucket: str, key: str, upload_id: str) -> dict[int, tuple[str, int]]:
        """{part number: (etag, size)} already uploaded to an incomplete multipart upload."""
        from its_store.s3.listing import once
        parts: dict[int, tuple[str, int]] = {}
        marker = "0"
        asked: set[tuple[str | None, ...]] = {("0",)}
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
            once(asked, {"part-number-marker": marker}, "ListParts", ("part-number-marker",))  # a cycle: exit 69

