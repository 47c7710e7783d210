"""A PUT body whose SHA-256 is already known: hashed once, for the custody hash and for the signature.

Over plain HTTP minio signs every body (x-amz-content-sha256, the hex SHA-256 of the payload) and computes
that hash itself in `Minio._build_headers`. A single-PUT upload hashes the very same bytes for its custody
hash (x-amz-meta-its-sha256), so every camera frame was hashed twice: ~52 µs per 100 KB on the bench machine,
a tenth of what its-store spent per frame on top of the plain SDK (issue 22).

`Payload(data)` hashes `data` here, and only here: its `sha256` is always the hash of exactly its bytes, never
a value handed in. S3Client.put sends a Payload's hash as the request's x-amz-content-sha256, and
`payload_minio()`'s Minio subclass signs with that value instead of hashing the body again; minio builds
every other header as before. The hash signed is the one minio computed before, of the very same bytes
object (immutable) that is sent: nothing changes on the wire (tests/test_payload_hash.py). A server that
checks payload hashes (MinIO, AWS S3) refuses a mismatch (XAmzContentSHA256Mismatch), which then proves on
the server that the custody hash is the hash of what was stored; SeaweedFS 3.x does not check them (it
stores a body whose signed hash is another's, as it did before this module for any client).

The parts of a multipart upload from a file are signed the same way, with a hash handed in:
S3Client.upload_part(sha256=) takes each part's SHA-256 from the read of the file that took the custody hash
before CreateMultipartUpload (transfer/partsums.py), not from the bytes read again. Those are compared with
that read by CRC32 once sent, before CompleteMultipartUpload (transfer/upload._crc_check), and a server that
checks payload hashes refuses bytes that are not the ones hashed before it stores them (a forged CRC32
collision included: tests/test_custody_rewrite.py, on Ceph RGW).

`PayloadMinio._build_headers` is the one override of a private minio method (DESIGN.md: one function, with a
test that fails loudly when an upgrade breaks it: tests/test_s3_adapter.py). Should a minio release rename or
reshape it, the override is no longer called and minio hashes the body itself, as before: still correct,
only the saving is lost, and the test says so.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from minio import Minio
    from minio.credentials.credentials import Credentials
    from minio.helpers import DictType

PAYLOAD_SHA256 = "x-amz-content-sha256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()  # what minio signs for a request without a body


class Payload(tuple[bytes, str]):
    """A request body and the SHA-256 of exactly its bytes (hex), computed by the constructor. A tuple, so
    that neither can be replaced afterwards (slots could be: `payload.sha256 = other` signed and recorded a
    hash that is not the body's); a body that is not `bytes` (a bytearray, which could change after it was
    hashed) is copied into bytes first."""

    __slots__ = ()

    def __new__(cls, data: bytes) -> Payload:
        if type(data) is not bytes:
            data = bytes(memoryview(data))  # a bytes-like body copied; a number is no body (bytes(3): 3 zeros)
        return tuple.__new__(cls, (data, hashlib.sha256(data).hexdigest()))

    def __getnewargs__(self) -> tuple[bytes]:
        """copy and pickle make it again from its body alone (tuple's own would hand the pair as the body)."""
        return (self[0],)

    if TYPE_CHECKING:
        @property
        def data(self) -> bytes:
            """The body, as sent."""

        @property
        def sha256(self) -> str:
            """The hex SHA-256 of `data`, computed by the constructor."""
    else:  # read without a Python call: the per-object cost issue 22 counts
        data = property(operator.itemgetter(0), doc="the body, as sent")
        sha256 = property(operator.itemgetter(1), doc="the hex SHA-256 of `data`, computed by the constructor")


@functools.cache
def payload_minio() -> type[Minio]:
    """minio.Minio, but a request whose headers already carry the payload's SHA-256 (S3Client.put of a
    Payload) is signed with it instead of hashing the body again. Made on first use: minio is imported
    with the S3 client, not with this module."""
    from minio import Minio  # the annotations below are never evaluated (type checkers only): a minio that
    #                            moves Credentials or DictType does not break the client, only this saving

    class PayloadMinio(Minio):
        def _build_headers(self, host: str, headers: DictType | None = None, body: bytes | None = None,
                           creds: Credentials | None = None) -> tuple[DictType, datetime]:
            """minio's own headers for `body`, but the x-amz-content-sha256 the caller put in `headers`
            taken as the body's hash. minio's step is run without the body (so it hashes nothing), then the
            two things it would have derived from the body are set: its length and its hash. Anything else
            than the signed path this knows (TLS: UNSIGNED-PAYLOAD and a Content-MD5; anonymous requests): minio
            builds the headers from the body itself, as without this override."""
            known = headers.pop(PAYLOAD_SHA256, None) if headers else None  # ours: never sent as it came
            if not isinstance(known, str) or not body or creds is None:
                return super()._build_headers(host, headers, body, creds)
            asked = dict(headers or {})
            built, date = super()._build_headers(host, headers, None, creds)
            if built.get(PAYLOAD_SHA256) != EMPTY_SHA256 or "Content-MD5" in built or "Content-Length" in built:
                return super()._build_headers(host, asked, body, creds)
            built["Content-Length"] = str(len(body or b""))
            built[PAYLOAD_SHA256] = known
            return built, date

    return PayloadMinio
