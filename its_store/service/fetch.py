"""One request per object: a download starts with the GET, whose answer says what a HEAD would.

A HEAD before each GET doubled the requests of every small download (`get`, `get -r`, sync s3 -> local,
cp/mv to a folder). The GET's answer carries the same headers: the size (Content-Length), ETag and
version id, the user metadata (its-sha256, its-codec, its-original-size, its-part-size, mtime), the
stored CRC32 (asked for with x-amz-checksum-mode, as the HEAD asks) and the server-side encryption. So
a download asks for the object itself and decides from the answer, with the rules the HEAD path keeps
(service/decoding.download_file):
- a plain object (no its-codec, or `raw`): written from this answer (transfer/download.response_to_file),
  checked against the stored CRC32 or the MD5 ETag, and against its its-sha256 before the rename;
- a compressed one: decoded from this answer, its stored bytes checked the same way, the decoded bytes
  against its its-sha256 and original size;
- one of at least MINIO_MULTIPART_THRESHOLD (or, compressed, larger than a part): the answer is closed
  unread and the object fetched in parallel ranges with the head it gave: no HEAD, as many requests as
  before (the HEAD's place taken by this GET). Not read for the first range instead: on SeaweedFS a
  1 GiB download whose first 64 MiB came from this answer (cut short after them) cost the server
  ~0.4 CPU-s more and took longer (1.64-1.66 vs 1.21-1.24 CPU-s, medians of 5 and 7 interleaved runs);
  closed unread, the answer costs it ~0.03-0.05 CPU-s;
- an answer that cannot stand for a HEAD (no Content-Length: a chunked answer; an SSE-C object, which
  needs its key), a GET that failed, or a body that broke before it was all read: the HEAD path takes
  over from the start and explains errors as it always did.
An SSE-C key in play, or a listed size at or above the threshold, goes the HEAD path from the start.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from its_store.codec.compression import META_CODEC
from its_store.codec.encryption import describe_lower
from its_store.core import errors as E
from its_store.core.meta_names import custody_sha256
from its_store.core.refs import may_be_another
from its_store.core.units import read_uint
from its_store.transfer.checksums import RangeSum, crc32, expected_for, verify
from its_store.transfer.download import ObjectHead, body, check_answer, comparable_etag
from its_store.transfer.parts import CHUNK, META_PART_SIZE

if TYPE_CHECKING:
    from its_store.core.models import DownloadRequest
    from its_store.s3.client import Body, Headers
    from its_store.service.context import Context
    from its_store.transfer.parts import ProgressFn

GET_HEADERS = {"x-amz-checksum-mode": "ENABLED"}  # the GET answers with the CRC32 a HEAD would give
_META = "x-amz-meta-"
_M = len(_META)


@dataclass
class Answer:
    """An open GET of a whole object and what its headers say (the HEAD it stands for)."""

    body: Body
    head: ObjectHead
    meta: dict[str, str]   # user metadata, lower-case names without x-amz-meta-
    headers: Headers       # every header of the answer (ObjectInfo of the object: objects.download_info)


def one_get_will_do(ctx: Context, request: DownloadRequest) -> bool:
    """Whether a download to a file may start with the GET: no SSE-C key in play, not listed as large (then
    HEAD and parallel ranges, as before), not listed without an ETag (a server or proxy that leaves <ETag> out
    of a listing: the size alone cannot tell the listed object's answer from another request's, open_answer),
    and a key that names itself on every server (the HEAD path asks whether a backslash or empty segments name
    another object: heads.not_another)."""
    return ((request.size_hint is None or (request.size_hint < ctx.settings.multipart_threshold
                                           and bool(request.etag_hint)))
            and not key_in_play(ctx, request.sse_c_key, request.sse_c_key_file) and not may_be_another(request.key))


def key_in_play(ctx: Context, key: bytes | None, key_file: Any) -> bool:
    """An SSE-C key given or configured: the download is the HEAD path's (the key-less GET of an SSE-C
    object is refused, and the HEAD tells a wrong key from a missing one)."""
    s = ctx.settings
    return key is not None or key_file is not None or bool(s.sse_c_key) or bool(s.sse_c_key_file)


def open_answer(ctx: Context, bucket: str, key: str, version_id: str | None, raw: bool,
                size: int | None = None, etag: str | None = None) -> Answer | None:
    """GET the whole object; None (nothing left open) when the HEAD path must do it: the GET failed, its
    answer cannot stand for a HEAD (answer_head), or it is not of the `size` and `etag` a listing gave (the
    object replaced since, a cut body, or another request's answer: the HEAD path holds its GET to the
    HEAD's size and ETag, transfer/download.check_answer); an answer naming no ETag where the listing gave one
    is not taken either (tests/test_listed_get_answer_without_etag.py). Another request's: a server that sent
    more bytes than a GET's Content-Length on a kept connection, after urllib3 found it idle and sent the next GET on
    it, has them read as that GET's answer (a whole answer of the object before, its own ETag checking its
    own bytes: tests/test_get_extra_bytes.py); that connection then holds the real answer, so urllib3
    drops it before the HEAD. A part nobody asked for (206, Content-Range) is IntegrityError (exit 4)."""
    try:
        resp = ctx.s3.get(bucket, key, version_id=version_id, headers=GET_HEADERS)
    except E.InterruptedError_:
        raise  # Ctrl-C cut its retries short (core/retry.interrupting): nothing to ask again
    except E.ItsStoreError:
        return None  # the HEAD path asks again and explains (a missing bucket, an SSE-C object...)
    meta = user_metadata(resp.headers)
    head = answer_head(bucket, key, version_id, resp.headers, meta, raw)
    if head is None or (size is not None and head.size != size) or (  # no ETag named: not the listed one's either;
            etag and head.etag != etag and comparable_etag(head.etag) != comparable_etag(etag)):  # as check_answer
        # compares them (W/ aside); the same text is the same ETag (no comparable_etag pair per object: ~5K instr.)
        resp.close()
        return None
    try:
        check_answer(resp, head, 0, 0)
    except E.IntegrityError:
        resp.close()
        raise
    return Answer(resp, head, meta, resp.headers)


def answer_head(bucket: str, key: str, version_id: str | None, headers: Any, meta: dict[str, str],
                raw: bool) -> ObjectHead | None:
    """The ObjectHead a HEAD would give, from a whole-object GET's answer (s3 Headers: lower-case names),
    or None when the answer cannot stand for it: an SSE-C object, or a length the answer does not state as
    a number (a chunked answer has none, and "none" is not "0 bytes"). `sha256` is set for a plain object
    (checked on the way, before the rename), not for a compressed one unless `raw` (its its-sha256 is of
    the decoded bytes: the decoding path checks it)."""
    encryption = describe_lower(headers)
    # s3 Headers (lower-case names) read by dict.get: these names are lower-case (no Headers.get call each)
    get = dict.get if getattr(headers, "names_lower", False) else type(headers).get
    size = read_uint(get(headers, "content-length"))
    if size is None or encryption == "SSE-C":
        return None
    return ObjectHead(bucket=bucket, key=key, size=size, etag=(get(headers, "etag") or "").strip('"'),
                      version_id=version_id or get(headers, "x-amz-version-id"),
                      part_size=read_uint(meta.get(META_PART_SIZE), low=1), verifiable=encryption != "SSE-KMS",
                      checksum=get(headers, "x-amz-checksum-crc32"),
                      checksum_type=get(headers, "x-amz-checksum-type"),
                      sha256=None if META_CODEC in meta else custody_sha256(meta))


def user_metadata(headers: Any) -> dict[str, str]:
    """x-amz-meta-* headers as a dict with lowercase keys (servers differ in case). An answer's s3 Headers,
    whose names are lower-case already, in one comprehension (~1/3 of the loop's instructions, once a GET)."""
    if getattr(headers, "names_lower", False):
        return {name[_M:]: value for name, value in headers.items() if name.startswith(_META)}
    found = {}
    for name, value in (headers or {}).items():
        if name[:_M].lower() == _META:  # only the prefix of the other headers is lowered
            found[name[_M:].lower()] = value
    return found


def feed(answer: Answer, write: Any, progress: ProgressFn) -> bool:
    """The answer's body, whole and in order, into `write` (a decoder or a stream), checked against the
    stored CRC32 or MD5 ETag (a mismatch raises IntegrityError after the bytes went out: a file target
    is only renamed after it). True when that check ran."""
    head = answer.head
    want = expected_for(head.size, head.etag, head.checksum, head.part_size, head.verifiable, head.checksum_type)
    md5 = hashlib.md5(usedforsecurity=False) if want is not None and want.needs_md5 else None
    crc = 0
    for chunk in body(answer.body, head, head.size, _stream):
        write(chunk)
        crc = crc32(chunk, crc)
        if md5 is not None:
            md5.update(chunk)
        progress(len(chunk))
    return verify(want, [RangeSum(head.size, crc, md5.digest() if md5 is not None else None)],
                  f"s3://{head.bucket}/{head.key}")


def _stream(resp: Any) -> Any:
    yield from resp.stream(CHUNK)
