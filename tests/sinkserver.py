"""A discarding S3 destination on loopback: multipart uploads of any size, bodies thrown away.

For the copy of an object past S3's 5 GiB single-request limit (tests/test_xcopy.py): what that test
proves is the part arithmetic (every part of the right size, in its place, none lost or doubled) and that
the copy streams in bounded memory, not that a server can store 5 GiB. A real server spends most of that
test writing 5 GiB to disk; this one reads each part as it arrives, in small pieces, keeps its size and
CRC32 (checked against the part's x-amz-checksum-crc32 header, as S3 does: 400 BadDigest), and throws the
bytes away. CompleteMultipartUpload checks the listed parts as S3 does (ascending numbers, each one
uploaded with that ETag and CRC32, every part but the last >= 5 MiB) and makes an object whose HEAD answers
its size, the metadata, content type and SSE headers of CreateMultipartUpload, and the composite CRC32 of
its parts (`<base64>-N`, as S3 and SeaweedFS answer it). `parts_of(bucket, key)` gives the test the
(size, CRC32) of every part of a completed object, in order. Object bodies are never served (GET: 501).

Built on tests/faultserver.py (its tiny S3 answers the bucket calls); it never checks signatures.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import struct
import zlib
from dataclasses import dataclass, field
from xml.etree import ElementTree

from fakes3 import _doc, s3_call
from faultserver import XML, Conn, FaultServer, Request, response, s3_error, sse_of

MIN_PART = 5 * 1024 * 1024  # S3's smallest part, but the last
PIECE = 1 << 20  # bytes read at a time: the sink's memory per connection


@dataclass
class SinkPart:
    size: int
    crc32: int
    etag: str  # opaque (S3's are MD5s only for unencrypted single parts): made from size and CRC32


@dataclass
class SinkUpload:
    bucket: str
    key: str
    headers: dict[str, str]  # of CreateMultipartUpload: content type, x-amz-meta-*, SSE
    parts: dict[int, SinkPart] = field(default_factory=dict)


@dataclass
class SinkObject:
    parts: list[SinkPart]
    headers: dict[str, str]  # HEAD's answer headers but Content-Length
    etag: str

    @property
    def size(self) -> int:
        return sum(p.size for p in self.parts)


class SinkServer(FaultServer):
    """SinkServer().start(); `.endpoint`; `.sunk[(bucket, key)]` the completed objects."""

    def __init__(self) -> None:
        super().__init__(handler=_handle)
        self.sink_uploads: dict[str, SinkUpload] = {}
        self.sunk: dict[tuple[str, str], SinkObject] = {}

    def parts_of(self, bucket: str, key: str) -> list[tuple[int, int]]:
        """(size, CRC32) of each part of the completed object, in part order."""
        return [(p.size, p.crc32) for p in self.sunk[(bucket, key)].parts]


def _handle(server: FaultServer, req: Request, conn: Conn) -> bool:
    assert isinstance(server, SinkServer)
    call = s3_call(req)
    if call == "UploadPart":
        _upload_part(server, req, conn)
    elif call in _CALLS:
        conn.read_body(req)
        _CALLS[call](server, req, conn)
    else:
        return False  # the tiny S3 of FaultServer: buckets, location, versioning...
    return True


def _create(server: SinkServer, req: Request, conn: Conn) -> None:
    upload = f"sink{len(server.sink_uploads) + len(server.sunk) + 1}"
    kept = {name: value for name, value in req.headers.items()
            if name.startswith("x-amz-meta-") or name in ("content-type", "cache-control", "content-disposition",
                                                          "content-encoding", "content-language", "expires")}
    server.sink_uploads[upload] = SinkUpload(req.bucket, req.key, {**kept, **sse_of(req)})
    conn.send(response(200, _doc("CreateMultipartUpload", bucket=req.bucket, key=req.key, upload=upload),
                       content_type=XML))


def _upload_part(server: SinkServer, req: Request, conn: Conn) -> None:
    """Read the body in pieces (CRC32 and size only), then check it as S3 does."""
    left, crc, size = req.length, 0, 0
    while left > 0:
        piece = conn.rfile.read(min(left, PIECE))
        if not piece:
            raise ValueError("connection closed in the middle of a part")
        crc, size, left = zlib.crc32(piece, crc), size + len(piece), left - len(piece)
    req.body = b""  # read: nothing is left for FaultServer to read
    upload = server.sink_uploads.get(req.query.get("uploadId", ""))
    if upload is None:
        conn.send(s3_error(404, "NoSuchUpload", "The specified upload does not exist", req.path))
        return
    sent = req.headers.get("x-amz-checksum-crc32")
    if sent is not None and sent != _b64(crc):
        conn.send(s3_error(400, "BadDigest", "The CRC32 you specified did not match the calculated checksum.",
                           req.path))
        return
    number = int(req.query["partNumber"])
    etag = hashlib.md5(f"{number}:{size}:{crc}".encode()).hexdigest()
    upload.parts[number] = SinkPart(size, crc, etag)
    conn.send(response(200, headers={"ETag": f'"{etag}"', "x-amz-checksum-crc32": _b64(crc),
                                     **sse_of(req)}))


def _complete(server: SinkServer, req: Request, conn: Conn) -> None:
    upload_id = req.query.get("uploadId", "")
    upload = server.sink_uploads.get(upload_id)
    if upload is None:
        conn.send(s3_error(404, "NoSuchUpload", "The specified upload does not exist", req.path))
        return
    listed = [(int(_child(p, "PartNumber")), _child(p, "ETag").strip('"'), _child(p, "ChecksumCRC32"))
              for p in ElementTree.fromstring(req.body or b"") if p.tag.rpartition("}")[2] == "Part"]
    numbers = [n for n, _, _ in listed]
    if not listed or numbers != sorted(set(numbers)):
        conn.send(s3_error(400, "InvalidPartOrder", "The list of parts was not in ascending order.", req.path))
        return
    parts = []
    for number, etag, crc in listed:
        part = upload.parts.get(number)
        if part is None or part.etag != etag or (crc and crc != _b64(part.crc32)):
            conn.send(s3_error(400, "InvalidPart", f"part {number} was not uploaded as listed", req.path))
            return
        parts.append(part)
    if any(p.size < MIN_PART for p in parts[:-1]):
        conn.send(s3_error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed "
                           "object size.", req.path))
        return
    del server.sink_uploads[upload_id]
    composite = zlib.crc32(b"".join(struct.pack(">I", p.crc32) for p in parts))
    digests = b"".join(bytes.fromhex(p.etag) for p in parts)
    etag = f"{hashlib.md5(digests).hexdigest()}-{len(parts)}"
    headers = {**upload.headers, "x-amz-checksum-crc32": f"{_b64(composite)}-{len(parts)}",
               "Last-Modified": email.utils.formatdate(usegmt=True)}
    server.sunk[(upload.bucket, upload.key)] = SinkObject(parts, headers, etag)
    conn.send(response(200, _doc("CompleteMultipartUpload", bucket=upload.bucket, key=upload.key, etag=etag),
                       content_type=XML, headers=sse_of(Request("POST", "/", upload.headers))))


def _abort(server: SinkServer, req: Request, conn: Conn) -> None:
    server.sink_uploads.pop(req.query.get("uploadId", ""), None)
    conn.send(response(204))


def _list_uploads(server: SinkServer, req: Request, conn: Conn) -> None:
    uploads = [(u.key, upload_id) for upload_id, u in server.sink_uploads.items() if u.bucket == req.bucket]
    conn.send(response(200, _doc("ListMultipartUploads", bucket=req.bucket, uploads=uploads), content_type=XML))


def _head(server: SinkServer, req: Request, conn: Conn) -> None:
    obj = server.sunk.get((req.bucket, req.key))
    head = req.method == "HEAD"
    if obj is None:
        conn.send(s3_error(404, "NoSuchKey", "The specified key does not exist.", req.path, head=head))
    elif not head:
        conn.send(s3_error(501, "NotImplemented", "a sink keeps no bytes to answer with", req.path))
    else:
        conn.send(response(200, headers={"ETag": f'"{obj.etag}"', "Accept-Ranges": "bytes",
                                         "Content-Length": str(obj.size), **obj.headers}, head=True))


def _delete(server: SinkServer, req: Request, conn: Conn) -> None:
    server.sunk.pop((req.bucket, req.key), None)
    conn.send(response(204))


def _child(element: ElementTree.Element, name: str) -> str:
    found = next((c for c in element if c.tag.rpartition("}")[2] == name), None)
    return (found.text or "") if found is not None else ""


def _b64(crc: int) -> str:
    return base64.b64encode(struct.pack(">I", crc)).decode()


_CALLS = {"CreateMultipartUpload": _create, "CompleteMultipartUpload": _complete, "AbortMultipartUpload": _abort,
          "ListMultipartUploads": _list_uploads, "HeadObject": _head, "GetObject": _head, "DeleteObject": _delete}
