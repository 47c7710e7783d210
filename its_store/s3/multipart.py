"""Multipart uploads run by our own thread pool, one S3Client's steps of them: create, upload a part,
complete, abort, and the listings a resume reads (ListMultipartUploads, ListParts).

minio has no public call for these steps, so each is one request through the client's `_raw` (still the ONE
caller of minio's private API, tests/test_s3_adapter.py) with the XML read here. Parts carry a CRC32 the
server checks and stores; CompleteMultipartUpload lists them. Its POST is never re-sent blindly. What proves
it made the object: where every part's ETag is an MD5, the multipart ETag they make (MD5 of the MD5s, "-N"),
which only an upload of the same bytes in the same parts carries: an answer naming it is believed as it is; a
lost answer (a 5xx, a connection closed after the server completed), a NoSuchUpload (a proxy re-sent a POST
that had succeeded) and an answer naming anything else are HEADed through the client's `stat`, and the object
must carry it (or, for an answer naming the server's own multipart ETag, that ETag with this upload's
custody). Where a part's ETag is no MD5 (SSE-C, SSE-KMS; SeaweedFS's UploadPartCopy across chunks) no ETag
can be computed: every answer is HEADed, and this upload's custody on the object (its-sha256 and size,
custody_of) is the proof; a server copy of an object without custody has only the answer's ETag with "-N" of
as many parts on the HEAD. Neither ETag nor custody tells this upload's object from an earlier upload of the
same bytes at the key (a re-run): so a lost answer, and an answer the object does not bear out, first ask
whether THIS upload is still open (one ListParts: _settled). Gone (completed or aborted), the HEAD decides as
above, and custody proves MD5 parts too where the HEAD shows no multipart ETag at all (`rclone serve s3` answers
the Complete with "-N" but HEADs and lists a plain MD5 of the content; a NoSuchUpload answer asks ListParts
first only then), once the object's bytes, read back, hash to it (metadata any writer can carry: _bytes_are);
still open, the Complete never ran and is sent once more (the only re-send, and only then). Where a
HEAD decided, the ETag, version id and SSE headers reported are the HEAD's (sse_shown), never those of an
answer that was lost or not shown to be this upload's. S3Client builds a Multipart on each use and hands it
those two calls (s3/calls.py).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from its_store.core import errors as E
from its_store.core.meta_names import CODEC_HEADER
from its_store.core.units import parse_uint
from its_store.s3.crc import HEADER as CRC_HEADER
from its_store.s3.crc import PartETag, crc32_of
from its_store.s3.errors import from_code, parsing
from its_store.s3.messages import Custody, Written, check_ascii, sse_of, sse_shown
from its_store.s3.payload import PAYLOAD_SHA256

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from its_store.s3.calls import Head, Raw, Stat

__all__ = ["Multipart", "custody_of", "multipart_etag"]

log = logging.getLogger("its_store.s3")
CUSTODY = "x-amz-meta-its-sha256"  # the custody SHA-256 (transfer/upload.SHA256_HEADER), as a HEAD names it
_READ_BACK = 8 * 1024 * 1024  # _bytes_are: one ranged GET's bytes


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


def custody_of(headers: dict[str, str], size: int, stored: str | None = None) -> Custody | None:
    """The custody of an upload whose request headers are `headers` and whose object is `size` bytes as stored:
    the its-sha256 it sends (a relay's or server copy's, the source's), that size, and the SHA-256 of the bytes
    as stored (_bytes_are's proof): the its-sha256 itself, unless the headers name a codec (its-codec: the
    its-sha256 is of the original bytes, the stored ones are compressed), then `stored` (the uploader's hash of
    what it sent; None: unknown, no proof by the bytes); None without an its-sha256. Not a proof of the bytes:
    what shows, on a HEAD, that the object at the key is the one these headers made."""
    sha256 = next((value for name, value in headers.items() if name.lower() == CUSTODY), None)
    if not sha256:
        return None
    coded = any(name.lower() == CODEC_HEADER for name in headers)
    return (sha256, size, stored if coded else sha256)


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


def _of_upload(root: ET.Element, bucket: str, key: str, upload_id: str, *, required: bool = True) -> None:
    """Raise ValueError (a bad answer, in parsing()) unless a ListParts answer names this upload: its <UploadId>
    (S3 always gives it; not `required`: where given), and its <Bucket> and <Key> where the server gives them."""
    named = _text(root, "UploadId").strip()
    if named != upload_id and (required or root.find("{*}UploadId") is not None):
        raise ValueError(f"<UploadId> {named[:40] or '(none)'}: not the upload asked about")
    for name, ours in (("Bucket", bucket), ("Key", key)):
        said = root.find(f"{{*}}{name}")
        if said is not None and (said.text or "") != ours:
            raise ValueError(f"<{name}> {(said.text or '')[:40]}: not the one asked about")


def _custody_shown(stat: Head, custody: Custody | None) -> bool:
    """Whether the object HEADed carries this upload's custody: its its-sha256 and its size."""
    return custody is not None and stat.size == custody[1] and stat.metadata.get(CUSTODY) == custody[0]


def _of(stat: Head) -> Written:
    """The Written a HEAD proves: its ETag, version id and the SSE headers it shows (sse_shown)."""
    return Written(stat.etag, stat.version_id, sse_shown(stat.metadata))


_UNREAD = Written("", None)  # _named_as: the HEAD was denied (the key may write, not read)


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
                           custody: Custody | None = None, head: dict[str, str] | None = None) -> Written:
        """CompleteMultipartUpload, proven (_complete); sent once more only where _settled finds it never ran."""
        return self._complete(bucket, key, upload_id, etags, custody, head, again=True)

    def _complete(self, bucket: str, key: str, upload_id: str, etags: list[str], custody: Custody | None,
                  head: dict[str, str] | None, *, again: bool) -> Written:
        """CompleteMultipartUpload, listing each part's ChecksumCRC32 when known. S3 may answer 200 with
        an <Error> document: a failure too. The POST is never re-sent blindly: when its answer is lost (a 5xx, a
        connection reset or a timeout after the server may have completed it), and when an answer is not borne
        out by the object, whether this upload is still open is asked first (_settled: an object at the key may
        be an earlier upload of the same bytes, same multipart ETag, same custody), then the object HEADed
        (_completed_as); a NoSuchUpload (a proxy re-sent a POST that had succeeded: _gone_but_made) HEADs it. An
        answer is believed as it is only when it names the multipart ETag the parts make, else HEADed too
        (_answered). `custody`: (its-sha256, size, SHA-256 of the stored bytes) of the upload (custody_of), the
        proof on those HEADs where a part's ETag is no MD5 (SSE-C, SSE-KMS, SeaweedFS's UploadPartCopy across
        chunks). `head`: the headers those HEADs need (an SSE-C object is HEADed with its key, or not at all).
        Where a HEAD decided, the SSE headers are that HEAD's (sse_shown), never a lost or unproven answer's.
        `again`: whether _settled may send it once more (False for that second Complete itself)."""
        body = _complete_body(etags)
        md5 = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
        try:
            resp = self._raw("POST", bucket, key, body=body, query={"uploadId": upload_id},
                             headers={"Content-Type": "application/xml", "Content-MD5": md5})
        except E.ServiceUnavailableError:
            found = self._settled(bucket, key, upload_id, etags, custody, head, again)
            if found is None:
                raise
            return found
        except E.NotFoundError as exc:
            return self._gone_but_made(bucket, key, upload_id, etags, custody, exc, head)
        with parsing(bucket, key, "CompleteMultipartUpload"):
            root = _xml(resp.data)
            if root.tag.rpartition("}")[2] != "Error":
                return self._answered(bucket, key, upload_id, etags, _text(root, "ETag").strip('"'), custody, head,
                                      resp.headers, again)
        code = _text(root, "Code") or "InternalError"
        err = from_code(code, _text(root, "Message") or code, bucket, key, f"s3://{bucket}/{key}")
        if code == "NoSuchUpload" and isinstance(err, E.NotFoundError):
            err.s3_code = code
            return self._gone_but_made(bucket, key, upload_id, etags, custody, err, head)
        raise err

    def _answered(self, bucket: str, key: str, upload_id: str, etags: list[str], etag: str,
                  custody: Custody | None, head: dict[str, str] | None, headers: Mapping[str, str],
                  again: bool) -> Written:
        """The Written of a Complete answered 200 with `etag` (inside parsing(): a ValueError is the bad-answer
        error). Believed as it is when it names the multipart ETag the parts make (no other upload's object has
        it). Else HEADed, and what the HEAD shows is reported: radosgw 16.2 answers an empty <ETag></ETag> (the
        object must show what _completed_as asks); any other ETag may be another upload's answer passed on by a
        proxy, or, where a part's ETag is no MD5, one nobody can compute (_named_as). An object that does not show
        the ETag the answer named (or no object) is not yet proof: it may be an earlier upload of the same bytes,
        and this one still open (_settled)."""
        expected = multipart_etag(etags)
        if etag and expected and etag.lower() == expected:
            return Written(etag, headers.get("x-amz-version-id"), sse_of(headers))
        if not etag:
            found = self._completed_as(bucket, key, etags, custody, head)
            if found is None:
                raise ValueError("XML element <ETag> not found")
            return found
        found = self._named_as(bucket, key, etags, etag, custody, head)
        if found is not None and found is not _UNREAD and found.etag.strip('"').lower() != etag.lower():
            found = self._settled(bucket, key, upload_id, etags, custody, head, again)  # not the answer's object
        elif found is None:
            found = self._settled(bucket, key, upload_id, etags, custody, head, again)
        if found is None:  # short: the reason shown is cut at 80 characters (s3/errors._parse_reason)
            raise ValueError(f"<ETag> {etag}: not the parts' ETag, nor the object's")
        if found is _UNREAD:  # the HEAD was denied where nothing but the answer can say: as before the HEAD
            log.warning("s3://%s/%s: completed as the server says; the key may not read it back (s3:GetObject), "
                        "so the ETag %s is the answer's, unchecked", bucket, key, etag)
            return Written(etag, headers.get("x-amz-version-id"), sse_of(headers), "etag")  # said in results too
        return found

    def _settled(self, bucket: str, key: str, upload_id: str, etags: list[str], custody: Custody | None,
                 head: dict[str, str] | None, again: bool) -> Written | None:
        """The Written of a Complete whose answer was lost or is not borne out by the object, else None (the
        caller's error stands). An object at the key that shows the parts' multipart ETag or this upload's custody
        may be an earlier upload of the same bytes (a re-run), so first: is THIS upload still open (_still_open,
        one ListParts)? Gone (completed or aborted): the object HEADed is the proof (_completed_as). Still open:
        the Complete never ran, and is sent once more (`again`; idempotent while the upload exists), its answer
        proven as any; a refusal of it leaves the first's error standing and the upload open: the first Complete
        may still be running (a gateway that timed out on it), and on SeaweedFS an abort meanwhile deletes the data
        the completed object is made of. A ListParts the key may not send: the HEAD alone decides, said once (as
        before this check). Unknown (the listing failed otherwise), or still open after that second Complete: None;
        the completion may yet run, so nothing aborts it (transfer/upload._failed)."""
        try:
            still: bool | None = self._still_open(bucket, key, upload_id)
        except E.AccessDeniedError:  # a key without s3:ListMultipartUploadParts: the object alone, as before
            log.warning("s3://%s/%s: the key may not list the upload's parts (s3:ListMultipartUploadParts), so the "
                        "object alone shows the Complete ran (an earlier upload of the same bytes would too)",
                        bucket, key)
            still = None  # unknown: no custody proof for MD5 parts (_completed_as)
        except E.ItsStoreError:
            return None
        if not still:
            return self._completed_as(bucket, key, etags, custody, head, (lambda: True) if still is False else None)
        if not again:
            return None
        log.info("s3://%s/%s: upload %s still open after its Complete: sent again", bucket, key, upload_id)
        try:
            return self._complete(bucket, key, upload_id, etags, custody, head, again=False)
        except E.ItsStoreError as exc:  # the first may yet be running (a gateway gave up on it): never aborted;
            # said at -v only: the first answer's error is the run's one line (the brief's one line per error)
            log.info("s3://%s/%s: upload %s: its Complete sent again was refused (%s); the first may still run, so "
                     "the upload is left open (--resume, or the bucket's lifecycle rule)", bucket, key, upload_id, exc)
            return None

    def _still_open(self, bucket: str, key: str, upload_id: str) -> bool:
        """Whether the server still lists this upload (ListParts of one part: True), or answers NoSuchUpload
        (completed or aborted: False); any other failure is raised. A listing that is not of this upload (its
        <UploadId>, and its <Bucket> and <Key> where given, not ours: a caching proxy that ignores the query
        string answers with another upload's parts) is BadAnswerError, never a proof either way."""
        try:
            resp = self._raw("GET", bucket, key, query={"uploadId": upload_id, "max-parts": "1"})
        except E.NotFoundError as exc:
            if getattr(exc, "s3_code", "") == "NoSuchUpload":
                return False
            raise
        with parsing(bucket, key, "ListParts"):
            _of_upload(_xml(resp.data), bucket, key, upload_id)
        return True

    def _gone_but_made(self, bucket: str, key: str, upload_id: str, etags: list[str], custody: Custody | None,
                       exc: E.NotFoundError, head: dict[str, str] | None) -> Written:
        """A Complete answered NoSuchUpload: the upload is gone, completed (by this very POST, sent twice by a
        proxy, or by another run that resumed it) or aborted; or a proxy said so of one still open. Completed when
        the object HEADed now shows it (_completed_as; where only custody can, ListParts first confirms the upload
        is gone: _known_gone). Else the Complete was refused: an ObjectNotFoundError (exit 3, the server's code
        kept) that names the upload, never "object not found": an object may be at the key, just not this one."""
        if getattr(exc, "s3_code", "") != "NoSuchUpload":
            raise exc
        found = self._completed_as(bucket, key, etags, custody, head, lambda: self._known_gone(bucket, key, upload_id))
        if found is None:
            where = f"s3://{bucket}/{key}"
            err = E.ObjectNotFoundError(f"the multipart upload to {where} is no longer open (NoSuchUpload: completed "
                                        "or aborted by another request) and nothing at the key shows this upload made "
                                        "it", hint=f"run it again; `its-store stat {where}` shows what the key holds")
            err.s3_code, err.s3_message, err.s3_headers = exc.s3_code, exc.s3_message, exc.s3_headers
            raise err from None
        return found

    def _known_gone(self, bucket: str, key: str, upload_id: str) -> bool:
        """Whether ListParts says this upload is no longer open (NoSuchUpload); False when it is, or unknown."""
        try:
            return not self._still_open(bucket, key, upload_id)
        except E.ItsStoreError:
            return False

    def _completed_as(self, bucket: str, key: str, etags: list[str], custody: Custody | None,
                      head: dict[str, str] | None, gone: Callable[[], bool] | None = None) -> Written | None:
        """The object HEADed now (its ETag, version and SSE headers: _of) if it carries the multipart ETag these
        parts make, else None. Where a part's ETag is no MD5 (no such ETag can be computed), `custody` decides:
        that its-sha256 and size on the object (_custody_shown); without custody nothing can. Where the parts'
        ETags are MD5s, a server that shows multipart ETags ("-N") shows that one, and an object with another is
        not this upload, whatever its its-sha256 says (metadata is written by whoever writes the key); a HEAD
        that shows none ("rclone serve s3": a plain MD5 of the whole content) leaves custody as the proof, once
        this upload is known gone (`gone`, asked only then: ListParts answered NoSuchUpload; None: unknown), so
        that an object already at the key never proves an upload still open, and the bytes read back hash to it
        (_bytes_are: an aborted upload is gone too). `head`: headers of the HEAD and reads (an SSE-C key)."""
        expected = multipart_etag(etags)
        if not expected and custody is None:
            return None
        try:
            stat = self._stat(bucket, key, None, head)
        except E.ItsStoreError:
            return None
        got = stat.etag.strip('"').lower()  # hex: any case
        if expected and got == expected:  # the proof no other client can write
            return _of(stat)
        if not _custody_shown(stat, custody):
            return None
        if not expected:  # no ETag to look for: custody, never on an upload known open, then its bytes (_by_bytes)
            return None if gone is not None and not gone() else self._by_bytes(bucket, key, etags, custody, head, stat)
        shows_parts = "-" in got  # a server that shows multipart ETags: anything else at the key is not this upload
        if shows_parts or gone is None or not gone():
            return None
        return self._by_bytes(bucket, key, etags, custody, head, stat)

    def _by_bytes(self, bucket: str, key: str, etags: list[str], custody: Custody | None,
                  head: dict[str, str] | None, stat: Head) -> Written | None:
        """The Written of an object that shows this upload's custody where no multipart ETag can prove it, else
        None. Custody is metadata any writer can carry (someone else's upload of the same bytes, a stale copy
        another tool rewrote, a hostile writer), so: a multipart ETag of another part count ("-M") is another
        upload's; the bytes, read back, must hash to the custody SHA-256 (_bytes_are). That proves the key holds
        this upload's bytes, not that this upload wrote them: the version id shown may be another writer's of the
        same bytes, so it is not reported (None, unchecked "version"): nothing then removes a version (an
        encryption check, service/ssecheck) that is not proven ours."""
        got = stat.etag.strip('"')
        count = got.rpartition("-")[2] if "-" in got else ""
        if count.isdecimal() and int(count) != len(etags):
            return None
        if not self._bytes_are(bucket, key, custody, head, stat.etag):
            return None
        if stat.version_id is None:
            return _of(stat)
        log.warning("s3://%s/%s: the object holds this upload's bytes, but nothing proves its version %s is this "
                    "upload's (a lost Complete whose upload is gone): its version id is not reported", bucket, key,
                    stat.version_id)
        return Written(stat.etag, None, sse_shown(stat.metadata), "version")

    def _bytes_are(self, bucket: str, key: str, custody: Custody | None, head: dict[str, str] | None,
                   etag: str) -> bool:
        """Whether the object's bytes (read back in ranges, each If-Match `etag`, the HEAD's) hash to this
        upload's custody SHA-256: custody is metadata any writer can carry (a stale copy whose bytes another tool
        changed, the upload aborted meanwhile), its bytes are not. Taken only where nothing else proves MD5 parts
        (a HEAD without multipart ETag), a fault's path: any failure is False (no proof)."""
        if custody is None or custody[2] is None:  # no SHA-256 of the stored bytes known (a relayed encoded object)
            return False
        digest, quoted = hashlib.sha256(), f'"{etag.strip(chr(34))}"'
        try:
            for start in range(0, custody[1], _READ_BACK):
                end = min(start + _READ_BACK, custody[1]) - 1
                data = self._raw("GET", bucket, key, headers={**(head or {}), "Range": f"bytes={start}-{end}",
                                                              "If-Match": quoted}).data
                if len(data) != end - start + 1:
                    return False
                digest.update(data)
        except E.ItsStoreError:
            return False
        return digest.hexdigest() == custody[2]

    def _named_as(self, bucket: str, key: str, etags: list[str], etag: str, custody: Custody | None,
                  head: dict[str, str] | None) -> Written | None:
        """The object at the key (_of) when a Complete's answer named `etag`, not the parts' multipart ETag (or
        the parts' ETags are no MD5s), else None (nothing shows this upload was made); _UNREAD when the HEAD
        was denied where the parts' ETags are no MD5s (the answer is all there is). Made when the object HEADed
        carries the parts' ETag (the answer was another's); where a part's ETag is no MD5, when it carries this
        upload's custody (its-sha256 and size: _custody_shown), whatever its ETag; else when it carries the ETag
        the answer named and: this upload's custody, when known (a server whose multipart ETags are no MD5 of
        MD5s and may lack "-N": old Swift s3api, SSE-KMS); without custody (a server-side copy of an object
        that has none), a "-N" of as many parts."""
        expected = multipart_etag(etags)
        try:
            stat = self._stat(bucket, key, None, head)
        except E.AccessDeniedError:
            return None if expected else _UNREAD
        except E.ItsStoreError:
            return None
        got = stat.etag.strip('"').lower()
        if expected and got == expected:
            return _of(stat)
        if custody is not None and not expected:
            return _of(stat) if _custody_shown(stat, custody) else None
        if got != etag.lower():
            return None
        ours = got.endswith(f"-{len(etags)}") if custody is None else _custody_shown(stat, custody)
        return _of(stat) if ours else None

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
        """{part number: (etag, size)} already uploaded to an incomplete multipart upload. Each page must name
        this upload (_of_upload: another upload's parts, never sent to this one, would be skipped by a resume). A
        page's NextPartNumberMarker must be a part number (1-10,000) beyond the one before: a server that pages with
        ever new markers (10001, 10002, ...) was followed for ever (tests/test_atk38_parts_listing_endless.py);
        so at most 10,000 pages, whatever it says. A repeated marker: the endless-listing error (listing.once)."""
        from its_store.s3.listing import once
        parts: dict[int, tuple[str, int]] = {}
        marker = "0"
        asked: set[tuple[str | None, ...]] = {("0",)}
        while True:
            resp = self._raw("GET", bucket, key, query={"uploadId": upload_id, "max-parts": "1000",
                                                       "part-number-marker": marker})
            with parsing(bucket, key, "ListParts"):
                root = _xml(resp.data)
                _of_upload(root, bucket, key, upload_id, required=False)  # not another upload's parts (a proxy's
                # cached answer); none named: as before (an empty answer read as no parts: every part sent again)
                found = root.findall(".//{*}Part")
                for part in found:
                    number = parse_uint(_text(part, "PartNumber").strip(), "<PartNumber>", low=1, high=10_000,
                                        error=ValueError)  # xs:int: blanks around it allowed, nothing else
                    parts[number] = (_text(part, "ETag").strip('"'),
                                     parse_uint(_text(part, "Size").strip() or "0", "<Size>", error=ValueError))
                following = _text(root, "NextPartNumberMarker")
                if _text(root, "IsTruncated").lower() != "true" or not found or not following:
                    return parts
                if following.strip() != marker:  # the same one again: a cycle, said by once() below
                    parse_uint(following.strip(), "<NextPartNumberMarker>", low=int(marker) + 1, high=10_000,
                               error=ValueError)
            marker = following.strip()
            once(asked, {"part-number-marker": marker}, "ListParts", ("part-number-marker",))  # a cycle: exit 69

