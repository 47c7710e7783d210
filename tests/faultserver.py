"""A small scriptable fake S3 server on loopback, for faults no real server can be asked for.

Threads and raw sockets, so that a test can send exactly the bytes a fault needs: an early answer to a
PUT whose body was never read, an interim `102 Processing`, a HEAD framed as chunked, a body dribbled
out in pieces, odd checksum headers, a skewed Date. By default it behaves like a tiny in-memory S3
(buckets, HEAD/GET with ranges, PUT, ListObjectsV2, tagging, location) so that a command gets as far as
the request under test; `handler(server, request, conn)` returns True when it answered a request itself.
It never checks signatures. Every request is recorded (`requests`), body or not. With `tls` (a server-side
ssl.SSLContext) every connection is TLS; `rcvbuf` sets the listening socket's receive buffer.

Bad answers (tests/test_bad_answers.py): `s3_call(request)` names each request as the S3 API does
(GetBucketPolicy, ListObjectsV2, ...), independently of its_store's own naming; `garble[call] = form`
makes the server answer that call with garbage of one form (GARBAGE: an HTML page with 200 or 502, an
empty body, truncated XML, another S3 document, the right root with its elements missing, malformed
values, bad JSON, random bytes; for answers without a document, no ETag or a malformed header). For
commands to get that far, the tiny S3 also answers the rest of what the CLI asks (bucket sub-resources,
versions, multipart, batch delete, copy, conditional PUTs) with S3's documents.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import http
import socket
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.sax.saxutils import escape

XML = "application/xml"


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]  # names in lower case
    body: bytes | None = None  # None: not read (yet)

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.target).path)

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    @property
    def bucket(self) -> str:
        return self.path.lstrip("/").partition("/")[0]

    @property
    def key(self) -> str:
        return self.path.lstrip("/").partition("/")[2]

    @property
    def length(self) -> int:
        return int(self.headers.get("content-length") or 0)


@dataclass
class FakeObject:
    data: bytes
    headers: dict[str, str] = field(default_factory=dict)  # extra answer headers (checksums, metadata)
    etag: str = ""  # default: the MD5 of data
    pace: tuple[int, float] | None = None  # GET body sent as (piece size, pause after each piece)
    # a HEAD's and GET's Last-Modified: when the object was put, the same on every answer (stamped at each
    # answer, two HEADs of a move either side of a second told of a rewrite: exit 5, a flaky test)
    modified: str = field(default_factory=lambda: email.utils.formatdate(usegmt=True))

    def __post_init__(self) -> None:
        if not self.etag:
            self.etag = hashlib.md5(self.data).hexdigest()


class Conn:
    """One client connection as the handler sees it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.rfile = sock.makefile("rb")
        self.closed = False

    def read_body(self, request: Request) -> bytes:
        if request.body is None:
            request.body = _read_exact(self.rfile, request.length)
        return request.body

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        """A clean close (FIN), even with unread request bytes: the answer is flushed first."""
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.rfile.close()  # the file holds the socket open too
        self.sock.close()

    def reset(self) -> None:
        """Close with RST: the peer sees 'connection reset'."""
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.sock.close()
        except OSError:
            pass


Handler = Callable[["FaultServer", Request, Conn], bool | None]


def sse_of(req: Request) -> dict[str, str]:
    """The server-side encryption a write asked for, as S3 answers it (PUT, HEAD, GET): the algorithm and the
    SSE-C key's MD5, never the key."""
    return {name: value for name, value in req.headers.items()
            if name.startswith("x-amz-server-side-encryption") and not name.endswith("-customer-key")}


class FaultServer:
    """FaultServer(handler).start(); .endpoint is host:port; .objects[(bucket, key)] = FakeObject(...)."""

    def __init__(self, handler: Handler | None = None, *, buckets: tuple[str, ...] = (),
                 tls: ssl.SSLContext | None = None, rcvbuf: int | None = None) -> None:
        self.handler = handler
        self.tls = tls  # a server-side context: every connection is TLS (endpoint https://)
        self.rcvbuf = rcvbuf  # SO_RCVBUF of the listening socket (a small one: a slow reader fills up soon)
        self.buckets: set[str] = set(buckets)
        self.objects: dict[tuple[str, str], FakeObject] = {}
        self.requests: list[Request] = []
        self.garble: dict[str, str] = {}  # S3 call -> a GARBAGE form it is answered with
        self.configs: dict[tuple[str, str], bytes] = {}  # (bucket or bucket/key, sub-resource) -> document
        self.locked: set[str] = set()  # buckets with object lock
        self.versioning: dict[str, str] = {}  # bucket -> the Status its PutBucketVersioning set (fakes3.py)
        self.uploads: dict[str, tuple[str, str, dict[int, bytes]]] = {}  # id -> (bucket, key, parts)
        self.upload_sse: dict[str, dict[str, str]] = {}  # id -> the SSE headers of its CreateMultipartUpload
        self.list_etags = True  # False: ListObjectsV2 entries name no <ETag> (a server or proxy that leaves it out)
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._conns: set[Conn] = set()
        self._stopping = threading.Event()

    @property
    def endpoint(self) -> str:
        assert self._sock is not None
        return f"127.0.0.1:{self._sock.getsockname()[1]}"

    def put_object(self, bucket: str, key: str, obj: FakeObject) -> FakeObject:
        self.buckets.add(bucket)
        self.objects[(bucket, key)] = obj
        return obj

    def seen(self, method: str | None = None, predicate: Callable[[Request], bool] | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and (predicate is None or predicate(r))]

    def start(self) -> FaultServer:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.rcvbuf is not None:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        threading.Thread(target=self._accept, daemon=True, name="fault-server").start()
        return self

    def stop(self) -> None:
        """Stop accepting and wake every connection thread (a shutdown, not a close: closing the file a
        thread is reading from would wait for that read)."""
        self._stopping.set()
        if self._sock is not None:
            _shutdown(self._sock)
            self._sock.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            _shutdown(conn.sock)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------------------------------
    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                sock, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            conn = Conn(self.tls.wrap_socket(sock, server_side=True) if self.tls is not None else sock)
        except (OSError, ValueError):
            sock.close()
            return
        with self._lock:
            self._conns.add(conn)
        try:
            while not conn.closed and not self._stopping.is_set():
                request = _read_request(conn.rfile)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                if not (self.handler and self.handler(self, request, conn)):
                    self.answer(request, conn)
                if not conn.closed:
                    conn.read_body(request)  # what the handler left unread, before the next request
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            if not conn.closed:
                conn.reset()

    # -- the default: a tiny S3 --------------------------------------------------------------------
    def answer(self, req: Request, conn: Conn) -> None:
        """Answer `req` as a minimal S3 would (or with garbage, when `garble` names its call)."""
        body = conn.read_body(req)
        bucket, key, query = req.bucket, req.key, req.query
        from fakes3 import answer_more, garbage, s3_call
        call = s3_call(req)
        if call in self.garble:
            req.body = body  # read: a garbage form may echo what was asked ("undone")
            conn.send(garbage(self.garble[call], call, req, self))
            return
        if answer_more(self, call, req, conn, body):
            return
        if not bucket:
            conn.send(response(200, _list_buckets(sorted(self.buckets)), content_type=XML, head=req.method == "HEAD"))
        elif not key:
            self._bucket_request(req, conn, query)
        elif req.method == "PUT" and not query:
            obj = self.put_object(bucket, key, FakeObject(body, headers=sse_of(req)))
            conn.send(response(200, headers={"ETag": f'"{obj.etag}"', **obj.headers}))
        elif req.method in ("GET", "HEAD") and "tagging" in query:
            conn.send(response(200, b'<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet></TagSet></Tagging>',
                               content_type=XML))
        elif req.method in ("GET", "HEAD") and not set(query) - {"versionId", "partNumber"}:
            self._object(req, conn)
        elif req.method == "DELETE" and not query:
            self.objects.pop((bucket, key), None)
            conn.send(response(204))
        else:
            conn.send(s3_error(501, "NotImplemented", "not in this fake", req.path, head=req.method == "HEAD"))

    def _bucket_request(self, req: Request, conn: Conn, query: dict[str, str]) -> None:
        head = req.method == "HEAD"
        if req.method == "PUT" and not query:
            self.buckets.add(req.bucket)
            conn.send(response(200))
        elif req.bucket not in self.buckets:
            conn.send(s3_error(404, "NoSuchBucket", "The specified bucket does not exist", req.path, head=head))
        elif head:
            conn.send(response(200))
        elif req.method == "GET" and "location" in query:
            conn.send(response(200, b'<?xml version="1.0" encoding="UTF-8"?><LocationConstraint '
                               b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>',
                               content_type=XML))
        elif req.method == "GET" and query.get("list-type") == "2":
            conn.send(response(200, self._list_v2(req.bucket, query), content_type=XML))
        elif req.method == "GET" and "versioning" in query:
            status = self.versioning.get(req.bucket)
            inner = f"><Status>{status}</Status></VersioningConfiguration>" if status else "/>"
            conn.send(response(200, ('<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration '
                                     'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"' + inner).encode(),
                               content_type=XML))
        else:
            conn.send(s3_error(501, "NotImplemented", "not in this fake", req.path, head=head))

    def _object(self, req: Request, conn: Conn) -> None:
        obj = self.objects.get((req.bucket, req.key))
        head = req.method == "HEAD"
        if obj is None:
            conn.send(s3_error(404, "NoSuchKey", "The specified key does not exist.", req.path, head=head))
            return
        data, status = obj.data, 200
        headers = {"ETag": f'"{obj.etag}"', "Last-Modified": obj.modified,
                   "Accept-Ranges": "bytes", **obj.headers}
        rng = req.headers.get("range", "")
        if rng.startswith("bytes=") and not head:
            first, _, last = rng[6:].partition("-")
            start = int(first)
            end = min(int(last), len(data) - 1) if last else len(data) - 1
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            data, status = data[start:end + 1], 206
        headers.setdefault("Content-Type", "application/octet-stream")
        if head:
            conn.send(response(status, headers={**headers, "Content-Length": str(len(data))}, head=True))
        elif obj.pace is None:
            conn.send(response(status, data, headers=headers))
        else:
            conn.send(response(status, headers={**headers, "Content-Length": str(len(data))}, head=True))
            piece, pause = obj.pace
            for i in range(0, len(data), piece):
                time.sleep(pause)
                conn.send(data[i:i + piece])

    def _list_v2(self, bucket: str, query: dict[str, str]) -> bytes:
        prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
        contents, prefixes = [], set()
        for (b, key), obj in sorted(self.objects.items()):
            if b != bucket or not key.startswith(prefix):
                continue
            rest = key[len(prefix):]
            if delimiter and delimiter in rest:
                prefixes.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
                continue
            contents.append(f"<Contents><Key>{escape(key)}</Key><LastModified>2026-01-01T00:00:00.000Z"
                            "</LastModified>" + (f"<ETag>&quot;{obj.etag}&quot;</ETag>" if self.list_etags else "")
                            + f"<Size>{len(obj.data)}</Size>"
                            "<StorageClass>STANDARD</StorageClass></Contents>")
        common = "".join(f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in sorted(prefixes))
        return ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
                'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>"
                f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount><MaxKeys>1000</MaxKeys>"
                f"<Delimiter>{escape(delimiter)}</Delimiter><IsTruncated>false</IsTruncated>"
                + "".join(contents) + common + "</ListBucketResult>").encode()



# -- building answers -----------------------------------------------------------------------------
def response(status: int, body: bytes = b"", *, headers: dict[str, str] | None = None,
             content_type: str | None = None, head: bool = False, reason: str | None = None) -> bytes:
    """The bytes of one HTTP/1.1 answer. Content-Length is added unless `headers` frame it already;
    with `head`, no body is sent (the headers may still describe one)."""
    fields = {"Server": "its-store-faultserver", "Date": email.utils.formatdate(usegmt=True),
              "x-amz-request-id": "FAULT0000", **(headers or {})}
    if content_type:
        fields["Content-Type"] = content_type
    lower = {name.lower() for name in fields}
    if "content-length" not in lower and "transfer-encoding" not in lower:
        fields["Content-Length"] = str(len(body))
    phrase = reason if reason is not None else _reason(status)
    head_bytes = f"HTTP/1.1 {status} {phrase}\r\n".encode() + b"".join(
        f"{name}: {value}\r\n".encode("latin-1") for name, value in fields.items()) + b"\r\n"
    return head_bytes if head else head_bytes + body


def s3_error(status: int, code: str, message: str, resource: str = "/", *, headers: dict[str, str] | None = None,
             head: bool = False, extra: str = "") -> bytes:
    """An S3 XML error answer (HEAD answers carry no body, as S3's do)."""
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + code + "</Code><Message>"
            + escape(message) + "</Message><Resource>" + escape(resource) + "</Resource>" + extra
            + "<RequestId>FAULT0000</RequestId></Error>").encode()
    return response(status, body, headers=headers, content_type=XML, head=head)


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(struct.pack(">I", zlib.crc32(data))).decode()


def composite_crc32_b64(data: bytes, part_size: int) -> str:
    """S3's COMPOSITE CRC32 of a multipart object: the CRC32 of the parts' CRC32s (without the -N)."""
    digests = b"".join(struct.pack(">I", zlib.crc32(data[i:i + part_size])) for i in range(0, len(data), part_size))
    return base64.b64encode(struct.pack(">I", zlib.crc32(digests))).decode()


def multipart_etag(data: bytes, part_size: int) -> str:
    digests = b"".join(hashlib.md5(data[i:i + part_size]).digest() for i in range(0, len(data), part_size))
    return f"{hashlib.md5(digests).hexdigest()}-{(len(data) + part_size - 1) // part_size}"


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _list_buckets(names: list[str]) -> bytes:
    items = "".join(f"<Bucket><Name>{escape(n)}</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate>"
                    "</Bucket>" for n in names)
    return ('<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult '
            'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>fake</ID></Owner>'
            f"<Buckets>{items}</Buckets></ListAllMyBucketsResult>").encode()


def _read_request(rfile: Any) -> Request | None:
    line = rfile.readline(65537)
    while line in (b"\r\n", b"\n"):
        line = rfile.readline(65537)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = rfile.readline(65537)
        if not raw:
            return None
        if raw in (b"\r\n", b"\n"):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return Request(method, target, headers)


def _read_exact(rfile: Any, n: int) -> bytes:
    chunks, left = [], n
    while left > 0:
        chunk = rfile.read(min(left, 1 << 20))
        if not chunk:
            raise ValueError("connection closed in the middle of a request body")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)

